/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-routes.c: one handler per route
 *
 * Every answer carries a request-id. The API routes (/v1/...) are also logged and need the
 * local key when one is set; probes and /health are neither. The generation routes, one per
 * AmqFrontEnd, share one handler and answer everything, errors too, in their own API's shape. */
#include "config.h"

#include <string.h>

#include "amq-error.h"
#include "amq-ids.h"
#include "amq-server-private.h"

void
amq_server_respond_json (SoupServerMessage *msg, guint status, const char *json)
{
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));
  g_assert (json != NULL);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

void
amq_server_respond_error (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end,
                          const char *request_id, const GError *error)
{
  g_autofree char *json = NULL;
  guint status;
  gint64 seconds;
  g_autofree char *retry_after = NULL;

  g_assert (AMQ_IS_SERVER (self));
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));
  g_assert (front_end != NULL && error != NULL);

  json = front_end->error_json (error, request_id);
  status = amq_error_http_status (error);
  seconds = amq_error_get_retry_after (error);
  retry_after = seconds > 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, seconds) : NULL;
  self->errors++;
  if (retry_after != NULL)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "retry-after", retry_after);
  amq_server_respond_json (msg, status, json);
}

static gboolean
is_get (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  return method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD;
}

static GError *
method_not_allowed (SoupServerMessage *msg, const char *path)
{
  return g_error_new (AMQ_ERROR, AMQ_ERROR_METHOD_NOT_ALLOWED, "Method %s not allowed on %s",
                      soup_server_message_get_method (msg), path);
}

static GError *
not_found (const char *path)
{
  return g_error_new (AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "Not found: %s", path);
}

/* What every answer starts with; returns the request id. */
static char *
begin_answer (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  char *request_id = amq_new_id ("req_");

  self->requests_served++;
  soup_message_headers_replace (headers, "request-id", request_id);
  if (front_end->request_id_header != NULL)
    soup_message_headers_replace (headers, front_end->request_id_header, request_id);
  /* a connection that ends after this answer says so, or a client reusing it meets a reset;
   * a new loopback connection costs a client ~0.1 ms */
  if (!amq_listener_get_keeps_alive (self->listener))
    soup_message_headers_replace (headers, "Connection", "close");
  return request_id;
}

static void
end_answer (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end, const char *request_id,
            AmqRequestRecord *record, const GError *error)
{
  if (error != NULL)
    amq_server_respond_error (self, msg, front_end, request_id, error);
  if (record != NULL)
    amq_request_record_complete (record, soup_server_message_get_status (msg), error ? error->message : NULL, 0, 0, 0);
}

/* Constant time: the key's length and content leak nothing through timing. */
static gboolean
keys_equal (const char *given, const char *expected)
{
  gsize n = strlen (expected), m = strlen (given);
  guchar diff = n != m;

  for (gsize i = 0; i < n; i++)
    diff |= (guchar) expected[i] ^ (guchar) (i < m ? given[i] : 0);
  return diff == 0;
}

static gboolean
authorized (AmqServer *self, SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "x-api-key");
  const char *auth = soup_message_headers_get_one (headers, "Authorization");

  if (self->api_key == NULL)
    return TRUE;
  if (key != NULL && keys_equal (key, self->api_key))
    return TRUE;
  return auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0 && keys_equal (auth + 7, self->api_key);
}

/* An API request: logged, and refused without the local key. */
static AmqRequestRecord *
begin_api_request (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end, const char *path,
                   const char *request_id, GError **error)
{
  AmqRequestRecord *record = amq_request_record_new (request_id, soup_server_message_get_method (msg), path);

  amq_request_record_set_api (record, front_end->api);
  amq_request_record_set_headers (record, soup_server_message_get_request_headers (msg));
  amq_request_log_add (self->log, record);
  if (!authorized (self, msg))
    g_set_error_literal (error, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, front_end->bad_key_message);
  return record;
}

static GBytes *
post_body (SoupServerMessage *msg, const char *path, GError **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      *error = method_not_allowed (msg, path);
      return NULL;
    }
  return soup_message_body_flatten (body);
}

/* The converter names the Messages request's field ("messages: too many images"); the client
 * may have called its conversation otherwise. */
static void
name_conversation_field (const AmqFrontEnd *front_end, GError *error)
{
  char *renamed;

  if (!g_str_has_prefix (error->message, "messages: ") || g_str_equal (front_end->conversation_field, "messages"))
    return;
  renamed = g_strconcat (front_end->conversation_field, error->message + strlen ("messages"), NULL);
  g_free (error->message);
  error->message = renamed;
}

/* Which conversation a request continues: its system text and first message, which the
 * turns of one conversation share (a bounded prefix is enough to tell them apart). */
static char *
conversation_key (AmqMessagesRequest *request)
{
  JsonArray *messages = amq_messages_request_get_messages (request);
  const char *system = amq_messages_request_get_system (request);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *first = NULL;

  if (system != NULL)
    g_checksum_update (sum, (const guchar *) system, MIN (strlen (system), 8192));
  if (messages != NULL && json_array_get_length (messages) > 0)
    {
      first = json_to_string (json_array_get_element (messages, 0), FALSE);
      g_checksum_update (sum, (const guchar *) first, MIN (strlen (first), 8192));
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* The account for a new request. With one account, that one whatever its state: its own
 * error tells the client what is wrong. With several and none ready, a 429 saying when the
 * first comes back: never a 5xx. */
static AmqAccount *
choose_account (AmqServer *self, const char *key, GError **error)
{
  GListModel *accounts = G_LIST_MODEL (self->pool);
  gint64 back = G_MAXINT64;
  AmqAccount *account = amq_account_pool_pick (self->pool, key, NULL, &back);
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *until = NULL;

  if (account != NULL)
    return g_object_ref (account);
  if (g_list_model_get_n_items (accounts) == 1)
    return g_list_model_get_item (accounts, 0);
  if (back == G_MAXINT64)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_RATE_LIMIT,
                   "None of the %u Amazon Q accounts can take requests (signed out, suspended or disabled): "
                   "see /admin/accounts", g_list_model_get_n_items (accounts));
      return NULL;
    }
  when = g_date_time_new_from_unix_utc (back);
  until = g_date_time_format (when, "%Y-%m-%d %H:%M:%S UTC");
  g_set_error (error, AMQ_ERROR, AMQ_ERROR_RATE_LIMIT,
               "All %u Amazon Q accounts are resting (throttled or out of quota); the first is back at %s",
               g_list_model_get_n_items (accounts), until);
  amq_error_set_retry_after (*error, back - g_get_real_time () / G_USEC_PER_SEC);
  return NULL;
}

/* Starts the asynchronous answer, or fails at once with @error. */
static gboolean
start_generation (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end, GBytes *body,
                  const char *request_id, AmqRequestRecord *record, GError **error)
{
  g_auto(AmqAnswerForm) form = { .created = g_get_real_time () / G_USEC_PER_SEC };
  g_autoptr(AmqMessagesRequest) request = front_end->parse (body, &form, error);
  g_autoptr(AmqAccount) account = NULL;
  g_autofree char *upstream_model = NULL;
  g_autofree char *key = NULL;
  g_autofree char *profile_arn = NULL;
  AmqConversion *conversion;

  if (request == NULL)
    return FALSE;
  upstream_model = amq_model_map_resolve (self->models, amq_messages_request_get_model (request));
  amq_request_record_set_models (record, amq_messages_request_get_model (request), upstream_model,
                                 amq_messages_request_get_stream (request));
  key = conversation_key (request);
  account = choose_account (self, key, error);
  if (account == NULL)
    return FALSE;
  profile_arn = amq_account_dup_profile_arn (account);
  {
    AmqConverterOptions options = { amq_upstream_get_origin (self->upstream), profile_arn,
                                    amq_upstream_get_max_request_bytes (self->upstream) };

    conversion = amq_converter_convert (request, upstream_model, &options, error);
  }
  if (conversion == NULL)
    {
      name_conversation_field (front_end, *error);
      return FALSE;
    }
  g_info ("request %s (%s): model %s -> %s, %s, account %s", request_id, amq_request_api_get_label (front_end->api),
          amq_messages_request_get_model (request), upstream_model,
          amq_messages_request_get_stream (request) ? "stream" : "json", amq_account_get_label (account));
  amq_server_call_start (self, msg, front_end, &form, request_id, record, g_steal_pointer (&request), conversion,
                         account, key);
  return TRUE;
}

/* POST to @front_end's route. */
static void
answer_generation (AmqServer *self, SoupServerMessage *msg, const char *path, const AmqFrontEnd *front_end)
{
  g_autofree char *request_id = begin_answer (self, msg, front_end);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqRequestRecord) record = NULL;
  g_autoptr(GBytes) body = NULL;

  if (!g_str_equal (path, front_end->path))
    {
      error = not_found (path);
      end_answer (self, msg, front_end, request_id, NULL, error);
      return;
    }
  record = begin_api_request (self, msg, front_end, path, request_id, &error);
  if (error == NULL && (body = post_body (msg, path, &error)) != NULL &&
      start_generation (self, msg, front_end, body, request_id, record, &error))
    return;
  end_answer (self, msg, front_end, request_id, record, error);
}

static void
handle_messages (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  answer_generation (user_data, msg, path, &amq_front_end_messages);
}

static void
handle_chat_completions (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                         gpointer user_data)
{
  answer_generation (user_data, msg, path, &amq_front_end_chat);
}

static void
handle_responses (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  answer_generation (user_data, msg, path, &amq_front_end_responses);
}

static void
count_tokens (AmqServer *self, SoupServerMessage *msg, GBytes *body, GError **error)
{
  g_autoptr(AmqMessagesRequest) request = amq_messages_request_parse (body, AMQ_REQUEST_COUNT_TOKENS, error);
  g_autoptr(AmqConversion) conversion = NULL;
  g_autofree char *json = NULL;
  g_autofree char *upstream_model = NULL;

  if (request == NULL)
    return;
  upstream_model = amq_model_map_resolve (self->models, amq_messages_request_get_model (request));
  conversion = amq_converter_convert (request, upstream_model, NULL, error);
  if (conversion == NULL)
    return;
  json = g_strdup_printf ("{\"input_tokens\":%" G_GUINT64_FORMAT "}", conversion->input_tokens);
  amq_server_respond_json (msg, SOUP_STATUS_OK, json);
}

static void
handle_count_tokens (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query,
                     gpointer user_data)
{
  AmqServer *self = user_data;
  g_autofree char *request_id = begin_answer (self, msg, &amq_front_end_messages);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqRequestRecord) record = NULL;
  g_autoptr(GBytes) body = NULL;

  if (!g_str_equal (path, "/v1/messages/count_tokens"))
    {
      error = not_found (path);
      end_answer (self, msg, &amq_front_end_messages, request_id, NULL, error);
      return;
    }
  record = begin_api_request (self, msg, &amq_front_end_messages, path, request_id, &error);
  if (error == NULL && (body = post_body (msg, path, &error)) != NULL)
    count_tokens (self, msg, body, &error);
  end_answer (self, msg, &amq_front_end_messages, request_id, record, error);
}

/* POST /admin/accounts/{label}/enable or /disable: the account's answer; NULL with @error. */
static AmqAccount *
switch_account (AmqServer *self, SoupServerMessage *msg, const char *path, GError **error)
{
  const char *rest = path + strlen ("/admin/accounts/");
  const char *slash = strrchr (rest, '/');
  g_autofree char *label = slash ? g_uri_unescape_segment (rest, slash, NULL) : NULL;
  gboolean enable = slash && g_str_equal (slash, "/enable");
  AmqAccount *account;

  if (slash == NULL || (!enable && !g_str_equal (slash, "/disable")) || label == NULL)
    {
      *error = not_found (path);
      return NULL;
    }
  if (soup_server_message_get_method (msg) != SOUP_METHOD_POST)
    {
      *error = method_not_allowed (msg, path);
      return NULL;
    }
  account = amq_account_pool_lookup (self->pool, label);
  if (account == NULL)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "No account is labelled \"%s\"", label);
      return NULL;
    }
  amq_account_health_set_enabled (amq_account_get_health (account), enable);
  g_message ("account %s %s through /admin/accounts", label, enable ? "enabled" : "disabled");
  return account;
}

/* GET /admin/accounts; POST /admin/accounts/{label}/enable|disable. Same key and guards as /v1. */
static void
handle_accounts (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  AmqServer *self = user_data;
  g_autofree char *request_id = begin_answer (self, msg, &amq_front_end_messages);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqRequestRecord) record = NULL;
  AmqAccount *account;

  if (!g_str_equal (path, "/admin/accounts") && !g_str_has_prefix (path, "/admin/accounts/"))
    {
      error = not_found (path);
      end_answer (self, msg, &amq_front_end_messages, request_id, NULL, error);
      return;
    }
  record = begin_api_request (self, msg, &amq_front_end_messages, path, request_id, &error);
  if (error == NULL && g_str_equal (path, "/admin/accounts"))
    {
      if (is_get (msg))
        amq_server_answer_accounts (self, msg, NULL);
      else
        error = method_not_allowed (msg, path);
    }
  else if (error == NULL && (account = switch_account (self, msg, path, &error)) != NULL)
    amq_server_answer_accounts (self, msg, account);
  end_answer (self, msg, &amq_front_end_messages, request_id, record, error);
}

static void
handle_models (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  AmqServer *self = user_data;
  g_autofree char *request_id = begin_answer (self, msg, &amq_front_end_messages);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqRequestRecord) record = NULL;

  /* libsoup hands this handler every path that starts with /v1/models, /v1/modelsx too */
  if (!g_str_equal (path, "/v1/models") && !g_str_has_prefix (path, "/v1/models/"))
    {
      error = not_found (path);
      end_answer (self, msg, &amq_front_end_messages, request_id, NULL, error);
      return;
    }
  record = begin_api_request (self, msg, &amq_front_end_messages, path, request_id, &error);
  if (error == NULL && !is_get (msg))
    error = method_not_allowed (msg, path);
  if (error == NULL)
    {
      amq_server_answer_models (self, msg, path, query, request_id, record);
      return;
    }
  end_answer (self, msg, &amq_front_end_messages, request_id, record, error);
}

static void
handle_health (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  AmqServer *self = user_data;
  g_autofree char *request_id = begin_answer (self, msg, &amq_front_end_messages);
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (path, "/health"))
    error = not_found (path);
  else if (!is_get (msg))
    error = method_not_allowed (msg, path);
  else
    amq_server_answer_health (self, msg, authorized (self, msg));
  end_answer (self, msg, &amq_front_end_messages, request_id, NULL, error);
}

/* GET|HEAD / and HEAD /api/hello: cheap probes; "/" also catches every unknown path. */
static void
handle_probe (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  AmqServer *self = user_data;
  g_autofree char *request_id = begin_answer (self, msg, &amq_front_end_messages);
  g_autoptr(GError) error = NULL;

  if (!g_str_equal (path, "/") && !g_str_equal (path, "/api/hello"))
    error = not_found (path);
  else if (!is_get (msg))
    error = method_not_allowed (msg, path);
  else
    amq_server_respond_json (msg, SOUP_STATUS_OK, "{\"status\":\"ok\",\"service\":\"amq2api\"}");
  end_answer (self, msg, &amq_front_end_messages, request_id, NULL, error);
}

void
amq_server_add_routes (AmqServer *self)
{
  g_assert (AMQ_IS_SERVER (self));

  soup_server_add_handler (self->soup, "/", handle_probe, self, NULL);
  soup_server_add_handler (self->soup, "/api/hello", handle_probe, self, NULL);
  soup_server_add_handler (self->soup, "/health", handle_health, self, NULL);
  soup_server_add_handler (self->soup, amq_front_end_messages.path, handle_messages, self, NULL);
  soup_server_add_handler (self->soup, "/v1/messages/count_tokens", handle_count_tokens, self, NULL);
  soup_server_add_handler (self->soup, "/v1/models", handle_models, self, NULL);
  soup_server_add_handler (self->soup, "/admin/accounts", handle_accounts, self, NULL);
  soup_server_add_handler (self->soup, amq_front_end_chat.path, handle_chat_completions, self, NULL);
  soup_server_add_handler (self->soup, amq_front_end_responses.path, handle_responses, self, NULL);
}
