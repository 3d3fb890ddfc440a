/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-call.c
 *
 * One Call follows a generation request: token, upstream (with one refresh-and-retry on a
 * refused token; on another account when this one's quota, throttling, capacity, suspension
 * or sign-in fails it before anything reached the client), then either stream (the front end's sink over an AmqSseChannel) or fold
 * (AmqMessageBuilder, rendered by the front end) the translated events. Which API the client
 * speaks is only its AmqFrontEnd's business. The client's answer stays unsent until Amazon Q
 * answered 200, so errors before content are real HTTP errors. A client that goes away
 * cancels the upstream call at once. */
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
#include "amq-translator.h"

/* glibc keeps the freed pages of its heap for itself: a burst of this many calls is worth
 * handing them back once it is over (1,000 streams: 66 MB at the peak, 34 MB after). */
#define TRIM_AFTER_CALLS 16

typedef struct {
  AmqServer            *server;
  SoupServerMessage    *msg;
  const AmqFrontEnd    *front_end;
  AmqAnswerForm         form;
  char                 *request_id;
  AmqMessagesRequest   *request;
  AmqConversion        *conversion;
  AmqAccount           *account;     /* serving it now */
  char                 *profile_arn; /* the one in the body */
  char                 *conversation_key;
  GPtrArray            *tried;       /* accounts that failed it */
  GCancellable         *cancellable;
  char                 *access_token;
  gboolean              retried;
  gboolean              finished;    /* the client side is over: touch msg no more */
  gulong                finished_handler;
  gulong                disconnected_handler;
  GSource              *close_watch;
  SoupMessage          *upstream_msg;
  GInputStream         *upstream_stream;
  AmqSseChannel        *channel;     /* while streaming */
  AmqEventSink         *sink;
  AmqTranslator        *translator;
  AmqEventStreamReader *reader;
  AmqRequestRecord     *record;
} Call;

/* The account's own Amazon Q connection (its egress proxy), else the server's. */
static AmqUpstream *
call_upstream (Call *call)
{
  AmqUpstream *own = amq_account_get_upstream (call->account);

  return own != NULL ? own : call->server->upstream;
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
call_free (Call *call)
{
  AmqServer *server = call->server;

  if (call->finished_handler != 0)
    g_signal_handler_disconnect (call->msg, call->finished_handler);
  if (call->disconnected_handler != 0)
    g_signal_handler_disconnect (call->msg, call->disconnected_handler);
  if (call->close_watch != NULL)
    {
      g_source_destroy (call->close_watch);
      g_source_unref (call->close_watch);
    }
  g_clear_object (&call->msg);
  amq_answer_form_clear (&call->form);
  g_free (call->request_id);
  g_clear_object (&call->request);
  g_clear_pointer (&call->conversion, amq_conversion_free);
  g_clear_object (&call->account);
  g_free (call->profile_arn);
  g_free (call->conversation_key);
  g_ptr_array_unref (call->tried);
  g_clear_object (&call->cancellable);
  g_free (call->access_token);
  g_clear_object (&call->upstream_msg);
  g_clear_object (&call->upstream_stream);
  g_clear_object (&call->channel);  /* a stream's channel lives on until its last events are out */
  g_clear_object (&call->sink);
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
  amq_request_record_complete (call->record, status, error,
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
  amq_server_respond_error (call->server, call->msg, call->front_end, call->request_id, error);
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

/* An answer past the cap of what is kept of it is refused: reading on would only be thrown away. */
static gboolean
call_sink_has_room (Call *call)
{
  return !amq_event_sink_is_full (call->sink);
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
  g_autofree char *json = call->front_end->render (AMQ_MESSAGE_BUILDER (call->sink), &call->form, &error);

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
                           amq_upstream_get_idle_timeout (call_upstream (call)));
    }
  if (call_abandoned (call))
    return;
  amq_translator_end (call->translator, error);
  /* closing the upstream stream drops its socket */
  g_input_stream_close (call->upstream_stream, NULL, NULL);
  if (call->channel == NULL)
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
  g_autofree char *message_id = amq_new_id (call->front_end->id_prefix);

  /* Amazon Q has accepted the body: no retry will send it again */
  g_clear_pointer (&call->conversion->body, g_free);
  amq_account_health_report_success (amq_account_get_health (call->account));
  amq_account_update_credits (call->account, call->server->upstream, FALSE);
  amq_request_record_set_account (call->record, amq_account_get_label (call->account));

  if (amq_messages_request_get_stream (request))
    {
      call->channel = amq_sse_channel_new (call->msg, call->front_end->ping_text);
      amq_sse_channel_set_ping_interval (call->channel, call->server->ping_interval);
      call->sink = call->front_end->stream_new (call->channel, &call->form);
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
  const AmqCredits *credits = amq_account_health_get_credits (amq_account_get_health (call->account));
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
    .quota_reset = credits ? credits->resets_at : 0,
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

/* The body names the profile ARN last (amq-converter.c): another account's replaces it. */
static void
swap_profile_arn (Call *call, const char *profile_arn)
{
  g_autofree char *old = amq_json_quote (call->profile_arn);
  g_autofree char *new = amq_json_quote (profile_arn);
  g_autofree char *old_end = g_strdup_printf (",\"profileArn\":%s}", old);
  char *body = call->conversion->body;
  gsize length = strlen (body), old_length = strlen (old_end);

  g_assert (length >= old_length && g_str_has_suffix (body, old_end));
  body[length - old_length] = '\0';
  call->conversion->body = g_strdup_printf ("%s,\"profileArn\":%s}", body, new);
  g_free (body);
  g_free (call->profile_arn);
  call->profile_arn = g_strdup (profile_arn);
}

/* @error failed the call on its account before anything reached the client: when it rests the
 * account, the call goes on with another. FALSE when it is for the client to hear. */
static gboolean
fail_over (Call *call, const GError *error)
{
  AmqAccount *next;
  g_autofree char *profile_arn = NULL;

  if (!amq_account_health_report_failure (amq_account_get_health (call->account), error))
    return FALSE;
  g_ptr_array_add (call->tried, g_object_ref (call->account));
  next = amq_account_pool_pick (call->server->pool, call->conversation_key, call->tried, NULL);
  if (next == NULL)
    return FALSE;
  g_info ("request %s: account %s failed (%s); going on with %s", call->request_id,
          amq_account_get_label (call->account), error->message, amq_account_get_label (next));
  g_set_object (&call->account, next);
  profile_arn = amq_account_dup_profile_arn (next);
  if (g_strcmp0 (profile_arn, call->profile_arn) != 0)
    swap_profile_arn (call, profile_arn);
  g_clear_object (&call->upstream_stream);
  g_clear_object (&call->upstream_msg);
  call->retried = FALSE;
  fetch_token (call);
  return TRUE;
}

/* With several accounts and none left for this call: the pool's answer, a 429 saying when the
 * first is back, rather than the last account's own failure. */
static GError *
none_left (Call *call, const GError *error)
{
  gint64 back = G_MAXINT64;
  GError *all_down;

  if (g_list_model_get_n_items (G_LIST_MODEL (call->server->pool)) < 2 ||
      amq_account_pool_pick (call->server->pool, NULL, NULL, &back) != NULL)
    return g_error_copy (error);
  all_down = g_error_new (AMQ_ERROR, AMQ_ERROR_RATE_LIMIT, "No Amazon Q account can take this request now "
                          "(the last said: %s)", error->message);
  if (back != G_MAXINT64)
    amq_error_set_retry_after (all_down, back - g_get_real_time () / G_USEC_PER_SEC);
  return all_down;
}

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
      amq_token_manager_invalidate (amq_account_get_tokens (call->account), call->access_token);
      g_clear_object (&call->upstream_stream);
      g_clear_object (&call->upstream_msg);
      fetch_token (call);
      return;
    }
  if (!fail_over (call, error))
    {
      g_autoptr(GError) answer = none_left (call, error);
      call_fail (call, answer);
    }
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
      /* a refused refresh token ends this account's sign-in: another may serve */
      if (!fail_over (call, error))
        {
          g_autoptr(GError) answer = none_left (call, error);
          call_fail (call, answer);
        }
      return;
    }
  amq_upstream_send_async (call_upstream (call), call->conversion->body, call->access_token,
                           call->cancellable, on_upstream_response, call);
}

static void
fetch_token (Call *call)
{
  amq_token_manager_get_token_async (amq_account_get_tokens (call->account), call->cancellable, on_token, call);
}

/* ---- the client going away ---- */

static void
on_client_gone (SoupServerMessage *msg, gpointer user_data)
{
  Call *call = user_data;

  if (call->finished)
    return;
  call->finished = TRUE;
  g_clear_signal_handler (&call->finished_handler, call->msg);
  g_clear_signal_handler (&call->disconnected_handler, call->msg);
  if (call->channel != NULL)
    amq_sse_channel_detach (call->channel);
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
      g_autofree char *json = call->front_end->error_json (error, call->request_id);

      amq_server_respond_json (call->msg, amq_error_http_status (error), json);
    }
  /* a paused answer with nothing more to write would keep its connection forever: end it,
   * so libsoup writes to the dead socket, fails and lets the connection go */
  soup_message_body_complete (soup_server_message_get_response_body (call->msg));
  soup_server_message_unpause (call->msg);
}

void
amq_server_call_start (AmqServer *self, SoupServerMessage *msg, const AmqFrontEnd *front_end,
                       AmqAnswerForm *form, const char *request_id, AmqRequestRecord *record,
                       AmqMessagesRequest *request, AmqConversion *conversion, AmqAccount *account,
                       const char *conversation_key)
{
  Call *call = g_new0 (Call, 1);
  GSocket *socket = amq_listener_get_client_socket (self->listener, msg);

  g_assert (front_end != NULL && form != NULL && request != NULL && conversion != NULL && account != NULL);

  call->server = g_object_ref (self);
  amq_server_track_answer (self, msg);
  self->active_calls++;
  self->peak_calls = MAX (self->peak_calls, self->active_calls);
  call->msg = g_object_ref (msg);
  call->front_end = front_end;
  call->form = *form;
  call->form.echo = g_steal_pointer (&form->echo);
  call->request_id = g_strdup (request_id);
  /* the converted body carries everything from here on */
  amq_messages_request_release_conversation (request);
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  call->request = request;
  call->conversion = conversion;
  call->account = g_object_ref (account);
  call->profile_arn = amq_account_dup_profile_arn (account);
  call->conversation_key = g_strdup (conversation_key);
  call->tried = g_ptr_array_new_with_free_func (g_object_unref);
  call->cancellable = g_cancellable_new ();
  call->record = g_object_ref (record);
  call->finished_handler = g_signal_connect (msg, "finished", G_CALLBACK (on_client_gone), call);
  /* the server stopping drops connections without finishing their messages */
  call->disconnected_handler = g_signal_connect (msg, "disconnected", G_CALLBACK (on_client_gone), call);
  if (socket != NULL)
    call->close_watch = amq_close_watch_new (socket, on_client_closed, call);
  soup_server_message_pause (msg);
  fetch_token (call);
}
