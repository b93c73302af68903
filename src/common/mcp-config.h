/* [MCP NAME] sections of shiftd.conf: the MCP tool servers agents may use
 * (MCP= in an agent file), and how a server's settings travel to the worker
 * in the hello. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "ini-file.h"

#define SHIFTD_MCP_NAME_MAX 32
#define SHIFTD_MCP_DEFAULT_TIMEOUT_USEC (30 * G_USEC_PER_SEC)

typedef struct {
  char *name;
  GStrv argv;           /* Exec=, split like a shell line; NULL for a URL= server */
  char *url;            /* URL= (streamable HTTP); NULL for an Exec= server */
  guint64 timeout_usec; /* for each request */
  GStrv env;            /* KEY=VALUE from EnvironmentFile=: secrets, never logged */
} ShiftdMcpServer;

void shiftd_mcp_server_free(ShiftdMcpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ShiftdMcpServer, shiftd_mcp_server_free)

/* Letters, digits, - and _, up to SHIFTD_MCP_NAME_MAX: the prefix of its tools' names. */
gboolean shiftd_mcp_name_is_valid(const char *name);

/* known plus the keys of every [MCP NAME] section in ini, for
 * shiftd_ini_file_check_keys(); the groups point into ini. Terminated by
 * {NULL, NULL}. */
GArray *shiftd_mcp_config_keys(ShiftdIniFile *ini, const ShiftdIniKey *known);

/* Every [MCP NAME] section as a ShiftdMcpServer* (transfer full), with its
 * EnvironmentFile= read now. Errors say FILE:LINE and the reason. */
GPtrArray *shiftd_mcp_config_parse(ShiftdIniFile *ini, GError **error);

/* The server named name in servers (may be NULL), or NULL. */
const ShiftdMcpServer *shiftd_mcp_config_find(GPtrArray *servers, const char *name);

/* KEY=VALUE lines ("#" and ";" comments, blank lines, a value in matching
 * quotes unquoted) as a NULL-terminated KEY=VALUE list. G_FILE_ERROR for a
 * file that cannot be read; else "PATH:LINE: reason". */
GStrv shiftd_env_file_read(const char *path, GError **error);

/* For the hello: {name, argv | url, timeout_usec, env {KEY: VALUE}}. */
JsonObject *shiftd_mcp_server_to_json(const ShiftdMcpServer *server);
/* The worker's side of it; fails with a sentence naming what is wrong. */
ShiftdMcpServer *shiftd_mcp_server_from_json(JsonObject *object, GError **error);
