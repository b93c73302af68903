#include "model-provider.h"

static const char *const names[] = {
  [SHIFTD_PROVIDER_OPENAI] = "openai",
  [SHIFTD_PROVIDER_ANTHROPIC] = "anthropic",
};

const char *
shiftd_provider_to_string(ShiftdProvider provider)
{
  if ((gsize)provider >= G_N_ELEMENTS(names))
    return NULL;
  return names[provider];
}

ShiftdProvider
shiftd_provider_from_string(const char *name)
{
  if (name == NULL)
    return SHIFTD_PROVIDER_UNSET;
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (names[i] && g_str_equal(names[i], name))
      return (ShiftdProvider)i;
  return SHIFTD_PROVIDER_UNSET;
}

gboolean
shiftd_ini_get_provider(ShiftdIniFile *ini, const char *group, ShiftdProvider *out, GError **error)
{
  const ShiftdIniEntry *e = shiftd_ini_file_lookup(ini, group, "Provider");
  if (e == NULL)
    return TRUE;
  ShiftdProvider p = shiftd_provider_from_string(e->value);
  if (p == SHIFTD_PROVIDER_UNSET) {
    shiftd_ini_set_entry_error(error, ini, e, "expected " SHIFTD_PROVIDER_CHOICES);
    return FALSE;
  }
  *out = p;
  return TRUE;
}
