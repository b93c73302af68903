#include <gio/gio.h>

#include "bus-error.h"
#include "bus.h"

static void
check(const GError *error, const char *name, const char *message, const char *dbus_name)
{
  CliFailure f;
  cli_failure_init(&f, error, "the session bus");
  g_assert_cmpstr(f.name, ==, name);
  g_assert_cmpstr(f.message, ==, message);
  g_assert_cmpstr(f.dbus_name, ==, dbus_name);
  cli_failure_clear(&f);
}

static void
test_shiftd_errors(void)
{
  g_autoptr(GError) e =
    g_dbus_error_new_for_dbus_error("org.shiftd.Shift1.Error.NoSuchRun", "no run named \"foo\"");
  /* GDBus puts the D-Bus name in the message; it must not reach the user */
  g_assert_true(g_str_has_prefix(e->message, "GDBus.Error:org.shiftd.Shift1.Error.NoSuchRun: "));
  check(e, "NoSuchRun", "no run named \"foo\"", "org.shiftd.Shift1.Error.NoSuchRun");

  g_autoptr(GError) multi = g_dbus_error_new_for_dbus_error(
    "org.shiftd.Shift1.Error.InvalidArgument", "bad agent file:\n  line 3: unknown key");
  check(multi, "InvalidArgument", "bad agent file: line 3: unknown key",
        "org.shiftd.Shift1.Error.InvalidArgument");

  g_autoptr(GError) empty = g_dbus_error_new_for_dbus_error("org.shiftd.Shift1.Error.Busy", "");
  check(empty, "Busy", "org.shiftd.Shift1.Error.Busy", "org.shiftd.Shift1.Error.Busy");
}

static void
test_not_running(void)
{
  g_autoptr(GError) e = g_dbus_error_new_for_dbus_error(
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "The name org.shiftd.Shift1 was not provided by any .service files");
  check(e, "NotRunning", "shiftd is not running on the session bus (org.shiftd.Shift1 has no owner)",
        "org.freedesktop.DBus.Error.ServiceUnknown");
  g_autoptr(GError) e2 =
    g_dbus_error_new_for_dbus_error("org.freedesktop.DBus.Error.NameHasNoOwner", "gone");
  check(e2, "NotRunning", "shiftd is not running on the session bus (org.shiftd.Shift1 has no owner)",
        "org.freedesktop.DBus.Error.NameHasNoOwner");
}

static void
test_not_started(void)
{
  /* shiftd's own answer to callers waiting on its activation says it all */
  g_autoptr(GError) own = g_dbus_error_new_for_dbus_error(
    "org.freedesktop.DBus.Error.Spawn.ChildExited",
    "shiftd failed to start: bad configuration: /x/shiftd.conf:3: no (exit status 78); see shiftd's log");
  check(own, "NotStarted",
        "shiftd failed to start: bad configuration: /x/shiftd.conf:3: no (exit status 78); see shiftd's log",
        "org.freedesktop.DBus.Error.Spawn.ChildExited");
  /* dbus-daemon's and systemd's words get the sentence's start */
  g_autoptr(GError) bus = g_dbus_error_new_for_dbus_error("org.freedesktop.DBus.Error.Spawn.ChildExited",
                                                          "Process org.shiftd.Shift1 exited with status 1");
  check(bus, "NotStarted", "shiftd failed to start: Process org.shiftd.Shift1 exited with status 1",
        "org.freedesktop.DBus.Error.Spawn.ChildExited");
  g_autoptr(GError) unit = g_dbus_error_new_for_dbus_error("org.freedesktop.systemd1.NoSuchUnit",
                                                           "Unit shiftd.service not found.");
  check(unit, "NotStarted", "shiftd failed to start: Unit shiftd.service not found.",
        "org.freedesktop.systemd1.NoSuchUnit");
  g_autoptr(GError) watched = g_error_new_literal(CLI_ERROR, CLI_ERROR_NOT_STARTED, "shiftd failed to start: x");
  check(watched, "NotStarted", "shiftd failed to start: x", NULL);
}

static void
test_other_errors(void)
{
  g_autoptr(GError) denied =
    g_dbus_error_new_for_dbus_error("org.freedesktop.DBus.Error.AccessDenied", "Rejected send message");
  check(denied, "AccessDenied", "Rejected send message", "org.freedesktop.DBus.Error.AccessDenied");

  g_autoptr(GError) timeout = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Timeout was reached");
  check(timeout, "Timeout", "Timeout was reached", NULL);
  g_autoptr(GError) vanished = g_error_new_literal(CLI_ERROR, CLI_ERROR_VANISHED, "shiftd left");
  check(vanished, "Vanished", "shiftd left", NULL);
  g_autoptr(GError) protocol = g_error_new_literal(CLI_ERROR, CLI_ERROR_PROTOCOL, "odd reply");
  check(protocol, "Protocol", "odd reply", NULL);
  g_autoptr(GError) nobus = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED, "cannot connect");
  check(nobus, "NoBus", "cannot connect", NULL);
}

static void
test_bus_choice(void)
{
  CliBus bus = { 0 };
  g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *d4 = NULL, *d5 = NULL;
  g_autofree char *f1 = NULL, *f2 = NULL, *f3 = NULL;

  cli_bus_choose(&bus, CLI_BUS_DEFAULT, NULL, NULL);
  d1 = cli_bus_describe(&bus);
  f1 = cli_bus_flags(&bus);
  g_assert_cmpstr(d1, ==, "the session bus");
  g_assert_cmpstr(f1, ==, "");

  cli_bus_choose(&bus, CLI_BUS_DEFAULT, NULL, "unix:path=/env");
  d2 = cli_bus_describe(&bus);
  g_assert_cmpstr(d2, ==, "the bus at unix:path=/env");

  cli_bus_choose(&bus, CLI_BUS_USER, NULL, "unix:path=/env"); /* an explicit --user wins */
  d3 = cli_bus_describe(&bus);
  g_assert_cmpstr(d3, ==, "the session bus");

  cli_bus_choose(&bus, CLI_BUS_SYSTEM, NULL, "unix:path=/env");
  d4 = cli_bus_describe(&bus);
  f2 = cli_bus_flags(&bus);
  g_assert_cmpstr(d4, ==, "the system bus");
  g_assert_cmpstr(f2, ==, "--system ");

  cli_bus_choose(&bus, CLI_BUS_SYSTEM, "unix:path=/a b", "unix:path=/env");
  d5 = cli_bus_describe(&bus);
  f3 = cli_bus_flags(&bus);
  g_assert_cmpstr(d5, ==, "the bus at unix:path=/a b");
  g_assert_cmpstr(f3, ==, "--address='unix:path=/a b' --system ");
  cli_bus_clear(&bus);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/bus-error/shiftd-errors", test_shiftd_errors);
  g_test_add_func("/cli/bus-error/not-running", test_not_running);
  g_test_add_func("/cli/bus-error/not-started", test_not_started);
  g_test_add_func("/cli/bus-error/other-errors", test_other_errors);
  g_test_add_func("/cli/bus/choice", test_bus_choice);
  return g_test_run();
}
