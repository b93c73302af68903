#include "tool-schemas.h"

#define STR(desc) "{\"type\":\"string\",\"description\":\"" desc "\"}"

static const ShiftdToolSchema schemas[] = {
  { "finish", TRUE,
    "{\"name\":\"finish\","
    "\"description\":\"End the run: the work is done. The result is reported to whoever asked.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"result\":" STR("What was done or found, for the person who asked.")
    "},\"required\":[\"result\"]}}" },
  { "no_work", TRUE,
    "{\"name\":\"no_work\","
    "\"description\":\"End the run: there was nothing to do this time.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"reason\":" STR("Briefly, why there was nothing to do.")
    "},\"required\":[\"reason\"]}}" },
  { "ask_human", TRUE,
    "{\"name\":\"ask_human\","
    "\"description\":\"Pause the run until a person decides. Their answer comes back as this tool's result.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"question\":" STR("The decision to make, in one or two sentences.") ","
    "\"choices\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},"
    "\"description\":\"Short answers to pick from; omit for a free answer.\"},"
    "\"default\":" STR("The choice taken if nobody answers before the deadline.") ","
    "\"deadline\":" STR("How long to wait, e.g. 30min, 4h, 1d; omit for the agent's default.")
    "},\"required\":[\"question\"]}}" },
  { "shell", FALSE,
    "{\"name\":\"shell\","
    "\"description\":\"Run a command with /bin/sh -c in the workspace. Returns the exit status and the output (stdout and stderr, capped). Commands have a time limit.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"command\":" STR("The shell command line.")
    "},\"required\":[\"command\"]}}" },
  { "read_file", FALSE,
    "{\"name\":\"read_file\","
    "\"description\":\"Read a text file inside the workspace.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"path\":" STR("Path relative to the workspace.")
    "},\"required\":[\"path\"]}}" },
  { "write_file", FALSE,
    "{\"name\":\"write_file\","
    "\"description\":\"Create or replace a file inside the workspace (parent directories are made).\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"path\":" STR("Path relative to the workspace.") ","
    "\"content\":" STR("The whole new content of the file.")
    "},\"required\":[\"path\",\"content\"]}}" },
  { "notes", FALSE,
    "{\"name\":\"notes\","
    "\"description\":\"Your persistent notes, kept across runs: read them, replace them, or append to them.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"action\":{\"type\":\"string\",\"enum\":[\"read\",\"write\",\"append\"]},"
    "\"text\":" STR("For write and append: the text.")
    "},\"required\":[\"action\"]}}" },
  /* offered when the agent has Delegates= (the daemon lists it in the tools) */
  { "start_run", FALSE,
    "{\"name\":\"start_run\","
    "\"description\":\"Start a run of another agent with a task. Without wait it returns the new run's name at once;"
    " with wait this run pauses until that run ends, and its result (or why it failed) comes back as this tool's result.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{"
    "\"agent\":" STR("The agent to start (one of those this agent may delegate to).") ","
    "\"task\":" STR("What that run is to do.") ","
    "\"wait\":{\"type\":\"boolean\",\"description\":\"Wait for the run to end and get its result.\"}"
    "},\"required\":[\"agent\",\"task\"]}}" },
};

const ShiftdToolSchema *
shiftd_tool_schemas(gsize *n)
{
  *n = G_N_ELEMENTS(schemas);
  return schemas;
}
