/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server.c: amq2api-server against the fake Amazon Q, both real processes */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "test-util.h"
#include <string.h>

static TestProc fake;

/* Starts amq2api-server with @refresh_token against the fake; extra args after. */
static TestProc
start_server (const char *refresh_token, const char * const *extra)
{
  static const char * const options[] = { "--port=0", "--ping-interval=1", "--idle-timeout=2", NULL };
  g_autofree char *token_endpoint = g_strconcat (fake.url, "/token", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    test_server_launcher_new (G_SUBPROCESS_FLAGS_NONE, refresh_token, fake.url, token_endpoint);

  return test_server_start (launcher, options, extra);
}

static TestReply
http (const char *method, const char *url, const char *body, const char *header, const char *value)
{
  g_autoptr(SoupMessage) msg = test_message_new (method, url, "application/json", body, body ? strlen (body) : 0);

  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  return test_send (msg);
}

static TestReply
post_messages (TestProc *server, const char *scenario, gboolean stream)
{
  g_autofree char *url = g_strconcat (server->url, "/v1/messages?beta=true", NULL);
  g_autofree char *body = test_messages_body (scenario, stream);

  return http ("POST", url, body, NULL, NULL);
}

static gint64
fake_stat (const char *name)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake.url);

  return json_object_get_int_member (stats, name);
}

static void
test_health_and_probes (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  g_autofree char *health = g_strconcat (server.url, "/health", NULL);
  g_autofree char *missing = g_strconcat (server.url, "/v2/nothing", NULL);
  g_autofree char *hello = g_strconcat (server.url, "/api/hello", NULL);
  g_autofree char *messages = g_strconcat (server.url, "/v1/messages", NULL);
  g_auto(TestReply) r = http ("GET", health, NULL, NULL, NULL);
  g_autoptr(JsonObject) o = test_parse_object (r.body);

  g_assert_cmpuint (r.status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "healthy");
  g_assert_true (json_object_has_member (o, "has_token"));
  g_assert_true (json_object_has_member (o, "token_expired"));
  g_assert_true (g_str_has_prefix (r.request_id, "req_"));
  {
    g_auto(TestReply) nf = http ("GET", missing, NULL, NULL, NULL);
    g_autoptr(JsonObject) e = test_parse_object (nf.body);
    g_assert_cmpuint (nf.status, ==, 404);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (e, "error"), "type"), ==, "not_found_error");
    g_assert_nonnull (nf.request_id);
  }
  {
    g_auto(TestReply) h = http ("HEAD", hello, NULL, NULL, NULL);
    g_auto(TestReply) m = http ("GET", messages, NULL, NULL, NULL);
    g_assert_cmpuint (h.status, ==, 200);
    g_assert_cmpuint (m.status, ==, 405);
  }
  test_proc_stop (&server, NULL);
}

/* Each route answers its own path and methods; anything else is a 404 with the error body,
 * in OpenAI's shape under the OpenAI routes, in Anthropic's everywhere else. */
static void
test_route_table (void)
{
  static const struct { const char *method, *path; guint status; gboolean openai; } rows[] = {
    { "GET", "/", 200 },
    { "DELETE", "/", 405 },
    { "HEAD", "/api/hello", 200 },
    { "GET", "/api/hello/there", 404 },
    { "POST", "/health", 405 },
    { "GET", "/health/more", 404 },
    { "GET", "/healthz", 404 },
    { "GET", "/v1/messages", 405 },
    { "POST", "/v1/messages", 400 },
    { "GET", "/v1/messages/other", 404 },
    { "GET", "/v1/messages/count_tokens", 405 },
    { "GET", "/v1/messages/count_tokens/x", 404 },
    { "POST", "/v1/models", 405 },
    { "GET", "/v1/modelsx", 404 },
    { "GET", "/v1/models/no-such-model", 404 },
    { "GET", "/v1/models", 200 },
    { "POST", "/v1/chat/completions", 400, TRUE },
    { "GET", "/v1/chat/completions", 405, TRUE },
    { "POST", "/v1/chat/completions/x", 404, TRUE },
    { "POST", "/v1/responses", 400, TRUE },
    { "GET", "/v1/responses", 405, TRUE },
    { "GET", "/v1/responses/resp_123", 404, TRUE },
    { "POST", "/v1/chat", 404 },
  };
  TestProc server = start_server ("rt-ok", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *url = g_strconcat (server.url, rows[i].path, NULL);
      g_auto(TestReply) r = http (rows[i].method, url, NULL, NULL, NULL);

      g_test_message ("%s %s", rows[i].method, rows[i].path);
      g_assert_cmpuint (r.status, ==, rows[i].status);
      g_assert_true (g_str_has_prefix (r.request_id, "req_"));
      if (rows[i].status >= 400 && rows[i].openai)
        {
          g_autoptr(JsonObject) e = test_parse_object (r.body);
          JsonObject *inner = json_object_get_object_member (e, "error");

          g_assert_false (json_object_has_member (e, "type"));
          g_assert_cmpstr (json_object_get_string_member (inner, "type"), ==, "invalid_request_error");
          g_assert_nonnull (json_object_get_string_member (inner, "message"));
          g_assert_true (json_object_has_member (inner, "param") && json_object_has_member (inner, "code"));
        }
      else if (rows[i].status >= 400)
        {
          g_autoptr(JsonObject) e = test_parse_object (r.body);

          g_assert_cmpstr (json_object_get_string_member (e, "type"), ==, "error");
          g_assert_cmpstr (json_object_get_string_member (e, "request_id"), ==, r.request_id);
        }
    }
  test_proc_stop (&server, NULL);
}

static void
test_text_stream_and_json (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  g_auto(TestReply) s = post_messages (&server, "text", TRUE);
  g_auto(TestReply) j = post_messages (&server, "text", FALSE);
  g_autoptr(JsonObject) message = test_parse_object (j.body);

  g_assert_cmpuint (s.status, ==, 200);
  g_assert_true (g_str_has_prefix (s.content_type, "text/event-stream"));
  g_assert_true (g_str_has_prefix (s.body, "event: message_start\n"));
  g_assert_nonnull (strstr (s.body, "\"text\":\"Hello\""));
  g_assert_true (g_str_has_suffix (s.body, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
  g_assert_cmpuint (j.status, ==, 200);
  g_assert_true (g_str_has_prefix (j.content_type, "application/json"));
  g_assert_cmpstr (json_object_get_string_member (message, "model"), ==, "claude-sonnet-4-5-20250929");
  g_assert_cmpstr (json_object_get_string_member (message, "stop_reason"), ==, "end_turn");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (message, "content"), 0), "text"),
                   ==, "Hello, wörld 你好 👋\n\"quoted\" \\ back");
  test_proc_stop (&server, NULL);
}

typedef struct { const char *scenario; guint status; const char *type; const char *fragment; } ErrorRow;

static void
test_upstream_errors (void)
{
  static const ErrorRow rows[] = {
    { "http_400", 400, "invalid_request_error", "Improperly formed request." },
    { "http_400_too_long", 400, "invalid_request_error", "prompt is too long: " },
    { "http_403_suspended", 403, "permission_error", "suspended" },
    { "http_429", 429, "rate_limit_error", "Monthly request limit" },
    { "http_429_capacity", 529, "overloaded_error", "high traffic" },
    { "http_500", 502, "api_error", "unexpected error" },
    { "http_502_html", 502, "api_error", "HTTP 502" },
  };
  TestProc server = start_server ("rt-ok", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    for (guint stream = 0; stream < 2; stream++)
      {
        g_auto(TestReply) r = post_messages (&server, rows[i].scenario, stream);
        g_autoptr(JsonObject) o = test_parse_object (r.body);
        JsonObject *e = json_object_get_object_member (o, "error");

        g_test_message ("%s stream=%u -> %u %s", rows[i].scenario, stream, r.status, r.body);
        g_assert_cmpuint (r.status, ==, rows[i].status);
        g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "error");
        g_assert_cmpstr (json_object_get_string_member (e, "type"), ==, rows[i].type);
        g_assert_nonnull (strstr (json_object_get_string_member (e, "message"), rows[i].fragment));
        if (rows[i].status == 429)
          g_assert_nonnull (r.retry_after);
      }
  test_proc_stop (&server, NULL);
}

static void
test_mid_stream_faults (void)
{
  static const char * const faults[][2] = {
    { "exception", "rate_limit_error" },
    { "error_frame", "api_error" },
    { "truncated", "api_error" },
    { "bad_crc", "api_error" },
    { "giant_length", "api_error" },
    { "stall", "timeout_error" },
  };
  TestProc server = start_server ("rt-ok", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_auto(TestReply) s = post_messages (&server, faults[i][0], TRUE);
      g_auto(TestReply) j = post_messages (&server, faults[i][0], FALSE);
      g_autofree char *type = g_strdup_printf ("\"error\":{\"type\":\"%s\"", faults[i][1]);
      g_autoptr(JsonObject) o = test_parse_object (j.body);

      g_test_message ("%s: %s", faults[i][0], s.body);
      g_assert_cmpuint (s.status, ==, 200);
      g_assert_nonnull (strstr (s.body, "event: error\ndata: {\"type\":\"error\","));
      g_assert_nonnull (strstr (s.body, type));
      g_assert_null (strstr (s.body, "message_stop"));
      g_assert_null (strstr (s.body, "end_turn"));
      g_assert_cmpuint (j.status, >=, 400);
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "type"), ==, faults[i][1]);
    }
  test_proc_stop (&server, NULL);
}

/* 100,000 frames in random pieces: every delta arrives, in order, and the stream ends well.
 * Under the sanitizers, whose bookkeeping makes the fake upstream's 70,000 small writes
 * minutes long, 10,000 frames. */
static void
test_large_stream (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  guint frames = g_getenv ("AMQ_SANITIZED") ? 10000 : 100000;
  g_autofree char *url = g_strconcat (server.url, "/v1/messages", NULL);
  /* 16 tokens a frame: a max_tokens to match, or the answer ends at the usual 1,024 */
  g_autofree char *body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":%u,\"stream\":true,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"Hello SCENARIO:large_%u\"}]}",
                                           frames * 16, frames);
  g_auto(TestReply) s = http ("POST", url, body, NULL, NULL);
  guint deltas = 0;

  for (const char *p = s.body; (p = strstr (p, "event: content_block_delta\n")) != NULL; p++)
    deltas++;
  g_assert_cmpuint (s.status, ==, 200);
  g_assert_cmpuint (deltas, ==, frames);
  g_assert_true (g_str_has_suffix (s.body, "{\"type\":\"message_stop\"}\n\n"));
  test_proc_stop (&server, NULL);
}

static void
test_upstream_connection_reused (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  gint64 before = fake_stat ("generate_connections");

  /* with Amazon Q each new connection is a TLS handshake before the first token */
  for (guint i = 0; i < 6; i++)
    {
      g_auto(TestReply) r = post_messages (&server, "text", i % 2 == 0);
      g_assert_cmpuint (r.status, ==, 200);
    }
  g_assert_cmpint (fake_stat ("generate_connections") - before, ==, 1);
  test_proc_stop (&server, NULL);
}

static void
test_pings_fill_silence (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  g_auto(TestReply) s = post_messages (&server, "slow", TRUE);

  g_assert_nonnull (strstr (s.body, "event: ping\ndata: {\"type\":\"ping\"}\n\n"));
  g_assert_nonnull (strstr (s.body, "\"text\":\"steady\""));
  g_assert_true (g_str_has_suffix (s.body, "{\"type\":\"message_stop\"}\n\n"));
  test_proc_stop (&server, NULL);
}

typedef struct {
  guint       pending;
  guint       good;
  GMainLoop  *loop;
} Concurrent;

static void
on_concurrent_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Concurrent *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  if (error != NULL)
    g_test_message ("failed: %s", error->message);

  if (body != NULL)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

      if (strstr (text, "\"partial_json\":\"{\\\"file_path\\\": \\\"/etc/hostname\\\"}\"") &&
          g_str_has_suffix (text, "{\"type\":\"message_stop\"}\n\n"))
        c->good++;
      else
        g_test_message ("bad reply: %s", text);
    }
  if (--c->pending == 0)
    g_main_loop_quit (c->loop);
}

/* 200 streams wait on one slow refresh: the fake counts one token call. */
static void
test_concurrent_single_refresh (void)
{
  gint64 before = fake_stat ("token_calls");
  /* 200 at once keep a sanitized fake busy for seconds: this test is not about timeouts */
  const char *patient[] = { "--idle-timeout=60", NULL };
  TestProc server = start_server ("rt-slow", patient);
  g_autoptr(SoupSession) session = soup_session_new_with_options ("max-conns", 400, "max-conns-per-host", 400,
                                                                  "timeout", 60, NULL);
  g_autofree char *url = g_strconcat (server.url, "/v1/messages", NULL);
  g_autofree char *body = test_messages_body ("two_tools", TRUE);
  Concurrent c = { 200, 0, g_main_loop_new (NULL, FALSE) };

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(SoupMessage) msg = test_message_new ("POST", url, "application/json", body, strlen (body));

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_concurrent_reply, &c);
    }
  g_main_loop_run (c.loop);
  g_main_loop_unref (c.loop);
  g_assert_cmpuint (c.good, ==, 200);
  g_assert_cmpint (fake_stat ("token_calls") - before, ==, 1);
  test_proc_stop (&server, NULL);
}

static void
test_refused_token_refreshes_once (void)
{
  gint64 calls = fake_stat ("token_calls");
  TestProc server = start_server ("rt-ok", NULL);
  g_auto(TestReply) warm = post_messages (&server, "text", FALSE);
  g_auto(TestReply) r = post_messages (&server, "revoke_token", FALSE);

  g_assert_cmpuint (warm.status, ==, 200);
  /* the revoking scenario refuses every token it sees: one refresh, one retry, then 401 */
  g_assert_cmpuint (r.status, ==, 401);
  g_assert_cmpint (fake_stat ("token_calls") - calls, ==, 2);
  {
    g_auto(TestReply) after = post_messages (&server, "text", FALSE);
    g_assert_cmpuint (after.status, ==, 200);
  }
  test_proc_stop (&server, NULL);
}

static void
test_invalid_grant (void)
{
  TestProc server = start_server ("rt-invalid", NULL);
  g_autofree char *health = g_strconcat (server.url, "/health", NULL);
  g_auto(TestReply) r = post_messages (&server, "text", TRUE);
  g_autoptr(JsonObject) o = test_parse_object (r.body);
  g_auto(TestReply) h = http ("GET", health, NULL, NULL, NULL);
  g_autoptr(JsonObject) ho = test_parse_object (h.body);

  g_assert_cmpuint (r.status, ==, 401);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "type"), ==, "authentication_error");
  g_assert_nonnull (strstr (r.body, "sign-in needed"));
  g_assert_cmpstr (json_object_get_string_member (ho, "token_state"), ==, "sign-in-needed");
  g_assert_true (json_object_get_boolean_member (ho, "sign_in_needed"));
  test_proc_stop (&server, NULL);
}

static void
test_token_endpoint_garbage (void)
{
  TestProc server = start_server ("rt-garbage", NULL);
  g_auto(TestReply) r = post_messages (&server, "text", FALSE);

  g_assert_cmpuint (r.status, ==, 502);
  g_assert_nonnull (strstr (r.body, "token refresh failed"));
  test_proc_stop (&server, NULL);
}

static void
test_api_key (void)
{
  const char *args[] = { "--api-key=local-key-123", NULL };
  TestProc server = start_server ("rt-ok", args);
  g_autofree char *url = g_strconcat (server.url, "/v1/messages", NULL);
  g_autofree char *body = test_messages_body ("text", FALSE);
  g_auto(TestReply) none = http ("POST", url, body, NULL, NULL);
  g_auto(TestReply) wrong = http ("POST", url, body, "x-api-key", "local-key-124");
  g_auto(TestReply) key = http ("POST", url, body, "x-api-key", "local-key-123");
  g_auto(TestReply) bearer = http ("POST", url, body, "Authorization", "Bearer local-key-123");

  g_assert_cmpuint (none.status, ==, 401);
  g_assert_cmpuint (wrong.status, ==, 401);
  g_assert_cmpuint (key.status, ==, 200);
  g_assert_cmpuint (bearer.status, ==, 200);
  g_assert_null (strstr (none.body, "local-key"));
  test_proc_stop (&server, NULL);
}

/* The client hangs up mid-stream: the fake sees its connection closed at once. */
static void
test_disconnect_cancels_upstream (void)
{
  TestProc server = start_server ("rt-ok", NULL);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host (client, "127.0.0.1", server.port, NULL, NULL);
  g_autofree char *body = test_messages_body ("slow", TRUE);
  g_autofree char *request = g_strdup_printf ("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                              "Content-Length: %zu\r\n\r\n%s", strlen (body), body);
  gint64 closed = fake_stat ("closed_early");
  gint64 closed_at;
  char buffer[4096];
  gssize n;

  g_assert_nonnull (conn);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request, strlen (request), NULL, NULL, NULL);
  {
    g_autoptr(GString) seen = g_string_new (NULL);

    /* headers and message_start may come in separate reads */
    while (strstr (seen->str, "message_start") == NULL &&
           (n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buffer,
                                     sizeof buffer, NULL, NULL)) > 0)
      g_string_append_len (seen, buffer, n);
    g_assert_nonnull (strstr (seen->str, "message_start"));
  }
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  closed_at = g_get_monotonic_time ();
  g_usleep (500 * 1000);
  g_assert_cmpint (fake_stat ("closed_early"), ==, closed + 1);
  /* the fake saw its connection close within 100 ms of the hang-up (its next frame was
   * 1.5 s away, so it was not the stream's end) */
  g_assert_cmpint (fake_stat ("since_closed_early_ms"), >=, (g_get_monotonic_time () - closed_at) / 1000 - 100);
  test_proc_stop (&server, NULL);
}

/* A .env file in the working directory, as the Python original read; the environment wins. */
static void
test_dotenv (void)
{
  g_autofree char *dir = g_dir_make_tmp ("amq2api-dotenv-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, ".env", NULL);
  g_autofree char *token = g_strconcat (fake.url, "/token", NULL);
  g_autofree char *contents = g_strdup_printf ("# comment\nexport AMAZONQ_REFRESH_TOKEN=\"rt-ok\"\n"
                                               "AMAZONQ_CLIENT_ID=from-dotenv\nAMAZONQ_CLIENT_SECRET='s'\n"
                                               "AMAZONQ_API_ENDPOINT=%s\nAMAZONQ_TOKEN_ENDPOINT=%s\nPORT=1\n",
                                               fake.url, token);
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                               G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *output = NULL;
  TestProc proc;

  /* readable by everyone, as an editor leaves it: a warning names the fix */
  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, 0644, NULL));
  g_subprocess_launcher_set_cwd (launcher, dir);
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_REFRESH_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_ID");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_SECRET");
  g_subprocess_launcher_setenv (launcher, "PORT", "0", TRUE);  /* beats PORT=1 in .env */
  proc = test_server_start (launcher, NULL, NULL);
  g_assert_false (g_str_has_suffix (proc.url, ":1"));
  {
    g_auto(TestReply) r = post_messages (&proc, "text", FALSE);
    g_assert_cmpuint (r.status, ==, 200);
  }
  test_proc_stop (&proc, &output);
  g_assert_nonnull (strstr (output, "chmod 600"));
  g_assert_null (strstr (output, "from-dotenv"));
  g_clear_pointer (&output, g_free);
  g_assert_cmpint (g_chmod (path, 0600), ==, 0);
  proc = test_server_start (launcher, NULL, NULL);
  test_proc_stop (&proc, &output);
  g_assert_null (strstr (output, "chmod 600"));
  g_unlink (path);
  g_rmdir (dir);
}

/* AMAZONQ_ORIGIN reaches Amazon Q (the strict fake wants KIRO_CLI, so CLI is refused there),
 * and --max-request-bytes answers a larger request locally: nothing is sent. */
static void
test_origin_and_request_size_options (void)
{
  const char *small[] = { "--max-request-bytes=3000", NULL };
  TestProc server;
  gint64 requests;

  g_setenv ("AMAZONQ_ORIGIN", "CLI", TRUE);
  server = start_server ("rt-ok", NULL);
  g_unsetenv ("AMAZONQ_ORIGIN");
  {
    g_auto(TestReply) r = post_messages (&server, "text", FALSE);
    g_assert_cmpuint (r.status, ==, 400);
    g_assert_nonnull (strstr (r.body, "Improperly formed request"));
  }
  test_proc_stop (&server, NULL);

  server = start_server ("rt-ok", small);
  requests = fake_stat ("requests");
  {
    g_autofree char *prompt = g_strnfill (4000, 'x');
    g_autofree char *body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,"
                                             "\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}]}", prompt);
    g_autofree char *url = g_strconcat (server.url, "/v1/messages", NULL);
    g_auto(TestReply) r = http ("POST", url, body, NULL, NULL);

    g_assert_cmpuint (r.status, ==, 400);
    g_assert_nonnull (strstr (r.body, "prompt is too long"));
  }
  g_assert_cmpint (fake_stat ("requests"), ==, requests);
  test_proc_stop (&server, NULL);
}

/* The refresh token and the client secret go to these endpoints: plain http is refused unless
 * it stays on this machine, wherever the setting comes from. */
static void
test_endpoints_need_https (void)
{
  static const struct { const char *variable, *value; } rows[] = {
    { "AMAZONQ_API_ENDPOINT", "http://q.example.com" },
    { "AMAZONQ_TOKEN_ENDPOINT", "http://oidc.example.com/token" },
    { "AMAZONQ_SOCIAL_TOKEN_ENDPOINT", "http://10.0.0.1/refreshToken" },
    { "AMAZONQ_TOKEN_ENDPOINT", "not a url" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autofree char *server = test_server_path ();
      g_autofree char *err = NULL;
      g_autoptr(GSubprocess) p = NULL;

      g_subprocess_launcher_setenv (launcher, "AMAZONQ_REFRESH_TOKEN", "rt-ok", TRUE);
      g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_ID", "id", TRUE);
      g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_SECRET", "secret", TRUE);
      g_subprocess_launcher_setenv (launcher, rows[i].variable, rows[i].value, TRUE);
      p = g_subprocess_launcher_spawn (launcher, NULL, server, "--port=0", NULL);
      g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
      g_test_message ("%s=%s: %s", rows[i].variable, rows[i].value, err);
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
      g_assert_nonnull (strstr (err, rows[i].variable));
      g_assert_nonnull (strstr (err, i < 3 ? "https is required" : "is not a URL"));
    }
}

/* Behind a proxy: https_proxy from the environment carries both Amazon Q calls (the fake
 * answers absolute-URI requests as a proxy would pass them on); no_proxy exempts a host. */
static void
test_environment_proxy (void)
{
  /* plain http is refused unless on this machine: loopback addresses other than the fake's */
  const char *exempt[] = { NULL, "127.0.0.2", NULL };

  for (guint i = 0; i < G_N_ELEMENTS (exempt) - 1; i++)
    {
      static const char * const options[] = { "--port=0", "--idle-timeout=5", NULL };
      g_autoptr(GSubprocessLauncher) launcher =
        test_server_launcher_new (G_SUBPROCESS_FLAGS_NONE, "rt-ok", "http://127.0.0.2:9/", "http://127.0.0.3:9/token");
      g_autofree char *no_proxy = g_strdup_printf ("localhost,%s", exempt[i] ? exempt[i] : "example.invalid");
      TestProc proc;

      g_subprocess_launcher_setenv (launcher, "https_proxy", fake.url, TRUE);
      g_subprocess_launcher_setenv (launcher, "no_proxy", no_proxy, TRUE);
      proc = test_server_start (launcher, options, NULL);
      {
        g_auto(TestReply) r = post_messages (&proc, "text", FALSE);

        g_test_message ("no_proxy=%s: %u %s", no_proxy, r.status, r.body);
        if (exempt[i] == NULL)
          g_assert_cmpuint (r.status, ==, 200);
        else  /* the token came through the proxy; nothing listens on the exempt host */
          g_assert_cmpuint (r.status, >=, 500);
      }
      test_proc_stop (&proc, NULL);
    }
}

/* Starts amq2api-server whose state directory is @state_home. */
static TestProc
start_server_with_state (const char *refresh_token, const char *state_home)
{
  g_setenv ("XDG_STATE_HOME", state_home, TRUE);
  return start_server (refresh_token, NULL);
}

/* A refresh token from the environment is a seed the user never updates: its successor is on
 * disk (0600, never the seed itself) once the answer is out, and a restart with the stale seed
 * after a SIGKILL goes on with the successor instead of failing with invalid_grant. */
static void
test_rotated_refresh_token_survives_a_crash (void)
{
  g_autofree char *state_home = g_dir_make_tmp ("amq2api-state-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (state_home, "amq2api", NULL);
  g_autofree char *path = g_build_filename (dir, "credentials.json", NULL);
  g_autofree char *contents = NULL;
  GStatBuf info;
  TestProc server = start_server_with_state ("rt-rotate-seed", state_home);

  {
    g_auto(TestReply) r = post_messages (&server, "text", FALSE);
    g_assert_cmpuint (r.status, ==, 200);
  }
  /* no grace for writes: the answer went out after the successor was on disk */
  g_subprocess_send_signal (server.process, SIGKILL);
  g_subprocess_wait (server.process, NULL, NULL);
  g_clear_object (&server.process);
  g_clear_pointer (&server.url, g_free);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "rt-rotated-"));
  g_assert_null (strstr (contents, "rt-rotate-seed"));
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);

  server = start_server_with_state ("rt-rotate-seed", state_home);
  {
    g_auto(TestReply) r = post_messages (&server, "text", FALSE);
    g_assert_cmpuint (r.status, ==, 200);
  }
  test_proc_stop (&server, NULL);
  g_unsetenv ("XDG_STATE_HOME");
  g_unlink (path);
  g_rmdir (dir);
  g_rmdir (state_home);
}

static void
test_missing_credentials_and_signals (void)
{
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *server = test_server_path ();
  g_autoptr(GSubprocess) p = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_REFRESH_TOKEN");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_ID");
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_CLIENT_SECRET");
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  g_subprocess_launcher_set_cwd (launcher, g_get_tmp_dir ());
  p = g_subprocess_launcher_spawn (launcher, NULL, server, "--port=0", NULL);
  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
  g_assert_nonnull (strstr (err, "AMAZONQ_REFRESH_TOKEN"));
  g_assert_nonnull (strstr (err, "AMAZONQ_CLIENT_SECRET"));
  g_clear_object (&p);
  g_clear_pointer (&err, g_free);

  p = g_subprocess_launcher_spawn (launcher, NULL, server, "--port=70000", NULL);
  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);

  {
    TestProc running = start_server ("rt-ok", NULL);
    g_autofree char *port = g_strdup_printf ("--port=%u", running.port);
    TestProc busy = { 0 };

    /* the same port again: a clear message and exit 1 */
    g_subprocess_launcher_setenv (launcher, "AMAZONQ_REFRESH_TOKEN", "rt-ok", TRUE);
    g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_ID", "id", TRUE);
    g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_SECRET", "secret", TRUE);
    g_clear_object (&p);
    g_clear_pointer (&err, g_free);
    p = g_subprocess_launcher_spawn (launcher, NULL, server, port, NULL);
    g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
    g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 1);
    g_assert_nonnull (strstr (err, "cannot listen"));

    g_subprocess_send_signal (running.process, SIGTERM);
    g_assert_true (g_subprocess_wait (running.process, NULL, NULL));
    g_assert_true (g_subprocess_get_if_exited (running.process));
    g_assert_cmpint (g_subprocess_get_exit_status (running.process), ==, 0);
    test_proc_stop (&running, NULL);
    test_proc_stop (&busy, NULL);
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  fake.process = test_start_fake_upstream (&fake.url);

  g_test_add_func ("/server/health-and-probes", test_health_and_probes);
  g_test_add_func ("/server/route-table", test_route_table);
  g_test_add_func ("/server/text-stream-and-json", test_text_stream_and_json);
  g_test_add_func ("/server/upstream-errors", test_upstream_errors);
  g_test_add_func ("/server/mid-stream-faults", test_mid_stream_faults);
  g_test_add_func ("/server/pings-fill-silence", test_pings_fill_silence);
  g_test_add_func ("/server/large-stream", test_large_stream);
  g_test_add_func ("/server/upstream-connection-reused", test_upstream_connection_reused);
  g_test_add_func ("/server/concurrent-single-refresh", test_concurrent_single_refresh);
  g_test_add_func ("/server/refused-token-refreshes-once", test_refused_token_refreshes_once);
  g_test_add_func ("/server/invalid-grant", test_invalid_grant);
  g_test_add_func ("/server/token-endpoint-garbage", test_token_endpoint_garbage);
  g_test_add_func ("/server/api-key", test_api_key);
  g_test_add_func ("/server/disconnect-cancels-upstream", test_disconnect_cancels_upstream);
  g_test_add_func ("/server/missing-credentials-and-signals", test_missing_credentials_and_signals);
  g_test_add_func ("/server/rotated-refresh-token-survives-a-crash", test_rotated_refresh_token_survives_a_crash);
  g_test_add_func ("/server/dotenv", test_dotenv);
  g_test_add_func ("/server/endpoints-need-https", test_endpoints_need_https);
  g_test_add_func ("/server/origin-and-request-size-options", test_origin_and_request_size_options);
  g_test_add_func ("/server/environment-proxy", test_environment_proxy);
  status = g_test_run ();
  test_proc_stop (&fake, NULL);
  return status;
}
