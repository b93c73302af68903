/* Run-time defaults of AddressSanitizer and UBSan, linked into every program
 * of a sanitized build (meson -Db_sanitize=address,undefined; see
 * src/common/meson.build) and into nothing else. The sanitizers read these
 * hooks before main(); ASAN_OPTIONS and UBSAN_OPTIONS in the environment still
 * override them, but a worker gets only the few variables the daemon hands it
 * (on either backend), so what must hold everywhere is said here. */

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

/* LeakSanitizer stops the process's threads with ptrace() at exit, and a
 * worker's syscall filter (both backends) refuses ptrace: every worker would
 * end with "LeakSanitizer has encountered a fatal error" and status 1.
 * Leaks are looked for where nothing is sandboxed: the fuzzers and the unit
 * tests (.ci/run turns detect_leaks back on for those). */
__attribute__((used, visibility("default"))) const char *
__asan_default_options(void)
{
  return "detect_leaks=0";
}

/* UBSan reports and carries on unless told otherwise; a report is a bug, so
 * the program stops there with a stack, and the test that ran it fails. */
__attribute__((used, visibility("default"))) const char *
__ubsan_default_options(void)
{
  return "halt_on_error=1:print_stacktrace=1";
}
