/* shiftd-notify: desktop notifications for shiftd runs that wait for a human.
 * The daemon is wherever the options say; notifications go to the session bus. */
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <libnotify/notify.h>
#include <stdio.h>

#include "build-config.h"
#include "locale-setup.h"
#include "log.h"
#include "notifier.h"

static gboolean
on_quit_signal(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  shiftd_setup_locale();
  shiftd_log_init("shiftd-notify");

  g_auto(NotifyArgs) args = { 0 };
  g_autoptr(GError) error = NULL;
  if (!notify_args_parse(argc, argv, g_getenv("SHIFTD_BUS_ADDRESS"), &args, &error)) {
    fprintf(stderr, "shiftd-notify: %s\n", error->message);
    return 2;
  }
  if (args.version) {
    printf("shiftd-notify %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (!notify_init("shiftd")) {
    log_error("cannot initialise libnotify");
    return 1;
  }

  g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
  guint term = g_unix_signal_add(SIGTERM, on_quit_signal, loop);
  guint intr = g_unix_signal_add(SIGINT, on_quit_signal, loop);
  Notifier *notifier = notifier_new(&args);
  notifier_start(notifier);
  g_main_loop_run(loop);

  log_info("stopping");
  notifier_free(notifier);
  g_source_remove(term);
  g_source_remove(intr);
  notify_uninit();
  return 0;
}
