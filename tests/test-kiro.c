/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-kiro.c: today's Amazon Q (the service Kiro talks to), end to end: the fake upstream in
 * its strict mode refuses what the real service refuses; the server, run in this process so
 * the test can reach its settings and request log, speaks the dialect, reports real usage,
 * records credits, maps quota errors and stops oversized bodies before they leave. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "amq-server.h"
#include "q-validator.h"
#include "test-util.h"

static GSubprocess *fake;
static char *fake_url;

/* ---- HTTP ---- */

/* Waits on the main context: the server under test answers from this process. */
static TestReply
http (const char *method, const char *url, const char *body, const char *token)
{
  g_autoptr(SoupMessage) msg = test_message_new (method, url, body ? "application/json" : NULL, body,
                                                 body ? strlen (body) : 0);

  if (token != NULL)
    {
      g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
    }
  return test_send_spinning (msg);
}

/* A call straight to the fake, as Amazon Q's own clients make them. */
static TestReply
fake_call (const char *target, const char *body, const char *token)
{
  g_autofree char *url = g_strconcat (fake_url, "/", NULL);
  g_autoptr(SoupMessage) msg = test_message_new ("POST", url, "application/x-amz-json-1.0", body, strlen (body));
  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Amz-Target", target);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", bearer);
  return test_send (msg);
}

static gdouble
fake_stat (const char *name)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake_url);

  return json_object_get_double_member (stats, name);
}

static char *
fake_last_body (void)
{
  g_autofree char *url = g_strconcat (fake_url, "/last-body", NULL);
  g_auto(TestReply) reply = http ("GET", url, NULL, NULL);

  return g_steal_pointer (&reply.body);
}

/* An access token the fake issued, from its token endpoint. */
static char *
fake_access_token (void)
{
  g_autofree char *url = g_strconcat (fake_url, "/token", NULL);
  g_auto(TestReply) reply = http ("POST", url, "{\"grantType\":\"refresh_token\",\"refreshToken\":\"rt-ok\","
                                               "\"clientId\":\"c\",\"clientSecret\":\"s\"}", NULL);
  g_autoptr(JsonObject) answer = test_parse_object (reply.body);

  return g_strdup (json_object_get_string_member (answer, "accessToken"));
}

/* ---- the server, in this process ---- */

typedef struct {
  AmqAccountPool  *pool;
  AmqUpstream     *upstream;
  AmqModelMap     *models;
  AmqServer       *server;
} Local;

static void
local_stop (Local *local)
{
  amq_server_stop (local->server);
  g_clear_object (&local->server);
  g_clear_object (&local->models);
  g_clear_object (&local->upstream);
  g_clear_object (&local->pool);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Local, local_stop)

static Local local_start_with_profile (const char *profile_arn);

static Local
local_start (void)
{
  return local_start_with_profile (NULL);
}

/* A server in this process with one account naming @profile_arn (NULL: its default). */
static Local
local_start_with_profile (const char *profile_arn)
{
  const char *refresh_tokens[] = { "rt-ok", NULL };
  g_autoptr(GError) error = NULL;
  Local local;

  local.pool = test_pool_new (fake_url, refresh_tokens, profile_arn);
  local.upstream = amq_upstream_new (fake_url);
  amq_upstream_set_proxy_resolver (local.upstream, NULL);
  local.models = amq_model_map_new ();
  local.server = amq_server_new (local.pool, local.upstream, local.models);
  g_assert_true (amq_server_start (local.server, "127.0.0.1", 0, &error));
  g_assert_no_error (error);
  return local;
}

static TestReply
post_messages (Local *local, const char *scenario, gboolean stream)
{
  g_autofree char *url = g_strconcat (amq_server_get_url (local->server), "/v1/messages?beta=true", NULL);
  g_autofree char *body = test_messages_body (scenario, stream);

  return http ("POST", url, body, NULL);
}

static JsonObject *
error_of (const char *body)
{
  g_autoptr(JsonObject) answer = test_parse_object (body);

  g_assert_cmpstr (json_object_get_string_member (answer, "type"), ==, "error");
  return json_object_ref (json_object_get_object_member (answer, "error"));
}

/* The data of the stream's first event named @event. */
static JsonObject *
sse_event (const char *stream, const char *event)
{
  g_autofree char *marker = g_strdup_printf ("event: %s\ndata: ", event);
  const char *at = strstr (stream, marker);
  g_autofree char *data = NULL;

  g_assert_nonnull (at);
  at += strlen (marker);
  data = g_strndup (at, strcspn (at, "\n"));
  return test_parse_object (data);
}

static void
assert_usage (JsonObject *usage, gint64 input, gint64 cache_creation, gint64 cache_read, gint64 output)
{
  g_assert_cmpint (json_object_get_int_member (usage, "input_tokens"), ==, input);
  g_assert_cmpint (json_object_get_int_member (usage, "cache_creation_input_tokens"), ==, cache_creation);
  g_assert_cmpint (json_object_get_int_member (usage, "cache_read_input_tokens"), ==, cache_read);
  g_assert_cmpint (json_object_get_int_member (usage, "output_tokens"), ==, output);
}

/* ---- the fake is as strict as the service ---- */

#define GOOD_STATE "\"conversationId\":\"c-1\",\"chatTriggerType\":\"MANUAL\",\"agentTaskType\":\"vibe\"," \
                   "\"agentContinuationId\":\"5b1e3c2a-8f0d-4c6e-9a7b-1d2e3f405162\""
#define GOOD_CURRENT "\"currentMessage\":{\"userInputMessage\":{\"content\":\"Hi\",\"modelId\":\"claude-sonnet-4.5\"," \
                     "\"origin\":\"KIRO_CLI\"}}"
#define BUILDER_ID "\"profileArn\":\"" AMQ_PROFILE_ARN_BUILDER_ID "\""
#define IMPROPER "{\"__type\":\"com.amazon.aws.codewhisperer#ValidationException\",\"message\":\"Improperly formed request.\"}"
#define PROFILE_REQUIRED "{\"message\":\"profileArn is required for this request.\",\"reason\":null}"
#define TOKEN_REFUSED "The bearer token included in the request is invalid."

typedef struct { const char *what; const char *body; gboolean bad_token; guint status; const char *answer; } Refusal;

/* Each row sent to @target: the fake answers with the row's status and, when given, body. */
static void
assert_answers (const char *target, const Refusal *rows, guint n_rows)
{
  g_autofree char *token = fake_access_token ();

  for (guint i = 0; i < n_rows; i++)
    {
      g_auto(TestReply) reply = fake_call (target, rows[i].body, rows[i].bad_token ? "at-forged" : token);

      g_test_message ("%s, %s: %u %.200s", target, rows[i].what, reply.status, reply.body);
      g_assert_cmpuint (reply.status, ==, rows[i].status);
      if (rows[i].answer != NULL)
        g_assert_cmpstr (reply.body, ==, rows[i].answer);
      else if (reply.status == 200 && g_str_has_suffix (target, "ListAvailableModels"))
        g_assert_nonnull (strstr (reply.body, "\"models\":["));
    }
}

static void
test_fake_refuses_what_the_service_refuses (void)
{
  static const Refusal rows[] = {
    { "well formed", "{\"conversationState\":{" GOOD_STATE "," GOOD_CURRENT "}," BUILDER_ID "}", FALSE, 200, NULL },
    { "origin CLI", "{\"conversationState\":{" GOOD_STATE ",\"currentMessage\":{\"userInputMessage\":{\"content\":\"Hi\","
      "\"modelId\":\"claude-sonnet-4.5\",\"origin\":\"CLI\"}}}," BUILDER_ID "}", FALSE, 400, IMPROPER },
    { "history without origin", "{\"conversationState\":{" GOOD_STATE ",\"history\":[{\"userInputMessage\":{\"content\":\"a\"}},"
      "{\"assistantResponseMessage\":{\"messageId\":\"m\",\"content\":\"b\"}}]," GOOD_CURRENT "}," BUILDER_ID "}", FALSE, 400, IMPROPER },
    { "no agentTaskType", "{\"conversationState\":{\"conversationId\":\"c-1\",\"chatTriggerType\":\"MANUAL\","
      "\"agentContinuationId\":\"5b1e3c2a-8f0d-4c6e-9a7b-1d2e3f405162\"," GOOD_CURRENT "}," BUILDER_ID "}", FALSE, 400, IMPROPER },
    { "continuation id not a UUID", "{\"conversationState\":{\"conversationId\":\"c-1\",\"chatTriggerType\":\"MANUAL\","
      "\"agentTaskType\":\"vibe\",\"agentContinuationId\":\"c-1\"," GOOD_CURRENT "}," BUILDER_ID "}", FALSE, 400, IMPROPER },
    { "no profileArn", "{\"conversationState\":{" GOOD_STATE "," GOOD_CURRENT "}}", FALSE, 400, PROFILE_REQUIRED },
    { "not a profile ARN", "{\"conversationState\":{" GOOD_STATE "," GOOD_CURRENT "},\"profileArn\":\"arn:aws:iam::1:user/me\"}",
      FALSE, 400, "{\"message\":\"Invalid profileArn.\",\"reason\":null}" },
    { "a token it never issued", "{\"conversationState\":{" GOOD_STATE "," GOOD_CURRENT "}," BUILDER_ID "}", TRUE, 403,
      "{\"__type\":\"com.amazon.aws.codewhisperer#AccessDeniedException\",\"message\":\"" TOKEN_REFUSED "\"}" },
  };
  g_autofree char *token = fake_access_token ();
  g_autofree char *padding = g_strnfill (Q_MAX_BODY_BYTES, 'x');
  g_autofree char *oversized = g_strdup_printf ("{\"conversationState\":{" GOOD_STATE ",\"currentMessage\":{\"userInputMessage\":"
                                                "{\"content\":\"%s\",\"modelId\":\"claude-sonnet-4.5\",\"origin\":\"KIRO_CLI\"}}},"
                                                BUILDER_ID "}", padding);

  assert_answers ("AmazonCodeWhispererStreamingService.GenerateAssistantResponse", rows, G_N_ELEMENTS (rows));
  {
    g_auto(TestReply) reply = fake_call ("AmazonCodeWhispererStreamingService.GenerateAssistantResponse", oversized,
                                         token);

    /* past ~615 KB the service says nothing a client can act on */
    g_assert_cmpuint (reply.status, ==, 400);
    g_assert_cmpstr (reply.body, ==, IMPROPER);
  }
}

static void
test_fake_model_list_and_usage_limits_are_strict (void)
{
  static const Refusal lists[] = {
    { "well formed", "{\"origin\":\"KIRO_CLI\"," BUILDER_ID "}", FALSE, 200, NULL },
    { "origin CLI", "{\"origin\":\"CLI\"," BUILDER_ID "}", FALSE, 400, IMPROPER },
    { "no profileArn", "{\"origin\":\"KIRO_CLI\"}", FALSE, 400, PROFILE_REQUIRED },
    { "a token it never issued", "{\"origin\":\"KIRO_CLI\"," BUILDER_ID "}", TRUE, 403, NULL },
  };
  static const struct { const char *query; gboolean bad_token; guint status; } queries[] = {
    { "origin=KIRO_CLI&resourceType=AGENTIC_REQUEST&profileArn=" AMQ_PROFILE_ARN_BUILDER_ID, FALSE, 200 },
    { "origin=CLI&resourceType=AGENTIC_REQUEST&profileArn=" AMQ_PROFILE_ARN_BUILDER_ID, FALSE, 400 },
    { "origin=KIRO_CLI&resourceType=AGENTIC_REQUEST", FALSE, 400 },
    { "origin=KIRO_CLI&resourceType=CODE_COMPLETION&profileArn=" AMQ_PROFILE_ARN_BUILDER_ID, FALSE, 400 },
    { "origin=KIRO_CLI&resourceType=AGENTIC_REQUEST&profileArn=" AMQ_PROFILE_ARN_BUILDER_ID, TRUE, 403 },
  };
  g_autofree char *token = fake_access_token ();

  assert_answers ("AmazonCodeWhispererService.ListAvailableModels", lists, G_N_ELEMENTS (lists));
  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *url = g_strdup_printf ("%s/getUsageLimits?%s", fake_url, queries[i].query);
      g_auto(TestReply) reply = http ("GET", url, NULL, queries[i].bad_token ? "at-forged" : token);

      g_test_message ("getUsageLimits?%s: %u %.200s", queries[i].query, reply.status, reply.body);
      g_assert_cmpuint (reply.status, ==, queries[i].status);
      if (reply.status == 200)
        {
          g_autoptr(JsonObject) usage = test_parse_object (reply.body);
          JsonObject *credit = json_array_get_object_element (json_object_get_array_member (usage, "usageBreakdownList"), 0);

          g_assert_cmpint (json_object_get_int_member (usage, "nextDateReset"), >, g_get_real_time () / G_USEC_PER_SEC);
          g_assert_true (json_object_has_member (usage, "daysUntilReset"));
          g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (usage, "subscriptionInfo"), "subscriptionTitle"));
          g_assert_nonnull (json_object_get_string_member (json_object_get_object_member (usage, "userInfo"), "email"));
          g_assert_cmpstr (json_object_get_string_member (credit, "resourceType"), ==, "CREDIT");
          g_assert_cmpfloat (json_object_get_double_member (credit, "usageLimitWithPrecision"), >,
                             json_object_get_double_member (credit, "currentUsageWithPrecision"));
        }
    }
}

/* ---- the server speaks the dialect ---- */

static void
test_dialect_end_to_end (void)
{
  g_auto(Local) local = local_start ();
  const char *custom = "arn:aws:codewhisperer:us-east-1:111122223333:profile/CUSTOMPROFILE";
  gdouble refused = fake_stat ("refused_calls");
  g_autofree char *models_url = g_strconcat (amq_server_get_url (local.server), "/v1/models", NULL);

  {
    g_auto(TestReply) reply = post_messages (&local, "text", FALSE);
    g_autofree char *sent = fake_last_body ();
    g_autofree char *problem = q_validate (sent, "KIRO_CLI", NULL);
    g_autoptr(JsonObject) body = test_parse_object (sent);

    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_null (problem);
    /* no profile configured: the Builder ID default */
    g_assert_cmpstr (json_object_get_string_member (body, "profileArn"), ==, AMQ_PROFILE_ARN_BUILDER_ID);
  }
  {
    /* the model list passed the same checks: it is the fake's own */
    g_auto(TestReply) reply = http ("GET", models_url, NULL, NULL);

    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_nonnull (strstr (reply.body, "\"claude-opus-4-6\""));
    g_assert_cmpfloat (fake_stat ("refused_calls"), ==, refused);
  }
  {
    g_auto(Local) configured = local_start_with_profile (custom);
    g_auto(TestReply) reply = post_messages (&configured, "text", TRUE);
    g_autofree char *sent = fake_last_body ();
    g_autoptr(JsonObject) body = test_parse_object (sent);

    g_assert_cmpuint (reply.status, ==, 200);
    g_assert_cmpstr (json_object_get_string_member (body, "profileArn"), ==, custom);
  }
  /* accounts that still need the old origin can name it; this strict fake refuses it */
  amq_upstream_set_origin (local.upstream, "CLI");
  {
    g_auto(TestReply) reply = post_messages (&local, "text", FALSE);
    g_autoptr(JsonObject) error = error_of (reply.body);
    g_autofree char *sent = fake_last_body ();

    g_assert_cmpuint (reply.status, ==, 400);
    g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, "Amazon Q: Improperly formed request.");
    g_assert_nonnull (strstr (sent, "\"origin\":\"CLI\""));
  }
}

/* ---- usage, credits ---- */

/* message_start goes out at once with the estimate; message_delta and the JSON answer carry
 * Amazon Q's counts; without them the estimate stands. */
static gint64
counted_tokens (Local *local, const char *scenario)
{
  g_autofree char *url = g_strconcat (amq_server_get_url (local->server), "/v1/messages/count_tokens", NULL);
  g_autofree char *body = test_messages_body (scenario, FALSE);
  g_auto(TestReply) reply = http ("POST", url, body, NULL);
  g_autoptr(JsonObject) count = test_parse_object (reply.body);

  return json_object_get_int_member (count, "input_tokens");
}

static void
test_usage_end_to_end (void)
{
  g_auto(Local) local = local_start ();
  gint64 estimate = counted_tokens (&local, "usage");
  g_auto(TestReply) stream = post_messages (&local, "usage", TRUE);
  g_auto(TestReply) json = post_messages (&local, "usage", FALSE);
  g_auto(TestReply) no_counts = post_messages (&local, "two_tools", FALSE);
  g_autoptr(JsonObject) start = sse_event (stream.body, "message_start");
  g_autoptr(JsonObject) delta = sse_event (stream.body, "message_delta");
  g_autoptr(JsonObject) message = test_parse_object (json.body);
  g_autoptr(JsonObject) estimated = test_parse_object (no_counts.body);

  g_assert_cmpuint (stream.status, ==, 200);
  g_assert_cmpint (estimate, >, 0);
  g_assert_cmpint (estimate, !=, 2048);
  assert_usage (json_object_get_object_member (json_object_get_object_member (start, "message"), "usage"),
                estimate, 0, 0, 1);
  assert_usage (json_object_get_object_member (delta, "usage"), 2048, 1408, 80000, 3);
  assert_usage (json_object_get_object_member (message, "usage"), 2048, 1408, 80000, 3);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (estimated, "usage"), "input_tokens"),
                   ==, counted_tokens (&local, "two_tools"));
}

static void
on_credits (GObject *log, GParamSpec *pspec, guint *notified)
{
  (*notified)++;
}

/* Each request's credits and context percentage are on its row; the log totals them. */
static void
test_credits_recorded (void)
{
  g_auto(Local) local = local_start ();
  AmqRequestLog *log = amq_server_get_request_log (local.server);
  gdouble charged = fake_stat ("credits_used");
  guint notified = 0;

  g_signal_connect (log, "notify::credits", G_CALLBACK (on_credits), &notified);
  for (guint stream = 0; stream < 2; stream++)
    {
      g_auto(TestReply) reply = post_messages (&local, "usage", stream);
      g_autoptr(AmqRequestRecord) record = g_list_model_get_item (G_LIST_MODEL (log), 0);

      g_assert_cmpuint (reply.status, ==, 200);
      while (!amq_request_record_get_finished (record))
        g_main_context_iteration (NULL, TRUE);
      g_assert_cmpfloat_with_epsilon (amq_request_record_get_credits (record), 0.75, 1e-9);
      g_assert_cmpfloat_with_epsilon (amq_request_record_get_context_usage (record), 41.7, 1e-9);
    }
  {
    g_auto(TestReply) reply = post_messages (&local, "http_402_monthly", FALSE);
    g_autoptr(AmqRequestRecord) record = g_list_model_get_item (G_LIST_MODEL (log), 0);

    g_assert_cmpuint (reply.status, ==, 429);
    g_assert_cmpfloat (amq_request_record_get_credits (record), ==, 0);
  }
  g_assert_cmpfloat_with_epsilon (amq_request_log_get_credits (log), 1.5, 1e-9);
  g_assert_cmpuint (notified, ==, 2);
  /* the service counted the same credits */
  g_assert_cmpfloat_with_epsilon (fake_stat ("credits_used") - charged, 1.5, 1e-6);
}

/* ---- quota and throttling ---- */

typedef struct {
  const char *scenario;
  guint       status;
  const char *type;
  const char *fragment;
  gint64      retry_after;   /* -1: none */
} QuotaRow;

static void
assert_error_reply (Local *local, const QuotaRow *row)
{
  for (guint stream = 0; stream < 2; stream++)
    {
      g_auto(TestReply) reply = post_messages (local, row->scenario, stream);
      g_autoptr(JsonObject) error = error_of (reply.body);

      g_test_message ("%s stream=%u: %u retry-after %s: %s", row->scenario, stream, reply.status,
                      reply.retry_after ? reply.retry_after : "-", reply.body);
      g_assert_cmpuint (reply.status, ==, row->status);
      g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, row->type);
      g_assert_nonnull (strstr (json_object_get_string_member (error, "message"), row->fragment));
      if (row->retry_after < 0)
        g_assert_null (reply.retry_after);
      else
        {
          /* seconds, counted down while the test runs */
          g_assert_nonnull (reply.retry_after);
          g_assert_cmpint (g_ascii_strtoll (reply.retry_after, NULL, 10), <=, row->retry_after);
          g_assert_cmpint (g_ascii_strtoll (reply.retry_after, NULL, 10), >=, row->retry_after - 10);
        }
    }
}

static void
test_quota_and_throttling (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GDateTime) far = g_date_time_new_utc (2100, 1, 1, 0, 0, 0);
  const QuotaRow rows[] = {
    { "http_402_monthly", 429, "rate_limit_error", "(MONTHLY_REQUEST_COUNT): the monthly request quota of this Amazon Q account is used up", -1 },
    { "http_402_overage", 429, "rate_limit_error", "the overage request limit of this Amazon Q account is used up", -1 },
    { "http_402_conversation", 400, "invalid_request_error", "prompt is too long: ", -1 },
    { "http_429", 429, "rate_limit_error", "Monthly request limit reached.", 17 },
    { "http_429_throttled", 429, "rate_limit_error", "Too many requests", -1 },
    { "http_429_suspicious", 429, "rate_limit_error", "suspicious activity", -1 },
    { "http_429_capacity", 529, "overloaded_error", "high traffic", -1 },
    { "http_503_retry_date", 529, "overloaded_error", "temporarily unavailable", g_date_time_to_unix (far) - now },
    { "http_403_suspended", 403, "permission_error", "temporarily suspended", -1 },
  };
  g_auto(Local) local = local_start ();

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    assert_error_reply (&local, &rows[i]);

  /* once the reset date is known (getUsageLimits), the answer names it and waits for it */
  {
    g_autoptr(AmqAccount) account = g_list_model_get_item (G_LIST_MODEL (local.pool), 0);
    AmqCredits credits = { .plan = (char *) "KIRO FREE", .used = 50, .limit = 50, .resets_at = now + 2 * 86400 };

    amq_account_health_set_credits (amq_account_get_health (account), &credits);
  }
  {
    g_autoptr(GDateTime) reset = g_date_time_new_from_unix_utc (now + 2 * 86400);
    g_autofree char *until = g_date_time_format (reset, "used up until %Y-%m-%d %H:%M UTC");
    const QuotaRow known = { "http_402_monthly", 429, "rate_limit_error", until, 2 * 86400 };

    assert_error_reply (&local, &known);
  }
}

/* ---- the size guard ---- */

static char *
two_turns_of (gsize characters)
{
  g_autofree char *chunk = g_strnfill (characters, 'z');

  return g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"messages\":["
                          "{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":\"ok\"},"
                          "{\"role\":\"user\",\"content\":\"%s SCENARIO:text\"}]}", chunk, chunk);
}

/* A body past the limit is answered here, in words a client compacts on, and never sent;
 * without the guard the service answers what no client can act on. */
static void
test_size_guard (void)
{
  g_auto(Local) local = local_start ();
  g_autofree char *url = g_strconcat (amq_server_get_url (local.server), "/v1/messages", NULL);
  g_autofree char *large = two_turns_of (310000);
  g_autofree char *fitting = two_turns_of (200000);
  gdouble sent = fake_stat ("requests");

  g_assert_cmpuint (amq_upstream_get_max_request_bytes (local.upstream), ==, 600000);
  {
    g_auto(TestReply) reply = http ("POST", url, large, NULL);
    g_autoptr(JsonObject) error = error_of (reply.body);

    g_assert_cmpuint (reply.status, ==, 400);
    g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, "invalid_request_error");
    g_assert_true (g_regex_match_simple ("^prompt is too long: [0-9]+ tokens > [0-9]+ maximum \\(the request to Amazon Q "
                                         "would be 62[0-9]{4} bytes; it takes at most 600000\\)$",
                                         json_object_get_string_member (error, "message"), 0, 0));
    g_assert_cmpfloat (fake_stat ("requests"), ==, sent);
  }
  {
    g_auto(TestReply) reply = http ("POST", url, fitting, NULL);

    g_assert_cmpuint (reply.status, ==, 200);
  }
  amq_upstream_set_max_request_bytes (local.upstream, 0);
  {
    g_auto(TestReply) reply = http ("POST", url, large, NULL);
    g_autoptr(JsonObject) error = error_of (reply.body);

    g_assert_cmpuint (reply.status, ==, 400);
    g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, "Amazon Q: Improperly formed request.");
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  fake = test_start_fake_upstream (&fake_url);

  g_test_add_func ("/kiro/fake-refuses-what-the-service-refuses", test_fake_refuses_what_the_service_refuses);
  g_test_add_func ("/kiro/fake-model-list-and-usage-limits-are-strict", test_fake_model_list_and_usage_limits_are_strict);
  g_test_add_func ("/kiro/dialect-end-to-end", test_dialect_end_to_end);
  g_test_add_func ("/kiro/usage-end-to-end", test_usage_end_to_end);
  g_test_add_func ("/kiro/credits-recorded", test_credits_recorded);
  g_test_add_func ("/kiro/quota-and-throttling", test_quota_and_throttling);
  g_test_add_func ("/kiro/size-guard", test_size_guard);
  status = g_test_run ();

  g_subprocess_send_signal (fake, SIGTERM);
  g_subprocess_wait (fake, NULL, NULL);
  /* a clean exit: under the sanitizers a leak or an error report makes it non-zero */
  g_assert_true (g_subprocess_get_if_exited (fake));
  g_assert_cmpint (g_subprocess_get_exit_status (fake), ==, 0);
  g_clear_object (&fake);
  g_free (fake_url);
  return status;
}
