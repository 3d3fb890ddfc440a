/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-guard.c
 *
 * Each request is checked once its headers are in, before libsoup reads its body: the access
 * policy (Host, Origin, Content-Type), then the body's announced length. A refused request's
 * connection is taken from libsoup and answered by AmqRefusal, so nothing refused is read,
 * kept or handled. A chunked body is counted as it arrives. Two timers bound what a client
 * can hold without sending: the request headers (from the connection on libsoup 3.2, which
 * starts a request when it accepts; from the first byte on later versions) and each silence
 * within the body.
 *
 * libsoup answers a request it cannot parse by itself (400, 501) before any handler runs:
 * every request starts with that answer prepared as an Anthropic error, and a request whose
 * headers parse drops it. */
#include "config.h"

#include "amq-request-guard.h"

#include <string.h>

#include "amq-error.h"
#include "amq-ids.h"
#include "amq-refusal.h"

/* distinct refusal reasons logged; a client inventing Host names gets no more than this */
#define MAX_LOGGED_REASONS 64

static const char malformed_answer[] =
  "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"malformed HTTP request\"}}";

struct _AmqRequestGuard
{
  GObject          parent_instance;
  AmqAccessPolicy *policy;
  AmqRequestLog   *log;
  AmqListener     *listener;
  gsize            max_body_bytes;
  guint            header_timeout;
  guint            body_timeout;
  GHashTable      *logged_reasons;
};

G_DEFINE_FINAL_TYPE (AmqRequestGuard, amq_request_guard, G_TYPE_OBJECT)

/* One request, from its start to its body's end; the message's data. */
typedef struct {
  AmqRequestGuard   *guard;
  SoupServerMessage *msg;         /* owns this */
  guint              timer;
  gboolean           in_body;     /* the headers are in, the body is being read */
  gint64             last_read_us;
  gsize              received;
} Guarded;

static void
guarded_free (gpointer data)
{
  Guarded *guarded = data;

  g_clear_handle_id (&guarded->timer, g_source_remove);
  g_object_unref (guarded->guard);
  g_free (guarded);
}

static void
stop_timer (Guarded *guarded)
{
  g_clear_handle_id (&guarded->timer, g_source_remove);
}

static gboolean on_timer (gpointer user_data);

static void
start_timer (Guarded *guarded, gint64 milliseconds)
{
  stop_timer (guarded);
  guarded->timer = g_timeout_add ((guint) MAX (milliseconds, 1), on_timer, guarded);
}

/* Once per distinct reason in the request log (and on stderr), after that only in verbose logs. */
static void
log_refusal (AmqRequestGuard *self, SoupServerMessage *msg, const char *request_id, const GError *error)
{
  g_autoptr(AmqRequestRecord) record = NULL;
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);

  g_info ("request %s refused: %s", request_id, error->message);
  if (g_hash_table_contains (self->logged_reasons, error->message) ||
      g_hash_table_size (self->logged_reasons) >= MAX_LOGGED_REASONS)
    return;
  g_hash_table_add (self->logged_reasons, g_strdup (error->message));
  g_message ("refused a request: %s", error->message);
  record = amq_request_record_new (request_id, method ? method : "-", uri ? g_uri_get_path (uri) : "-");
  amq_request_record_set_headers (record, soup_server_message_get_request_headers (msg));
  amq_request_log_add (self->log, record);
  amq_request_record_complete (record, amq_error_http_status (error), error->message, 0, 0, 0);
}

/* Takes the connection from libsoup and answers @error on it. */
static void
refuse (Guarded *guarded, const GError *error)
{
  SoupServerMessage *msg = guarded->msg;
  AmqListener *listener = guarded->guard->listener;
  GSocket *socket = listener ? amq_listener_get_client_socket (listener, msg) : NULL;
  /* held across the hand-over, for the half-close */
  g_autoptr(GSocket) held = socket ? g_object_ref (socket) : NULL;
  g_autofree char *request_id = amq_new_id ("req_");
  gboolean with_body = soup_server_message_get_method (msg) != SOUP_METHOD_HEAD;
  g_autoptr(GIOStream) stream = NULL;

  stop_timer (guarded);
  log_refusal (guarded->guard, msg, request_id, error);
  stream = soup_server_message_steal_connection (msg);
  if (stream != NULL)
    amq_refusal_send (stream, held, error, request_id, with_body);
}

static gboolean
on_timer (gpointer user_data)
{
  Guarded *guarded = user_data;
  /* taking the connection drops libsoup's hold on the message, which owns @guarded */
  g_autoptr(SoupServerMessage) msg = g_object_ref (guarded->msg);
  gint64 idle_ms = (g_get_monotonic_time () - guarded->last_read_us) / 1000;
  gint64 limit_ms = guarded->guard->body_timeout * (gint64) 1000;
  g_autoptr(GError) error = NULL;

  guarded->timer = 0;
  if (!guarded->in_body)
    {
      /* no request yet, nothing to answer: a client that sent nothing may only be idle */
      g_autoptr(GIOStream) stream = NULL;

      g_info ("closed a connection that sent no request headers in %u s", guarded->guard->header_timeout);
      stream = soup_server_message_steal_connection (msg);
      if (stream != NULL)
        g_io_stream_close (stream, NULL, NULL);
      return G_SOURCE_REMOVE;
    }
  if (idle_ms < limit_ms)
    {
      start_timer (guarded, limit_ms - idle_ms);
      return G_SOURCE_REMOVE;
    }
  error = g_error_new (AMQ_ERROR, AMQ_ERROR_REQUEST_TIMEOUT,
                       "The request body stopped arriving: nothing came for %u s", guarded->guard->body_timeout);
  refuse (guarded, error);
  return G_SOURCE_REMOVE;
}

static GError *
too_large (AmqRequestGuard *self)
{
  return g_error_new (AMQ_ERROR, AMQ_ERROR_REQUEST_TOO_LARGE,
                      "Request exceeds the maximum allowed number of bytes (%zu MiB)",
                      self->max_body_bytes / (1024 * 1024));
}

/* Content-Length must be a plain number within the limit; chunked bodies are counted later. */
static gboolean
body_length_acceptable (AmqRequestGuard *self, SoupMessageHeaders *headers, GError **error)
{
  const char *length = soup_message_headers_get_list (headers, "Content-Length");
  guint64 value;

  if (length == NULL)
    return TRUE;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    {
      /* which one a proxy in front believed is anyone's guess */
      g_set_error_literal (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                           "A request may not carry both Content-Length and Transfer-Encoding");
      return FALSE;
    }
  if (strspn (length, "0123456789") != strlen (length) ||
      !g_ascii_string_to_unsigned (length, 10, 0, G_MAXINT64, &value, NULL))
    {
      g_autofree char *shown = g_strndup (length, 40);

      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "Content-Length '%s' is not a length",
                   g_strcanon (shown, "0123456789-+, ", '?'));
      return FALSE;
    }
  if (value > self->max_body_bytes)
    {
      *error = too_large (self);
      return FALSE;
    }
  return TRUE;
}

static void
on_got_headers (SoupServerMessage *msg, gpointer user_data)
{
  Guarded *guarded = user_data;
  AmqRequestGuard *self = guarded->guard;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr(GError) error = NULL;

  /* libsoup refused it already (a path climbing out with "..", say): its answer stands */
  if (soup_server_message_get_status (msg) != 0)
    {
      stop_timer (guarded);
      return;
    }
  /* the request parsed: its answer is the handler's, not the prepared one */
  soup_message_body_truncate (soup_server_message_get_response_body (msg));
  soup_message_headers_remove (soup_server_message_get_response_headers (msg), "Content-Type");
  if (!amq_access_policy_check (self->policy, soup_server_message_get_method (msg),
                                soup_server_message_get_uri (msg), headers, &error) ||
      !body_length_acceptable (self, headers, &error))
    {
      refuse (guarded, error);
      return;
    }
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_CHUNKED &&
      soup_message_headers_get_content_length (headers) == 0)
    {
      stop_timer (guarded);
      return;
    }
  guarded->in_body = TRUE;
  guarded->last_read_us = g_get_monotonic_time ();
  start_timer (guarded, self->body_timeout * (gint64) 1000);
}

static void
on_got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer user_data)
{
  Guarded *guarded = user_data;

  guarded->received += g_bytes_get_size (chunk);
  guarded->last_read_us = g_get_monotonic_time ();
  if (guarded->received > guarded->guard->max_body_bytes)
    {
      g_autoptr(GError) error = too_large (guarded->guard);

      refuse (guarded, error);
    }
}

static void
on_request_done (SoupServerMessage *msg, gpointer user_data)
{
  stop_timer (user_data);
}

static void
on_request_started (SoupServer *soup, SoupServerMessage *msg, gpointer user_data)
{
  AmqRequestGuard *self = user_data;
  Guarded *guarded = g_new0 (Guarded, 1);

  guarded->guard = g_object_ref (self);
  guarded->msg = msg;
  g_object_set_data_full (G_OBJECT (msg), "amq-request-guard", guarded, guarded_free);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, malformed_answer,
                                    sizeof malformed_answer - 1);
  g_signal_connect (msg, "got-headers", G_CALLBACK (on_got_headers), guarded);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), guarded);
  g_signal_connect (msg, "got-body", G_CALLBACK (on_request_done), guarded);
  g_signal_connect (msg, "disconnected", G_CALLBACK (on_request_done), guarded);
  start_timer (guarded, self->header_timeout * (gint64) 1000);
}

void
amq_request_guard_set_listener (AmqRequestGuard *self, AmqListener *listener)
{
  g_return_if_fail (AMQ_IS_REQUEST_GUARD (self));
  g_return_if_fail (listener == NULL || AMQ_IS_LISTENER (listener));

  g_set_object (&self->listener, listener);
}

void
amq_request_guard_set_timeouts (AmqRequestGuard *self, guint header_seconds, guint body_seconds)
{
  g_return_if_fail (AMQ_IS_REQUEST_GUARD (self));

  self->header_timeout = header_seconds ? header_seconds : AMQ_DEFAULT_HEADER_TIMEOUT;
  self->body_timeout = body_seconds ? body_seconds : AMQ_DEFAULT_BODY_TIMEOUT;
}

static void
amq_request_guard_finalize (GObject *object)
{
  AmqRequestGuard *self = AMQ_REQUEST_GUARD (object);

  g_clear_object (&self->policy);
  g_clear_object (&self->log);
  g_clear_object (&self->listener);
  g_hash_table_unref (self->logged_reasons);
  G_OBJECT_CLASS (amq_request_guard_parent_class)->finalize (object);
}

static void
amq_request_guard_class_init (AmqRequestGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_request_guard_finalize;
}

static void
amq_request_guard_init (AmqRequestGuard *self)
{
  self->header_timeout = AMQ_DEFAULT_HEADER_TIMEOUT;
  self->body_timeout = AMQ_DEFAULT_BODY_TIMEOUT;
  self->logged_reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

AmqRequestGuard *
amq_request_guard_new (SoupServer *soup, AmqAccessPolicy *policy, AmqRequestLog *log, gsize max_body_bytes)
{
  AmqRequestGuard *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);
  g_return_val_if_fail (AMQ_IS_ACCESS_POLICY (policy), NULL);
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (log), NULL);

  self = g_object_new (AMQ_TYPE_REQUEST_GUARD, NULL);
  self->policy = g_object_ref (policy);
  self->log = g_object_ref (log);
  self->max_body_bytes = max_body_bytes;
  /* requests in flight hold the guard; the server does not, so no cycle */
  g_signal_connect_object (soup, "request-started", G_CALLBACK (on_request_started), self, 0);
  return self;
}
