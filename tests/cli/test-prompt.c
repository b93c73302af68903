/* "shiftctl answer NAME" on a terminal: what a typed line picks, and the
 * dialogue around it. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "prompt.h"

static void
test_pick(void)
{
  const char *const choices[] = { "approve", "deny", "Deny later", NULL };
  static const struct {
    const char *line;
    const char *picked; /* NULL: nothing */
  } cases[] = {
    { "1\n", "approve" },   { " 2 ", "deny" },    { "3", "Deny later" }, { "4", NULL },
    { "0", NULL },          { "approve\n", "approve" }, { "APPROVE", "approve" },
    { "deny", "deny" },     { "DENY", "deny" },   /* exact beats folded; only one folds to it */
    { "deny later", "Deny later" },              { "", NULL }, { "   \n", NULL }, { "maybe", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = cli_prompt_pick(cases[i].line, choices);
    g_assert_cmpstr(got, ==, cases[i].picked);
  }
  /* two choices alike but for case: typing a third spelling picks neither */
  const char *const twins[] = { "Yes", "yes", NULL };
  g_autofree char *ambiguous = cli_prompt_pick("YES", twins);
  g_assert_null(ambiguous);
  g_autofree char *exact = cli_prompt_pick("Yes", twins);
  g_assert_cmpstr(exact, ==, "Yes");
  /* free text: the line, trimmed */
  g_autofree char *free_text = cli_prompt_pick("  ship it on Monday \n", NULL);
  g_assert_cmpstr(free_text, ==, "ship it on Monday");
  const char *const none[] = { NULL };
  g_autofree char *blank = cli_prompt_pick(" \n", none);
  g_assert_null(blank);
}

static char *
dialogue(const char *typed, const char *const *choices, char **answer)
{
  FILE *in = fmemopen((void *)typed, strlen(typed), "r");
  char *out_text = NULL;
  size_t out_len = 0;
  FILE *out = open_memstream(&out_text, &out_len);
  *answer = cli_prompt_answer(in, out, "run-7", "Deploy now?", choices, FALSE);
  fclose(in);
  fclose(out);
  return out_text;
}

static void
test_dialogue(void)
{
  const char *const choices[] = { "yes", "no", NULL };
  g_autofree char *answer = NULL;
  g_autofree char *shown = dialogue("maybe\n\n2\n", choices, &answer);
  g_assert_cmpstr(answer, ==, "no");
  g_assert_cmpstr(shown, ==, "run-7 is waiting for a decision:\n"
                             "  Deploy now?\n"
                             "  1) yes\n"
                             "  2) no\n"
                             "Choice [1-2]: \"maybe\" is not one of the choices.\n"
                             "Choice [1-2]: Choice [1-2]: ");

  g_autofree char *none = NULL;
  g_autofree char *ended = dialogue("", choices, &none);
  g_assert_null(none);
  g_assert_true(g_str_has_suffix(ended, "Choice [1-2]: \n"));

  g_autofree char *text = NULL;
  g_autofree char *free_shown = dialogue("on Monday\n", NULL, &text);
  g_assert_cmpstr(text, ==, "on Monday");
  g_assert_true(g_str_has_suffix(free_shown, "  Deploy now?\nAnswer: "));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cli/prompt/pick", test_pick);
  g_test_add_func("/cli/prompt/dialogue", test_dialogue);
  return g_test_run();
}
