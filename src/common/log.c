#include "log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>

static char *log_ident = NULL;
static gboolean log_journal = FALSE;
static gboolean log_debug_enabled = FALSE;
static GPtrArray *log_secrets = NULL;
static GMutex log_lock;

/* systemd sets JOURNAL_STREAM=dev:ino when stderr is connected to the journal. */
static gboolean
stderr_is_journal(void)
{
  const char *e = g_getenv("JOURNAL_STREAM");
  if (e == NULL)
    return FALSE;
  unsigned long long dev = 0, ino = 0;
  if (sscanf(e, "%llu:%llu", &dev, &ino) != 2)
    return FALSE;
  struct stat st;
  if (fstat(STDERR_FILENO, &st) < 0)
    return FALSE;
  return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void
shiftd_log_init(const char *ident)
{
  g_free(log_ident);
  log_ident = g_strdup(ident);
  /* a worker whose stderr the daemon reads is told where the daemon logs */
  log_journal = stderr_is_journal() || g_strcmp0(g_getenv("SHIFTD_LOG_JOURNAL"), "1") == 0;
  if (g_getenv("SHIFTD_DEBUG"))
    log_debug_enabled = TRUE;
}

gboolean
shiftd_log_is_journal(void)
{
  return log_journal;
}

void
shiftd_log_set_debug(gboolean debug)
{
  log_debug_enabled = debug;
}

void
shiftd_log_add_secret(const char *secret)
{
  if (secret == NULL || strlen(secret) < 4)
    return;
  g_mutex_lock(&log_lock);
  if (log_secrets == NULL)
    log_secrets = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(log_secrets, g_strdup(secret));
  g_mutex_unlock(&log_lock);
}

static char *
mask_secrets(char *text)
{
  g_mutex_lock(&log_lock);
  for (guint i = 0; log_secrets && i < log_secrets->len; i++) {
    const char *secret = g_ptr_array_index(log_secrets, i);
    if (strstr(text, secret) == NULL)
      continue;
    g_auto(GStrv) parts = g_strsplit(text, secret, -1);
    g_free(text);
    text = g_strjoinv("***", parts);
  }
  g_mutex_unlock(&log_lock);
  return text;
}

void
shiftd_log_full(int priority, const char *run, const char *agent, const char *fmt, ...)
{
  if (priority >= LOG_DEBUG && !log_debug_enabled)
    return;

  va_list ap;
  va_start(ap, fmt);
  char *message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  message = mask_secrets(message);

  if (log_journal) {
    g_autofree char *f_message = g_strconcat("MESSAGE=", message, NULL);
    g_autofree char *f_priority = g_strdup_printf("PRIORITY=%d", priority);
    g_autofree char *f_ident = g_strconcat("SYSLOG_IDENTIFIER=", log_ident ? log_ident : "shiftd", NULL);
    g_autofree char *f_run = run ? g_strconcat("SHIFTD_RUN=", run, NULL) : NULL;
    g_autofree char *f_agent = agent ? g_strconcat("SHIFTD_AGENT=", agent, NULL) : NULL;
    struct iovec iov[5];
    int n = 0;
    iov[n++] = (struct iovec){ f_message, strlen(f_message) };
    iov[n++] = (struct iovec){ f_priority, strlen(f_priority) };
    iov[n++] = (struct iovec){ f_ident, strlen(f_ident) };
    if (f_run)
      iov[n++] = (struct iovec){ f_run, strlen(f_run) };
    if (f_agent)
      iov[n++] = (struct iovec){ f_agent, strlen(f_agent) };
    sd_journal_sendv(iov, n);
  } else {
    GString *line = g_string_new(NULL);
    if (run)
      g_string_append_printf(line, "[%s] ", run);
    else if (agent)
      g_string_append_printf(line, "[agent %s] ", agent);
    g_string_append(line, message);
    /* One write per line so lines from several processes do not interleave. */
    g_autofree char *out = g_strdup_printf("%s: %s\n", log_ident ? log_ident : "shiftd", line->str);
    ssize_t ignored = write(STDERR_FILENO, out, strlen(out));
    (void)ignored;
    g_string_free(line, TRUE);
  }
  g_free(message);
}
