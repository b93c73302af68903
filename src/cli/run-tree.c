#include "run-tree.h"

#include "props.h"
#include "run-api.h"
#include "shiftd-names.h"

void
cli_tree_run_free(CliTreeRun *run)
{
  if (run == NULL)
    return;
  g_free(run->path);
  g_free(run->name);
  g_free(run->state);
  g_free(run);
}

/* A run that went away or cannot be read still shows by its path. */
static CliTreeRun *
read_run(CliBus *bus, const char *path)
{
  CliTreeRun *run = g_new0(CliTreeRun, 1);
  run->path = g_strdup(path);
  g_autoptr(GVariant) props = cli_get_all(bus, path, SHIFTD_RUN_IFACE, NULL);
  run->name = g_strdup(cli_props_str(props, "Name"));
  run->state = g_strdup(cli_props_str(props, "State"));
  return run;
}

CliTreeRun *
cli_run_tree_parent(CliBus *bus, GVariant *props)
{
  const char *path = cli_props_str(props, "Parent");
  if (path[0] == '\0' || g_str_equal(path, "/"))
    return NULL;
  return read_run(bus, path);
}

GPtrArray *
cli_run_tree_children(CliBus *bus, GVariant *props)
{
  GPtrArray *children = g_ptr_array_new_with_free_func((GDestroyNotify)cli_tree_run_free);
  g_autoptr(GVariant) paths = props ? g_variant_lookup_value(props, "Children", G_VARIANT_TYPE("ao")) : NULL;
  if (paths == NULL)
    return children;
  GVariantIter iter;
  const char *path;
  g_variant_iter_init(&iter, paths);
  while (g_variant_iter_next(&iter, "&o", &path))
    g_ptr_array_add(children, read_run(bus, path));
  return children;
}

char *
cli_tree_run_describe(const CliTreeRun *run)
{
  if (run->name[0] == '\0')
    return g_strdup(run->path);
  return g_strdup_printf("%s (%s)", run->name, run->state);
}

JsonObject *
cli_tree_run_to_json(const CliTreeRun *run)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "name", run->name);
  json_object_set_string_member(o, "state", run->state);
  json_object_set_string_member(o, "path", run->path);
  return o;
}
