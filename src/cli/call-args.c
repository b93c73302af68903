#include "call-args.h"

#include <glib/gi18n.h>

#include "run-row.h"
#include "time-span.h"

/* A span for an option: finite and not zero. */
static gboolean
parse_span(const char *option, const char *text, guint64 *out, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!shiftd_time_span_parse(text, out, &local)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--%s: %s", option, local->message);
    return FALSE;
  }
  if (*out == 0 || *out == SHIFTD_USEC_INFINITY) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                _("--%s wants a finite time span above zero, not \"%s\""), option, text);
    return FALSE;
  }
  return TRUE;
}

GVariant *
cli_start_options_build(const CliArgs *args, GError **error)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
  if (args->model != NULL)
    g_variant_builder_add(&b, "{sv}", "model", g_variant_new_string(args->model));
  if (args->have_max_steps)
    g_variant_builder_add(&b, "{sv}", "max_steps", g_variant_new_uint32(args->max_steps));
  if (args->timeout != NULL) {
    guint64 usec;
    if (!parse_span("timeout", args->timeout, &usec, error))
      return NULL;
    g_variant_builder_add(&b, "{sv}", "timeout", g_variant_new_uint64(usec));
  }
  if (args->label != NULL)
    g_variant_builder_add(&b, "{sv}", "label", g_variant_new_string(args->label));
  return g_variant_builder_end(&b);
}

GVariant *
cli_list_filter_build(const CliArgs *args, guint64 now_usec, GError **error)
{
  g_auto(GVariantBuilder) b = G_VARIANT_BUILDER_INIT(G_VARIANT_TYPE_VARDICT);
  if (args->state != NULL) {
    if (!shiftd_run_state_is_valid(args->state)) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  _("--state: no state \"%s\" (queued, running, waiting, done, idle, failed, cancelled)"),
                  args->state);
      return NULL;
    }
    g_variant_builder_add(&b, "{sv}", "state", g_variant_new_string(args->state));
  }
  if (args->agent != NULL)
    g_variant_builder_add(&b, "{sv}", "agent", g_variant_new_string(args->agent));
  if (args->have_limit)
    g_variant_builder_add(&b, "{sv}", "limit", g_variant_new_uint32(args->limit));
  if (args->since != NULL) {
    guint64 span;
    if (!parse_span("since", args->since, &span, error))
      return NULL;
    /* a span reaching back before 1970 covers every run: no filter needed */
    if (span < now_usec)
      g_variant_builder_add(&b, "{sv}", "since", g_variant_new_uint64(now_usec - span));
  }
  return g_variant_builder_end(&b);
}

char *
cli_task_from_words(char **words, GError **error)
{
  g_autofree char *task = g_strjoinv(" ", words);
  g_strstrip(task);
  if (task[0] == '\0') {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("the task is empty"));
    return NULL;
  }
  /* a D-Bus string must be UTF-8: GVariant would refuse it, not shiftd */
  if (!g_utf8_validate(task, -1, NULL)) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("the task is not valid UTF-8"));
    return NULL;
  }
  return g_steal_pointer(&task);
}
