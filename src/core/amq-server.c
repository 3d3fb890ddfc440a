/* amq-server.c
 *
 * One RequestContext follows a /v1/messages call: parse, convert, token, upstream (with one
 * refresh-and-retry on a refused token), then either stream (AmqSseWriter) or fold
 * (AmqMessageBuilder) the translated events. The client's answer stays unsent until Amazon Q
 * answered 200, so errors before content are real HTTP errors. A client that goes away
 * cancels the upstream call at once. */
#include "amq-server.h"

#include <json-glib/json-glib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <libsoup/soup.h>
#include <string.h>

#include "amq-close-watch.h"
#include "amq-converter.h"
#include "amq-error.h"
#include "amq-event-stream-reader.h"
#include "amq-ids.h"
#include "amq-json.h"
#include "amq-message-builder.h"
#include "amq-messages-request.h"
#include "amq-model-catalog.h"
#include "amq-request-log.h"
#include "amq-sse-writer.h"
#include "amq-translator.h"
#include "config.h"

struct _AmqServer
{
  GObject          parent_instance;
  SoupServer      *soup;
  GSocketService  *service;       /* accepts for libsoup: see on_incoming */
  GHashTable      *clients;        /* "address:port" -> ClientEntry, while libsoup holds it */
  AmqTokenManager *tokens;
  AmqUpstream     *upstream;
  AmqModelMap     *models;
  char            *api_key;
  char            *profile_arn;
  char            *address;
  guint            port;
  guint            ping_interval;
  gint64           started_at;
  AmqRequestLog   *log;
  AmqModelCatalog *catalog;
  guint64          requests_served;
  guint64          errors;
  char            *url;           /* while listening */
  guint            active_calls;
  guint            peak_calls;    /* since the server was last idle */
  gboolean         listening;
};

/* glibc keeps the freed pages of its heap for itself: a burst of this many calls is worth
 * handing them back once it is over (1,000 streams: 66 MB at the peak, 34 MB after). */
#define TRIM_AFTER_CALLS 16

G_DEFINE_FINAL_TYPE (AmqServer, amq_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTENING,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  AmqServer          *server;
  SoupServerMessage  *msg;
  char               *request_id;
  AmqMessagesRequest *request;
  AmqConversion      *conversion;
  GCancellable       *cancellable;
  char               *access_token;
  gboolean            retried;
  gboolean            finished;    /* the client side is over: touch msg no more */
  gulong              finished_handler;
  GSource            *close_watch;
  SoupMessage        *upstream_msg;
  GInputStream       *upstream_stream;
  AmqEventSink       *sink;
  AmqTranslator      *translator;
  AmqEventStreamReader *reader;
  AmqRequestRecord   *record;
} RequestContext;

/* libsoup 3.2's own listener keeps a reference to every socket it accepts: a connection its
 * client closed while idle kept its descriptor (GNOME libsoup commit d20c6601), and each one
 * leaked about 500 bytes even when the server closed it. Connections accepted here and
 * handed over leak neither; libsoup closes them after one answer. */
static char *
address_key (GSocketAddress *address)
{
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));

  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address)));
}

/* A connection handed to libsoup, until it lets the connection go. */
typedef struct {
  AmqServer *server;   /* NULL once the server (or a newer connection from that port) took over */
  char      *key;
  GSocket   *socket;
} ClientEntry;

static void
on_connection_gone (gpointer data, GObject *connection)
{
  ClientEntry *entry = data;

  if (entry->server != NULL)
    g_hash_table_remove (entry->server->clients, entry->key);
  g_free (entry->key);
  g_free (entry);
}

static void
forget_client (gpointer key, gpointer value, gpointer user_data)
{
  ((ClientEntry *) value)->server = NULL;
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer user_data)
{
  AmqServer *self = user_data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GError) error = NULL;
  ClientEntry *entry;

  if (local == NULL || remote == NULL)
    return TRUE;  /* gone already */
  /* events are small writes: without this, Nagle holds each one until the client's delayed
   * ACK, adding up to 40 ms to the first token */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* libsoup does not tell a message's socket for connections handed to it: remember it */
  entry = g_new0 (ClientEntry, 1);
  entry->server = self;
  entry->key = address_key (remote);
  entry->socket = socket;
  if (g_hash_table_contains (self->clients, entry->key))
    forget_client (NULL, g_hash_table_lookup (self->clients, entry->key), NULL);
  /* replace, not insert: insert would keep the old entry's key, freed with that entry */
  g_hash_table_replace (self->clients, entry->key, entry);
  g_object_weak_ref (G_OBJECT (connection), on_connection_gone, entry);
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (connection), local, remote, &error))
    g_info ("a connection was dropped: %s", error->message);
  return TRUE;
}

static GSocket *
client_socket (AmqServer *self, SoupServerMessage *msg)
{
  g_autofree char *key = address_key (soup_server_message_get_remote_address (msg));
  ClientEntry *entry = g_hash_table_lookup (self->clients, key);

  return entry ? entry->socket : NULL;
}

static gboolean
release_free_memory (gpointer unused)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static void
request_context_free (RequestContext *ctx)
{
  AmqServer *server = ctx->server;

  if (ctx->finished_handler != 0)
    g_signal_handler_disconnect (ctx->msg, ctx->finished_handler);
  if (ctx->close_watch != NULL)
    {
      g_source_destroy (ctx->close_watch);
      g_source_unref (ctx->close_watch);
    }
  g_clear_object (&ctx->msg);
  g_free (ctx->request_id);
  g_clear_object (&ctx->request);
  g_clear_pointer (&ctx->conversion, amq_conversion_free);
  g_clear_object (&ctx->cancellable);
  g_free (ctx->access_token);
  g_clear_object (&ctx->upstream_msg);
  g_clear_object (&ctx->upstream_stream);
  g_clear_object (&ctx->sink);  /* a stream writer lives on until its last events are out */
  g_clear_object (&ctx->translator);
  g_clear_object (&ctx->reader);
  g_clear_object (&ctx->record);
  g_free (ctx);
  if (--server->active_calls == 0)
    {
      /* after the upstream has let go of the burst's sessions, which it does when idle */
      if (server->peak_calls >= TRIM_AFTER_CALLS)
        g_idle_add (release_free_memory, NULL);
      server->peak_calls = 0;
    }
  g_object_unref (server);
}

/* ---- responses ---- */

static void
respond_json (SoupServerMessage *msg, guint status, const char *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
respond_error (AmqServer *self, SoupServerMessage *msg, const char *request_id, const GError *error)
{
  g_autofree char *json = amq_error_to_json (error, request_id);
  guint status = amq_error_http_status (error);

  self->errors++;
  if (status == 429)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "retry-after", "30");
  respond_json (msg, status, json);
}

static void
context_record (RequestContext *ctx, guint status, const char *error)
{
  const AmqUsage *usage = ctx->translator ? amq_translator_get_usage (ctx->translator) : NULL;

  amq_request_record_finish (ctx->record, status, error,
                             ctx->translator ? amq_translator_get_first_content_time (ctx->translator) : 0,
                             usage ? usage->input_tokens : ctx->conversion->input_tokens,
                             usage ? usage->output_tokens : 0);
}

static void
context_fail (RequestContext *ctx, const GError *error)
{
  g_info ("request %s failed: %s", ctx->request_id, error->message);
  context_record (ctx, ctx->finished ? 499 : amq_error_http_status (error), error->message);
  if (ctx->finished)
    return;
  respond_error (ctx->server, ctx->msg, ctx->request_id, error);
  soup_server_message_unpause (ctx->msg);
}

/* ---- streaming the upstream body ---- */

static gboolean
on_frame (const AmqEventFrame *frame, gpointer user_data)
{
  RequestContext *ctx = user_data;

  return !ctx->finished && amq_translator_feed (ctx->translator, frame);
}

static void
on_body_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RequestContext *ctx = user_data;
  g_autoptr(GError) error = NULL;

  amq_event_stream_reader_read_finish (ctx->reader, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Amazon Q sent nothing for %u seconds",
                           amq_upstream_get_idle_timeout (ctx->server->upstream));
    }
  if (ctx->finished)
    {
      context_record (ctx, 499, "the client went away");
      request_context_free (ctx);
      return;
    }

  amq_translator_finish (ctx->translator, error);
  if (AMQ_IS_MESSAGE_BUILDER (ctx->sink))
    {
      g_autoptr(GError) message_error = NULL;
      g_autofree char *json = amq_message_builder_to_json (AMQ_MESSAGE_BUILDER (ctx->sink), &message_error);

      if (json != NULL)
        {
          context_record (ctx, 200, NULL);
          respond_json (ctx->msg, 200, json);
          soup_server_message_unpause (ctx->msg);
        }
      else
        context_fail (ctx, message_error);
    }
  else
    {
      /* a stream that failed after its headers still answered 200: the error tells */
      if (error != NULL)
        ctx->server->errors++;
      context_record (ctx, 200, amq_translator_get_stop_reason (ctx->translator) ? NULL
                                : error ? error->message : "Amazon Q reported an error mid-stream");
    }
  /* the writer completed the chunked body; closing the upstream stream drops its socket */
  g_input_stream_close (ctx->upstream_stream, NULL, NULL);
  request_context_free (ctx);
}

static void
start_translation (RequestContext *ctx)
{
  AmqMessagesRequest *request = ctx->request;
  g_autofree char *message_id = amq_new_id ("msg_");

  /* Amazon Q has accepted the body: no retry will send it again */
  g_clear_pointer (&ctx->conversion->body, g_free);

  if (amq_messages_request_get_stream (request))
    {
      AmqSseWriter *writer = amq_sse_writer_new (ctx->msg);

      amq_sse_writer_set_ping_interval (writer, ctx->server->ping_interval);
      ctx->sink = AMQ_EVENT_SINK (writer);
    }
  else
    ctx->sink = AMQ_EVENT_SINK (amq_message_builder_new ());
  ctx->translator = amq_translator_new (ctx->sink, message_id, amq_messages_request_get_model (request));
  amq_translator_set_thinking (ctx->translator, amq_messages_request_get_thinking (request));
  amq_translator_set_stop_sequences (ctx->translator, amq_messages_request_get_stop_sequences (request));
  amq_translator_set_tool_names (ctx->translator, ctx->conversion->tool_names);
  amq_translator_set_input_estimate (ctx->translator, ctx->conversion->input_tokens, AMQ_CONTEXT_WINDOW);
  amq_translator_begin (ctx->translator);
  ctx->reader = amq_event_stream_reader_new (ctx->upstream_stream);
  amq_event_stream_reader_read_async (ctx->reader, on_frame, ctx, ctx->cancellable, on_body_done, ctx);
}

/* ---- upstream errors ---- */

static GError *
error_from_upstream_body (RequestContext *ctx, GBytes *body)
{
  guint status = soup_message_get_status (ctx->upstream_msg);
  const char *type = soup_message_headers_get_one (soup_message_get_response_headers (ctx->upstream_msg),
                                                   "x-amzn-errortype");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *short_type = NULL;
  g_autofree char *text = NULL;
  const char *message = NULL;
  const char *reason = NULL;
  JsonObject *object = body ? amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                            : NULL;

  if (object != NULL)
    {
      message = amq_json_get_string (object, "message") ? amq_json_get_string (object, "message")
                                                         : amq_json_get_string (object, "Message");
      reason = amq_json_get_string (object, "reason");
      if (type == NULL)
        type = amq_json_get_string (object, "__type");
    }
  if (type != NULL)
    {
      const char *hash = strchr (type, '#');
      short_type = g_strndup (hash ? hash + 1 : type, strcspn (hash ? hash + 1 : type, ":"));
    }
  if (message == NULL)
    {
      text = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (ctx->upstream_msg)
                                                    ? soup_message_get_reason_phrase (ctx->upstream_msg) : "");
      message = g_strstrip (text);
    }
  return amq_error_new_from_aws (status, short_type, message, reason,
                                 ctx->conversion->input_tokens, AMQ_CONTEXT_WINDOW);
}

static void send_upstream (RequestContext *ctx);
static void fetch_token (RequestContext *ctx);

static void
on_error_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RequestContext *ctx = user_data;
  g_autoptr(GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  g_autoptr(GError) error = NULL;

  if (ctx->finished)
    {
      context_record (ctx, 499, "the client went away");
      request_context_free (ctx);
      return;
    }
  error = error_from_upstream_body (ctx, body);
  /* a refused token: refresh once and try once more */
  if (error->domain == AMQ_ERROR && error->code == AMQ_ERROR_AUTHENTICATION && !ctx->retried)
    {
      ctx->retried = TRUE;
      amq_token_manager_invalidate (ctx->server->tokens, ctx->access_token);
      g_clear_object (&ctx->upstream_stream);
      g_clear_object (&ctx->upstream_msg);
      fetch_token (ctx);
      return;
    }
  context_fail (ctx, error);
  request_context_free (ctx);
}

static void
on_upstream_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RequestContext *ctx = user_data;
  g_autoptr(GError) error = NULL;

  ctx->upstream_stream = amq_upstream_send_finish (AMQ_UPSTREAM (source), result, &ctx->upstream_msg, &error);
  if (ctx->finished)
    {
      context_record (ctx, 499, "the client went away");
      request_context_free (ctx);
      return;
    }
  if (ctx->upstream_stream == NULL)
    {
      g_autoptr(GError) mapped = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = g_error_new (AMQ_ERROR, AMQ_ERROR_TIMEOUT, "Amazon Q did not answer in time: %s", error->message);
      else
        mapped = g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM, "could not reach Amazon Q: %s", error->message);
      context_fail (ctx, mapped);
      request_context_free (ctx);
      return;
    }
  if (soup_message_get_status (ctx->upstream_msg) != 200)
    {
      g_input_stream_read_bytes_async (ctx->upstream_stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                       ctx->cancellable, on_error_body, ctx);
      return;
    }
  start_translation (ctx);
}

static void
send_upstream (RequestContext *ctx)
{
  amq_upstream_send_async (ctx->server->upstream, ctx->conversion->body, ctx->access_token,
                           ctx->cancellable, on_upstream_response, ctx);
}

static void
on_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RequestContext *ctx = user_data;
  g_autoptr(GError) error = NULL;

  g_free (ctx->access_token);
  ctx->access_token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);
  if (ctx->finished)
    {
      context_record (ctx, 499, "the client went away");
      request_context_free (ctx);
      return;
    }
  if (ctx->access_token == NULL)
    {
      context_fail (ctx, error);
      request_context_free (ctx);
      return;
    }
  send_upstream (ctx);
}

static void
fetch_token (RequestContext *ctx)
{
  amq_token_manager_get_token_async (ctx->server->tokens, ctx->cancellable, on_token, ctx);
}

static void
on_client_gone (SoupServerMessage *msg, gpointer user_data)
{
  RequestContext *ctx = user_data;

  if (ctx->finished)
    return;
  ctx->finished = TRUE;
  g_signal_handler_disconnect (ctx->msg, ctx->finished_handler);
  ctx->finished_handler = 0;
  if (AMQ_IS_SSE_WRITER (ctx->sink))
    amq_sse_writer_detach (AMQ_SSE_WRITER (ctx->sink));
  g_cancellable_cancel (ctx->cancellable);
}

/* The socket says the client hung up: stop now, and let libsoup find out as it writes. */
static void
on_client_closed (gpointer user_data)
{
  RequestContext *ctx = user_data;

  g_clear_pointer (&ctx->close_watch, g_source_unref);
  if (ctx->finished)
    return;
  g_info ("request %s: the client went away", ctx->request_id);
  on_client_gone (ctx->msg, ctx);
  /* a paused answer with nothing more to write would keep its connection forever: end it,
   * so libsoup writes to the dead socket, fails and lets the connection go */
  soup_message_body_complete (soup_server_message_get_response_body (ctx->msg));
  soup_server_message_unpause (ctx->msg);
}

/* ---- routes ---- */

static GBytes *
request_body (SoupServerMessage *msg)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  return soup_message_body_flatten (body);
}

/* Starts the asynchronous answer, or fails at once with @error. */
static gboolean
handle_messages (AmqServer *self, SoupServerMessage *msg, const char *request_id,
                 AmqRequestRecord *record, GError **error)
{
  g_autoptr(GBytes) body = request_body (msg);
  g_autoptr(AmqMessagesRequest) request = NULL;
  g_autofree char *upstream_model = NULL;
  RequestContext *ctx;
  AmqConversion *conversion;

  request = amq_messages_request_parse (body, AMQ_REQUEST_MESSAGES, error);
  if (request == NULL)
    return FALSE;
  upstream_model = amq_model_map_resolve (self->models, amq_messages_request_get_model (request));
  amq_request_record_set_models (record, amq_messages_request_get_model (request), upstream_model,
                                 amq_messages_request_get_stream (request));
  conversion = amq_converter_convert (request, upstream_model, self->profile_arn, error);
  if (conversion == NULL)
    return FALSE;
  g_info ("request %s: model %s -> %s, %s", request_id, amq_messages_request_get_model (request),
          upstream_model, amq_messages_request_get_stream (request) ? "stream" : "json");
  ctx = g_new0 (RequestContext, 1);
  ctx->server = g_object_ref (self);
  self->active_calls++;
  self->peak_calls = MAX (self->peak_calls, self->active_calls);
  ctx->msg = g_object_ref (msg);
  ctx->request_id = g_strdup (request_id);
  /* the converted body carries everything from here on */
  amq_messages_request_release_conversation (request);
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  ctx->request = g_steal_pointer (&request);
  ctx->conversion = conversion;
  ctx->cancellable = g_cancellable_new ();
  ctx->record = g_object_ref (record);
  ctx->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_client_gone), ctx);
  ctx->close_watch = amq_close_watch_new (client_socket (self, msg), on_client_closed, ctx);
  soup_server_message_pause (msg);
  fetch_token (ctx);
  return TRUE;
}

static void
handle_count_tokens (AmqServer *self, SoupServerMessage *msg, GError **error)
{
  g_autoptr(GBytes) body = request_body (msg);
  g_autoptr(AmqMessagesRequest) request = amq_messages_request_parse (body, AMQ_REQUEST_COUNT_TOKENS, error);
  g_autoptr(AmqConversion) conversion = NULL;
  g_autofree char *json = NULL;
  g_autofree char *upstream_model = NULL;

  if (request != NULL)
    {
      upstream_model = amq_model_map_resolve (self->models, amq_messages_request_get_model (request));
      conversion = amq_converter_convert (request, upstream_model, NULL, error);
    }
  if (conversion == NULL)
    return;
  json = g_strdup_printf ("{\"input_tokens\":%" G_GUINT64_FORMAT "}", conversion->input_tokens);
  respond_json (msg, 200, json);
}

typedef struct {
  AmqServer         *server;
  SoupServerMessage *msg;
  char              *model_id;
  GHashTable        *query;
  AmqRequestRecord  *record;
  char              *request_id;
} ModelsCall;

static void
copy_query_entry (gpointer key, gpointer value, gpointer user_data)
{
  g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

static void
on_models (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ModelsCall *call = user_data;
  g_autoptr(GPtrArray) models = amq_model_catalog_get_finish (AMQ_MODEL_CATALOG (source), result);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = amq_model_catalog_render (models, call->model_id, call->query, &error);

  if (json != NULL)
    respond_json (call->msg, 200, json);
  else
    respond_error (call->server, call->msg, call->request_id, error);
  amq_request_record_finish (call->record, soup_server_message_get_status (call->msg),
                             error ? error->message : NULL, 0, 0, 0);
  soup_server_message_unpause (call->msg);
  g_object_unref (call->server);
  g_object_unref (call->msg);
  g_free (call->model_id);
  g_clear_pointer (&call->query, g_hash_table_unref);
  g_object_unref (call->record);
  g_free (call->request_id);
  g_free (call);
}

/* GET /v1/models and /v1/models/{id}: answered once the catalog has its list. */
static void
handle_models (AmqServer *self, SoupServerMessage *msg, const char *path, GHashTable *query,
               const char *request_id, AmqRequestRecord *record)
{
  ModelsCall *call = g_new0 (ModelsCall, 1);

  call->server = g_object_ref (self);
  call->msg = g_object_ref (msg);
  call->model_id = g_str_has_prefix (path, "/v1/models/") ? g_strdup (path + strlen ("/v1/models/")) : NULL;
  call->request_id = g_strdup (request_id);
  call->record = g_object_ref (record);
  if (query != NULL)
    {
      call->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_foreach (query, copy_query_entry, call->query);
    }
  soup_server_message_pause (msg);
  amq_model_catalog_get_async (self->catalog, on_models, call);
}

static void
handle_health (AmqServer *self, SoupServerMessage *msg)
{
  AmqTokenState state = amq_token_manager_get_state (self->tokens);
  gboolean has_token = amq_token_manager_get_expires_at (self->tokens) > 0;
  gboolean expired = has_token && amq_token_manager_get_expires_at (self->tokens) <= g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *json = g_strdup_printf (
    "{\"status\":\"healthy\",\"has_token\":%s,\"token_expired\":%s,\"token_state\":\"%s\","
    "\"sign_in_needed\":%s,\"version\":\"%s\",\"uptime_seconds\":%" G_GINT64_FORMAT
    ",\"requests_served\":%" G_GUINT64_FORMAT ",\"errors\":%" G_GUINT64_FORMAT "}",
    has_token ? "true" : "false", expired || !has_token ? "true" : "false",
    amq_token_manager_get_state_text (self->tokens),
    state == AMQ_TOKEN_STATE_SIGN_IN_NEEDED || state == AMQ_TOKEN_STATE_NO_CREDENTIALS ? "true" : "false",
    PACKAGE_VERSION, (g_get_monotonic_time () - self->started_at) / G_USEC_PER_SEC,
    self->requests_served, self->errors);

  respond_json (msg, 200, json);
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

static void
handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  AmqServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_autofree char *request_id = amq_new_id ("req_");
  g_autoptr(GError) error = NULL;
  gboolean post = g_str_equal (method, "POST");
  gboolean get = g_str_equal (method, "GET") || g_str_equal (method, "HEAD");
  g_autoptr(AmqRequestRecord) record = NULL;
  gboolean answering_later = FALSE;

  self->requests_served++;
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "request-id", request_id);
  /* libsoup 3.2 ends a connection it was handed after one answer (see on_incoming): say so,
   * or a client reusing it meets a reset. A new loopback connection costs a client ~0.1 ms. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  if (g_str_equal (path, "/") || g_str_equal (path, "/api/hello"))
    {
      if (get)
        respond_json (msg, 200, "{\"status\":\"ok\",\"service\":\"amq2api\"}");
      else
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_METHOD_NOT_ALLOWED, "Method %s not allowed on %s", method, path);
    }
  else if (g_str_equal (path, "/health"))
    {
      if (get)
        handle_health (self, msg);
      else
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_METHOD_NOT_ALLOWED, "Method %s not allowed on %s", method, path);
    }
  else if (g_str_equal (path, "/v1/messages") || g_str_equal (path, "/v1/messages/count_tokens") ||
           g_str_has_prefix (path, "/v1/models"))
    {
      gboolean models = g_str_has_prefix (path, "/v1/models") &&
                        (path[10] == '\0' || path[10] == '/');

      record = amq_request_record_new (request_id, method, path);
      amq_request_record_set_headers (record, soup_server_message_get_request_headers (msg));
      amq_request_log_add (self->log, record);
      if (!authorized (self, msg))
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, "invalid x-api-key");
      else if (models && get)
        {
          handle_models (self, msg, path, query, request_id, record);
          answering_later = TRUE;
        }
      else if (models)
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_METHOD_NOT_ALLOWED, "Method %s not allowed on %s", method, path);
      else if (!g_str_has_prefix (path, "/v1/messages") && !models)
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "Not found: %s", path);
      else if (!post)
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_METHOD_NOT_ALLOWED, "Method %s not allowed on %s", method, path);
      else if (soup_server_message_get_request_body (msg)->length > AMQ_MAX_BODY_BYTES)
        error = g_error_new (AMQ_ERROR, AMQ_ERROR_REQUEST_TOO_LARGE,
                             "Request exceeds the maximum allowed number of bytes (%d MiB)",
                             AMQ_MAX_BODY_BYTES / (1024 * 1024));
      else if (g_str_equal (path, "/v1/messages"))
        answering_later = handle_messages (self, msg, request_id, record, &error);
      else
        handle_count_tokens (self, msg, &error);
    }
  else
    error = g_error_new (AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "Not found: %s", path);
  if (error != NULL)
    respond_error (self, msg, request_id, error);
  if (record != NULL && !answering_later)
    amq_request_record_finish (record, soup_server_message_get_status (msg),
                               error ? error->message : NULL, 0, 0, 0);
}

gboolean
amq_server_start (AmqServer *self, const char *address, guint port, GError **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GSocket) socket = NULL;

  if (self->listening)
    return TRUE;
  inet = g_inet_address_new_from_string (address ? address : "127.0.0.1");
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an IP address", address);
      return FALSE;
    }
  if (!g_inet_address_get_is_loopback (inet) && (self->api_key == NULL || *self->api_key == '\0'))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "listening on %s exposes your Amazon Q subscription: set a local API key first", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, port);
  /* GSocket's default backlog (10) resets connections when an agent opens many at once */
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_bind (socket, socket_address, TRUE, error) || !g_socket_listen (socket, error) ||
      (bound = g_socket_get_local_address (socket, error)) == NULL)
    return FALSE;
  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    {
      g_clear_object (&self->service);
      return FALSE;
    }
  g_socket_service_start (self->service);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_free (self->address);
  self->address = g_inet_address_to_string (inet);
  self->url = strchr (self->address, ':') != NULL ? g_strdup_printf ("http://[%s]:%u", self->address, self->port)
                                                  : g_strdup_printf ("http://%s:%u", self->address, self->port);
  self->listening = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  return TRUE;
}

static void
stop_accepting (AmqServer *self)
{
  if (self->service == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
}

void
amq_server_stop (AmqServer *self)
{
  gboolean was_listening = self->listening;

  stop_accepting (self);
  soup_server_disconnect (self->soup);
  self->listening = FALSE;
  g_clear_pointer (&self->url, g_free);
  if (was_listening)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
    }
}

gboolean amq_server_get_listening (AmqServer *self) { return self->listening; }
const char *amq_server_get_url (AmqServer *self) { return self->url; }
guint amq_server_get_port (AmqServer *self) { return self->port; }
AmqRequestLog *amq_server_get_request_log (AmqServer *self) { return self->log; }

void
amq_server_set_api_key (AmqServer *self, const char *api_key)
{
  g_free (self->api_key);
  self->api_key = api_key && *api_key ? g_strdup (api_key) : NULL;
}

void
amq_server_set_profile_arn (AmqServer *self, const char *profile_arn)
{
  g_free (self->profile_arn);
  self->profile_arn = profile_arn && *profile_arn ? g_strdup (profile_arn) : NULL;
  amq_model_catalog_set_profile_arn (self->catalog, self->profile_arn);
}

void
amq_server_set_ping_interval (AmqServer *self, guint seconds)
{
  self->ping_interval = seconds;
}

static void
amq_server_finalize (GObject *object)
{
  AmqServer *self = AMQ_SERVER (object);

  stop_accepting (self);
  soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_hash_table_foreach (self->clients, forget_client, NULL);
  g_hash_table_unref (self->clients);
  g_clear_object (&self->tokens);
  g_clear_object (&self->upstream);
  g_clear_object (&self->models);
  g_clear_object (&self->log);
  g_clear_object (&self->catalog);
  g_free (self->api_key);
  g_free (self->profile_arn);
  g_free (self->address);
  g_free (self->url);
  G_OBJECT_CLASS (amq_server_parent_class)->finalize (object);
}

static void
amq_server_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqServer *self = AMQ_SERVER (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      g_value_set_boolean (value, self->listening);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_server_class_init (AmqServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = amq_server_finalize;
  object_class->get_property = amq_server_get_property;
  properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE,
                                                     G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* "http://127.0.0.1:8080" while listening, NULL when stopped */
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_server_init (AmqServer *self)
{
  self->soup = soup_server_new ("server-header", "amq2api/" PACKAGE_VERSION, NULL);
  self->clients = g_hash_table_new (g_str_hash, g_str_equal);
  self->ping_interval = AMQ_SSE_PING_INTERVAL;
  self->started_at = g_get_monotonic_time ();
  self->log = amq_request_log_new (AMQ_REQUEST_LOG_DEFAULT_LIMIT);
  soup_server_add_handler (self->soup, NULL, handle, self, NULL);
}

AmqServer *
amq_server_new (AmqTokenManager *tokens, AmqUpstream *upstream, AmqModelMap *models)
{
  AmqServer *self = g_object_new (AMQ_TYPE_SERVER, NULL);

  self->tokens = g_object_ref (tokens);
  self->upstream = g_object_ref (upstream);
  self->models = g_object_ref (models);
  self->catalog = amq_model_catalog_new (tokens, upstream);
  return self;
}
