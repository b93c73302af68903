#include "locale-setup.h"

#include <glib.h>
#include <libintl.h>
#include <locale.h>

void
shiftd_setup_locale(void)
{
  setlocale(LC_ALL, "");
  const char *dir = g_getenv("SHIFTD_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, dir != NULL && dir[0] != '\0' ? dir : SHIFTD_LOCALEDIR);
  bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
  textdomain(GETTEXT_PACKAGE);
}
