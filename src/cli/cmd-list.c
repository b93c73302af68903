/* list: the runs, one per row. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "call-args.h"
#include "cli-context.h"
#include "output.h"
#include "shiftd-names.h"
#include "table.h"

static void
print_json(GVariant *runs)
{
  g_autoptr(JsonArray) array = json_array_new();
  GVariantIter iter;
  const char *name, *agent, *state, *summary, *path;
  guint64 created;
  g_variant_iter_init(&iter, runs);
  while (g_variant_iter_next(&iter, "(&s&s&s&st&o)", &name, &agent, &state, &summary, &created, &path)) {
    JsonObject *o = json_object_new();
    json_object_set_string_member(o, "name", name);
    json_object_set_string_member(o, "agent", agent);
    json_object_set_string_member(o, "state", state);
    json_object_set_string_member(o, "summary", summary);
    json_object_set_int_member(o, "created_at", (gint64)created);
    json_object_set_string_member(o, "path", path);
    json_array_add_object_element(array, o);
  }
  g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
  cli_print_json(node, TRUE);
}

static void
print_table(CliContext *ctx, GVariant *runs)
{
  const char *const headers[] = { _("NAME"), _("AGENT"), _("STATE"), _("CREATED"), _("SUMMARY") };
  g_autoptr(CliTable) table = cli_table_new(G_N_ELEMENTS(headers), headers);
  guint64 now = ctx->now;
  GVariantIter iter;
  const char *name, *agent, *state, *summary, *path;
  guint64 created;
  g_variant_iter_init(&iter, runs);
  while (g_variant_iter_next(&iter, "(&s&s&s&st&o)", &name, &agent, &state, &summary, &created, &path)) {
    g_autofree char *when = cli_format_relative(now, created);
    const char *cells[] = { name, agent, state, when, summary };
    guint row = cli_table_add_row(table, cells);
    cli_table_set_sgr(table, row, 2, cli_state_sgr(state));
  }
  guint n = cli_table_n_rows(table);
  if (n == 0) {
    if (!ctx->no_legend)
      printf("%s\n", _("No runs."));
    return;
  }
  g_autofree char *text = cli_table_render(table, ctx->color, ctx->width, !ctx->no_legend);
  fputs(text, stdout);
  if (!ctx->no_legend) {
    printf("\n");
    printf(ngettext("%u run listed.\n", "%u runs listed.\n", n), n);
  }
}

int
cli_cmd_list(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  GVariant *filter = cli_list_filter_build(args, ctx->now, &error);
  if (filter == NULL)
    return cli_fail_usage(ctx->json, error->message);
  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "ListRuns",
                 g_variant_new("(@a{sv})", filter), G_VARIANT_TYPE("(a(ssssto))"), &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  g_autoptr(GVariant) runs = g_variant_get_child_value(reply, 0);
  cli_page(ctx);
  if (ctx->json)
    print_json(runs);
  else
    print_table(ctx, runs);
  return CLI_EXIT_OK;
}
