/* events: a run's history, and with --follow its future too. */
#include <glib/gi18n.h>

#include "cli-context.h"
#include "follow.h"
#include "props.h"
#include "run-api.h"
#include "run-print.h"
#include "shiftd-names.h"

static int
print_history(CliContext *ctx, const char *path, guint32 from)
{
  g_autoptr(GError) error = NULL;
  for (;;) {
    g_autoptr(GPtrArray) page = cli_run_get_events(&ctx->bus, path, from, CLI_EVENTS_PAGE, &error);
    if (page == NULL)
      return cli_fail(ctx, error);
    guint32 next = from;
    for (guint i = 0; i < page->len; i++) {
      const CliEvent *event = page->pdata[i];
      /* in order and once each, whatever the daemon sends */
      if (event->seq != next)
        continue;
      cli_print_event(ctx, event);
      next++;
    }
    if (page->len == 0 || next == from)
      return CLI_EXIT_OK;
    from = next;
  }
}

/* -n N: the first of the last N events (EventCount + 1 for none). */
static gboolean
first_of_last(CliContext *ctx, const char *path, guint32 lines, guint32 *from, GError **error)
{
  g_autoptr(GVariant) props = cli_get_all(&ctx->bus, path, SHIFTD_RUN_IFACE, error);
  if (props == NULL)
    return FALSE;
  guint32 count = cli_props_u32(props, "EventCount");
  *from = count >= lines ? count - lines + 1 : 1;
  return TRUE;
}

int
cli_cmd_events(CliContext *ctx, const CliArgs *args)
{
  const char *name = args->positional[0];
  g_autoptr(GError) error = NULL;
  if (args->have_from && args->have_lines)
    return cli_fail_usage(ctx->json, _("--from and --lines cannot be used together"));
  g_autofree char *path = cli_run_path(&ctx->bus, name, &error);
  if (path == NULL)
    return cli_fail(ctx, error);
  guint32 from = args->have_from ? args->from : 1;
  if (args->have_lines && !first_of_last(ctx, path, args->lines, &from, &error))
    return cli_fail(ctx, error);
  if (!args->follow) {
    if (args->have_lines && args->lines == 0)
      return CLI_EXIT_OK;
    cli_page(ctx);
    return print_history(ctx, path, from);
  }

  g_autoptr(GVariant) props = NULL;
  if (!cli_follow_run(ctx, path, from, TRUE, &props, &error))
    return cli_fail(ctx, error);
  if (!ctx->json && g_str_equal(cli_props_str(props, "State"), SHIFTD_STATE_WAITING))
    cli_print_question(ctx, name, props);
  return CLI_EXIT_OK;
}
