#include <glib.h>
#include <systemd/sd-bus.h>

#include "run-name.h"

static void
test_shape(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(42);
  g_autofree char *a = shiftd_run_name_generate("triage", 4, rand);
  g_assert_true(g_str_has_prefix(a, "triage-"));
  g_assert_cmpuint(strlen(a), ==, strlen("triage-") + 4);
  g_assert_true(shiftd_run_name_is_valid(a));

  g_autofree char *b = shiftd_run_name_generate("default", 4, rand);
  g_assert_true(g_str_has_prefix(b, "run-"));
  g_autofree char *c = shiftd_run_name_generate("Nightly Build!!", 4, rand);
  g_assert_true(g_str_has_prefix(c, "nightly-build-"));
  g_assert_true(shiftd_run_name_is_valid(c));
  g_autofree char *d = shiftd_run_name_generate("42", 4, rand);
  g_assert_true(g_str_has_prefix(d, "run-42-"));
  g_assert_true(shiftd_run_name_is_valid(d));
}

/* Typable: no characters that read alike; a valid path element once escaped. */
static void
test_alphabet_and_path(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);
  for (guint i = 0; i < 2000; i++) {
    g_autofree char *n = shiftd_run_name_generate("a", 6, rand);
    const char *suffix = n + 2;
    for (const char *p = suffix; *p; p++)
      g_assert_null(strchr("01ilo", *p));
    char *path = NULL;
    g_assert_cmpint(sd_bus_path_encode("/org/shiftd/Shift1/run", n, &path), >=, 0);
    g_assert_true(sd_bus_object_path_is_valid(path));
    char *back = NULL;
    g_assert_cmpint(sd_bus_path_decode(path, "/org/shiftd/Shift1/run", &back), >, 0);
    g_assert_cmpstr(back, ==, n);
    free(path);
    free(back);
  }
}

static void
test_spread(void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(1);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < 1000; i++)
    g_hash_table_add(seen, shiftd_run_name_generate("x", 4, rand));
  /* 31^4 names: a thousand draws collide rarely. */
  g_assert_cmpuint(g_hash_table_size(seen), >, 990);
}

static void
test_validity(void)
{
  const char *good[] = { "run-7k2m", "triage-abcd", "a", NULL };
  const char *bad[] = { "", "-x", "Run-7k2m", "a b", "a/b", "a_b", "über", NULL };
  for (guint i = 0; good[i]; i++)
    g_assert_true(shiftd_run_name_is_valid(good[i]));
  for (guint i = 0; bad[i]; i++)
    g_assert_false(shiftd_run_name_is_valid(bad[i]));
  g_autofree char *long_name = g_strnfill(65, 'a');
  g_assert_false(shiftd_run_name_is_valid(long_name));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/run-name/shape", test_shape);
  g_test_add_func("/run-name/alphabet-and-path", test_alphabet_and_path);
  g_test_add_func("/run-name/spread", test_spread);
  g_test_add_func("/run-name/validity", test_validity);
  return g_test_run();
}
