#include "tool-output.h"

#include <errno.h>
#include <string.h>

#include "log.h"

#define OUTPUT_BOUND_MAX 8192
#define OUTPUT_BOUND_MIN 512
/* the same conservative bytes a token as the context estimate */
#define BYTES_PER_TOKEN 3
#define OUTPUT_DIR "tool-output"

gsize
shiftd_tool_output_bound(const ShiftdHello *hello)
{
  gsize bound = (gsize)hello->context_tokens / 8 * BYTES_PER_TOKEN;
  return CLAMP(bound, OUTPUT_BOUND_MIN, OUTPUT_BOUND_MAX);
}

/* The first bytes of text, at most n, ending on a character boundary. */
static gsize
head_len(const char *text, gsize n)
{
  while (n > 0 && ((guchar)text[n] & 0xC0) == 0x80)
    n--;
  return n;
}

/* Where the last bytes of text (of length len), at most n, start. */
static gsize
tail_start(const char *text, gsize len, gsize n)
{
  gsize start = len - n;
  while (start < len && ((guchar)text[start] & 0xC0) == 0x80)
    start++;
  return start;
}

/* The file's path relative to the workspace, as read_file takes it. */
static char *
save(const ShiftdHello *hello, guint step, const char *call_id, const char *output, gsize len)
{
  if (hello->workspace == NULL || *hello->workspace == '\0')
    return NULL;
  /* a call id is the model's (or server's) text: keep it a plain file name */
  g_autofree char *id = g_strndup(call_id ? call_id : "call", 64);
  for (char *p = id; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      *p = '_';
  g_autofree char *relative = g_strdup_printf(OUTPUT_DIR "/%u-%s.txt", step, id);
  g_autofree char *dir = g_build_filename(hello->workspace, OUTPUT_DIR, NULL);
  g_autofree char *path = g_build_filename(hello->workspace, relative, NULL);
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    int e = errno;
    log_run(LOG_WARNING, hello->run, hello->agent, "cannot create %s: %s", dir, g_strerror(e));
    return NULL;
  }
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents_full(path, output, (gssize)len, G_FILE_SET_CONTENTS_NONE, 0600, &local)) {
    log_run(LOG_WARNING, hello->run, hello->agent, "cannot save a tool's output: %s", local->message);
    return NULL;
  }
  return g_steal_pointer(&relative);
}

char *
shiftd_tool_output_fit(const ShiftdHello *hello, guint step, const char *call_id, const char *output)
{
  gsize len = strlen(output);
  gsize bound = shiftd_tool_output_bound(hello);
  if (len <= bound)
    return g_strdup(output);

  /* the head says what the output is, the tail how it ended */
  gsize head = head_len(output, bound / 2);
  gsize tail = tail_start(output, len, bound / 4);
  g_autofree char *file = save(hello, step, call_id, output, len);
  g_autofree char *note = file
    ? g_strdup_printf("[... %zu bytes cut here. The whole output (%zu bytes) is in %s in your workspace: "
                      "read the parts you need, e.g. with read_file or grep, rather than all of it ...]",
                      tail - head, len, file)
    : g_strdup_printf("[... %zu bytes cut here from the middle of this output (%zu bytes in all) ...]",
                      tail - head, len);
  return g_strdup_printf("%.*s\n%s\n%s", (int)head, output, note, output + tail);
}
