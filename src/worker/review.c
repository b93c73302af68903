#include "review.h"

#include <gio/gio.h>

#include "tool-files.h"

/* The notes are the prompt's to read: kept to a size a prompt can hold. */
#define NOTES_IN_TASK_MAX (64 * 1024)

char *
shiftd_review_task(const ShiftdHello *hello)
{
  const char *task = hello->task ? hello->task : "";
  g_autoptr(GError) error = NULL;
  g_autofree char *notes = NULL;
  if (hello->notes_path[0] && g_file_test(hello->notes_path, G_FILE_TEST_EXISTS))
    notes = shiftd_read_text_capped(hello->notes_path, NOTES_IN_TASK_MAX, &error);
  if (error)
    return g_strdup_printf("%s\nNotes so far: (cannot be read: %s)\n", task, error->message);
  if (notes == NULL || notes[0] == '\0')
    return g_strdup_printf("%s\nNotes so far: (none yet)\n", task);
  return g_strdup_printf("%s\nNotes so far:\n%s\n", task, notes);
}

gboolean
shiftd_review_save(const ShiftdHello *hello, const char *result, GError **error)
{
  if (hello->notes_path[0] == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "this review has no notes file to write");
    return FALSE;
  }
  if (!g_file_set_contents_full(hello->notes_path, result, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
    g_prefix_error(error, "cannot save the notes: ");
    return FALSE;
  }
  return TRUE;
}
