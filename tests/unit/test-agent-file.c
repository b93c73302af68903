#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "agent-file.h"
#include "ini-file.h"
#include "time-span.h"

#define SEC SHIFTD_USEC_PER_SEC

static char *tmp_dir;

/* Writes `text` to tmp_dir/NAME and returns the path. */
static char *
write_agent(const char *name, const char *text)
{
  char *path = g_build_filename(tmp_dir, name, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  return path;
}

static AgentConfig *
load_good(const char *name, const char *text)
{
  g_autofree char *path = write_agent(name, text);
  g_autoptr(GError) error = NULL;
  AgentConfig *c = agent_config_load(path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(c);
  g_assert_cmpstr(c->path, ==, path);
  return c;
}

/* Loads tmp_dir/NAME and checks the error is "PATH:LINE: ...REASON..." (or
 * "PATH: ...REASON..." for line 0, a complaint about the whole file). */
static void
assert_bad(const char *name, const char *text, guint line, const char *reason)
{
  g_autofree char *path = write_agent(name, text);
  g_autoptr(GError) error = NULL;
  g_autoptr(AgentConfig) c = agent_config_load(path, &error);
  g_autofree char *where = line ? g_strdup_printf("%s:%u: ", path, line) : g_strdup_printf("%s: ", path);
  if (c != NULL)
    g_error("%s: parsed, expected \"%s\"\n---\n%s---", name, reason, text);
  g_assert_nonnull(error);
  g_assert_true(error->domain == SHIFTD_INI_ERROR);
  if (!g_str_has_prefix(error->message, where) || !strstr(error->message + strlen(where), reason))
    g_error("got \"%s\", expected \"%s...%s\"\n---\n%s---", error->message, where, reason, text);
  g_assert_cmpint(g_unlink(path), ==, 0);
}

static void
test_every_key(void)
{
  g_autoptr(AgentConfig) c = load_good("nightly-build.agent",
                                       "# every key the format has\n"
                                       "[Agent]\n"
                                       "Description=Watches the nightly build\n"
                                       "Instructions=Check the build log\\nand report new failures.\n"
                                       "Model=qwen2.5\n"
                                       "Provider=anthropic\n"
                                       "Tools=shell;read_file write_file ; notes;finish;no_work;ask_human\n"
                                       "ContextTokens=128000\n"
                                       "TokensPerRun=50k\n"
                                       "TokensPerDay=200000\n"
                                       "Delegates=writer;editor  not-loaded-yet\n"
                                       "\n"
                                       "[Schedule]\n"
                                       "Every=15min\n"
                                       "MaxInterval=8h\n"
                                       "QuietHours=22:00-07:00\n"
                                       "ReviewEvery=1d\n"
                                       "WakeIf=/usr/bin/test -s /var/spool/inbox\n"
                                       "StartBy=bob 1001 @builders\n"
                                       "[Sandbox]\n"
                                       "User=builder\n"
                                       "MemoryMax=512M\n"
                                       "CPUQuota=150%\n"
                                       "TasksMax=32\n"
                                       "RuntimeMaxSec=1h 30min\n"
                                       "ReadWritePaths=/srv/build;-/var/cache/build /tmp\n"
                                       "PrivateNetwork=yes\n"
                                       "[Decisions]\n"
                                       "Timeout=1d\n"
                                       "Default=deny\n"
                                       "AnswerBy=alice @wheel\n");
  g_assert_cmpstr(c->name, ==, "nightly-build");
  g_assert_cmpstr(c->description, ==, "Watches the nightly build");
  g_assert_cmpstr(c->instructions, ==, "Check the build log\nand report new failures.");
  g_assert_cmpstr(c->model, ==, "qwen2.5");
  g_assert_cmpint(c->provider, ==, SHIFTD_PROVIDER_ANTHROPIC);
  /* the built-ins are always there, so they are not listed */
  const char *const tools[] = { "shell", "read_file", "write_file", "notes", NULL };
  g_assert_true(g_strv_equal((const char *const *)c->tools, tools));
  g_assert_cmpuint(c->context_tokens, ==, 128000);
  g_assert_cmpuint(c->tokens_per_run, ==, 50000);
  g_assert_cmpuint(c->tokens_per_day, ==, 200000);
  const char *const delegates[] = { "writer", "editor", "not-loaded-yet", NULL };
  g_assert_true(g_strv_equal((const char *const *)c->delegates, delegates));
  g_assert_cmpuint(c->every, ==, 15 * 60 * SEC);
  g_assert_null(c->on_calendar);
  g_assert_cmpuint(c->max_interval, ==, 8 * 3600 * SEC);
  g_assert_true(c->quiet_hours.set);
  g_assert_cmpuint(c->quiet_hours.start_minute, ==, 22 * 60);
  g_assert_cmpuint(c->quiet_hours.end_minute, ==, 7 * 60);
  g_assert_cmpuint(c->review_every, ==, 86400 * SEC);
  g_assert_cmpstr(c->wake_if, ==, "/usr/bin/test -s /var/spool/inbox");
  g_assert_cmpstr(c->user, ==, "builder");
  g_assert_cmpuint(c->memory_max, ==, 512 * G_GUINT64_CONSTANT(1024) * 1024);
  g_assert_cmpuint(c->cpu_quota_permille, ==, 1500);
  g_assert_cmpuint(c->tasks_max, ==, 32);
  g_assert_cmpuint(c->runtime_max, ==, 5400 * SEC);
  const char *const paths[] = { "/srv/build", "-/var/cache/build", "/tmp", NULL };
  g_assert_true(g_strv_equal((const char *const *)c->read_write_paths, paths));
  g_assert_true(c->private_network);
  g_assert_cmpuint(c->decision_timeout, ==, 86400 * SEC);
  g_assert_cmpstr(c->decision_default, ==, "deny");
  const char *const answer_by[] = { "alice", "@wheel", NULL };
  g_assert_true(g_strv_equal((const char *const *)c->answer_by, answer_by));
  const char *const start_by[] = { "bob", "1001", "@builders", NULL };
  g_assert_true(g_strv_equal((const char *const *)c->start_by, start_by));
  g_autofree char *schedule = agent_config_describe_schedule(c);
  g_assert_cmpstr(schedule, ==, "every 15min");
}

static void
test_defaults(void)
{
  g_autoptr(AgentConfig) c = load_good("hourly.agent", "[Agent]\nInstructions=Look.\n[Schedule]\nEvery=1h\n");
  g_assert_cmpstr(c->name, ==, "hourly");
  /* MaxInterval defaults to 8 x Every */
  g_assert_cmpuint(c->max_interval, ==, 8 * 3600 * SEC);
  g_assert_cmpstr(c->description, ==, "");
  g_assert_cmpstr(c->model, ==, "");
  g_assert_cmpint(c->provider, ==, SHIFTD_PROVIDER_UNSET); /* [Model] Provider= decides */
  g_assert_nonnull(c->tools);
  g_assert_cmpuint(g_strv_length(c->tools), ==, 0);
  g_assert_cmpuint(c->context_tokens, ==, 32000);
  g_assert_nonnull(c->read_write_paths);
  g_assert_cmpuint(g_strv_length(c->read_write_paths), ==, 0);
  g_assert_nonnull(c->answer_by);
  g_assert_cmpuint(g_strv_length(c->answer_by), ==, 0);
  g_assert_nonnull(c->start_by);
  g_assert_cmpuint(g_strv_length(c->start_by), ==, 0);
  g_assert_nonnull(c->delegates);
  g_assert_cmpuint(g_strv_length(c->delegates), ==, 0);
  g_assert_null(c->on_calendar);
  g_assert_null(c->wake_if);
  g_assert_null(c->user);
  g_assert_null(c->decision_default);
  g_assert_false(c->quiet_hours.set);
  g_assert_cmpuint(c->review_every, ==, 0);
  g_assert_cmpuint(c->memory_max, ==, 0);
  g_assert_cmpuint(c->cpu_quota_permille, ==, 0);
  g_assert_cmpuint(c->tasks_max, ==, 0);
  g_assert_cmpuint(c->runtime_max, ==, 0);
  g_assert_cmpuint(c->decision_timeout, ==, 0);
  g_assert_false(c->private_network);

  /* no schedule at all: an agent only started by hand, instructions optional */
  g_autoptr(AgentConfig) manual = load_good("manual.agent", "# nothing yet\n");
  g_assert_cmpuint(manual->every, ==, 0);
  g_assert_null(manual->on_calendar);
  g_assert_cmpuint(manual->max_interval, ==, 0);
  g_assert_cmpstr(manual->instructions, ==, "");
  g_autofree char *none = agent_config_describe_schedule(manual);
  g_assert_cmpstr(none, ==, "");

  /* empty values mean unset */
  g_autoptr(AgentConfig) empty = load_good("empty-values.agent",
                                           "[Agent]\nInstructions=x\nTools=\n"
                                           "[Schedule]\nEvery=10min\nOnCalendar=\nWakeIf=\nQuietHours=\n"
                                           "[Sandbox]\nUser=\n[Decisions]\nDefault=\n");
  g_assert_null(empty->on_calendar);
  g_assert_null(empty->wake_if);
  g_assert_null(empty->user);
  g_assert_null(empty->decision_default);
  g_assert_false(empty->quiet_hours.set);
  g_assert_cmpuint(g_strv_length(empty->tools), ==, 0);
  g_assert_cmpuint(empty->max_interval, ==, 80 * 60 * SEC);

  /* free text keeps what looks like a comment: it is not one there */
  g_autoptr(AgentConfig) text = load_good("hash.agent", "[Agent]\nDescription=Triage # urgent issues\n"
                                                        "Instructions=Count the lines; ignore # ones.\n");
  g_assert_cmpstr(text->description, ==, "Triage # urgent issues");
}

static void
test_on_calendar(void)
{
  g_autoptr(AgentConfig) c = load_good("weekdays.agent",
                                       "[Agent]\nInstructions=x\n"
                                       "[Schedule]\nOnCalendar=Mon..Fri 09:00\nReviewEvery=1w\n");
  g_assert_cmpstr(c->on_calendar, ==, "Mon..Fri 09:00");
  g_assert_cmpuint(c->every, ==, 0);
  /* idle backoff is for Every= only */
  g_assert_cmpuint(c->max_interval, ==, 0);
  g_assert_cmpuint(c->review_every, ==, 7 * 86400 * SEC);
  g_autofree char *schedule = agent_config_describe_schedule(c);
  g_assert_cmpstr(schedule, ==, "Mon..Fri 09:00");
}

static void
test_tools(void)
{
  g_autoptr(AgentConfig) builtins = load_good("builtins.agent", "[Agent]\nTools=finish;no_work;ask_human\n");
  g_assert_cmpuint(g_strv_length(builtins->tools), ==, 0);

  g_autoptr(AgentConfig) spaces = load_good("spaces.agent", "[Agent]\nTools=  notes\tshell ;; \n");
  const char *const expect[] = { "notes", "shell", NULL };
  g_assert_true(g_strv_equal((const char *const *)spaces->tools, expect));
}

static void
test_instructions_file(void)
{
  g_autofree char *prompt = write_agent("prompts/task.md", "Read the spool.\nSay what is new.\n");
  /* relative to the agent file's directory, not to the working directory */
  g_autoptr(AgentConfig) rel = load_good("relative.agent",
                                         "[Agent]\nInstructionsFile=prompts/task.md\n[Schedule]\nEvery=1h\n");
  g_assert_cmpstr(rel->instructions, ==, "Read the spool.\nSay what is new.\n");

  g_autofree char *text = g_strdup_printf("[Agent]\nInstructionsFile=%s\n[Schedule]\nEvery=1h\n", prompt);
  g_autoptr(AgentConfig) abs = load_good("absolute.agent", text);
  g_assert_cmpstr(abs->instructions, ==, "Read the spool.\nSay what is new.\n");

  /* an empty file leaves a scheduled agent without a task */
  g_autofree char *empty = write_agent("prompts/empty.md", "");
  assert_bad("x.agent", "[Agent]\nInstructionsFile=prompts/empty.md\n[Schedule]\nEvery=1h\n", 0,
             "needs Instructions= or InstructionsFile=");
  assert_bad("x.agent", "[Agent]\nInstructionsFile=prompts/missing.md\n", 2, "InstructionsFile=prompts/missing.md: ");
  assert_bad("x.agent", "[Agent]\nInstructions=inline\nInstructionsFile=prompts/task.md\n", 3,
             "Instructions= and InstructionsFile= exclude each other");
  g_autofree char *latin1 = g_build_filename(tmp_dir, "prompts", "latin1.md", NULL);
  g_assert_true(g_file_set_contents(latin1, "caf\xe9\n", -1, NULL));
  assert_bad("x.agent", "[Agent]\nInstructionsFile=prompts/latin1.md\n", 2, "not UTF-8 text");
  g_unlink(latin1);
  /* bounded: a file too large, a device that never ends, a FIFO that never writes */
  g_autofree char *big = g_build_filename(tmp_dir, "prompts", "big.md", NULL);
  g_autofree char *lots = g_strnfill(300 * 1024, 'a');
  g_assert_true(g_file_set_contents(big, lots, -1, NULL));
  assert_bad("x.agent", "[Agent]\nInstructionsFile=prompts/big.md\n", 2, "larger than 262144 bytes");
  g_unlink(big);
  assert_bad("x.agent", "[Agent]\nInstructionsFile=/dev/zero\n", 2, "/dev/zero: not a regular file");
  g_autofree char *fifo = g_build_filename(tmp_dir, "prompts", "fifo", NULL);
  g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
  assert_bad("x.agent", "[Agent]\nInstructionsFile=prompts/fifo\n", 2, "fifo: not a regular file");
  g_unlink(fifo);
  g_unlink(empty);
  g_unlink(prompt);
  g_autofree char *prompts = g_build_filename(tmp_dir, "prompts", NULL);
  g_rmdir(prompts);
}

static void
test_quiet_hours(void)
{
  static const struct {
    const char *value;
    guint start, end;
  } ok[] = {
    { "22:00-07:00", 22 * 60, 7 * 60 }, /* crosses midnight */
    { "09:00-17:30", 9 * 60, 17 * 60 + 30 },
    { " 23:30 - 24:00 ", 23 * 60 + 30, 0 }, /* 24:00 is the midnight that ends the day */
    { "0:05-6:00", 5, 6 * 60 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autofree char *text = g_strdup_printf("[Schedule]\nQuietHours=%s\n", ok[i].value);
    g_autoptr(AgentConfig) c = load_good("quiet.agent", text);
    g_assert_true(c->quiet_hours.set);
    g_assert_cmpuint(c->quiet_hours.start_minute, ==, ok[i].start);
    g_assert_cmpuint(c->quiet_hours.end_minute, ==, ok[i].end);
  }
}

static void
test_sandbox_values(void)
{
  static const struct {
    const char *key, *value;
    guint64 expect;
  } ok[] = {
    { "MemoryMax", "1024", 1024 },
    { "MemoryMax", "4K", 4096 },
    { "MemoryMax", "4KB", 4096 },
    { "MemoryMax", "2g", G_GUINT64_CONSTANT(2) << 30 },
    { "MemoryMax", "1T", G_GUINT64_CONSTANT(1) << 40 },
    { "MemoryMax", "infinity", G_MAXUINT64 },
    { "CPUQuota", "1%", 10 },
    { "CPUQuota", "200%", 2000 },
    { "CPUQuota", "12.5%", 125 },
    { "TasksMax", "1", 1 },
    { "TasksMax", "infinity", G_MAXUINT64 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
    g_autofree char *text = g_strdup_printf("[Sandbox]\n%s=%s\n", ok[i].key, ok[i].value);
    g_autoptr(AgentConfig) c = load_good("sandbox.agent", text);
    guint64 got = g_str_equal(ok[i].key, "MemoryMax") ? c->memory_max
                  : g_str_equal(ok[i].key, "CPUQuota") ? c->cpu_quota_permille
                                                       : c->tasks_max;
    if (got != ok[i].expect)
      g_error("%s=%s: got %" G_GUINT64_FORMAT, ok[i].key, ok[i].value, got);
  }
  g_autoptr(AgentConfig) m = load_good("tokens.agent", "[Agent]\nTokensPerRun=2M\nTokensPerDay=1\n");
  g_assert_cmpuint(m->tokens_per_run, ==, 2000000);
  g_assert_cmpuint(m->tokens_per_day, ==, 1);
  g_autoptr(AgentConfig) c = load_good("net.agent", "[Sandbox]\nPrivateNetwork=no\nUser=www-data\n");
  g_assert_false(c->private_network);
  g_assert_cmpstr(c->user, ==, "www-data");
  g_autoptr(AgentConfig) apt = load_good("apt.agent", "[Sandbox]\nUser=_apt\n");
  g_assert_cmpstr(apt->user, ==, "_apt");
}

static void
test_bad(void)
{
  static const struct {
    const char *text;
    guint line; /* 0: the complaint is about the whole file */
    const char *reason;
  } cases[] = {
    /* syntax */
    { "[Agent]\nInstructions\n", 2, "expected Key=Value" },
    { "[Agent\nInstructions=x\n", 1, "bad section header" },
    { "[]\n", 1, "bad section header" },
    { "Instructions=x\n", 1, "assignment outside of any [Section]" },
    { "[Agent]\nbad key=x\n", 2, "bad key name" },
    /* unknown keys and sections */
    { "[Agent]\nInstructions=x\nColour=blue\n", 3, "unknown key \"Colour\" in [Agent]" },
    { "[Schedule]\nInstructions=x\n", 2, "unknown key \"Instructions\" in [Schedule]" },
    { "[Agent]\nInstructions=x\n\n[Timer]\nOnCalendar=daily\n", 5, "unknown section [Timer]" },
    /* time spans */
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=soon\n", 4, "Every=soon: bad time span" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=\n", 4, "Every=: empty time span" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=0\n", 4, "Every=0: must be at least 1s" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=500ms\n", 4, "must be at least 1s" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=1h\nReviewEvery=often\n", 5, "ReviewEvery=often:" },
    { "[Sandbox]\nRuntimeMaxSec=5 fortnights\n", 2, "RuntimeMaxSec=5 fortnights: bad time span" },
    { "[Decisions]\nTimeout=-1h\n", 2, "Timeout=-1h: bad time span" },
    /* schedule rules */
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=1h\nOnCalendar=daily\n", 5,
      "OnCalendar=daily: Every= and OnCalendar= exclude each other" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=1h\nMaxInterval=30min\n", 5,
      "MaxInterval=30min: must not be shorter than Every=" },
    { "[Agent]\nInstructions=x\n[Schedule]\nMaxInterval=1h\n", 4, "MaxInterval=1h: MaxInterval= needs Every=" },
    { "[Agent]\nInstructions=x\n[Schedule]\nOnCalendar=daily\nMaxInterval=1h\n", 5, "MaxInterval= needs Every=" },
    { "[Agent]\nInstructions=x\n[Schedule]\nReviewEvery=1d\n", 4,
      "ReviewEvery=1d: a review beat needs a schedule (Every= or OnCalendar=)" },
    { "[Schedule]\nEvery=1h\n", 0, "a scheduled agent needs Instructions= or InstructionsFile=" },
    { "[Agent]\nInstructions=\n[Schedule]\nOnCalendar=daily\n", 0, "a scheduled agent needs Instructions=" },
    /* tools */
    { "[Agent]\nTools=shell;browser\n", 2, "Tools=shell;browser: unknown tool \"browser\"" },
    { "[Agent]\nMCP=files git/hub\n", 2, "MCP=files git/hub: \"git/hub\" is not an MCP server name" },
    { "[Agent]\nTools=Shell\n", 2, "unknown tool \"Shell\"" },
    /* the context window */
    { "[Agent]\nContextTokens=0\n", 2, "ContextTokens=0: expected a whole number from 1000 to 100000000" },
    { "[Agent]\nContextTokens=32k\n", 2, "ContextTokens=32k: expected a whole number" },
    { "[Agent]\nContextTokens=-5\n", 2, "ContextTokens=-5: expected a whole number" },
    { "[Agent]\nContextTokens=999\n", 2, "ContextTokens=999: expected a whole number from 1000" },
    /* runs that start runs */
    { "[Agent]\nDelegates=writer ../etc\n", 2, "Delegates=writer ../etc: \"../etc\" is not an agent name" },
    { "[Schedule]\nDelegates=writer\n", 2, "unknown key \"Delegates\" in [Schedule]" },
    /* who may start and answer */
    { "[Schedule]\nStartBy=alice bad/name\n", 2, "StartBy=alice bad/name: \"bad/name\" is neither a user name, "
      "a uid nor an @group" },
    { "[Schedule]\nStartBy=@1000\n", 2, "\"@1000\" is neither" },
    { "[Decisions]\nAnswerBy=@\n", 2, "AnswerBy=@: \"@\" is neither" },
    { "[Agent]\nStartBy=alice\n", 2, "unknown key \"StartBy\" in [Agent]" },
    /* the model API */
    { "[Agent]\nProvider=azure\n", 2, "Provider=azure: expected openai or anthropic" },
    { "[Agent]\nProvider=Anthropic\n", 2, "Provider=Anthropic: expected openai or anthropic" },
    { "[Agent]\nProvider=\n", 2, "Provider=: expected openai or anthropic" },
    { "[Agent]\nProvider=openai # the default\n", 2, "a comment must be on a line of its own" },
    { "[Model]\nProvider=openai\n", 2, "unknown section [Model]" },
    /* each key once; comments on lines of their own where a value is structured */
    { "[Agent]\nModel=a\nModel=b\n", 3, "Model=b: set twice in [Agent] (first on line 2)" },
    { "[Decisions]\nDefault=hold # the safe one\n", 2,
      "a comment must be on a line of its own (\"# the safe one\" is not part of the value)" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=15min   ; often\n", 4, "a comment must be on a line of its own" },
    /* quiet hours */
    { "[Schedule]\nQuietHours=22:00\n", 2, "QuietHours=22:00: expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=25:00-07:00\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=22:60-07:00\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=24:30-07:00\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=10pm-7am\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=22:00-07:00x\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=22:00-07:00-08:00\n", 2, "expected HH:MM-HH:MM" },
    { "[Schedule]\nQuietHours=07:00-07:00\n", 2, "the window is empty" },
    { "[Schedule]\nQuietHours=00:00-24:00\n", 2, "the window is empty" },
    /* sizes, quotas, counts */
    { "[Sandbox]\nMemoryMax=lots\n", 2, "MemoryMax=lots: expected a size" },
    { "[Sandbox]\nMemoryMax=0\n", 2, "expected a size" },
    { "[Sandbox]\nMemoryMax=512X\n", 2, "expected a size" },
    { "[Sandbox]\nMemoryMax=512MiB\n", 2, "expected a size" },
    { "[Sandbox]\nMemoryMax=512 M\n", 2, "expected a size" },
    { "[Sandbox]\nMemoryMax=\n", 2, "expected a size" },
    { "[Sandbox]\nMemoryMax=99999999999T\n", 2, "expected a size" },
    { "[Sandbox]\nCPUQuota=50\n", 2, "CPUQuota=50: expected a percentage" },
    { "[Sandbox]\nCPUQuota=0%\n", 2, "expected a percentage" },
    { "[Sandbox]\nCPUQuota=%\n", 2, "expected a percentage" },
    { "[Sandbox]\nCPUQuota=half%\n", 2, "expected a percentage" },
    { "[Sandbox]\nTasksMax=0\n", 2, "TasksMax=0: expected a positive number or infinity" },
    { "[Sandbox]\nMemoryMax=-1\n", 2, "MemoryMax=-1: expected a size" },
    { "[Sandbox]\nMemoryMax=+5M\n", 2, "MemoryMax=+5M: expected a size" },
    { "[Agent]\nInstructions=x\n[Schedule]\nOnCalendar=every full moon\n", 4, "OnCalendar=every full moon: bad calendar spec" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=infinity\n", 4, "Every=infinity: must be a finite time span" },
    { "[Agent]\nInstructions=x\n[Schedule]\nEvery=1h\nMaxInterval=infinity\n", 5, "MaxInterval=infinity: must be a finite time span" },
    { "[Sandbox]\nTasksMax=-1\n", 2, "expected a positive number" },
    { "[Sandbox]\nTasksMax=many\n", 2, "expected a positive number" },
    { "[Sandbox]\nTasksMax=5000000000\n", 2, "expected a positive number" },
    /* token budgets */
    { "[Agent]\nTokensPerRun=0\n", 2, "TokensPerRun=0: expected a positive number of tokens such as 50000, 50k or 2M" },
    { "[Agent]\nTokensPerDay=lots\n", 2, "TokensPerDay=lots: expected a positive number of tokens" },
    { "[Agent]\nTokensPerDay=-5\n", 2, "expected a positive number of tokens" },
    { "[Agent]\nTokensPerRun=50kb\n", 2, "expected a positive number of tokens" },
    { "[Agent]\nTokensPerRun=5G\n", 2, "expected a positive number of tokens" },
    { "[Agent]\nTokensPerRun=99999999999999999M\n", 2, "expected a positive number of tokens" },
    { "[Agent]\nTokensPerRun=50k # per run\n", 2, "a comment must be on a line of its own" },
    { "[Schedule]\nTokensPerDay=5\n", 2, "unknown key \"TokensPerDay\" in [Schedule]" },
    /* paths */
    { "[Sandbox]\nReadWritePaths=/srv relative/dir\n", 2, "\"relative/dir\" is not an absolute path" },
    { "[Sandbox]\nReadWritePaths=-cache\n", 2, "\"-cache\" is not an absolute path" },
    { "[Sandbox]\nReadWritePaths=/srv/../etc\n", 2, "\"/srv/../etc\" is not an absolute path" },
    { "[Sandbox]\nReadWritePaths=/srv/..\n", 2, "is not an absolute path" },
    /* other values */
    { "[Sandbox]\nPrivateNetwork=maybe\n", 2, "PrivateNetwork=maybe: expected yes or no" },
    { "[Sandbox]\nUser=no body\n", 2, "User=no body: not a user name" },
    { "[Agent]\nDescription=caf\xe9\n", 0, "not valid UTF-8" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    assert_bad("x.agent", cases[i].text, cases[i].line, cases[i].reason);
}

/* Every problem of a file, one "FILE:LINE: reason" line each, in file order;
 * a rule between keys is not repeated when one of its keys is already bad. */
static void
test_every_problem(void)
{
  g_autofree char *path = write_agent("many.agent", "[Agent]\n"
                                                    "Instructions=x\n"
                                                    "Colour=blue\n"
                                                    "[Schedule]\n"
                                                    "Every=soon\n"
                                                    "MaxInterval=1h\n"
                                                    "QuietHours=25:00-07:00\n"
                                                    "[Sandbox]\n"
                                                    "MemoryMax=lots\n"
                                                    "[Timer]\n"
                                                    "OnCalendar=daily\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(AgentConfig) c = agent_config_load(path, &error);
  g_assert_null(c);
  g_assert_nonnull(error);
  g_auto(GStrv) lines = g_strsplit(error->message, "\n", -1);
  const struct {
    guint line;
    const char *reason;
  } expected[] = {
    { 3, "unknown key \"Colour\" in [Agent]" },
    { 11, "unknown section [Timer]" },
    { 5, "Every=soon: bad time span" },
    { 7, "QuietHours=25:00-07:00: expected HH:MM-HH:MM" },
    { 9, "MemoryMax=lots: expected a size" },
  };
  g_assert_cmpuint(g_strv_length(lines), ==, G_N_ELEMENTS(expected));
  for (gsize i = 0; i < G_N_ELEMENTS(expected); i++) {
    g_autofree char *where = g_strdup_printf("%s:%u: ", path, expected[i].line);
    if (!g_str_has_prefix(lines[i], where) || !strstr(lines[i], expected[i].reason))
      g_error("line %zu: got \"%s\", expected \"%s...%s\"", i, lines[i], where, expected[i].reason);
  }
  g_assert_cmpint(g_unlink(path), ==, 0);
}

static void
test_watch_path(void)
{
  /* one or more, in their plain form; alone (no timer) or beside one */
  g_autoptr(AgentConfig) alone = load_good("inbox.agent", "[Agent]\nInstructions=Read it.\n"
                                                          "[Schedule]\nWatchPath=/var/spool//inbox/ /srv/./drop\n");
  const char *const paths[] = { "/var/spool/inbox", "/srv/drop", NULL };
  g_assert_true(g_strv_equal((const char *const *)alone->watch_paths, paths));
  g_assert_true(agent_config_watches(alone));
  g_assert_cmpuint(alone->every, ==, 0);
  g_autofree char *schedule = agent_config_describe_schedule(alone);
  g_assert_cmpstr(schedule, ==, "watch /var/spool/inbox /srv/drop");
  g_autoptr(AgentConfig) both = load_good("both.agent", "[Agent]\nInstructions=Look.\n"
                                                        "[Schedule]\nEvery=1h\nWatchPath=/run/status\n");
  g_autofree char *both_schedule = agent_config_describe_schedule(both);
  g_assert_cmpstr(both_schedule, ==, "every 1h, watch /run/status");
  /* not there yet, or not ours to see: that is for when it is watched */
  g_autoptr(AgentConfig) later = load_good("later.agent", "[Agent]\nInstructions=x\n"
                                                          "[Schedule]\nWatchPath=/nonexistent/yet/inbox\n");
  g_assert_cmpstr(later->watch_paths[0], ==, "/nonexistent/yet/inbox");
  /* empty: none */
  g_autoptr(AgentConfig) none = load_good("none.agent", "[Schedule]\nWatchPath=\n");
  g_assert_false(agent_config_watches(none));
  g_autoptr(AgentConfig) unset = load_good("unset.agent", "");
  g_assert_false(agent_config_watches(unset));
  g_assert_nonnull(unset->watch_paths);

  assert_bad("x.agent", "[Agent]\nInstructions=x\n[Schedule]\nWatchPath=inbox\n", 4,
             "\"inbox\" is not an absolute path");
  assert_bad("x.agent", "[Agent]\nInstructions=x\n[Schedule]\nWatchPath=/srv/a /srv/../etc\n", 4,
             "\"/srv/../etc\" is not an absolute path");
  assert_bad("x.agent", "[Agent]\nInstructions=x\n[Schedule]\nWatchPath=/a\nWatchPath=/b\n", 5, "set twice");
  /* a path wake's task is the instructions, as a timer's is */
  assert_bad("x.agent", "[Schedule]\nWatchPath=/srv/inbox\n", 0, "needs Instructions= or InstructionsFile=");
}

static void
test_bad_file_name(void)
{
  const char *good = "[Agent]\nInstructions=x\n";
  assert_bad("bad name.agent", good, 0, "\"bad name\" is not a valid agent name");
  assert_bad(".agent", good, 0, "\"\" is not a valid agent name");
  assert_bad("-dash.agent", good, 0, "not a valid agent name");
  assert_bad("dotted.name.agent", good, 0, "not a valid agent name");
  assert_bad("x.conf", good, 0, "agent files end in .agent");

  g_assert_true(agent_name_is_valid("a"));
  g_assert_true(agent_name_is_valid("Log_watcher-2"));
  g_autofree char *longest = g_strnfill(64, 'a');
  g_autofree char *too_long = g_strnfill(65, 'a');
  g_assert_true(agent_name_is_valid(longest));
  g_assert_false(agent_name_is_valid(too_long));
  g_assert_false(agent_name_is_valid(""));
  g_assert_false(agent_name_is_valid(NULL));
  g_assert_false(agent_name_is_valid("_hidden"));
  g_assert_false(agent_name_is_valid("a/b"));
}

/* The shipped examples must keep parsing as the format evolves. */
static void
test_examples(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = g_dir_open(EXAMPLES_DIR, 0, &error);
  g_assert_no_error(error);
  guint count = 0;
  const char *entry;
  while ((entry = g_dir_read_name(dir))) {
    if (!g_str_has_suffix(entry, AGENT_FILE_SUFFIX))
      continue;
    g_autofree char *path = g_build_filename(EXAMPLES_DIR, entry, NULL);
    g_autoptr(AgentConfig) c = agent_config_load(path, &error);
    if (c == NULL)
      g_error("%s", error->message);
    /* an example is a standing agent: it has a schedule and a task */
    g_assert_true(c->every || c->on_calendar);
    g_assert_cmpstr(c->instructions, !=, "");
    g_assert_cmpstr(c->description, !=, "");
    count++;
  }
  g_assert_cmpuint(count, >=, 2);

  g_autofree char *watcher_path = g_build_filename(EXAMPLES_DIR, "log-watcher.agent", NULL);
  g_autoptr(AgentConfig) watcher = agent_config_load(watcher_path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(watcher->wake_if);
  g_assert_true(watcher->quiet_hours.set);
  g_assert_cmpuint(watcher->max_interval, >, watcher->every);
  g_assert_true(g_strv_contains((const char *const *)watcher->tools, "shell"));
  g_assert_cmpuint(watcher->memory_max, >, 0);
  g_assert_cmpuint(watcher->runtime_max, >, 0);
  g_assert_cmpuint(g_strv_length(watcher->read_write_paths), >, 0);
  g_assert_cmpuint(watcher->decision_timeout, >, 0);
  g_assert_nonnull(watcher->decision_default);

  g_autofree char *triager_path = g_build_filename(EXAMPLES_DIR, "inbox-triager.agent", NULL);
  g_autoptr(AgentConfig) triager = agent_config_load(triager_path, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(triager->every, ==, 15 * 60 * SEC);
  g_assert_cmpuint(triager->review_every, ==, 86400 * SEC);
  const char *const tools[] = { "read_file", "write_file", "notes", NULL };
  g_assert_true(g_strv_equal((const char *const *)triager->tools, tools));
  g_assert_nonnull(triager->decision_default);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp("shiftd-agent-file-XXXXXX", NULL);
  g_assert_nonnull(tmp_dir);
  g_test_add_func("/agent-file/every-key", test_every_key);
  g_test_add_func("/agent-file/defaults", test_defaults);
  g_test_add_func("/agent-file/on-calendar", test_on_calendar);
  g_test_add_func("/agent-file/tools", test_tools);
  g_test_add_func("/agent-file/instructions-file", test_instructions_file);
  g_test_add_func("/agent-file/quiet-hours", test_quiet_hours);
  g_test_add_func("/agent-file/sandbox-values", test_sandbox_values);
  g_test_add_func("/agent-file/bad", test_bad);
  g_test_add_func("/agent-file/every-problem", test_every_problem);
  g_test_add_func("/agent-file/watch-path", test_watch_path);
  g_test_add_func("/agent-file/bad-file-name", test_bad_file_name);
  g_test_add_func("/agent-file/examples", test_examples);
  int status = g_test_run();

  /* the good files stay behind on purpose only when a test failed (it aborts) */
  g_autoptr(GDir) dir = g_dir_open(tmp_dir, 0, NULL);
  const char *entry;
  while (dir && (entry = g_dir_read_name(dir))) {
    g_autofree char *path = g_build_filename(tmp_dir, entry, NULL);
    g_unlink(path);
  }
  g_rmdir(tmp_dir);
  g_free(tmp_dir);
  return status;
}
