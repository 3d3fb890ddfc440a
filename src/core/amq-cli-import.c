/* amq-cli-import.c: table auth_kv(key, value); keys "codewhisperer:odic:token" and
 * "codewhisperer:odic:device-registration" (the CLI spells "odic" that way). */
#include "amq-cli-import.h"

#include "amq-json.h"

#include <json-glib/json-glib.h>
#include <sqlite3.h>

char *
amq_cli_import_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "amazon-q", "data.sqlite3", NULL);
}

gboolean
amq_cli_import_available (const char *path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

static JsonObject *
read_json_value (sqlite3 *db, const char *key)
{
  sqlite3_stmt *stmt = NULL;
  JsonObject *result = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT value FROM auth_kv WHERE key = ?", -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      const char *text = (const char *) sqlite3_column_text (stmt, 0);

      JsonObject *object = amq_json_parse_object (parser, text, -1);

      if (object != NULL)
        result = json_object_ref (object);
    }
  sqlite3_finalize (stmt);
  return result;
}

static void
import_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  sqlite3 *db = NULL;
  g_autoptr(JsonObject) token = NULL;
  g_autoptr(JsonObject) registration = NULL;
  AmqCredentialSet *set;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "cannot open the Amazon Q CLI data at %s", path);
      sqlite3_close (db);
      return;
    }
  token = read_json_value (db, "codewhisperer:odic:token");
  registration = read_json_value (db, "codewhisperer:odic:device-registration");
  sqlite3_close (db);
  if (token == NULL || registration == NULL ||
      amq_json_get_string (token, "refresh_token") == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "the Amazon Q CLI is not logged in (run `q login` first)");
      return;
    }
  set = amq_credential_set_new ();
  set->refresh_token = g_strdup (json_object_get_string_member (token, "refresh_token"));
  set->client_id = g_strdup (amq_json_get_string (registration, "client_id"));
  set->client_secret = g_strdup (amq_json_get_string (registration, "client_secret"));
  set->region = g_strdup (amq_json_get_string (token, "region"));
  g_task_return_pointer (task, set, (GDestroyNotify) amq_credential_set_free);
}

void
amq_cli_import_async (const char *path, GCancellable *cancellable,
                      GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, import_in_thread);
}

AmqCredentialSet *
amq_cli_import_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
