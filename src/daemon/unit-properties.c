#include "unit-properties.h"

static int
open_property(sd_bus_message *m, const char *key, const char *type)
{
  int r = sd_bus_message_open_container(m, 'r', "sv");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", key);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'v', type);
  return r;
}

static int
close_containers(sd_bus_message *m, int n)
{
  int r = 0;
  for (int i = 0; i < n && r >= 0; i++)
    r = sd_bus_message_close_container(m);
  return r;
}

int
unit_append_exec(sd_bus_message *m, const char *key, const char *const *argv)
{
  int r = open_property(m, key, "a(sasb)");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sasb)");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'r', "sasb");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", argv[0]);
  if (r >= 0)
    r = sd_bus_message_append_strv(m, (char **)argv);
  if (r >= 0)
    r = sd_bus_message_append(m, "b", 0);
  return r < 0 ? r : close_containers(m, 4);
}

int
unit_append_strv(sd_bus_message *m, const char *key, char **values)
{
  int r = open_property(m, key, "as");
  if (r >= 0)
    r = sd_bus_message_append_strv(m, values);
  return r < 0 ? r : close_containers(m, 2);
}

int
unit_append_list(sd_bus_message *m, const char *key, gboolean allow, char **values)
{
  int r = open_property(m, key, "(bas)");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'r', "bas");
  if (r >= 0)
    r = sd_bus_message_append(m, "b", allow);
  if (r >= 0)
    r = sd_bus_message_append_strv(m, values);
  return r < 0 ? r : close_containers(m, 3);
}

int
unit_append_binds_from(sd_bus_message *m, const char *key, const char *source, GPtrArray *paths)
{
  int r = open_property(m, key, "a(ssbt)");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(ssbt)");
  for (guint i = 0; r >= 0 && i < paths->len; i++) {
    const char *p = g_ptr_array_index(paths, i);
    /* "-PATH": systemd skips it when it is not there */
    gboolean optional = p[0] == '-';
    const char *path = optional ? p + 1 : p;
    r = sd_bus_message_append(m, "(ssbt)", source ? source : path, path, optional, (uint64_t)0);
  }
  return r < 0 ? r : close_containers(m, 3);
}

int
unit_append_binds(sd_bus_message *m, const char *key, GPtrArray *paths)
{
  return unit_append_binds_from(m, key, NULL, paths);
}

int
unit_append_tmpfs(sd_bus_message *m, const char *path, const char *options)
{
  int r = open_property(m, "TemporaryFileSystem", "a(ss)");
  if (r >= 0)
    r = sd_bus_message_append(m, "a(ss)", 1, path, options);
  return r < 0 ? r : close_containers(m, 2);
}

int
unit_append_oneshot_aux(sd_bus_message *m, const char *service, const char *description, const char *const *argv,
                        gboolean no_start_limit)
{
  int r = sd_bus_message_open_container(m, 'a', "(sa(sv))");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'r', "sa(sv)");
  if (r >= 0)
    r = sd_bus_message_append(m, "s", service);
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  if (r >= 0)
    r = sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", description, "Type", "s", "oneshot",
                              "CollectMode", "s", "inactive-or-failed");
  if (r >= 0 && no_start_limit)
    r = sd_bus_message_append(m, "(sv)", "StartLimitIntervalUSec", "t", (uint64_t)0);
  if (r >= 0)
    r = unit_append_exec(m, "ExecStart", argv);
  return r < 0 ? r : close_containers(m, 3);
}
