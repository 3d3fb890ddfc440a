/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-openai-server.c: POST /v1/chat/completions and POST /v1/responses end to end: the
 * server, run in this process so the test can read its request log, against the fake Amazon Q.
 * Keys, usage from Amazon Q's own counts, HTTP errors, failures mid-stream, error wording and
 * a client going away, each in OpenAI's shapes. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "test-util.h"

static char *fake_url;

/* The fake's usage scenario: Amazon Q's tokenUsage, 2048 uncached + 80000 read from the cache
 * + 1408 written to it, 3 out, 83459 in all. */
#define USAGE_PROMPT 83456
#define USAGE_CACHED 80000
#define USAGE_WRITTEN 1408
#define USAGE_OUTPUT 3
#define USAGE_TOTAL  83459

typedef enum { CHAT, RESPONSES } Api;

static const char * const paths[] = { [CHAT] = "/v1/chat/completions", [RESPONSES] = "/v1/responses" };

static char *
request_body (Api api, const char *scenario, gboolean stream)
{
  if (api == CHAT)
    return g_strdup_printf ("{\"model\":\"gpt-test\",\"stream\":%s%s,\"messages\":[{\"role\":\"user\","
                            "\"content\":\"Hello SCENARIO:%s\"}]}", stream ? "true" : "false",
                            stream ? ",\"stream_options\":{\"include_usage\":true}" : "", scenario);
  return g_strdup_printf ("{\"model\":\"gpt-test\",\"stream\":%s,\"input\":\"Hello SCENARIO:%s\"}",
                          stream ? "true" : "false", scenario);
}

static SoupMessage *
post_message (AmqServer *server, Api api, const char *body, const char *bearer)
{
  g_autofree char *url = g_strconcat (amq_server_get_url (server), paths[api], NULL);
  SoupMessage *msg = test_message_new ("POST", url, "application/json", body, strlen (body));

  if (bearer != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", bearer, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  return msg;
}

static TestReply
post (AmqServer *server, Api api, const char *body)
{
  g_autoptr(SoupMessage) msg = post_message (server, api, body, NULL);

  return test_send_spinning (msg);
}

static TestReply
post_scenario (AmqServer *server, Api api, const char *scenario, gboolean stream)
{
  g_autofree char *body = request_body (api, scenario, stream);

  return post (server, api, body);
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  if (node == NULL)
    g_error ("not JSON (%s): %.300s", error->message, text);
  return node;
}

static JsonObject *
member (JsonNode *node, const char *name)
{
  return json_object_get_object_member (json_node_get_object (node), name);
}

/* The newest record, once it is finished. */
static AmqRequestRecord *
newest_record (AmqServer *server)
{
  AmqRequestRecord *record = g_list_model_get_item (G_LIST_MODEL (amq_server_get_request_log (server)), 0);

  while (!amq_request_record_get_finished (record))
    g_main_context_iteration (NULL, TRUE);
  return record;
}

/* The data of a stream's last chunk before "data: [DONE]", or of its event @type. */
static JsonNode *
stream_event (const char *stream, const char *type)
{
  g_auto(GStrv) events = g_strsplit (stream, "\n\n", -1);
  g_autofree char *wanted = type ? g_strdup_printf ("event: %s\ndata: ", type) : NULL;
  const char *found = NULL;

  for (guint i = 0; events[i] != NULL; i++)
    {
      if (type != NULL && g_str_has_prefix (events[i], wanted))
        found = events[i] + strlen (wanted);
      else if (type == NULL && g_str_equal (events[i], "data: [DONE]"))
        break;
      else if (type == NULL && g_str_has_prefix (events[i], "data: "))
        found = events[i] + strlen ("data: ");
    }
  g_assert_nonnull (found);
  return parse (found);
}

static void
assert_openai_error (const char *body, const char *type, const char *code, const char *fragment)
{
  g_autoptr(JsonNode) node = parse (body);
  JsonObject *error = member (node, "error");

  g_assert_false (json_object_has_member (json_node_get_object (node), "type"));
  g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, type);
  g_assert_cmpstr (json_object_get_string_member_with_default (error, "code", NULL), ==, code);
  g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), fragment));
}

/* Each request is logged with its API; a wrong key is refused in OpenAI's shape and logged. */
static void
test_request_log_and_key (void)
{
  g_autoptr(AmqServer) server = test_local_server_new (fake_url);
  g_autofree char *chat = request_body (CHAT, "text", FALSE);
  g_autofree char *responses = request_body (RESPONSES, "text", TRUE);
  static const struct { Api api; AmqRequestApi logged; } rows[] = {
    { CHAT, AMQ_REQUEST_API_OPENAI_CHAT },
    { RESPONSES, AMQ_REQUEST_API_OPENAI_RESPONSES },
  };

  amq_server_set_api_key (server, "local-key-123");
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const char *body = rows[i].api == CHAT ? chat : responses;
      g_autoptr(SoupMessage) good = post_message (server, rows[i].api, body, "local-key-123");
      g_autoptr(SoupMessage) bad = post_message (server, rows[i].api, body, "local-key-124");
      g_auto(TestReply) answered = test_send_spinning (good);
      g_autoptr(AmqRequestRecord) ok = newest_record (server);
      g_auto(TestReply) refused = test_send_spinning (bad);
      g_autoptr(AmqRequestRecord) wrong = newest_record (server);

      g_assert_cmpuint (answered.status, ==, 200);
      g_assert_cmpint (amq_request_record_get_api (ok), ==, rows[i].logged);
      g_assert_cmpstr (amq_request_record_get_path (ok), ==, paths[rows[i].api]);
      g_assert_cmpstr (amq_request_record_get_model_asked (ok), ==, "gpt-test");
      g_assert_true (amq_request_record_get_stream (ok) == (rows[i].api == RESPONSES));
      g_assert_cmpuint (amq_request_record_get_status (ok), ==, 200);
      g_assert_null (amq_request_record_get_error (ok));
      g_assert_cmpuint (refused.status, ==, 401);
      assert_openai_error (refused.body, "invalid_request_error", "invalid_api_key", "Incorrect API key provided");
      g_assert_null (strstr (refused.body, "local-key"));
      g_assert_cmpint (amq_request_record_get_api (wrong), ==, rows[i].logged);
      g_assert_cmpuint (amq_request_record_get_status (wrong), ==, 401);
      /* OpenAI's SDKs read the request id from x-request-id */
      g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (good), "x-request-id"),
                       ==, answered.request_id);
    }
}

static void
assert_chat_usage (JsonObject *usage)
{
  g_assert_cmpint (json_object_get_int_member (usage, "prompt_tokens"), ==, USAGE_PROMPT);
  g_assert_cmpint (json_object_get_int_member (usage, "completion_tokens"), ==, USAGE_OUTPUT);
  g_assert_cmpint (json_object_get_int_member (usage, "total_tokens"), ==, USAGE_TOTAL);
  usage = json_object_get_object_member (usage, "prompt_tokens_details");
  g_assert_cmpint (json_object_get_int_member (usage, "cached_tokens"), ==, USAGE_CACHED);
  g_assert_cmpint (json_object_get_int_member (usage, "cache_write_tokens"), ==, USAGE_WRITTEN);
}

static void
assert_responses_usage (JsonObject *usage)
{
  g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, USAGE_PROMPT);
  g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), ==, USAGE_OUTPUT);
  g_assert_cmpint (json_object_get_int_member (usage, "total_tokens"), ==, USAGE_TOTAL);
  usage = json_object_get_object_member (usage, "input_tokens_details");
  g_assert_cmpint (json_object_get_int_member (usage, "cached_tokens"), ==, USAGE_CACHED);
  g_assert_cmpint (json_object_get_int_member (usage, "cache_write_tokens"), ==, USAGE_WRITTEN);
}

/* OpenAI's input counts include the tokens read from the cache and those written to it, and
 * tell each part (cached_tokens, cache_write_tokens); the totals are Amazon Q's. */
static void
test_usage (void)
{
  g_autoptr(AmqServer) server = test_local_server_new (fake_url);
  g_auto(TestReply) chat = post_scenario (server, CHAT, "usage", FALSE);
  g_auto(TestReply) chat_stream = post_scenario (server, CHAT, "usage", TRUE);
  g_auto(TestReply) response = post_scenario (server, RESPONSES, "usage", FALSE);
  g_auto(TestReply) response_stream = post_scenario (server, RESPONSES, "usage", TRUE);
  g_autoptr(JsonNode) chat_json = parse (chat.body);
  g_autoptr(JsonNode) chat_last = stream_event (chat_stream.body, NULL);
  g_autoptr(JsonNode) response_json = parse (response.body);
  g_autoptr(JsonNode) completed = stream_event (response_stream.body, "response.completed");

  assert_chat_usage (member (chat_json, "usage"));
  assert_chat_usage (member (chat_last, "usage"));
  assert_responses_usage (member (response_json, "usage"));
  assert_responses_usage (json_object_get_object_member (member (completed, "response"), "usage"));
}

/* Amazon Q's refusals keep their status, in OpenAI's shape; a 429 tells when to retry. */
static void
test_http_errors (void)
{
  static const struct { const char *scenario; guint status; const char *type, *code, *fragment; } rows[] = {
    { "http_429", 429, "requests", "rate_limit_exceeded", "Monthly request limit" },
    { "http_400", 400, "invalid_request_error", NULL, "Improperly formed request." },
    { "http_400_too_long", 400, "invalid_request_error", "context_length_exceeded", "maximum context length is" },
    { "http_403_suspended", 403, "invalid_request_error", NULL, "suspended" },
    { "http_429_capacity", 529, "server_error", "server_is_overloaded", "high traffic" },
  };
  g_autoptr(AmqServer) server = test_local_server_new (fake_url);

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    for (guint api = CHAT; api <= RESPONSES; api++)
      for (guint stream = 0; stream < 2; stream++)
        {
          g_auto(TestReply) r = post_scenario (server, api, rows[i].scenario, stream);

          g_test_message ("%s %s stream=%u -> %u %s", paths[api], rows[i].scenario, stream, r.status, r.body);
          g_assert_cmpuint (r.status, ==, rows[i].status);
          g_assert_true (g_str_has_prefix (r.content_type, "application/json"));
          assert_openai_error (r.body, rows[i].type, rows[i].code, rows[i].fragment);
          if (r.status == 429)
            g_assert_cmpstr (r.retry_after, ==, "17");
        }
}

/* A failure after the first chunk ends a chat stream with its error object and no [DONE], a
 * Responses stream with an error event and response.failed; the log has the error. */
static void
test_mid_stream_failure (void)
{
  g_autoptr(AmqServer) server = test_local_server_new (fake_url);
  g_auto(TestReply) chat = post_scenario (server, CHAT, "exception", TRUE);
  g_autoptr(AmqRequestRecord) chat_record = newest_record (server);
  g_auto(TestReply) responses = post_scenario (server, RESPONSES, "exception", TRUE);
  g_autoptr(AmqRequestRecord) responses_record = newest_record (server);
  g_autoptr(JsonNode) chat_error = stream_event (chat.body, NULL);
  g_autoptr(JsonNode) error_event = stream_event (responses.body, "error");
  g_autoptr(JsonNode) failed = stream_event (responses.body, "response.failed");

  g_assert_cmpuint (chat.status, ==, 200);
  g_assert_nonnull (strstr (chat.body, "\"content\":\"Partial answer\""));
  g_assert_null (strstr (chat.body, "[DONE]"));
  g_assert_true (g_str_has_suffix (chat.body, "}}\n\n"));
  g_assert_cmpstr (json_object_get_string_member (member (chat_error, "error"), "code"), ==, "rate_limit_exceeded");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (error_event), "code"), ==, "rate_limit_exceeded");
  g_assert_cmpstr (json_object_get_string_member (member (failed, "response"), "status"), ==, "failed");
  g_assert_true (g_str_has_prefix (strrchr (g_strstrip (responses.body), '\n') + 1, "data: {\"type\":\"response.failed\""));
  for (guint i = 0; i < 2; i++)
    {
      AmqRequestRecord *record = i == 0 ? chat_record : responses_record;

      g_assert_cmpuint (amq_request_record_get_status (record), ==, 200);
      g_assert_true (amq_request_record_is_error (record));
    }
}

/* What the converter refuses names the client's own field: input on the Responses API. */
static void
test_conversation_field (void)
{
  static const char image[] = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
  g_autoptr(AmqServer) server = test_local_server_new (fake_url);
  g_autoptr(GString) chat = g_string_new ("{\"model\":\"gpt-test\",\"messages\":[{\"role\":\"user\",\"content\":[");
  g_autoptr(GString) responses = g_string_new ("{\"model\":\"gpt-test\",\"input\":[{\"role\":\"user\",\"content\":[");

  for (guint i = 0; i < 11; i++)
    {
      g_string_append_printf (chat, "{\"type\":\"image_url\",\"image_url\":{\"url\":\"%s\"}},", image);
      g_string_append_printf (responses, "{\"type\":\"input_image\",\"image_url\":\"%s\"},", image);
    }
  g_string_append (chat, "{\"type\":\"text\",\"text\":\"eleven\"}]}]}");
  g_string_append (responses, "{\"type\":\"input_text\",\"text\":\"eleven\"}]}]}");
  {
    g_auto(TestReply) c = post (server, CHAT, chat->str);
    g_auto(TestReply) r = post (server, RESPONSES, responses->str);
    g_autoptr(JsonNode) chat_error = parse (c.body);
    g_autoptr(JsonNode) responses_error = parse (r.body);

    g_assert_cmpuint (c.status, ==, 400);
    g_assert_cmpuint (r.status, ==, 400);
    g_assert_true (g_str_has_prefix (json_object_get_string_member (member (chat_error, "error"), "message"),
                                     "messages: too many images"));
    g_assert_cmpstr (json_object_get_string_member (member (chat_error, "error"), "param"), ==, "messages");
    g_assert_true (g_str_has_prefix (json_object_get_string_member (member (responses_error, "error"), "message"),
                                     "input: too many images"));
    g_assert_cmpstr (json_object_get_string_member (member (responses_error, "error"), "param"), ==, "input");
  }
}

typedef struct {
  GInputStream *stream;
  GString      *seen;
  gboolean      done;
  guint8        buffer[4096];
} Reading;

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reading *reading = user_data;

  reading->stream = soup_session_send_finish (SOUP_SESSION (source), result, NULL);
  reading->done = TRUE;
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reading *reading = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n > 0)
    g_string_append_len (reading->seen, (const char *) reading->buffer, n);
  reading->done = TRUE;
}

static void
wait_for (Reading *reading)
{
  while (!reading->done)
    g_main_context_iteration (NULL, TRUE);
  reading->done = FALSE;
}

static gint64
fake_closed_early (void)
{
  g_autofree char *url = g_strconcat (fake_url, "/stats", NULL);
  g_autoptr(SoupMessage) msg = test_message_new ("GET", url, NULL, NULL, 0);
  g_auto(TestReply) r = test_send_spinning (msg);
  g_autoptr(JsonNode) stats = parse (r.body);

  return json_object_get_int_member (json_node_get_object (stats), "closed_early");
}

/* A client that hangs up mid-stream: its upstream call ends at once and nothing more is
 * written for it (its channel is detached); the log says 499. */
static void
test_client_gone (void)
{
  for (guint api = CHAT; api <= RESPONSES; api++)
    {
      g_autoptr(AmqServer) server = test_local_server_new (fake_url);
      g_autoptr(SoupSession) session = soup_session_new_with_options ("proxy-resolver", NULL, NULL);
      g_autofree char *body = request_body (api, "slow", TRUE);
      g_autoptr(SoupMessage) msg = post_message (server, api, body, NULL);
      g_autoptr(GString) seen = g_string_new (NULL);
      Reading reading = { .seen = seen };
      gint64 closed = fake_closed_early ();
      g_autoptr(AmqRequestRecord) record = NULL;

      soup_session_send_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &reading);
      wait_for (&reading);
      g_assert_nonnull (reading.stream);
      while (strstr (seen->str, "slow") == NULL)
        {
          g_input_stream_read_async (reading.stream, reading.buffer, sizeof reading.buffer, G_PRIORITY_DEFAULT,
                                     NULL, on_read, &reading);
          wait_for (&reading);
        }
      g_input_stream_close (reading.stream, NULL, NULL);
      g_clear_object (&reading.stream);
      soup_session_abort (session);
      record = newest_record (server);
      g_assert_cmpuint (amq_request_record_get_status (record), ==, 499);
      while (fake_closed_early () == closed)
        g_usleep (10000);
    }
}

int
main (int argc, char **argv)
{
  GSubprocess *fake;
  int status;

  g_test_init (&argc, &argv, NULL);
  fake = test_start_fake_upstream (&fake_url);
  g_test_add_func ("/openai-server/request-log-and-key", test_request_log_and_key);
  g_test_add_func ("/openai-server/usage", test_usage);
  g_test_add_func ("/openai-server/http-errors", test_http_errors);
  g_test_add_func ("/openai-server/mid-stream-failure", test_mid_stream_failure);
  g_test_add_func ("/openai-server/conversation-field", test_conversation_field);
  g_test_add_func ("/openai-server/client-gone", test_client_gone);
  status = g_test_run ();
  g_subprocess_send_signal (fake, SIGTERM);
  g_subprocess_wait (fake, NULL, NULL);
  /* a clean exit: under the sanitizers a leak or an error report makes it non-zero */
  g_assert_true (g_subprocess_get_if_exited (fake));
  g_assert_cmpint (g_subprocess_get_exit_status (fake), ==, 0);
  g_object_unref (fake);
  g_free (fake_url);
  return status;
}
