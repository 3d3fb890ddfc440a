/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fake-upstream.c: a fake Amazon Q (GenerateAssistantResponse, ListAvailableModels,
 * getUsageLimits and the OIDC /token endpoint) for the integration tests, runnable by hand:
 * fake-upstream [--port N].
 *
 * It is as strict as today's service (PROTOCOL.md §1.6), with its answers: a body that breaks
 * a rule of tests/q-validator.c (user messages without origin KIRO_CLI, no agentTaskType
 * "vibe" or agentContinuationId, no profileArn, past ~615 KB) is refused; so are model lists
 * and usage queries without the origin and a profile ARN, and every call without a token it
 * issued.
 *
 * The scenario comes from a marker "SCENARIO:name" anywhere in the request body
 * (tests/data/scenarios/name.json; "large" and "huge" are generated); without one it answers
 * "text".
 * Refresh tokens choose the token endpoint's behaviour: rt-invalid (invalid_grant),
 * rt-garbage (200 with a body that is not JSON), rt-hang (never answers), rt-slow and any
 * other ending in -slow (answers after 300 ms), rt-rotate* (rotates the refresh token; as AWS
 * does, the old one is refused from then on); any other works. POST /refreshToken is Kiro's social refresh (no client
 * registration; 401 for a token it refuses). An account's refresh token also decides how its
 * generation calls fare: rt-quota* (402, monthly quota used up), rt-suspended* (403
 * TEMPORARILY_SUSPENDED), rt-throttled* (429 with Retry-After: 2). GET /stats tells what it
 * saw, "served" counting answered calls by refresh token. */
#include "config.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>

#include "amq-close-watch.h"
#include "amq-event-frame.h"
#include "q-validator.h"
#include "scenario.h"

static struct {
  guint      token_calls;
  guint      requests;
  guint      rejected_tokens;
  guint      closed_early;
  gint64     last_closed_early_us;  /* monotonic */
  guint      token_serial;
  GHashTable *valid_tokens;
  GHashTable *revoked_tokens;
  GHashTable *retired_refresh_tokens;  /* rotated away: invalid_grant */
  GHashTable *token_owners;            /* access token -> the refresh token it came from */
  GHashTable *served;                  /* refresh token -> generation calls answered */
  char       *last_refresh_token;
  guint       device_polls;
  guint       invalid_bodies;
  guint       model_lists;
  guint       usage_queries;
  guint       refused_calls;   /* model lists and usage queries refused */
  gdouble     credits_used;    /* what the answered scenarios metered */
  char       *last_body;
  GHashTable *generate_ports;  /* client ports seen on GenerateAssistantResponse: its connections */
  guint64     answer_bytes;    /* body bytes of GenerateAssistantResponse answers written */
} stats;

typedef struct {
  SoupServerMessage *msg;
  GSource           *close_watch;
  Scenario          *scenario;
  guint              next_frame;
  guint              timer;
  guint              frames_left;  /* of a huge answer: its one frame, this many times more */
  gboolean           done;
} Stream;

static void
stream_free (Stream *s)
{
  g_clear_handle_id (&s->timer, g_source_remove);
  if (s->close_watch != NULL)
    {
      g_source_destroy (s->close_watch);
      g_source_unref (s->close_watch);
    }
  g_object_unref (s->msg);
  scenario_free (s->scenario);
  g_free (s);
}

/* Appends @data in random pieces of 1..512 bytes, each its own chunk. */
static void
append_in_pieces (SoupMessageBody *body, GBytes *data)
{
  gsize len = g_bytes_get_size (data);
  const guint8 *p = g_bytes_get_data (data, NULL);
  gsize off = 0;

  while (off < len)
    {
      gsize piece = g_random_int_range (1, 513);
      gsize n = MIN (len - off, piece);

      soup_message_body_append (body, SOUP_MEMORY_COPY, p + off, n);
      off += n;
    }
}

static gboolean
write_next (gpointer user_data)
{
  Stream *s = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (s->msg);

  s->timer = 0;
  if (s->done)
    return G_SOURCE_REMOVE;
  if (s->scenario->reset && s->next_frame == s->scenario->frames->len)
    {
      /* the connection dies mid-body, as a reset or a dropped TLS session would */
      g_socket_shutdown (soup_server_message_get_socket (s->msg), TRUE, TRUE, NULL);
      s->done = TRUE;
      return G_SOURCE_REMOVE;
    }
  if (s->next_frame < s->scenario->frames->len)
    append_in_pieces (body, g_ptr_array_index (s->scenario->frames, s->next_frame++));
  if (s->next_frame >= s->scenario->frames->len && !s->scenario->reset)
    {
      soup_message_body_complete (body);
      s->done = TRUE;
    }
  else
    s->timer = g_timeout_add (s->scenario->gap_ms, write_next, s);
  soup_server_message_unpause (s->msg);
  return G_SOURCE_REMOVE;
}

/* A huge answer's next frame goes out once the one before is written: a reader that stops
 * reading stops the fake too, as its TCP window closes. */
static void
on_huge_frame_written (SoupServerMessage *msg, Stream *s)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  if (s->done)
    return;
  if (s->frames_left == 0)
    {
      soup_message_body_complete (body);
      s->done = TRUE;
      return;
    }
  s->frames_left--;
  soup_message_body_append_bytes (body, g_ptr_array_index (s->scenario->frames, 0));
}

static void
count_answer_bytes (SoupServerMessage *msg, guint written, gpointer unused)
{
  stats.answer_bytes += written;
}

static void
on_stream_finished (SoupServerMessage *msg, Stream *s)
{
  if (!s->done)
    {
      stats.closed_early++;
      stats.last_closed_early_us = g_get_monotonic_time ();
    }
  s->done = TRUE;
  stream_free (s);
}

static void
on_peer_closed (gpointer user_data)
{
  Stream *s = user_data;

  g_clear_pointer (&s->close_watch, g_source_unref);
  g_clear_handle_id (&s->timer, g_source_remove);
  if (!s->done)
    {
      stats.closed_early++;
      stats.last_closed_early_us = g_get_monotonic_time ();
      s->done = TRUE;
    }
  soup_server_message_unpause (s->msg);
}

#define FAKE_ORIGIN "KIRO_CLI"
#define TOKEN_REFUSED "The bearer token included in the request is invalid."

/* An awsJson error; without @type, the bare shape of the profile errors. */
static void
respond_aws_error (SoupServerMessage *msg, guint status, const char *type, const char *message)
{
  g_autofree char *json = type != NULL
    ? g_strdup_printf ("{\"__type\":\"com.amazon.aws.codewhisperer#%s\",\"message\":\"%s\"}", type, message)
    : g_strdup_printf ("{\"message\":\"%s\",\"reason\":null}", message);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_COPY, json, strlen (json));
}

/* What the service answers a call q-validator refused. */
static void
respond_refusal (SoupServerMessage *msg, QAnswer answer, const char *problem)
{
  g_printerr ("fake-upstream: refused: %s\n", problem);
  switch (answer)
    {
    case Q_ANSWER_PROFILE_REQUIRED:
      respond_aws_error (msg, 400, NULL, "profileArn is required for this request.");
      break;
    case Q_ANSWER_INVALID_PROFILE:
      respond_aws_error (msg, 400, NULL, "Invalid profileArn.");
      break;
    case Q_ANSWER_IMPROPERLY_FORMED:
    default:
      respond_aws_error (msg, 400, "ValidationException", "Improperly formed request.");
      break;
    }
}

/* The bearer token, when it is one the fake issued and has not revoked. */
static const char *
valid_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  const char *token = auth && g_str_has_prefix (auth, "Bearer ") ? auth + 7 : "";

  if (g_hash_table_contains (stats.revoked_tokens, token) || !g_hash_table_contains (stats.valid_tokens, token))
    return NULL;
  return token;
}

/* An account whose refresh token says so fares badly at every call. */
static gboolean
account_refuses (SoupServerMessage *msg, const char *token)
{
  const char *owner = g_hash_table_lookup (stats.token_owners, token);

  if (owner == NULL)
    return FALSE;
  if (g_str_has_prefix (owner, "rt-quota"))
    {
      const char *json = "{\"__type\":\"com.amazon.aws.codewhisperer#ServiceQuotaExceededException\","
                         "\"message\":\"You have reached the limit.\",\"reason\":\"MONTHLY_REQUEST_COUNT\"}";
      soup_server_message_set_status (msg, 402, NULL);
      soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_STATIC, json, strlen (json));
      return TRUE;
    }
  if (g_str_has_prefix (owner, "rt-suspended"))
    {
      const char *json = "{\"__type\":\"com.amazon.aws.codewhisperer#AccessDeniedException\","
                         "\"message\":\"Your account is temporarily suspended.\",\"reason\":\"TEMPORARILY_SUSPENDED\"}";
      soup_server_message_set_status (msg, 403, NULL);
      soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_STATIC, json, strlen (json));
      return TRUE;
    }
  if (g_str_has_prefix (owner, "rt-throttled"))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Retry-After", "2");
      respond_aws_error (msg, 429, "ThrottlingException", "Rate exceeded");
      return TRUE;
    }
  g_hash_table_insert (stats.served, g_strdup (owner),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (stats.served, owner)) + 1));
  return FALSE;
}

static char *
find_scenario_name (const char *body)
{
  const char *at = strstr (body, "SCENARIO:");
  gsize n = 0;

  if (at == NULL)
    return g_strdup ("text");
  at += strlen ("SCENARIO:");
  while (g_ascii_isalnum (at[n]) || at[n] == '_')
    n++;
  return g_strndup (at, n);
}

static void
add_frame (Scenario *scenario, const char *event_type, const char *json)
{
  const char *headers[] = { ":event-type", event_type, ":content-type", "application/json",
                            ":message-type", "event", NULL };

  g_ptr_array_add (scenario->frames, amq_event_frame_encode (headers, (const guint8 *) json, strlen (json)));
}

/* A two-step agent turn: ask to Read the file named by "FILE:/path" in the prompt; once the
 * request carries the tool's result, answer with what the file said. Each step ends with the
 * usage, context and credits the service reports. */
static Scenario *
agent_read_scenario (const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *current = NULL;
  JsonArray *results = NULL;
  Scenario *scenario = scenario_new_large (0, 0);

  if (json_parser_load_from_data (parser, body, -1, NULL))
    {
      JsonObject *root = json_node_get_object (json_parser_get_root (parser));
      JsonObject *state = json_object_get_object_member (root, "conversationState");
      JsonObject *context;

      current = json_object_get_object_member (json_object_get_object_member (state, "currentMessage"), "userInputMessage");
      context = json_object_get_object_member (current, "userInputMessageContext");
      if (context != NULL && json_object_has_member (context, "toolResults"))
        results = json_object_get_array_member (context, "toolResults");
    }
  if (results != NULL && json_array_get_length (results) > 0)
    {
      JsonObject *first = json_array_get_object_element (results, 0);
      JsonArray *content = json_object_get_array_member (first, "content");
      const char *text = json_object_get_string_member_with_default (json_array_get_object_element (content, 0), "text", "");
      g_autofree char *answer = g_strdup_printf ("The file says: %s", text);
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *json = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "content");
      json_builder_add_string_value (b, answer);
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      json = json_to_string (node, FALSE);
      add_frame (scenario, "assistantResponseEvent", json);
    }
  else
    {
      const char *at = strstr (body, "FILE:");
      g_autofree char *path = at ? g_strndup (at + 5, strcspn (at + 5, " \\\"")) : g_strdup ("/etc/hostname");
      g_autofree char *json = g_strdup_printf ("{\"name\":\"Read\",\"toolUseId\":\"tooluse_agent1\","
                                               "\"input\":\"{\\\"file_path\\\": \\\"%s\\\"}\"}", path);

      add_frame (scenario, "assistantResponseEvent", "{\"content\":\"I will read the file.\"}");
      add_frame (scenario, "toolUseEvent", json);
      add_frame (scenario, "toolUseEvent", "{\"name\":\"Read\",\"toolUseId\":\"tooluse_agent1\",\"stop\":true}");
    }
  add_frame (scenario, "meteringEvent", "{\"unit\":\"credit\",\"unitPlural\":\"credits\",\"usage\":0.21}");
  add_frame (scenario, "contextUsageEvent", "{\"contextUsagePercentage\":6.5}");
  add_frame (scenario, "metadataEvent", "{\"tokenUsage\":{\"uncachedInputTokens\":4100,\"outputTokens\":42,"
                                        "\"totalTokens\":12142,\"cacheReadInputTokens\":8000,\"cacheWriteInputTokens\":0}}");
  scenario->credits += 0.21;
  return scenario;
}

/* An HTTP error answer, as @scenario describes it. */
static void
respond_http_error (SoupServerMessage *msg, const Scenario *scenario)
{
  GHashTableIter headers;
  gpointer header, value;

  soup_server_message_set_status (msg, scenario->http_status, NULL);
  if (scenario->http_error_type)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "x-amzn-errortype",
                                  scenario->http_error_type);
  g_hash_table_iter_init (&headers, scenario->http_headers);
  while (g_hash_table_iter_next (&headers, &header, &value))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), header, value);
  soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_COPY,
                                    scenario->http_body, strlen (scenario->http_body));
}

#define HUGE_FRAME_TEXT (16 * 1024)

/* The 200 answer: @scenario's event stream (taken), all at once, frame by frame or, for a
 * huge one, as fast as the reader reads. */
static void
stream_answer (SoupServerMessage *msg, Scenario *scenario, const char *name)
{
  Stream *s;

  stats.credits_used += scenario->credits;
  soup_server_message_set_status (msg, 200, NULL);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers (msg), SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Content-Type",
                                "application/vnd.amazon.eventstream");
  soup_message_body_set_accumulate (soup_server_message_get_response_body (msg), FALSE);
  s = g_new0 (Stream, 1);
  s->msg = g_object_ref (msg);
  s->scenario = scenario;
  g_signal_connect (msg, "finished", G_CALLBACK (on_stream_finished), s);
  g_signal_connect (msg, "wrote-body-data", G_CALLBACK (count_answer_bytes), NULL);
  s->close_watch = amq_close_watch_new (soup_server_message_get_socket (msg), on_peer_closed, s);
  if (g_str_has_prefix (name, "huge_"))
    {
      s->frames_left = g_ascii_strtoull (name + 5, NULL, 10) * (1024 * 1024 / HUGE_FRAME_TEXT);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_huge_frame_written), s);
      on_huge_frame_written (msg, s);
      return;
    }
  soup_server_message_pause (msg);
  if (scenario->gap_ms == 0 && scenario->stall_ms == 0 && !scenario->reset)
    {
      g_autoptr(GBytes) all = scenario_body (scenario);

      if (scenario->one_chunk)
        soup_message_body_append_bytes (soup_server_message_get_response_body (msg), all);
      else
        append_in_pieces (soup_server_message_get_response_body (msg), all);
      soup_message_body_complete (soup_server_message_get_response_body (msg));
      s->done = TRUE;
      soup_server_message_unpause (msg);
    }
  else if (scenario->stall_ms > 0)
    s->timer = g_timeout_add (scenario->stall_ms, write_next, s);  /* nothing, not even headers */
  else
    write_next (s);  /* headers and the first frame now, then a gap before each next one */
}

static void
handle_generate (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Authorization");
  const char *token = auth && g_str_has_prefix (auth, "Bearer ") ? auth + 7 : "";
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autofree char *name = find_scenario_name (text);
  g_autoptr(GError) error = NULL;
  Scenario *scenario;

  stats.requests++;
  g_hash_table_add (stats.generate_ports, GUINT_TO_POINTER (g_inet_socket_address_get_port (
    G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (msg)))));
  g_free (stats.last_body);
  stats.last_body = g_strdup (text);
  if (valid_token (msg) == NULL)
    {
      stats.rejected_tokens++;
      respond_aws_error (msg, 403, "AccessDeniedException", TOKEN_REFUSED);
      return;
    }
  {
    /* answer like the real service when the body breaks its rules */
    QAnswer answer;
    g_autofree char *problem = q_validate (text, FAKE_ORIGIN, &answer);

    if (problem != NULL)
      {
        stats.invalid_bodies++;
        respond_refusal (msg, answer, problem);
        return;
      }
  }
  if (account_refuses (msg, token))
    return;
  if (g_str_equal (name, "revoke_token"))
    {
      /* the token expired at the service: the proxy must refresh and retry once */
      g_hash_table_add (stats.revoked_tokens, g_strdup (token));
      stats.rejected_tokens++;
      respond_aws_error (msg, 403, "AccessDeniedException", "The bearer token included in the request is invalid.");
      return;
    }
  if (g_str_has_prefix (name, "large"))  /* "large" is 100,000 frames, "large_N" N of them */
    scenario = scenario_new_large (name[5] == '_' ? (guint) g_ascii_strtoull (name + 6, NULL, 10) : 100000, 64);
  else if (g_str_has_prefix (name, "huge_"))  /* "huge_N": N MiB of text, one 16 KiB frame at a time */
    scenario = scenario_new_large (1, HUGE_FRAME_TEXT);
  else if (g_str_equal (name, "agent_read"))
    scenario = agent_read_scenario (text);
  else if ((scenario = scenario_load (name, &error)) == NULL)
    {
      respond_aws_error (msg, 400, "ValidationException", "unknown test scenario");
      return;
    }
  if (scenario->drop)
    {
      /* the connection dies as the request arrives (a load balancer restarting, a TLS
       * session dropped): Amazon Q may have started on it, and billed it */
      g_socket_shutdown (soup_server_message_get_socket (msg), TRUE, TRUE, NULL);
      scenario_free (scenario);
    }
  else if (scenario->http_status != 200)
    {
      respond_http_error (msg, scenario);
      scenario_free (scenario);
    }
  else
    stream_answer (msg, scenario, name);
}

static gboolean
answer_later (gpointer user_data)
{
  SoupServerMessage *msg = user_data;

  soup_server_message_unpause (msg);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

static void
handle_token (SoupServerMessage *msg, gboolean social)
{
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *refresh = "";
  g_autofree char *reply = NULL;
  g_autofree char *access = NULL;
  g_autofree char *rotated = NULL;

  stats.token_calls++;
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *request = json_node_get_object (json_parser_get_root (parser));

      refresh = json_object_get_string_member_with_default (request, "refreshToken", "");
      /* Kiro's social endpoint knows no client registration: a body naming one is not its caller */
      if (social && json_object_has_member (request, "clientId"))
        refresh = "";
      if (g_strcmp0 (json_object_get_string_member_with_default (request, "grantType", ""),
                     "urn:ietf:params:oauth:grant-type:device_code") == 0)
        {
          /* the user "approves" on the second poll */
          const char *json = ++stats.device_polls < 2
            ? "{\"error\":\"authorization_pending\"}"
            : "{\"accessToken\":\"at-device\",\"expiresIn\":3600,\"refreshToken\":\"rt-from-device-login\"}";

          soup_server_message_set_status (msg, stats.device_polls < 2 ? 400 : 200, NULL);
          soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
          return;
        }
    }
  g_free (stats.last_refresh_token);
  stats.last_refresh_token = g_strdup (refresh);
  if (g_str_equal (refresh, "rt-invalid") || g_hash_table_contains (stats.retired_refresh_tokens, refresh) ||
      (social && *refresh == '\0'))
    {
      const char *json = social ? "{\"message\":\"Invalid refresh token\"}"
                                : "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid refresh token provided\"}";
      soup_server_message_set_status (msg, social ? 401 : 400, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
      return;
    }
  if (g_str_equal (refresh, "rt-garbage"))
    {
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "<html>oops", 10);
      return;
    }
  if (g_str_equal (refresh, "rt-hang"))
    {
      soup_server_message_pause (msg);  /* never answered */
      g_object_ref (msg);
      return;
    }
  access = g_strdup_printf ("at-%u", ++stats.token_serial);
  g_hash_table_add (stats.valid_tokens, g_strdup (access));
  g_hash_table_insert (stats.token_owners, g_strdup (access), g_strdup (refresh));
  if (g_str_has_prefix (refresh, "rt-rotate"))
    {
      rotated = g_strdup_printf ("rt-rotated-%u", stats.token_serial);
      g_hash_table_add (stats.retired_refresh_tokens, g_strdup (refresh));
    }
  reply = g_strdup_printf ("{\"accessToken\":\"%s\",\"expiresIn\":3600,\"tokenType\":\"Bearer\"%s%s%s%s}",
                           access, rotated ? ",\"refreshToken\":\"" : "", rotated ? rotated : "",
                           rotated ? "\"" : "",
                           social ? ",\"profileArn\":\"arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK\"" : "");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
  if (g_str_has_suffix (refresh, "-slow"))
    {
      soup_server_message_pause (msg);
      g_timeout_add (300, answer_later, g_object_ref (msg));
    }
}

/* POST {"origin": "KIRO_CLI", "profileArn": ...} */
static void
handle_list_models (SoupServerMessage *msg)
{
  const char *json =
    "{\"models\":[{\"modelId\":\"claude-sonnet-4.5\",\"modelName\":\"Claude Sonnet 4.5\","
    "\"tokenLimits\":{\"maxInputTokens\":200000,\"maxOutputTokens\":64000}},"
    "{\"modelId\":\"claude-opus-4.5\",\"modelName\":\"Claude Opus 4.5\"},"
    "{\"modelId\":\"claude-haiku-4.5\",\"modelName\":\"Claude Haiku 4.5\"},"
    "{\"modelId\":\"claude-sonnet-4\",\"modelName\":\"Claude Sonnet 4\"},"
    "{\"modelId\":\"claude-opus-4.6\",\"modelName\":\"Claude Opus 4.6 (from the fake upstream)\"}],"
    "\"defaultModel\":{\"modelId\":\"claude-sonnet-4.5\"}}";
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *request = NULL;
  g_autofree char *problem = NULL;
  QAnswer answer = Q_ANSWER_IMPROPERLY_FORMED;

  stats.model_lists++;
  if (json_parser_load_from_data (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    request = json_node_get_object (json_parser_get_root (parser));
  if (valid_token (msg) == NULL)
    {
      stats.refused_calls++;
      respond_aws_error (msg, 403, "AccessDeniedException", TOKEN_REFUSED);
      return;
    }
  problem = request == NULL ? g_strdup ("the body is not a JSON object")
            : q_validate_caller (json_object_get_string_member_with_default (request, "origin", NULL),
                                 json_object_get_string_member_with_default (request, "profileArn", NULL),
                                 FAKE_ORIGIN, &answer);
  if (problem != NULL)
    {
      stats.refused_calls++;
      respond_refusal (msg, answer, problem);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_STATIC, json, strlen (json));
}

/* GET /getUsageLimits?origin=KIRO_CLI&resourceType=AGENTIC_REQUEST&profileArn=...: the credits
 * used so far count what the fake metered. */
static void
handle_usage_limits (SoupServerMessage *msg, GHashTable *query)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) month = g_date_time_new_utc (g_date_time_get_year (now), g_date_time_get_month (now), 1, 0, 0, 0);
  g_autoptr(GDateTime) reset = g_date_time_add_months (month, 1);
  gint64 reset_at = g_date_time_to_unix (reset);
  const char *origin = query ? g_hash_table_lookup (query, "origin") : NULL;
  const char *profile = query ? g_hash_table_lookup (query, "profileArn") : NULL;
  g_autofree char *problem = NULL;
  g_autofree char *json = NULL;
  QAnswer answer = Q_ANSWER_IMPROPERLY_FORMED;
  gdouble used = 12.5 + stats.credits_used;

  stats.usage_queries++;
  if (valid_token (msg) == NULL)
    {
      stats.refused_calls++;
      respond_aws_error (msg, 403, "AccessDeniedException", TOKEN_REFUSED);
      return;
    }
  problem = g_strcmp0 (query ? g_hash_table_lookup (query, "resourceType") : NULL, "AGENTIC_REQUEST") != 0
            ? g_strdup ("resourceType is not AGENTIC_REQUEST")
            : q_validate_caller (origin, profile, FAKE_ORIGIN, &answer);
  if (problem != NULL)
    {
      stats.refused_calls++;
      respond_refusal (msg, answer, problem);
      return;
    }
  json = g_strdup_printf (
    "{\"nextDateReset\":%" G_GINT64_FORMAT ",\"daysUntilReset\":%d,"
    "\"subscriptionInfo\":{\"subscriptionTitle\":\"KIRO FREE\",\"type\":\"Q_DEVELOPER_STANDALONE_FREE\"},"
    "\"userInfo\":{\"email\":\"user@example.com\",\"userId\":\"d-9067642ac7.fake-user\"},"
    "\"usageBreakdownList\":[{\"resourceType\":\"CREDIT\",\"currentUsage\":%d,\"currentUsageWithPrecision\":%.2f,"
    "\"usageLimit\":50,\"usageLimitWithPrecision\":50.0,\"nextDateReset\":%" G_GINT64_FORMAT ",\"bonuses\":[]}]}",
    reset_at, (int) (g_date_time_difference (reset, now) / G_TIME_SPAN_DAY), (int) used, used, reset_at);
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/x-amz-json-1.0", SOUP_MEMORY_COPY, json, strlen (json));
}

/* {"rt-a": 3, ...}: answered generation calls by refresh token */
static char *
served_json (void)
{
  GString *out = g_string_new ("{");
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, stats.served);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_string_append_printf (out, "%s\"%s\":%u", out->len > 1 ? "," : "", (char *) key, GPOINTER_TO_UINT (value));
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static void
handle (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  const char *target = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "X-Amz-Target");

  g_socket_set_option (soup_server_message_get_socket (msg), IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  if (g_str_equal (path, "/token"))
    handle_token (msg, FALSE);
  else if (g_str_equal (path, "/refreshToken"))
    handle_token (msg, TRUE);
  else if (g_str_equal (path, "/client/register"))
    {
      const char *json = "{\"clientId\":\"device-client-id\",\"clientSecret\":\"device-client-secret\",\"clientSecretExpiresAt\":1999999999}";
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
    }
  else if (g_str_equal (path, "/device_authorization"))
    {
      const char *json = "{\"deviceCode\":\"dev-code\",\"userCode\":\"ABCD-EFGH\",\"verificationUri\":\"https://device.example/\","
                         "\"verificationUriComplete\":\"https://device.example/?user_code=ABCD-EFGH\",\"interval\":1,\"expiresIn\":60}";
      stats.device_polls = 0;
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, json, strlen (json));
    }
  else if (g_str_equal (path, "/stats"))
    {
      g_autofree char *served = served_json ();
      g_autofree char *json = g_strdup_printf (
        "{\"token_calls\":%u,\"requests\":%u,\"generate_connections\":%u,\"rejected_tokens\":%u,\"closed_early\":%u,\"invalid_bodies\":%u,\"model_lists\":%u,"
        "\"usage_queries\":%u,\"refused_calls\":%u,\"credits_used\":%.4f,\"answer_bytes\":%" G_GUINT64_FORMAT ","
        "\"since_closed_early_ms\":%" G_GINT64_FORMAT ",\"last_refresh_token\":\"%s\",\"served\":%s}",
        stats.token_calls, stats.requests, g_hash_table_size (stats.generate_ports), stats.rejected_tokens, stats.closed_early, stats.invalid_bodies, stats.model_lists,
        stats.usage_queries, stats.refused_calls, stats.credits_used, stats.answer_bytes,
        stats.last_closed_early_us ? (g_get_monotonic_time () - stats.last_closed_early_us) / 1000 : -1,
        stats.last_refresh_token ? stats.last_refresh_token : "", served);
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
    }
  else if (g_str_equal (path, "/last-body"))
    {
      const char *text = stats.last_body ? stats.last_body : "";
      soup_server_message_set_status (msg, 200, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, text, strlen (text));
    }
  else if (g_str_equal (path, "/") && g_strcmp0 (target, "AmazonCodeWhispererStreamingService.GenerateAssistantResponse") == 0)
    handle_generate (msg);
  else if (g_str_equal (path, "/") && g_strcmp0 (target, "AmazonCodeWhispererService.ListAvailableModels") == 0)
    handle_list_models (msg);
  else if (g_str_equal (path, "/getUsageLimits") && soup_server_message_get_method (msg) == SOUP_METHOD_GET)
    handle_usage_limits (msg, query);
  else
    respond_aws_error (msg, 404, "UnknownOperationException", "unknown operation");
}

static gboolean
on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  gint port = 0;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port (0 picks one)", "PORT" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList *uris;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  stats.generate_ports = g_hash_table_new (NULL, NULL);
  stats.valid_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stats.revoked_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stats.retired_refresh_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stats.token_owners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  stats.served = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  {
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);

    if (socket != NULL)
      {
        g_socket_set_listen_backlog (socket, 4096);
        if (!g_socket_bind (socket, address, TRUE, &error) || !g_socket_listen (socket, &error))
          g_clear_object (&socket);
      }
    if (socket == NULL || !soup_server_listen_socket (server, socket, 0, &error))
      {
        g_printerr ("fake-upstream: %s\n", error->message);
        return 1;
      }
  }
  if (FALSE)
    {
      g_printerr ("fake-upstream: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  printf ("listening on http://127.0.0.1:%d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  return 0;
}
