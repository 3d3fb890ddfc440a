/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-util.c */
#include "config.h"

#include "test-util.h"

#include <glib/gstdio.h>

#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/prctl.h>

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocessLauncher *
test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

char *
test_read_listening_url (GSubprocess *process)
{
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  GString *before = g_string_new (NULL);
  char *line;
  char *url;

  /* with stderr merged, log lines may come first: they are kept for the rest of the output */
  while ((line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL &&
         !g_str_has_prefix (line, "listening on "))
    {
      g_string_append_printf (before, "%s\n", line);
      g_free (line);
    }
  g_assert_nonnull (line);
  url = g_strdup (line + strlen ("listening on "));
  g_free (line);
  /* the data stream reads ahead: keep it for the rest of the output */
  g_object_set_data_full (G_OBJECT (process), "lines", g_object_ref (lines), g_object_unref);
  g_object_set_data_full (G_OBJECT (process), "before", g_string_free (before, FALSE), g_free);
  return url;
}

char *
test_read_remaining_output (GSubprocess *process)
{
  GDataInputStream *lines = g_object_get_data (G_OBJECT (process), "lines");
  GString *output = g_string_new (g_object_get_data (G_OBJECT (process), "before"));
  char *line;

  while (lines != NULL && (line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL)
    {
      g_string_append_printf (output, "%s\n", line);
      g_free (line);
    }
  return g_string_free (output, FALSE);
}

GSubprocessLauncher *
test_bare_launcher_new (GSubprocessFlags flags, const char *fake_url)
{
  g_autofree char *token = g_strconcat (fake_url, "/token", NULL);
  GSubprocessLauncher *launcher = test_launcher_new (flags | G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_REFRESH_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_ID");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_SECRET");
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_API_ENDPOINT", fake_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_TOKEN_ENDPOINT", token, TRUE);
  return launcher;
}

GSubprocess *
test_start_fake_upstream (char **url)
{
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "fake-upstream", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *fake = g_subprocess_launcher_spawn (launcher, &error, path, "--port=0", NULL);

  g_assert_no_error (error);
  *url = test_read_listening_url (fake);
  return fake;
}

JsonObject *
test_fake_stats (const char *fake_url)
{
  g_autofree char *url = g_strconcat (fake_url, "/stats", NULL);
  g_autoptr(SoupMessage) msg = test_message_new ("GET", url, NULL, NULL, 0);
  g_auto(TestReply) r = test_send (msg);

  return test_parse_object (r.body);
}

guint
test_proc_open_descriptors (GSubprocess *process)
{
  g_autofree char *dir = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (process));
  g_autoptr(GDir) fds = g_dir_open (dir, 0, NULL);
  guint n = 0;

  g_assert_nonnull (fds);
  while (g_dir_read_name (fds) != NULL)
    n++;
  return n;
}

guint
test_free_port (void)
{
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (probe, any, TRUE, NULL));
  bound = g_socket_get_local_address (probe, NULL);
  g_socket_close (probe, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

gboolean
test_secrets_service_present (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) owner = NULL;

  if (bus == NULL)
    return FALSE;
  owner = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetNameOwner", g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  return owner != NULL;
}

AmqCredentialSet *
test_keyring_lookup_account (const char *label)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  amq_credentials_lookup_async (label, NULL, test_keep_result, &slot);
  result = test_wait_result (&slot);
  return amq_credentials_lookup_finish (result, NULL);
}

AmqCredentialSet *
test_keyring_lookup (void)
{
  return test_keyring_lookup_account (NULL);
}

void
test_keyring_clear_accounts (void)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) listed = NULL;
  g_auto(GStrv) labels = NULL;

  amq_credentials_list_async (NULL, test_keep_result, &slot);
  listed = test_wait_result (&slot);
  labels = amq_credentials_list_finish (listed, NULL);
  g_assert_nonnull (labels);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      g_autoptr(GAsyncResult) cleared = NULL;

      if (g_str_equal (labels[i], "default"))
        continue;
      amq_credentials_clear_async (labels[i], NULL, test_keep_result, &slot);
      cleared = test_wait_result (&slot);
      g_assert_true (amq_credentials_clear_finish (cleared, NULL));
    }
}

char *
test_server_path (void)
{
  return g_test_build_filename (G_TEST_BUILT, "..", "src", "amq2api-server", NULL);
}

GSubprocessLauncher *
test_server_launcher_new (GSubprocessFlags flags, const char *refresh_token, const char *api_endpoint,
                          const char *token_endpoint)
{
  GSubprocessLauncher *launcher = test_launcher_new (flags | G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_subprocess_launcher_setenv (launcher, "AMAZONQ_REFRESH_TOKEN", refresh_token, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_ID", "client-id-SECRETCHECK", TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_SECRET", "client-secret-SECRETCHECK", TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_API_ENDPOINT", api_endpoint, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_TOKEN_ENDPOINT", token_endpoint, TRUE);
  return launcher;
}

TestProc
test_server_start (GSubprocessLauncher *launcher, const char * const *options, const char * const *extra)
{
  g_autofree char *server = test_server_path ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  TestProc proc = { 0 };

  g_ptr_array_add (argv, server);
  for (guint i = 0; options && options[i]; i++)
    g_ptr_array_add (argv, (gpointer) options[i]);
  for (guint i = 0; extra && extra[i]; i++)
    g_ptr_array_add (argv, (gpointer) extra[i]);
  g_ptr_array_add (argv, NULL);
  proc.process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  proc.url = test_read_listening_url (proc.process);
  uri = g_uri_parse (proc.url, G_URI_FLAGS_NONE, &error);
  g_assert_no_error (error);
  proc.port = g_uri_get_port (uri);
  return proc;
}

void
test_proc_stop (TestProc *proc, char **output)
{
  g_autofree char *rest = NULL;

  if (proc->process == NULL)
    return;
  g_subprocess_send_signal (proc->process, SIGTERM);
  rest = test_read_remaining_output (proc->process);
  g_subprocess_wait (proc->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (proc->process));
  g_assert_cmpint (g_subprocess_get_exit_status (proc->process), ==, 0);
  g_clear_object (&proc->process);
  g_clear_pointer (&proc->url, g_free);
  if (output != NULL)
    *output = g_steal_pointer (&rest);
}

void
test_reply_clear (TestReply *reply)
{
  g_free (reply->body);
  g_free (reply->content_type);
  g_free (reply->request_id);
  g_free (reply->retry_after);
}

SoupMessage *
test_message_new (const char *method, const char *url, const char *content_type, const char *body, gsize length)
{
  SoupMessage *message = soup_message_new (method, url);

  g_assert_nonnull (message);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, length);

      soup_message_set_request_body_from_bytes (message, content_type, bytes);
    }
  return message;
}

static TestReply
reply_new (SoupMessage *message, GBytes *answer, gint64 start)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (message);
  gsize length = 0;
  const char *data = g_bytes_get_data (answer, &length);
  TestReply reply = { 0 };

  reply.status = soup_message_get_status (message);
  reply.body = g_strndup (data != NULL ? data : "", length);
  reply.content_type = g_strdup (soup_message_headers_get_one (headers, "Content-Type"));
  reply.request_id = g_strdup (soup_message_headers_get_one (headers, "request-id"));
  reply.retry_after = g_strdup (soup_message_headers_get_one (headers, "retry-after"));
  reply.elapsed_ms = (g_get_monotonic_time () - start) / 1000;
  return reply;
}

TestReply
test_send (SoupMessage *message)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, NULL);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = soup_session_send_and_read (session, message, NULL, &error);

  g_assert_no_error (error);
  return reply_new (message, answer, start);
}

void
test_keep_result (GObject *source, GAsyncResult *result, gpointer slot)
{
  *(GAsyncResult **) slot = g_object_ref (result);
}

GAsyncResult *
test_wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (slot);
}

TestReply
test_send_spinning (SoupMessage *message)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 60, "proxy-resolver", NULL, NULL);
  gint64 start = g_get_monotonic_time ();
  GAsyncResult *slot = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) answer = NULL;

  soup_session_send_and_read_async (session, message, G_PRIORITY_DEFAULT, NULL, test_keep_result, &slot);
  result = test_wait_result (&slot);
  answer = soup_session_send_and_read_finish (session, result, &error);
  g_assert_no_error (error);
  return reply_new (message, answer, start);
}

AmqAccountPool *
test_pool_new (const char *fake_url, const char * const *refresh_tokens, const char *profile_arn)
{
  g_autofree char *token_endpoint = g_strconcat (fake_url, "/token", NULL);
  g_autofree char *dir = g_dir_make_tmp ("amq2api-pool-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "accounts.json", NULL);
  g_autoptr(GString) text = g_string_new ("{\"accounts\": [");
  g_autoptr(AmqAccountsFile) file = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *entries;
  AmqAccountPool *pool;

  for (guint i = 0; refresh_tokens[i] != NULL; i++)
    {
      g_string_append_printf (text, "%s{\"label\": \"account-%u\", \"refreshToken\": \"%s\", \"clientId\": \"c\", "
                              "\"clientSecret\": \"s\"", i ? ", " : "", i, refresh_tokens[i]);
      if (profile_arn != NULL)
        g_string_append_printf (text, ", \"profileArn\": \"%s\"", profile_arn);
      g_string_append_c (text, '}');
    }
  g_string_append (text, "]}");
  g_assert_true (g_file_set_contents_full (path, text->str, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  file = amq_accounts_file_load (path, &error);
  g_assert_no_error (error);
  entries = amq_accounts_file_get_entries (file);
  pool = amq_account_pool_new (AMQ_POOL_PRIORITY);
  for (guint i = 0; i < entries->len; i++)
    {
      g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (token_endpoint);
      g_autoptr(AmqAccount) account = amq_account_new (tokens, NULL);

      amq_token_manager_set_proxy_resolver (tokens, NULL);
      amq_account_use_file_entry (account, file, g_ptr_array_index (entries, i));
      amq_account_pool_add (pool, account);
    }
  /* rotated tokens are written back there: it stays for the test's life */
  return pool;
}

AmqServer *
test_local_server_new (const char *fake_url)
{
  const char *refresh_tokens[] = { "rt-ok", NULL };
  g_autoptr(AmqAccountPool) pool = test_pool_new (fake_url, refresh_tokens, NULL);
  g_autoptr(AmqUpstream) upstream = amq_upstream_new (fake_url);
  g_autoptr(AmqModelMap) models = amq_model_map_new ();
  g_autoptr(GError) error = NULL;
  AmqServer *server;

  amq_upstream_set_proxy_resolver (upstream, NULL);
  server = amq_server_new (pool, upstream, models);
  g_assert_true (amq_server_start (server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  return server;
}

JsonObject *
test_parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, text, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("not a JSON object: %.300s", text);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

char *
test_messages_body (const char *scenario, gboolean stream)
{
  return g_strdup_printf ("{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":1024,\"stream\":%s,"
                          "\"messages\":[{\"role\":\"user\",\"content\":\"Hello SCENARIO:%s\"}]}",
                          stream ? "true" : "false", scenario);
}

void
test_client_database_new (const char *path, const char * const *rows)
{
  sqlite3 *db = NULL;

  g_unlink (path);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE auth_kv (key TEXT PRIMARY KEY, value TEXT);"
                                     "CREATE TABLE state (key TEXT PRIMARY KEY, value BLOB);", NULL, NULL, NULL),
                   ==, SQLITE_OK);
  for (guint i = 0; rows[i] != NULL; i += 2)
    {
      gboolean state = g_str_has_prefix (rows[i], "state:");
      g_autofree char *sql = g_strdup_printf ("INSERT INTO %s VALUES (?, ?)", state ? "state" : "auth_kv");
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_text (stmt, 1, state ? rows[i] + strlen ("state:") : rows[i], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, rows[i + 1], -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_finalize (stmt);
    }
  sqlite3_close (db);
}

char *
test_client_database_value (const char *path, const char *key)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT value FROM auth_kv WHERE key = ?", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}
