/* Logging: structured journal fields (SHIFTD_RUN=, SHIFTD_AGENT=) when stderr
 * is the journal, plain stderr lines otherwise. Registered secrets are masked. */
#pragma once

#include <glib.h>
#include <syslog.h>

void shiftd_log_init(const char *ident);
/* Any text equal to a registered secret is replaced by "***" before it is written. */
void shiftd_log_add_secret(const char *secret);
void shiftd_log_set_debug(gboolean debug);
/* Logging goes to the journal natively (stderr is a journal stream). */
gboolean shiftd_log_is_journal(void);

void shiftd_log_full(int priority, const char *run, const char *agent, const char *fmt, ...)
  G_GNUC_PRINTF(4, 5);

#define log_error(...) shiftd_log_full(LOG_ERR, NULL, NULL, __VA_ARGS__)
#define log_warning(...) shiftd_log_full(LOG_WARNING, NULL, NULL, __VA_ARGS__)
#define log_notice(...) shiftd_log_full(LOG_NOTICE, NULL, NULL, __VA_ARGS__)
#define log_info(...) shiftd_log_full(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_debug(...) shiftd_log_full(LOG_DEBUG, NULL, NULL, __VA_ARGS__)
#define log_run(prio, run, agent, ...) shiftd_log_full(prio, run, agent, __VA_ARGS__)
