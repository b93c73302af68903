#include "props.h"

gboolean
cli_props_has(GVariant *props, const char *key, const char *type)
{
  g_autoptr(GVariant) value =
    props ? g_variant_lookup_value(props, key, G_VARIANT_TYPE(type)) : NULL;
  return value != NULL;
}

const char *
cli_props_str(GVariant *props, const char *key)
{
  const char *s = NULL;
  if (props && (g_variant_lookup(props, key, "&s", &s) || g_variant_lookup(props, key, "&o", &s)))
    return s;
  return "";
}

guint32
cli_props_u32(GVariant *props, const char *key)
{
  guint32 v = 0;
  if (props)
    g_variant_lookup(props, key, "u", &v);
  return v;
}

guint64
cli_props_u64(GVariant *props, const char *key)
{
  guint64 v = 0;
  if (props)
    g_variant_lookup(props, key, "t", &v);
  return v;
}

char **
cli_props_strv(GVariant *props, const char *key)
{
  g_autoptr(GVariant) value = props ? g_variant_lookup_value(props, key, G_VARIANT_TYPE("as")) : NULL;
  if (value == NULL)
    return g_new0(char *, 1);
  return g_variant_dup_strv(value, NULL);
}

char *
cli_snake_case(const char *name)
{
  GString *out = g_string_new(NULL);
  for (const char *p = name; *p; p++) {
    if (g_ascii_isupper(*p)) {
      /* a new word starts at an upper-case letter after a lower-case one or a digit,
       * or before a lower-case one in a run of capitals ("URLPath" -> url_path) */
      gboolean after_word = p > name && (g_ascii_islower(p[-1]) || g_ascii_isdigit(p[-1]));
      gboolean ends_caps = p > name && g_ascii_isupper(p[-1]) && g_ascii_islower(p[1]);
      if (after_word || ends_caps)
        g_string_append_c(out, '_');
      g_string_append_c(out, g_ascii_tolower(*p));
    } else {
      g_string_append_c(out, *p);
    }
  }
  return g_string_free(out, FALSE);
}

JsonObject *
cli_props_to_json(GVariant *props)
{
  JsonObject *object = json_object_new();
  GVariantIter iter;
  const char *key;
  GVariant *value;
  g_variant_iter_init(&iter, props);
  while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
    g_autofree char *name = cli_snake_case(key);
    json_object_set_member(object, name, json_gvariant_serialize(value));
    g_variant_unref(value);
  }
  return object;
}
