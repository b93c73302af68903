#include "worker-unit.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "unit-properties.h"

static int
append_bools(sd_bus_message *m, const char *const *keys)
{
  int r = 0;
  for (const char *const *k = keys; *k && r >= 0; k++)
    r = sd_bus_message_append(m, "(sv)", *k, "b", 1);
  return r;
}

/* Everything a worker cannot do; tools and anything else it starts inherit it. */
static int
append_hardening(sd_bus_message *m)
{
  static const char *const on[] = {
    "NoNewPrivileges", "PrivateTmp", "PrivateDevices", "PrivateUsers", "ProtectKernelTunables",
    "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock", "ProtectHostname",
    "RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", NULL,
  };
  int r = append_bools(m, on);
  if (r >= 0)
    r = sd_bus_message_append(m, "(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)(sv)", "ProtectSystem", "s", "strict",
                              "ProtectHome", "s", "read-only", "ProtectProc", "s", "invisible", "ProcSubset", "s",
                              "pid", "KeyringMode", "s", "private", "UMask", "u", (uint32_t)0077,
                              "CapabilityBoundingSet", "t", (uint64_t)0, "AmbientCapabilities", "t", (uint64_t)0,
                              /* the flags of the namespaces it may make: none */
                              "RestrictNamespaces", "t", (uint64_t)0);
  if (r >= 0)
    r = unit_append_strv(m, "SystemCallArchitectures", (char *[]){ "native", NULL });
  if (r >= 0)
    r = unit_append_list(m, "SystemCallFilter", TRUE, (char *[]){ "@system-service", NULL });
  if (r >= 0)
    r = unit_append_list(m, "SystemCallFilter", FALSE, (char *[]){ "@privileged", NULL });
  /* a refused call fails with EPERM rather than killing the process */
  if (r >= 0)
    r = sd_bus_message_append(m, "(sv)", "SystemCallErrorNumber", "i", (int32_t)EPERM);
  if (r >= 0)
    r = unit_append_list(m, "RestrictAddressFamilies", TRUE, (char *[]){ "AF_UNIX", "AF_INET", "AF_INET6", NULL });
  return r;
}

static int
append_identity(sd_bus_message *m, const LaunchSpec *spec)
{
  const RunAs *as = spec->run_as;
  int r = 0;
  switch (as->kind) {
  case RUN_AS_DAEMON:
    break;
  case RUN_AS_USER:
    r = sd_bus_message_append(m, "(sv)", "User", "s", as->user);
    /* a uid without a user entry: no group of its own to fall back on */
    if (r >= 0 && as->unnamed) {
      g_autofree char *group = g_strdup_printf("%u", (unsigned)as->gid);
      r = sd_bus_message_append(m, "(sv)", "Group", "s", group);
    }
    break;
  case RUN_AS_DYNAMIC:
    r = sd_bus_message_append(m, "(sv)(sv)", "DynamicUser", "b", 1, "User", "s", as->user);
    break;
  }
  if (r >= 0 && spec->state_directory) {
    r = unit_append_strv(m, "StateDirectory", (char *[]){ spec->state_directory, NULL });
    if (r >= 0)
      r = sd_bus_message_append(m, "(sv)", "StateDirectoryMode", "u", (uint32_t)0700);
  }
  return r;
}

static gboolean
under_private_tmp(const char *path)
{
  return g_str_has_prefix(path, "/tmp/") || g_str_has_prefix(path, "/var/tmp/");
}

/* The daemon's state dir becomes an empty read-only one (to be passed
 * through, not listed) with the workspace and notes bound into it; the config
 * dir one that cannot be entered; the key file one that cannot be opened.
 * (Not InaccessiblePaths=: a user manager run by root here fails the unit
 * with 226/NAMESPACE on it; these work under both managers.) */
static int
append_view(sd_bus_message *m, const LaunchSpec *spec, const char *worker_path)
{
  int r = unit_append_tmpfs(m, spec->hide_state_dir, "ro,mode=0711");
  for (guint i = 0; r >= 0 && i < spec->hide_dirs->len; i++)
    r = unit_append_tmpfs(m, g_ptr_array_index(spec->hide_dirs, i), "ro,mode=0000");
  if (r < 0)
    return r;

  /* PrivateTmp= hides /tmp and /var/tmp: what lives there (a build tree, a
   * test's files) is bound into the unit instead of merely allowed. */
  g_autoptr(GPtrArray) binds = g_ptr_array_new();
  g_autoptr(GPtrArray) binds_ro = g_ptr_array_new_with_free_func(free);
  g_autoptr(GStrvBuilder) rw = g_strv_builder_new();
  if (spec->workspace)
    g_ptr_array_add(binds, spec->workspace);
  if (spec->notes_dir)
    g_ptr_array_add(binds, spec->notes_dir);
  char *worker = realpath(worker_path, NULL);
  if (worker && under_private_tmp(worker))
    g_ptr_array_add(binds_ro, worker);
  else
    free(worker);
  for (char **p = spec->config->read_write_paths; p && *p; p++) {
    const char *path = (*p)[0] == '-' ? *p + 1 : *p;
    if (under_private_tmp(path))
      g_ptr_array_add(binds, *p); /* "-" and all: optional there too */
    else
      g_strv_builder_add(rw, *p);
  }
  g_auto(GStrv) rwv = g_strv_builder_end(rw);
  if (rwv[0] && (r = unit_append_strv(m, "ReadWritePaths", rwv)) < 0)
    return r;
  if (binds->len && (r = unit_append_binds(m, "BindPaths", binds)) < 0)
    return r;
  if (binds_ro->len && (r = unit_append_binds(m, "BindReadOnlyPaths", binds_ro)) < 0)
    return r;
  if (spec->hide_files->len && (r = unit_append_binds_from(m, "BindReadOnlyPaths", spec->hidden_node,
                                                           spec->hide_files)) < 0)
    return r;
  return 0;
}

int
worker_unit_append_sandbox(sd_bus_message *m, const LaunchSpec *spec, const char *worker_path)
{
  int r = append_hardening(m);
  if (r >= 0)
    r = append_identity(m, spec);
  if (r >= 0)
    r = append_view(m, spec, worker_path);
  return r;
}
