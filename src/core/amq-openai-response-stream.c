/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-response-stream.c: each block is one output item; the response so far is kept for the events that repeat it */
#include "config.h"

#include "amq-openai-response-stream.h"

#include "amq-error.h"
#include "amq-json.h"
#include "amq-message-builder.h"
#include "amq-openai-response.h"

struct _AmqOpenaiResponseStream
{
  GObject            parent_instance;
  AmqSseChannel     *channel;
  GString           *text;        /* the channel's buffer */
  AmqMessageBuilder *response;    /* everything so far: the .done events and the last event repeat it */
  gint64             created_at;
  char              *echo;
  guint64            sequence_number;
  AmqBlockKind       open_kind;
  char              *item_ref;    /* ,"item_id":"…","output_index":N of the open item */
};

static void amq_openai_response_stream_sink_init (AmqEventSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqOpenaiResponseStream, amq_openai_response_stream, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_EVENT_SINK, amq_openai_response_stream_sink_init))

/* Starts an event: "event: TYPE\ndata: {"type":"TYPE","sequence_number":N" — the caller
 * appends the rest. */
static void
begin_event (AmqOpenaiResponseStream *self, const char *type)
{
  amq_sse_channel_begin_typed_event (self->channel, type);
  g_string_append_printf (self->text, ",\"sequence_number\":%" G_GUINT64_FORMAT, self->sequence_number++);
}

static void
end_event (AmqOpenaiResponseStream *self)
{
  g_string_append (self->text, "}\n\n");
  amq_sse_channel_commit (self->channel);
}

/* Ends the stream's last event: the body ends after it. */
static void
end_last_event (AmqOpenaiResponseStream *self)
{
  g_string_append (self->text, "}\n\n");
  amq_sse_channel_finish (self->channel);
}

/* Starts an event carrying the whole response: response.created, .in_progress, .completed, ... */
static void
write_response_event (AmqOpenaiResponseStream *self, const char *type, gboolean in_progress)
{
  begin_event (self, type);
  g_string_append (self->text, ",\"response\":");
  amq_openai_response_append (self->text, self->response, self->created_at, self->echo, in_progress);
}

static void
response_message_start (AmqEventSink *sink, const char *message_id, const char *model,
                        const AmqUsage *usage)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);

  amq_event_sink_message_start (AMQ_EVENT_SINK (self->response), message_id, model, usage);
  write_response_event (self, "response.created", TRUE);
  end_event (self);
  write_response_event (self, "response.in_progress", TRUE);
  end_event (self);
}

/* The item of block @index: as it starts (@done FALSE) or finished. */
static void
write_item_event (AmqOpenaiResponseStream *self, const char *type, guint index, gboolean done)
{
  const GString *text;
  const char *tool_id, *tool_name;
  AmqBlockKind kind = amq_message_builder_get_block (self->response, index, &text, &tool_id, &tool_name);

  begin_event (self, type);
  g_string_append_printf (self->text, ",\"output_index\":%u,\"item\":", index);
  amq_openai_response_append_item (self->text, amq_message_builder_get_id (self->response), index,
                                   kind, done ? text : NULL, tool_id, tool_name);
  end_event (self);
}

/* content_part.added/.done of a message, reasoning_summary_part.added/.done of a reasoning item */
static void
write_part_event (AmqOpenaiResponseStream *self, const char *type, const GString *text)
{
  begin_event (self, type);
  g_string_append (self->text, self->item_ref);
  g_string_append (self->text, self->open_kind == AMQ_BLOCK_THINKING ? ",\"summary_index\":0,\"part\":"
                                                                     : ",\"content_index\":0,\"part\":");
  amq_openai_response_append_part (self->text, self->open_kind, text ? text->str : "", text ? (gssize) text->len : 0);
  end_event (self);
}

static void
response_block_start (AmqEventSink *sink, guint index, AmqBlockKind kind,
                      const char *tool_id, const char *tool_name)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);
  g_autofree char *item_id = amq_openai_response_item_id (amq_message_builder_get_id (self->response), index, kind);
  GString *ref = g_string_new (",\"item_id\":");

  amq_event_sink_block_start (AMQ_EVENT_SINK (self->response), index, kind, tool_id, tool_name);
  amq_json_append_string (ref, item_id, -1);
  g_string_append_printf (ref, ",\"output_index\":%u", index);
  g_free (self->item_ref);
  self->item_ref = g_string_free (ref, FALSE);
  self->open_kind = kind;
  write_item_event (self, "response.output_item.added", index, FALSE);
  if (kind == AMQ_BLOCK_TEXT)
    write_part_event (self, "response.content_part.added", NULL);
  else if (kind == AMQ_BLOCK_THINKING)
    write_part_event (self, "response.reasoning_summary_part.added", NULL);
}

static void
response_block_delta (AmqEventSink *sink, guint index, AmqDeltaKind kind,
                      const char *text, gsize length)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);

  amq_event_sink_block_delta (AMQ_EVENT_SINK (self->response), index, kind, text, length);
  if (amq_event_sink_is_full (AMQ_EVENT_SINK (self->response)))
    return;  /* the stream fails at its end: its .done events could no longer repeat it */
  switch (kind)
    {
    case AMQ_DELTA_TEXT:
      begin_event (self, "response.output_text.delta");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"content_index\":0,\"delta\":");
      amq_json_append_string (self->text, text, length);
      g_string_append (self->text, ",\"logprobs\":[]");
      break;
    case AMQ_DELTA_INPUT_JSON:
      begin_event (self, "response.function_call_arguments.delta");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"delta\":");
      amq_json_append_string (self->text, text, length);
      break;
    case AMQ_DELTA_THINKING:
      begin_event (self, "response.reasoning_summary_text.delta");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"summary_index\":0,\"delta\":");
      amq_json_append_string (self->text, text, length);
      break;
    case AMQ_DELTA_SIGNATURE:
    default:
      return;  /* OpenAI has nothing to carry it */
    }
  end_event (self);
}

static void
response_block_stop (AmqEventSink *sink, guint index)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);
  const GString *text;

  amq_event_sink_block_stop (AMQ_EVENT_SINK (self->response), index);
  if (amq_event_sink_is_full (AMQ_EVENT_SINK (self->response)))
    return;
  amq_message_builder_get_block (self->response, index, &text, NULL, NULL);
  switch (self->open_kind)
    {
    case AMQ_BLOCK_TOOL_USE:
      begin_event (self, "response.function_call_arguments.done");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"arguments\":");
      amq_json_append_string (self->text, text->str, text->len);
      end_event (self);
      break;
    case AMQ_BLOCK_THINKING:
      begin_event (self, "response.reasoning_summary_text.done");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"summary_index\":0,\"text\":");
      amq_json_append_string (self->text, text->str, text->len);
      end_event (self);
      write_part_event (self, "response.reasoning_summary_part.done", text);
      break;
    case AMQ_BLOCK_TEXT:
    default:
      begin_event (self, "response.output_text.done");
      g_string_append (self->text, self->item_ref);
      g_string_append (self->text, ",\"content_index\":0,\"text\":");
      amq_json_append_string (self->text, text->str, text->len);
      g_string_append (self->text, ",\"logprobs\":[]");
      end_event (self);
      write_part_event (self, "response.content_part.done", text);
      break;
    }
  write_item_event (self, "response.output_item.done", index, TRUE);
}

/* The error event (as OpenAI sends it: the error flat, the documented event, and nested,
 * what its servers send), then the failed response, which ends the stream. */
static void
write_failure (AmqOpenaiResponseStream *self, const GError *error)
{
  g_autofree char *message = amq_error_dup_openai_message (error);
  g_autofree char *param = amq_error_dup_openai_param (error);
  const char *code = amq_error_openai_code (error);

  begin_event (self, "error");
  g_string_append (self->text, ",\"code\":");
  amq_json_append_string (self->text, code ? code : amq_error_openai_type (error), -1);
  g_string_append (self->text, ",\"message\":");
  amq_json_append_string (self->text, message, -1);
  g_string_append (self->text, ",\"param\":");
  if (param != NULL)
    amq_json_append_string (self->text, param, -1);
  else
    g_string_append (self->text, "null");
  g_string_append (self->text, ",\"error\":");
  amq_error_append_openai_object (self->text, error);
  end_event (self);
  write_response_event (self, "response.failed", FALSE);
  end_last_event (self);
}

/* A response past what is kept of it fails, whatever came after: its last events could not
 * repeat it. An invalid request, as with a collected answer: retrying would spend the quota
 * on the same failure. */
static gboolean
fail_if_full (AmqOpenaiResponseStream *self)
{
  g_autoptr(GError) error = NULL;

  if (!amq_event_sink_is_full (AMQ_EVENT_SINK (self->response)))
    return FALSE;
  error = g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                       "The response grew past %u MiB, the most its events can repeat: "
                       "ask for a lower max_output_tokens",
                       AMQ_MESSAGE_BUILDER_MAX_CONTENT / (1024 * 1024));
  write_failure (self, error);
  return TRUE;
}

static void
response_message_end (AmqEventSink *sink, const char *stop_reason, const char *stop_sequence,
                      const AmqUsage *usage)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);
  g_autofree char *type = g_strconcat ("response.", amq_openai_response_status (stop_reason), NULL);

  amq_event_sink_message_end (AMQ_EVENT_SINK (self->response), stop_reason, stop_sequence, usage);
  if (fail_if_full (self))
    return;
  write_response_event (self, type, FALSE);
  end_last_event (self);
}

static void
response_error (AmqEventSink *sink, const GError *error)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (sink);

  amq_event_sink_error (AMQ_EVENT_SINK (self->response), error);
  if (!fail_if_full (self))
    write_failure (self, error);
}

static gboolean
response_is_full (AmqEventSink *sink)
{
  return amq_event_sink_is_full (AMQ_EVENT_SINK (AMQ_OPENAI_RESPONSE_STREAM (sink)->response));
}

static void
amq_openai_response_stream_sink_init (AmqEventSinkInterface *iface)
{
  iface->message_start = response_message_start;
  iface->block_start = response_block_start;
  iface->block_delta = response_block_delta;
  iface->block_stop = response_block_stop;
  iface->message_end = response_message_end;
  iface->error = response_error;
  iface->is_full = response_is_full;
}

static void
amq_openai_response_stream_finalize (GObject *object)
{
  AmqOpenaiResponseStream *self = AMQ_OPENAI_RESPONSE_STREAM (object);

  g_object_unref (self->channel);
  g_object_unref (self->response);
  g_free (self->echo);
  g_free (self->item_ref);
  G_OBJECT_CLASS (amq_openai_response_stream_parent_class)->finalize (object);
}

static void
amq_openai_response_stream_class_init (AmqOpenaiResponseStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_openai_response_stream_finalize;
}

static void
amq_openai_response_stream_init (AmqOpenaiResponseStream *self)
{
  self->response = amq_message_builder_new ();
}

AmqOpenaiResponseStream *
amq_openai_response_stream_new (AmqSseChannel *channel,
                                gint64         created_at,
                                const char    *echo)
{
  AmqOpenaiResponseStream *self;

  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (channel), NULL);
  g_return_val_if_fail (echo != NULL, NULL);
  self = g_object_new (AMQ_TYPE_OPENAI_RESPONSE_STREAM, NULL);
  self->channel = g_object_ref (channel);
  self->text = amq_sse_channel_get_buffer (channel);
  self->created_at = created_at;
  self->echo = g_strdup (echo);
  return self;
}
