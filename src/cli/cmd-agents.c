/* agents: the standing agents and how they rest. */
#include <glib/gi18n.h>
#include <stdio.h>

#include "cli-context.h"
#include "output.h"
#include "props.h"
#include "run-api.h"
#include "shiftd-names.h"
#include "table.h"
#include "time-span.h"

typedef struct {
  GVariant *tuple; /* the ListAgents entry the strings point into */
  const char *name, *description, *schedule, *path;
  guint64 next_wake;
  GVariant *props;      /* the Agent's properties; NULL when it has none to show */
  char *last_run_state; /* NULL when unknown */
} AgentRow;

static void
agent_row_clear(AgentRow *row)
{
  g_clear_pointer(&row->tuple, g_variant_unref);
  g_clear_pointer(&row->props, g_variant_unref);
  g_clear_pointer(&row->last_run_state, g_free);
}

/* The extras are a courtesy: a daemon without them still lists its agents. */
static void
read_extras(CliContext *ctx, AgentRow *row)
{
  row->props = cli_get_all(&ctx->bus, row->path, SHIFTD_AGENT_IFACE, NULL);
  const char *last = cli_props_str(row->props, "LastRun");
  if (last[0] == '\0' || g_str_equal(last, "/"))
    return;
  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, last, "org.freedesktop.DBus.Properties", "Get",
                 g_variant_new("(ss)", SHIFTD_RUN_IFACE, "State"), G_VARIANT_TYPE("(v)"), NULL);
  if (reply == NULL)
    return;
  g_autoptr(GVariant) value = NULL;
  g_variant_get(reply, "(v)", &value);
  if (g_variant_is_of_type(value, G_VARIANT_TYPE_STRING))
    row->last_run_state = g_variant_dup_string(value, NULL);
}

static JsonObject *
row_to_json(const AgentRow *row)
{
  JsonObject *o = json_object_new();
  json_object_set_string_member(o, "name", row->name);
  json_object_set_string_member(o, "description", row->description);
  json_object_set_string_member(o, "schedule", row->schedule);
  json_object_set_int_member(o, "next_wake", (gint64)row->next_wake);
  json_object_set_string_member(o, "path", row->path);
  if (cli_props_has(row->props, "Enabled", "b")) {
    gboolean enabled = FALSE;
    g_variant_lookup(row->props, "Enabled", "b", &enabled);
    json_object_set_boolean_member(o, "enabled", enabled);
  }
  if (cli_props_has(row->props, "CurrentInterval", "t"))
    json_object_set_int_member(o, "current_interval",
                               (gint64)cli_props_u64(row->props, "CurrentInterval"));
  if (cli_props_has(row->props, "IdleStreak", "u"))
    json_object_set_int_member(o, "idle_streak", cli_props_u32(row->props, "IdleStreak"));
  const char *last = cli_props_str(row->props, "LastRun");
  if (last[0] != '\0')
    json_object_set_string_member(o, "last_run", last);
  if (row->last_run_state != NULL)
    json_object_set_string_member(o, "last_run_state", row->last_run_state);
  if (cli_props_has(row->props, "TokensToday", "t")) {
    json_object_set_int_member(o, "tokens_today", (gint64)cli_props_u64(row->props, "TokensToday"));
    json_object_set_int_member(o, "tokens_total", (gint64)cli_props_u64(row->props, "TokensTotal"));
  }
  return o;
}

/* 950, 1.2k, 346k, 4.5M: a narrow column, not an account (--json has
 * the exact counts) */
static char *
format_tokens(guint64 n)
{
  if (n < 1000)
    return g_strdup_printf("%" G_GUINT64_FORMAT, n);
  if (n < 1000000)
    return g_strdup_printf(n < 10000 ? "%.1fk" : "%.0fk", (double)(n / 100) / 10);
  return g_strdup_printf(n < 10000000 ? "%.1fM" : "%.0fM", (double)(n / 100000) / 10);
}

static void
add_table_row(CliTable *table, const AgentRow *row, guint64 now)
{
  g_autofree char *wake = row->next_wake ? cli_format_relative(now, row->next_wake) : NULL;
  /* an agent with no schedule has no interval */
  g_autofree char *interval = cli_props_u64(row->props, "CurrentInterval") != 0
                                ? shiftd_time_span_format(cli_props_u64(row->props, "CurrentInterval"))
                                : NULL;
  g_autofree char *idle = cli_props_has(row->props, "IdleStreak", "u")
                            ? g_strdup_printf("%u", cli_props_u32(row->props, "IdleStreak"))
                            : NULL;
  /* a disabled agent wakes never, whatever its schedule says */
  gboolean enabled = TRUE;
  if (row->props != NULL)
    g_variant_lookup(row->props, "Enabled", "b", &enabled);
  g_autofree char *today = format_tokens(cli_props_u64(row->props, "TokensToday"));
  g_autofree char *total = format_tokens(cli_props_u64(row->props, "TokensTotal"));
  /* today/total */
  g_autofree char *tokens = cli_props_has(row->props, "TokensToday", "t") ? g_strconcat(today, "/", total, NULL)
                                                                          : NULL;
  const char *cells[] = { row->name, row->schedule, enabled ? wake : _("disabled"), interval, idle,
                          row->last_run_state, tokens, row->description };
  guint r = cli_table_add_row(table, cells);
  if (row->last_run_state != NULL)
    cli_table_set_sgr(table, r, 5, cli_state_sgr(row->last_run_state));
  if (!enabled)
    cli_table_set_sgr(table, r, 2, CLI_SGR_DIM);
}

int
cli_cmd_agents(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE,
                                           "ListAgents", NULL, G_VARIANT_TYPE("(a(sssto))"), &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  g_autoptr(GVariant) list = g_variant_get_child_value(reply, 0);

  gsize n = g_variant_n_children(list);
  g_autofree AgentRow *rows = g_new0(AgentRow, n);
  for (gsize i = 0; i < n; i++) {
    rows[i].tuple = g_variant_get_child_value(list, i);
    g_variant_get(rows[i].tuple, "(&s&s&st&o)", &rows[i].name, &rows[i].description, &rows[i].schedule,
                  &rows[i].next_wake, &rows[i].path);
    read_extras(ctx, &rows[i]);
  }

  cli_page(ctx);
  if (ctx->json) {
    g_autoptr(JsonArray) array = json_array_new();
    for (gsize i = 0; i < n; i++)
      json_array_add_object_element(array, row_to_json(&rows[i]));
    g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
    cli_print_json(node, TRUE);
  } else if (n == 0) {
    if (!ctx->no_legend)
      printf("%s\n", _("No agents."));
  } else {
    const char *const headers[] = { _("NAME"), _("SCHEDULE"), _("NEXT-WAKE"), _("INTERVAL"),
                                    _("IDLE"), _("LAST-RUN"), _("TOKENS"), _("DESCRIPTION") };
    g_autoptr(CliTable) table = cli_table_new(G_N_ELEMENTS(headers), headers);
    for (gsize i = 0; i < n; i++)
      add_table_row(table, &rows[i], ctx->now);
    g_autofree char *text = cli_table_render(table, ctx->color, ctx->width, !ctx->no_legend);
    fputs(text, stdout);
    if (!ctx->no_legend) {
      printf("\n");
      printf(ngettext("%u agent listed.\n", "%u agents listed.\n", (guint)n), (guint)n);
    }
  }
  for (gsize i = 0; i < n; i++)
    agent_row_clear(&rows[i]);
  return CLI_EXIT_OK;
}
