/* start and trigger: both hand back a receipt, then may follow the run. */
#include <errno.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "call-args.h"
#include "cli-context.h"
#include "follow.h"
#include "output.h"
#include "props.h"
#include "run-print.h"
#include "shiftd-names.h"

static int
after_receipt(CliContext *ctx, const CliArgs *args, GVariant *reply)
{
  const char *name, *path;
  g_variant_get(reply, "(&s&o)", &name, &path);

  if (ctx->json) {
    g_autoptr(JsonObject) receipt = json_object_new();
    json_object_set_string_member(receipt, "name", name);
    json_object_set_string_member(receipt, "path", path);
    cli_print_json_object(receipt, FALSE);
  } else if (!ctx->quiet) {
    printf(_("Started %s  %s\n"), name, path);
    fflush(stdout);
  }
  if (!args->follow && !args->wait)
    return CLI_EXIT_OK;

  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) props = NULL;
  if (!cli_follow_run(ctx, path, 1, args->follow, &props, &error))
    return cli_fail(ctx, error);
  cli_print_outcome(ctx, name, path, props);
  return cli_outcome_exit_code(cli_props_str(props, "State"));
}

/* "start -": the task is all of stdin, up to one character more than shiftd takes
 * (so that a task too long is refused by shiftd, with its reason). */
static char *
read_task(FILE *in, GError **error)
{
  GString *text = g_string_new(NULL);
  char buf[8192];
  size_t n;
  while (text->len <= SHIFTD_MAX_TASK_BYTES && (n = fread(buf, 1, sizeof buf, in)) > 0)
    g_string_append_len(text, buf, (gssize)n);
  if (ferror(in)) {
    int e = errno;
    g_string_free(text, TRUE);
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), _("cannot read the task from standard input: %s"),
                g_strerror(e));
    return NULL;
  }
  /* cut after a whole character, so that what is sent is still UTF-8 */
  gsize cut = SHIFTD_MAX_TASK_BYTES + 1;
  while (cut < text->len && (text->str[cut] & 0xC0) == 0x80)
    cut++;
  if (text->len > cut)
    g_string_truncate(text, cut);
  return g_string_free(text, FALSE);
}

int
cli_cmd_start(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *task = NULL;
  if (args->positional[0] != NULL && g_str_equal(args->positional[0], "-") && args->positional[1] == NULL) {
    if (isatty(STDIN_FILENO) && !ctx->quiet)
      fprintf(stderr, "%s\n", _("Reading the task from standard input; end it with Ctrl-D."));
    g_autofree char *text = read_task(stdin, &error);
    if (text == NULL)
      return cli_fail(ctx, error);
    char *words[] = { text, NULL };
    task = cli_task_from_words(words, &error);
  } else {
    task = cli_task_from_words(args->positional, &error);
  }
  if (task == NULL)
    return cli_fail_usage(ctx->json, error->message);
  GVariant *options = cli_start_options_build(args, &error);
  if (options == NULL)
    return cli_fail_usage(ctx->json, error->message);

  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "StartRun",
                 g_variant_new("(ss@a{sv})", args->agent ? args->agent : "", task, options),
                 G_VARIANT_TYPE("(so)"), &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  return after_receipt(ctx, args, reply);
}

int
cli_cmd_trigger(CliContext *ctx, const CliArgs *args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply =
    cli_bus_call(&ctx->bus, SHIFTD_MANAGER_PATH, SHIFTD_MANAGER_IFACE, "TriggerAgent",
                 g_variant_new("(s)", args->positional[0]), G_VARIANT_TYPE("(so)"), &error);
  if (reply == NULL)
    return cli_fail(ctx, error);
  return after_receipt(ctx, args, reply);
}
