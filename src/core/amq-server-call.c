/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-call.c
 *
 * One Call follows a generation request: token, upstream (with one refresh-and-retry on a
 * refused token), then either stream (AmqSseWriter) or fold (AmqMessageBuilder) the
 * translated events. The client's answer stays unsent until Amazon Q answered 200, so errors
 * before content are real HTTP errors. A client that goes away cancels the upstream call at
 * once. */
#include "config.h"

#include <json-glib/json-glib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

#include "amq-close-watch.h"
#include "amq-error.h"
#include "amq-event-stream-reader.h"
#include "amq-ids.h"
#include "amq-json.h"
#include "amq-message-builder.h"
#include "amq-server-private.h"
#include "amq-sse-writer.h"
#include "amq-translator.h"

/* glibc keeps the freed pages of its heap for itself: a burst of this many calls is worth
 * handing them back once it is over (1,000 streams: 66 MB at the peak, 34 MB after). */
#define TRIM_AFTER_CALLS 16

typedef struct {
  AmqServer            *server;
  SoupServerMessage    *msg;
  char                 *request_id;
  AmqMessagesRequest   *request;
  AmqConversion        *conversion;
  GCancellable         *cancellable;
  char                 *access_token;
  gboolean              retried;
  gboolean              finished;    /* the client side is over: touch msg no more */
  gulong                finished_handler;
  GSource              *close_watch;
  SoupMessage          *upstream_msg;
  GInputStream         *upstream_stream;
  AmqEventSink         *sink;
  AmqTranslator        *translator;
  AmqEventStreamReader *reader;
  AmqRequestRecord     *record;
} Call;

static gboolean
release_free_memory (gpointer unused)
{
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static void
call_free (Call *call)
{
  AmqServer *server = call->server;

  if (call->finished_handler != 0)
    g_signal_handler_disconnect (call->msg, call->finished_handler);
  if (call->close_watch != NULL)
    {
      g_source_destroy (call->close_watch);
      g_source_unref (call->close_watch);
    }
  g_clear_object (&call->msg);
  g_free (call->request_id);
  g_clear_object (&call->request);
  g_clear_pointer (&call->conversion, amq_conversion_free);
  g_clear_object (&call->cancellable);
  g_free (call->access_token);
  g_clear_object (&call->upstream_msg);
  g_clear_object (&call->upstream_stream);
  g_clear_object (&call->sink);  /* a stream writer lives on until its last events are out */
  g_clear_object (&call->translator);
  g_clear_object (&call->reader);
  g_clear_object (&call->record);
  g_free (call);
  if (--server->active_calls == 0)
    {
      /* after the upstream has let go of the burst's sessions, which it does when idle */
      if (server->peak_calls >= TRIM_AFTER_CALLS)
        g_idle_add (release_free_memory, NULL);
      server->peak_calls = 0;
    }
  g_object_unref (server);
}

static void
call_record (Call *call, guint status, const char *error)
{
  const AmqUsage *usage = call->translator ? amq_translator_get_usage (call->translator) : NULL;

  if (call->translator != NULL)
    amq_request_record_set_metering (call->record, amq_translator_get_credits (call->translator),
                                     amq_translator_get_context_usage (call->translator));
  amq_request_record_finish (call->record, status, error,
                             call->translator ? amq_translator_get_first_content_time (call->translator) : 0,
                             usage ? usage->input_tokens : call->conversion->input_tokens,
                             usage ? usage->output_tokens : 0);
}

/* The client went away while we waited: nothing to answer. Returns TRUE when the call is over. */
static gboolean
call_abandoned (Call *call)
{
  if (!call->finished)
    return FALSE;
  call_record (call, 499, "the client went away");
  call_free (call);
  return TRUE;
}

/* Answers with @error and ends the call. */
static void
call_fail (Call *call, const GError *error)
{
  g_info ("request %s failed: %s", call->request_id, error->message);
  call_record (call, amq_error_http_status (error), error->message);
  amq_server_respond_error (call->server, call->msg, call->request_id, error);
  soup_server_message_unpause (call->msg);
  call_free (call);
}

/* ---- flow control: what a client or an answer may hold (issue 15) ---- */

/* A client that reads slowly, or not at all, holds Amazon Q back: the upstream reader
 * pauses while the client's stream is congested, and the upstream TCP window does the rest. */
static void
call_follow_client_pace (Call *call)
{
  AmqSseChannel *channel = amq_sse_channel_get_for_message (call->msg);

  if (channel != NULL)
    g_object_bind_property (channel, "congested", call->reader, "paused", G_BINDING_SYNC_CREATE);
}

/* A collected answer past its cap is refused: reading on would only be thrown away. */
static gboolean
call_sink_has_room (Call *call)
{
  return !AMQ_IS_MESSAGE_BUILDER (call->sink) || !amq_message_builder_is_full (AMQ_MESSAGE_BUILDER (call->sink));
}

/* ---- streaming the upstream body ---- */

static gboolean
on_frame (const AmqEventFrame *frame, gpointer user_data)
{
  Call *call = user_data;

  return !call->finished && amq_translator_feed (call->translator, frame) && call_sink_has_room (call);
}

static void
answer_collected (Call *call)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = amq_message_builder_to_json (AMQ_MESSAGE_BUILDER (call->sink), &error);

  if (json == NULL)
    {
      call_fail (call, error);
      return;
    }
  call_record (call, SOUP_STATUS_OK, NULL);
  amq_server_respond_json (call->msg, SOUP_STATUS_OK, json);
  soup_server_message_unpause (call->msg);
  call_free (call);
}

static void
on_body_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  amq_event_stream_reader_read_finish (call->reader, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    {
      g_clear_error (&error);
      error = g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Amazon Q sent nothing for %u seconds",
                           amq_upstream_get_idle_timeout (call->server->upstream));
    }
  if (call_abandoned (call))
    return;
  amq_translator_end (call->translator, error);
  /* closing the upstream stream drops its socket */
  g_input_stream_close (call->upstream_stream, NULL, NULL);
  if (AMQ_IS_MESSAGE_BUILDER (call->sink))
    {
      answer_collected (call);
      return;
    }
  /* a stream that failed after its headers still answered 200: the error event tells, and
   * the writer has completed the chunked body */
  if (error != NULL)
    call->server->errors++;
  call_record (call, SOUP_STATUS_OK, amq_translator_get_stop_reason (call->translator) ? NULL
                                     : error ? error->message : "Amazon Q reported an error mid-stream");
  call_free (call);
}

static void
start_translation (Call *call)
{
  AmqMessagesRequest *request = call->request;
  g_autofree char *message_id = amq_new_id ("msg_");

  /* Amazon Q has accepted the body: no retry will send it again */
  g_clear_pointer (&call->conversion->body, g_free);

  if (amq_messages_request_get_stream (request))
    {
      AmqSseWriter *writer = amq_sse_writer_new (call->msg);

      amq_sse_writer_set_ping_interval (writer, call->server->ping_interval);
      call->sink = AMQ_EVENT_SINK (writer);
    }
  else
    call->sink = AMQ_EVENT_SINK (amq_message_builder_new ());
  call->translator = amq_translator_new (call->sink, message_id, amq_messages_request_get_model (request));
  amq_translator_set_thinking (call->translator, amq_messages_request_get_thinking (request));
  amq_translator_set_stop_sequences (call->translator, amq_messages_request_get_stop_sequences (request));
  amq_translator_set_tool_names (call->translator, call->conversion->tool_names);
  amq_translator_set_input_estimate (call->translator, call->conversion->input_tokens, AMQ_CONTEXT_WINDOW);
  amq_translator_set_max_tokens (call->translator, amq_messages_request_get_max_tokens (request));
  amq_translator_begin (call->translator);
  call->reader = amq_event_stream_reader_new (call->upstream_stream);
  call_follow_client_pace (call);
  amq_event_stream_reader_read_async (call->reader, on_frame, call, call->cancellable, on_body_done, call);
}

/* ---- upstream errors ---- */

/* Seconds from a Retry-After header, delta-seconds or an HTTP date; 0 without a usable one. */
static gint64
retry_after_seconds (SoupMessageHeaders *headers)
{
  const char *value = soup_message_headers_get_one (headers, "Retry-After");
  g_autoptr(GDateTime) date = NULL;
  char *end = NULL;
  gint64 seconds;

  if (value == NULL)
    return 0;
  seconds = g_ascii_strtoll (value, &end, 10);
  if (end != value && *end == '\0')
    return MAX (seconds, 0);
  date = soup_date_time_new_from_http_string (value);
  return date != NULL ? MAX (g_date_time_to_unix (date) - g_get_real_time () / G_USEC_PER_SEC, 0) : 0;
}

static GError *
error_from_upstream_body (Call *call, GBytes *body)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (call->upstream_msg);
  const char *type = soup_message_headers_get_one (headers, "x-amzn-errortype");
  const char *phrase = soup_message_get_reason_phrase (call->upstream_msg);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *short_type = NULL;
  g_autofree char *text = NULL;
  JsonObject *object = body ? amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                            : NULL;
  AmqAwsFault fault = {
    .http_status = soup_message_get_status (call->upstream_msg),
    .retry_after = retry_after_seconds (headers),
    .quota_reset = amq_upstream_get_quota_reset (call->server->upstream),
    .input_tokens = call->conversion->input_tokens,
    .max_input_tokens = AMQ_CONTEXT_WINDOW,
  };

  if (object != NULL)
    {
      fault.message = amq_json_get_string (object, "message") ? amq_json_get_string (object, "message")
                                                               : amq_json_get_string (object, "Message");
      fault.reason = amq_json_get_string (object, "reason");
      if (type == NULL)
        type = amq_json_get_string (object, "__type");
    }
  if (type != NULL)
    {
      const char *hash = strchr (type, '#');
      short_type = g_strndup (hash ? hash + 1 : type, strcspn (hash ? hash + 1 : type, ":"));
      fault.type = short_type;
    }
  if (fault.message == NULL)
    {
      text = g_strdup_printf ("HTTP %u %s", fault.http_status, phrase ? phrase : "");
      fault.message = g_strstrip (text);
    }
  return amq_error_new_from_aws (&fault);
}

static void fetch_token (Call *call);

static void
on_error_body (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  g_autoptr(GError) error = NULL;

  if (call_abandoned (call))
    return;
  error = error_from_upstream_body (call, body);
  /* a refused token: refresh once and try once more */
  if (g_error_matches (error, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION) && !call->retried)
    {
      call->retried = TRUE;
      amq_token_manager_invalidate (call->server->tokens, call->access_token);
      g_clear_object (&call->upstream_stream);
      g_clear_object (&call->upstream_msg);
      fetch_token (call);
      return;
    }
  call_fail (call, error);
}

static void
on_upstream_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) mapped = NULL;

  call->upstream_stream = amq_upstream_send_finish (AMQ_UPSTREAM (source), result, &call->upstream_msg, &error);
  if (call_abandoned (call))
    return;
  if (call->upstream_stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        mapped = g_error_new (AMQ_ERROR, AMQ_ERROR_TIMEOUT, "Amazon Q did not answer in time: %s", error->message);
      else
        mapped = g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM, "could not reach Amazon Q: %s", error->message);
      call_fail (call, mapped);
      return;
    }
  if (soup_message_get_status (call->upstream_msg) != SOUP_STATUS_OK)
    {
      g_input_stream_read_bytes_async (call->upstream_stream, 64 * 1024, G_PRIORITY_DEFAULT,
                                       call->cancellable, on_error_body, call);
      return;
    }
  start_translation (call);
}

static void
on_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(GError) error = NULL;

  g_free (call->access_token);
  call->access_token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);
  if (call_abandoned (call))
    return;
  if (call->access_token == NULL)
    {
      call_fail (call, error);
      return;
    }
  amq_upstream_send_async (call->server->upstream, call->conversion->body, call->access_token,
                           call->cancellable, on_upstream_response, call);
}

static void
fetch_token (Call *call)
{
  amq_token_manager_get_token_async (call->server->tokens, call->cancellable, on_token, call);
}

/* ---- the client going away ---- */

static void
on_client_gone (SoupServerMessage *msg, gpointer user_data)
{
  Call *call = user_data;

  if (call->finished)
    return;
  call->finished = TRUE;
  g_signal_handler_disconnect (call->msg, call->finished_handler);
  call->finished_handler = 0;
  if (AMQ_IS_SSE_WRITER (call->sink))
    amq_sse_writer_detach (AMQ_SSE_WRITER (call->sink));
  g_cancellable_cancel (call->cancellable);
}

/* The socket says the client hung up: stop now, and let libsoup find out as it writes. */
static void
on_client_closed (gpointer user_data)
{
  Call *call = user_data;

  g_clear_pointer (&call->close_watch, g_source_unref);
  if (call->finished)
    return;
  g_info ("request %s: the client went away", call->request_id);
  on_client_gone (call->msg, call);
  /* a client that only half-closed still reads: an error, not an empty 500 (and no server
   * error in the counts: the client chose this) */
  if (soup_server_message_get_status (call->msg) == 0)
    {
      g_autoptr(GError) error = g_error_new_literal (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                                                     "The client closed its side of the connection "
                                                     "before the answer: the request was cancelled");
      g_autofree char *json = amq_error_to_json (error, call->request_id);

      amq_server_respond_json (call->msg, amq_error_http_status (error), json);
    }
  /* a paused answer with nothing more to write would keep its connection forever: end it,
   * so libsoup writes to the dead socket, fails and lets the connection go */
  soup_message_body_complete (soup_server_message_get_response_body (call->msg));
  soup_server_message_unpause (call->msg);
}

void
amq_server_call_start (AmqServer *self, SoupServerMessage *msg, const char *request_id,
                       AmqRequestRecord *record, AmqMessagesRequest *request, AmqConversion *conversion)
{
  Call *call = g_new0 (Call, 1);
  GSocket *socket = amq_listener_get_client_socket (self->listener, msg);

  g_assert (request != NULL && conversion != NULL);

  call->server = g_object_ref (self);
  self->active_calls++;
  self->peak_calls = MAX (self->peak_calls, self->active_calls);
  call->msg = g_object_ref (msg);
  call->request_id = g_strdup (request_id);
  /* the converted body carries everything from here on */
  amq_messages_request_release_conversation (request);
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  call->request = request;
  call->conversion = conversion;
  call->cancellable = g_cancellable_new ();
  call->record = g_object_ref (record);
  call->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_client_gone), call);
  if (socket != NULL)
    call->close_watch = amq_close_watch_new (socket, on_client_closed, call);
  soup_server_message_pause (msg);
  fetch_token (call);
}
