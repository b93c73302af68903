#include "notify-args.h"

#include <glib/gi18n.h>

gboolean
notify_args_parse(int argc, char **argv, const char *env_address, NotifyArgs *args, GError **error)
{
  gboolean system = FALSE, user = FALSE;
  g_autofree char *address = NULL;
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system, N_("shiftd is on the system bus"), NULL },
    { "user", 0, 0, G_OPTION_ARG_NONE, &user, N_("shiftd is on the session bus (the default)"), NULL },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, N_("shiftd is on the bus at ADDR"), "ADDR" },
    { "notify-finished", 0, 0, G_OPTION_ARG_NONE, &args->notify_finished,
      N_("Also announce runs that finish or fail"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &args->version, N_("Show the version"), NULL },
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
  g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary(ctx, _("Desktop notifications for shiftd runs that wait for a human; "
                                      "a button per choice answers the run.\n"
                                      "Notifications go to the session bus whatever bus shiftd is on."));
  g_option_context_add_main_entries(ctx, entries, NULL);
  /* g_option_context_parse() edits the vector it is given; keep the caller's. */
  g_autofree char **copy = g_memdup2(argv, sizeof(char *) * (argc + 1));
  int n = argc;
  char **v = copy;
  if (!g_option_context_parse(ctx, &n, &v, error))
    return FALSE;
  if (n > 1) {
    g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("unexpected argument \"%s\""), v[1]);
    return FALSE;
  }
  if (system && user) {
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("--system and --user exclude each other"));
    return FALSE;
  }
  if (address != NULL && address[0] == '\0') {
    g_set_error_literal(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--address needs a D-Bus address"));
    return FALSE;
  }

  g_clear_pointer(&args->address, g_free);
  if (address != NULL) {
    args->bus = NOTIFY_BUS_ADDRESS;
    args->address = g_steal_pointer(&address);
  } else if (system) {
    args->bus = NOTIFY_BUS_SYSTEM;
  } else if (!user && env_address != NULL && env_address[0] != '\0') {
    args->bus = NOTIFY_BUS_ADDRESS;
    args->address = g_strdup(env_address);
  } else {
    args->bus = NOTIFY_BUS_SESSION;
  }
  return TRUE;
}

void
notify_args_clear(NotifyArgs *args)
{
  g_clear_pointer(&args->address, g_free);
}

GStrv
notify_args_shiftctl_options(const NotifyArgs *args)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  g_autofree char *address = NULL;
  if (args->bus == NOTIFY_BUS_ADDRESS) {
    address = g_strconcat("--address=", args->address, NULL);
    g_strv_builder_add(b, address);
  } else if (args->bus == NOTIFY_BUS_SYSTEM) {
    g_strv_builder_add(b, "--system");
  }
  return g_strv_builder_end(b);
}

char *
notify_args_describe_bus(const NotifyArgs *args)
{
  switch (args->bus) {
  case NOTIFY_BUS_SESSION:
    return g_strdup("the session bus");
  case NOTIFY_BUS_SYSTEM:
    return g_strdup("the system bus");
  case NOTIFY_BUS_ADDRESS:
    return g_strdup_printf("the bus at %s", args->address);
  }
  g_assert_not_reached();
}
