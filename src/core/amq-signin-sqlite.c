/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin-sqlite.c
 *
 * The Kiro CLI and the Amazon Q CLI keep their sign-in in SQLite, table auth_kv(key, value),
 * values JSON with snake_case members: "...:token" {access_token, refresh_token, expires_at
 * (RFC 3339), region, start_url, profile_arn?, ...} and, for SSO-OIDC, "...:device-registration"
 * {client_id, client_secret, ...}. ("odic" is spelled that way.) An Identity Center profile is
 * in table state, key api.codewhisperer.profile: {arn, profile_name}. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>
#include <string.h>

#include "amq-json.h"
#include "amq-signin-source-private.h"

#define BUILDER_ID_START_URL "https://view.awsapps.com/start"
/* the other client may be writing: wait this long for its lock */
#define BUSY_TIMEOUT_MS 5000

typedef struct {
  const char        *token_key;
  const char        *registration_key;  /* NULL: no client registration (social) */
  AmqCredentialKind  kind;               /* SSO-OIDC keys: Builder ID or Identity Center by start URL */
} Record;

static const Record kiro_records[] = {
  { "kirocli:social:token", NULL, AMQ_CREDENTIAL_SOCIAL },
  { "kirocli:odic:token", "kirocli:odic:device-registration", AMQ_CREDENTIAL_BUILDER_ID },
  { "codewhisperer:odic:token", "codewhisperer:odic:device-registration", AMQ_CREDENTIAL_BUILDER_ID },
};

static const Record *
records (gboolean kiro, guint *n)
{
  /* the Amazon Q CLI only ever wrote the older keys */
  *n = kiro ? G_N_ELEMENTS (kiro_records) : 1;
  return kiro ? kiro_records : &kiro_records[2];
}

static gboolean
set_sqlite_error (GError **error, sqlite3 *db, const char *path)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, db ? sqlite3_errmsg (db) : "cannot open");
  return FALSE;
}

static sqlite3 *
open_database (const char *path, gboolean write, GError **error)
{
  sqlite3 *db = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s does not exist", path);
      return NULL;
    }
  if (sqlite3_open_v2 (path, &db, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, path);
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  return db;
}

/* The JSON object stored under @key in @table, or NULL. */
static JsonObject *
read_value (sqlite3 *db, const char *table, const char *key)
{
  g_autofree char *sql = g_strdup_printf ("SELECT value FROM %s WHERE key = ?", table);
  sqlite3_stmt *stmt = NULL;
  JsonObject *result = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *text = (const char *) sqlite3_column_text (stmt, 0);
      JsonObject *object = text ? amq_json_parse_object (parser, text, -1) : NULL;

      if (object != NULL)
        result = json_object_ref (object);
    }
  sqlite3_finalize (stmt);
  return result;
}

static AmqCredentialSet *
credentials_from (sqlite3 *db, const Record *record, JsonObject *token)
{
  g_autoptr(JsonObject) registration = record->registration_key ? read_value (db, "auth_kv", record->registration_key)
                                                                : NULL;
  g_autoptr(JsonObject) profile = read_value (db, "state", "api.codewhisperer.profile");
  const char *start_url = amq_json_get_string (token, "start_url");
  AmqCredentialSet *set = amq_credential_set_new ();

  set->kind = record->kind;
  if (record->kind == AMQ_CREDENTIAL_BUILDER_ID && start_url != NULL && !g_str_equal (start_url, BUILDER_ID_START_URL))
    set->kind = AMQ_CREDENTIAL_IDENTITY_CENTER;
  set->refresh_token = g_strdup (amq_json_get_string (token, "refresh_token"));
  set->access_token = g_strdup (amq_json_get_string (token, "access_token"));
  set->expires_at = amq_signin_parse_time (amq_json_get_string (token, "expires_at"));
  set->region = g_strdup (amq_json_get_string (token, "region"));
  set->profile_arn = g_strdup (amq_json_get_string (token, "profile_arn"));
  if (set->profile_arn == NULL && profile != NULL && set->kind == AMQ_CREDENTIAL_IDENTITY_CENTER)
    set->profile_arn = g_strdup (amq_json_get_string (profile, "arn"));
  if (registration != NULL)
    {
      set->client_id = g_strdup (amq_json_get_string (registration, "client_id"));
      set->client_secret = g_strdup (amq_json_get_string (registration, "client_secret"));
      if (set->region == NULL)
        set->region = g_strdup (amq_json_get_string (registration, "region"));
    }
  return set;
}

AmqCredentialSet *
amq_signin_sqlite_read (const char *path, gboolean kiro, GError **error)
{
  sqlite3 *db;
  AmqCredentialSet *set = NULL;
  const Record *candidates;
  guint n;

  g_assert (path != NULL);

  db = open_database (path, FALSE, error);
  if (db == NULL)
    return NULL;
  candidates = records (kiro, &n);
  for (guint i = 0; i < n && set == NULL; i++)
    {
      g_autoptr(JsonObject) token = read_value (db, "auth_kv", candidates[i].token_key);

      if (token != NULL && amq_json_get_string (token, "refresh_token") != NULL)
        set = credentials_from (db, &candidates[i], token);
    }
  sqlite3_close (db);
  if (set == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no sign-in in %s: sign in with the %s first",
                 path, kiro ? "Kiro CLI (kiro-cli login)" : "Amazon Q CLI (q login)");
  return set;
}

static gboolean
execute (sqlite3 *db, const char *sql)
{
  return sqlite3_exec (db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

static gboolean
update_value (sqlite3 *db, const char *key, JsonObject *value)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), value);
  g_autofree char *text = json_to_string (node, FALSE);
  sqlite3_stmt *stmt = NULL;
  gboolean done;

  if (sqlite3_prepare_v2 (db, "UPDATE auth_kv SET value = ? WHERE key = ?", -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (stmt, 1, text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
  done = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_finalize (stmt);
  explicit_bzero (text, strlen (text));
  return done;
}

/* Which record holds @previous, or already @refresh_token; the rest is written in one
 * transaction, so the other client sees the old record or the new one. */
gboolean
amq_signin_sqlite_write (const char *path, gboolean kiro, const char *previous, const AmqCredentialSet *tokens,
                         GError **error)
{
  sqlite3 *db;
  const Record *candidates;
  guint n;

  g_assert (path != NULL && tokens != NULL);

  db = open_database (path, TRUE, error);
  if (db == NULL)
    return FALSE;
  if (!execute (db, "BEGIN IMMEDIATE"))
    {
      set_sqlite_error (error, db, path);
      sqlite3_close (db);
      return FALSE;
    }
  candidates = records (kiro, &n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) token = read_value (db, "auth_kv", candidates[i].token_key);
      const char *stored = token ? amq_json_get_string (token, "refresh_token") : NULL;
      g_autofree char *expires = NULL;

      if (stored == NULL || (g_strcmp0 (stored, previous) != 0 && g_strcmp0 (stored, tokens->refresh_token) != 0))
        continue;
      json_object_set_string_member (token, "refresh_token", tokens->refresh_token);
      if (tokens->access_token != NULL)
        json_object_set_string_member (token, "access_token", tokens->access_token);
      if (tokens->expires_at > 0)
        {
          expires = amq_signin_format_time (tokens->expires_at);
          json_object_set_string_member (token, "expires_at", expires);
        }
      if (!update_value (db, candidates[i].token_key, token) || !execute (db, "COMMIT"))
        {
          set_sqlite_error (error, db, path);
          execute (db, "ROLLBACK");
          sqlite3_close (db);
          return FALSE;
        }
      sqlite3_close (db);
      return TRUE;
    }
  execute (db, "ROLLBACK");
  sqlite3_close (db);
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               "%s holds another sign-in now; it was left as it is", path);
  return FALSE;
}
