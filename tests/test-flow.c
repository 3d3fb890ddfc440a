/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-flow.c: what one answer may cost the machine and the quota (issue 15), against the
 * real server and the fake Amazon Q: a client that stops reading holds Amazon Q back, a
 * collected answer has a cap, max_tokens ends an answer here, and every client request is
 * one upstream call, whatever the upstream or the connection does. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "test-util.h"

#define MIB (1024 * 1024)
/* the bound on what a stalled stream may cost the server, and how much the fake may have
 * sent it: the event bytes the server keeps back (about a megabyte) and the sockets'
 * buffers on both sides; the old server read and kept all of a 200 MB answer */
#define STALLED_GROWTH_LIMIT (50 * MIB)

static TestProc fake;

static TestProc
start_server (void)
{
  static const char * const options[] = { "--port=0", "--idle-timeout=5", NULL };
  g_autofree char *token_endpoint = g_strconcat (fake.url, "/token", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    test_server_launcher_new (G_SUBPROCESS_FLAGS_NONE, "rt-ok", fake.url, token_endpoint);

  /* no keyring for these servers: tests running beside this one own its contents */
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
  return test_server_start (launcher, options, NULL);
}

static char *
messages_body (const char *scenario, gboolean stream, gint64 max_tokens)
{
  return g_strdup_printf ("{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":%" G_GINT64_FORMAT
                          ",\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"Hello SCENARIO:%s\"}]}",
                          max_tokens, stream ? "true" : "false", scenario);
}

static TestReply
post_messages (TestProc *server, const char *scenario, gboolean stream, gint64 max_tokens)
{
  g_autofree char *url = g_strconcat (server->url, "/v1/messages", NULL);
  g_autofree char *body = messages_body (scenario, stream, max_tokens);
  g_autoptr(SoupMessage) msg = test_message_new ("POST", url, "application/json", body, strlen (body));

  return test_send (msg);
}

/* One of the fake's counters (GET /stats). */
static gint64
fake_stat (const char *name)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake.url);

  return json_object_get_int_member (stats, name);
}

/* A line of the server's /proc/PID/status, in KB: VmRSS now, VmHWM its peak. */
static guint64
server_memory_kb (TestProc *server, const char *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (server->process));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10);
}

/* The sanitizers keep freed memory for a while: no memory bound means anything under them. */
static gboolean
memory_is_measurable (void)
{
  return g_getenv ("AMQ_SANITIZED") == NULL;
}

static void
assert_healthy (TestProc *server)
{
  g_autofree char *url = g_strconcat (server->url, "/health", NULL);
  g_autoptr(SoupMessage) msg = test_message_new ("GET", url, NULL, NULL, 0);
  g_auto(TestReply) r = test_send (msg);

  g_assert_cmpuint (r.status, ==, 200);
}

/* A streaming request to @path on a raw connection, which then reads only as the test says. */
static GSocketConnection *
open_stream (TestProc *server, const char *path, const char *body)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  GSocketConnection *connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, NULL);
  g_autofree char *request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                              "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                                              path, strlen (body), body);

  g_assert_nonnull (connection);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
                                            strlen (request), NULL, NULL, NULL));
  return connection;
}

/* Reads from @connection until @until has come (NULL: to the end); returns the bytes read
 * and keeps in @tail the last read and a few KB before it. */
static guint64
read_stream (GSocketConnection *connection, const char *until, GString *tail)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  g_autofree char *buffer = g_malloc (256 * 1024);
  gboolean found = FALSE;
  guint64 total = 0;
  gssize got;

  while (!found && (got = g_input_stream_read (in, buffer, 256 * 1024, NULL, NULL)) > 0)
    {
      total += got;
      if (tail->len > 8192)
        g_string_erase (tail, 0, tail->len - 8192);
      g_string_append_len (tail, buffer, got);
      found = until != NULL && strstr (tail->str, until) != NULL;
    }
  return total;
}

/* Waits until the fake's written answer bytes stop growing for a second; returns them. */
static gint64
settled_answer_bytes (void)
{
  gint64 last = fake_stat ("answer_bytes");
  guint still = 0;

  for (guint i = 0; i < 300 && still < 5; i++)
    {
      gint64 now;

      g_usleep (200 * 1000);
      now = fake_stat ("answer_bytes");
      still = now == last ? still + 1 : 0;
      last = now;
    }
  return last;
}

/* A client that stops reading a 200 MB answer (the old server read it all from Amazon Q and
 * held it: 232 MB) costs the server a few megabytes and holds Amazon Q back; once the client
 * reads again, the whole answer comes, in order, to its end. */
static void
test_stalled_client_holds_upstream (void)
{
  TestProc server = start_server ();
  guint megabytes = memory_is_measurable () ? 200 : 64;
  g_autofree char *scenario = g_strdup_printf ("huge_%u", megabytes);
  g_autofree char *body = messages_body (scenario, TRUE, 100000000);
  g_autoptr(GString) tail = g_string_new (NULL);
  g_autoptr(GSocketConnection) stalled = NULL;
  gint64 sent_before, sent;
  guint64 resident_before, resident, received;

  {
    /* warm: the token, an upstream connection, the server's buffers */
    g_auto(TestReply) warm = post_messages (&server, "text", TRUE, 1024);
    g_assert_cmpuint (warm.status, ==, 200);
  }
  resident_before = server_memory_kb (&server, "VmRSS:");
  sent_before = settled_answer_bytes ();
  stalled = open_stream (&server, "/v1/messages", body);
  received = read_stream (stalled, "message_start", tail);
  sent = settled_answer_bytes () - sent_before;
  resident = server_memory_kb (&server, "VmRSS:");
  g_test_message ("a client stalled after %" G_GUINT64_FORMAT " bytes: the fake sent %" G_GINT64_FORMAT
                  " bytes of %u MB, the server grew from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " KB",
                  received, sent, megabytes, resident_before, resident);
  g_assert_cmpint (sent, <, STALLED_GROWTH_LIMIT);
  if (memory_is_measurable ())
    g_assert_cmpuint (resident, <, resident_before + STALLED_GROWTH_LIMIT / 1024);
  assert_healthy (&server);

  received += read_stream (stalled, NULL, tail);
  g_test_message ("then it read %" G_GUINT64_FORMAT " bytes", received);
  g_assert_cmpuint (received, >, (guint64) megabytes * MIB);
  g_assert_nonnull (strstr (tail->str, "\"stop_reason\":\"end_turn\""));
  g_assert_nonnull (strstr (tail->str, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
  test_proc_stop (&server, NULL);
}

/* A stalled client that then hangs up lets its upstream call go at once, though the server
 * had stopped reading it: nothing waits for a read that was never issued. */
static void
test_stalled_client_hangs_up (void)
{
  TestProc server = start_server ();
  g_autofree char *body = messages_body ("huge_64", TRUE, 100000000);
  g_autoptr(GString) tail = g_string_new (NULL);
  g_autoptr(GSocketConnection) stalled = open_stream (&server, "/v1/messages", body);
  gint64 closed_before = fake_stat ("closed_early");
  gint64 closed = closed_before;

  read_stream (stalled, "message_start", tail);
  settled_answer_bytes ();
  g_assert_true (g_io_stream_close (G_IO_STREAM (stalled), NULL, NULL));
  for (guint wait = 0; wait < 40 && closed == closed_before; wait++)
    {
      g_usleep (50 * 1000);
      closed = fake_stat ("closed_early");
    }
  g_assert_cmpint (closed, ==, closed_before + 1);
  assert_healthy (&server);
  test_proc_stop (&server, NULL);
}

/* A collected (non-streaming) answer past 32 MiB is a 400 the SDKs do not retry, at once:
 * the server stops reading Amazon Q there rather than holding all of it. */
static void
test_collected_answer_capped (void)
{
  TestProc server = start_server ();
  gint64 closed_before = fake_stat ("closed_early");
  guint64 peak_before = server_memory_kb (&server, "VmHWM:");
  g_auto(TestReply) r = post_messages (&server, "huge_64", FALSE, 100000000);
  guint64 peak = server_memory_kb (&server, "VmHWM:");
  g_autoptr(JsonObject) answer = NULL;
  JsonObject *error;

  g_test_message ("%u in %" G_GINT64_FORMAT " ms, peak %" G_GUINT64_FORMAT " KB (%" G_GUINT64_FORMAT
                  " before): %.300s", r.status, r.elapsed_ms, peak, peak_before, r.body);
  g_assert_cmpuint (r.status, ==, 400);
  answer = test_parse_object (r.body);
  error = json_object_get_object_member (answer, "error");
  g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, "invalid_request_error");
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), "\"stream\": true"));
  /* the upstream answer was let go before its end */
  g_usleep (200 * 1000);
  g_assert_cmpint (fake_stat ("closed_early"), ==, closed_before + 1);
  /* the 32 MiB held and little more; the old server held the 64 MB and its JSON */
  if (memory_is_measurable ())
    g_assert_cmpuint (peak, <, peak_before + 56 * 1024);
  assert_healthy (&server);
  test_proc_stop (&server, NULL);
}

/* A streamed Responses answer repeats its output in its last events, so it is kept, up to the
 * same 32 MiB: past them the stream fails with the reason (never a response.completed with a
 * cut output), and the server stops reading Amazon Q. */
static void
test_responses_stream_capped (void)
{
  TestProc server = start_server ();
  gint64 closed_before = fake_stat ("closed_early");
  const char *body = "{\"model\":\"claude-sonnet-4-5\",\"stream\":true,\"max_output_tokens\":100000000,\"input\":\"Hello SCENARIO:huge_64\"}";
  g_autoptr(GSocketConnection) connection = open_stream (&server, "/v1/responses", body);
  g_autoptr(GString) tail = g_string_new (NULL);
  guint64 total = read_stream (connection, "event: response.failed", tail);
  const char *failure = strstr (tail->str, "event: error");

  g_test_message ("%" G_GUINT64_FORMAT " bytes to the failure: %.600s", total, failure);
  g_assert_nonnull (failure);
  g_assert_nonnull (strstr (failure, "grew past 32 MiB"));
  g_assert_nonnull (strstr (failure, "\"type\":\"invalid_request_error\""));
  g_assert_null (strstr (tail->str, "response.completed"));
  /* and the stream ends there, its body complete */
  g_string_truncate (tail, 0);
  read_stream (connection, NULL, tail);
  g_assert_true (g_str_has_suffix (tail->str, "}\n\n\r\n0\r\n\r\n"));
  g_usleep (200 * 1000);
  g_assert_cmpint (fake_stat ("closed_early"), ==, closed_before + 1);
  assert_healthy (&server);
  test_proc_stop (&server, NULL);
}

/* The text of an answer, streamed (its text deltas) or not (its text blocks). */
static char *
answer_text (const char *body, gboolean stream)
{
  GString *text = g_string_new (NULL);

  if (!stream)
    {
      g_autoptr(JsonObject) message = test_parse_object (body);
      JsonArray *content = json_object_get_array_member (message, "content");

      for (guint i = 0; i < json_array_get_length (content); i++)
        {
          JsonObject *block = json_array_get_object_element (content, i);

          if (g_str_equal (json_object_get_string_member (block, "type"), "text"))
            g_string_append (text, json_object_get_string_member (block, "text"));
        }
      return g_string_free (text, FALSE);
    }
  for (const char *p = body; (p = strstr (p, "data: {\"type\":\"content_block_delta\"")) != NULL; p++)
    {
      g_autofree char *line = g_strndup (p + 6, strcspn (p + 6, "\n"));
      g_autoptr(JsonObject) event = test_parse_object (line);
      JsonObject *delta = json_object_get_object_member (event, "delta");

      if (json_object_has_member (delta, "text"))
        g_string_append (text, json_object_get_string_member (delta, "text"));
    }
  return g_string_free (text, FALSE);
}

typedef struct {
  const char *scenario;
  gboolean    stream;
  gint64      max_tokens;
  const char *text;          /* what is left of the answer */
  gint64      output_tokens;
} MaxTokensRow;

/* Amazon Q has no max_tokens: the server ends the answer where its estimate reaches it, with
 * stop_reason "max_tokens", the text cut between characters (12 units a token: 3 a letter, 7
 * a punctuation mark), no tool call that does not fit, and the upstream let go at once. */
static void
test_max_tokens_ends_answer (void)
{
  static const MaxTokensRow rows[] = {
    /* "Hello," is 22 units, the blank after it would make 25 */
    { "text", TRUE, 2, "Hello,", 2 },
    { "text", FALSE, 2, "Hello,", 2 },
    /* "Let me look." is 40 units; the Bash call's input is far past 60 */
    { "tool_use", TRUE, 5, "Let me look.", 4 },
    { "tool_use", FALSE, 5, "Let me look.", 4 },
    { "huge_200", TRUE, 1000, NULL, 1000 },
  };
  TestProc server = start_server ();

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const MaxTokensRow *row = &rows[i];
      gint64 closed_before = fake_stat ("closed_early");
      gint64 sent_before = fake_stat ("answer_bytes");
      g_auto(TestReply) r = post_messages (&server, row->scenario, row->stream, row->max_tokens);
      g_autofree char *text = NULL;
      g_autofree char *usage = g_strdup_printf ("\"output_tokens\":%" G_GINT64_FORMAT "}", row->output_tokens);

      g_test_message ("%s stream=%d max_tokens=%" G_GINT64_FORMAT ": %u in %" G_GINT64_FORMAT " ms: %.400s",
                      row->scenario, row->stream, row->max_tokens, r.status, r.elapsed_ms, r.body);
      g_assert_cmpuint (r.status, ==, 200);
      g_assert_nonnull (strstr (r.body, "\"stop_reason\":\"max_tokens\""));
      g_assert_nonnull (strstr (r.body, usage));
      g_assert_null (strstr (r.body, "tool_use"));
      text = answer_text (r.body, row->stream);
      if (row->text != NULL)
        g_assert_cmpstr (text, ==, row->text);
      if (row->stream)
        g_assert_true (g_str_has_suffix (r.body, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
      if (g_str_has_prefix (row->scenario, "huge"))
        {
          /* 1,000 tokens of a 200 MB answer: the fake saw its connection go at once */
          g_usleep (200 * 1000);
          g_assert_cmpint (fake_stat ("closed_early"), ==, closed_before + 1);
          g_assert_cmpint (fake_stat ("answer_bytes") - sent_before, <, STALLED_GROWTH_LIMIT);
          g_assert_cmpint (r.elapsed_ms, <, 5000);
        }
    }
  assert_healthy (&server);
  test_proc_stop (&server, NULL);
}

typedef struct {
  const char *scenario;
  gboolean    stream;
  const char *says;   /* in the error's message */
} OneCallRow;

/* However the upstream or its connection fails, a generation request reaches Amazon Q once
 * (it may bill each): libsoup resent it after a 421 and followed redirects with a second call;
 * a connection that dies once the request is in is an error, not a resend. Each fault comes
 * on a kept-alive connection, where libsoup would restart a request it may repeat. */
static void
test_one_upstream_call_per_request (void)
{
  static const OneCallRow rows[] = {
    { "drop", TRUE, "Connection terminated" },
    { "drop", FALSE, "Connection terminated" },
    { "http_421", FALSE, "not sent a second time" },
    { "http_421", TRUE, "not sent a second time" },
    { "http_301", FALSE, "HTTP 301" },
  };
  TestProc server = start_server ();

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const OneCallRow *row = &rows[i];
      gint64 requests;

      {
        g_auto(TestReply) warm = post_messages (&server, "text", FALSE, 1024);
        g_assert_cmpuint (warm.status, ==, 200);
      }
      requests = fake_stat ("requests");
      {
        g_auto(TestReply) r = post_messages (&server, row->scenario, row->stream, 1024);
        g_autoptr(JsonObject) answer = NULL;
        JsonObject *error;

        g_test_message ("%s stream=%d: %u %.300s", row->scenario, row->stream, r.status, r.body);
        g_assert_cmpint (fake_stat ("requests") - requests, ==, 1);
        g_assert_cmpuint (r.status, ==, 502);
        answer = test_parse_object (r.body);
        error = json_object_get_object_member (answer, "error");
        g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, "api_error");
        g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), row->says));
      }
    }
  assert_healthy (&server);
  test_proc_stop (&server, NULL);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  fake.process = test_start_fake_upstream (&fake.url);

  g_test_add_func ("/flow/stalled-client-holds-upstream", test_stalled_client_holds_upstream);
  g_test_add_func ("/flow/stalled-client-hangs-up", test_stalled_client_hangs_up);
  g_test_add_func ("/flow/collected-answer-capped", test_collected_answer_capped);
  g_test_add_func ("/flow/responses-stream-capped", test_responses_stream_capped);
  g_test_add_func ("/flow/max-tokens-ends-answer", test_max_tokens_ends_answer);
  g_test_add_func ("/flow/one-upstream-call-per-request", test_one_upstream_call_per_request);
  status = g_test_run ();
  g_subprocess_send_signal (fake.process, SIGTERM);
  return status;
}
