/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-sse-writer.c: Anthropic's message events, each written as the event it is */
#include "config.h"

#include "amq-sse-writer.h"

#include "amq-error.h"
#include "amq-json.h"

struct _AmqSseWriter
{
  GObject        parent_instance;
  AmqSseChannel *channel;
  GString       *text;     /* the channel's buffer */
};

static void amq_sse_writer_sink_init (AmqEventSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqSseWriter, amq_sse_writer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_EVENT_SINK, amq_sse_writer_sink_init))

static void
begin_event (AmqSseWriter *self,
             const char   *type)
{
  amq_sse_channel_begin_typed_event (self->channel, type);
}

static void
end_event (AmqSseWriter *self)
{
  g_string_append (self->text, "}\n\n");
  amq_sse_channel_commit (self->channel);
}

/* Ends the stream's last event: message_stop, or an error. */
static void
end_last_event (AmqSseWriter *self)
{
  g_string_append (self->text, "}\n\n");
  amq_sse_channel_finish (self->channel);
}

static void
sse_message_start (AmqEventSink *sink, const char *message_id, const char *model,
                   const AmqUsage *usage)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);
  AmqUsage start_usage = *usage;

  begin_event (self, "message_start");
  g_string_append (self->text, ",\"message\":{\"id\":");
  amq_json_append_string (self->text, message_id, -1);
  g_string_append (self->text, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  amq_json_append_string (self->text, model, -1);
  g_string_append (self->text, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
  start_usage.output_tokens = 1;
  amq_usage_append_json (self->text, &start_usage);
  g_string_append_c (self->text, '}');
  end_event (self);
}

static void
sse_block_start (AmqEventSink *sink, guint index, AmqBlockKind kind,
                 const char *tool_id, const char *tool_name)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "content_block_start");
  g_string_append_printf (self->text, ",\"index\":%u,\"content_block\":", index);
  switch (kind)
    {
    case AMQ_BLOCK_TOOL_USE:
      g_string_append (self->text, "{\"type\":\"tool_use\",\"id\":");
      amq_json_append_string (self->text, tool_id, -1);
      g_string_append (self->text, ",\"name\":");
      amq_json_append_string (self->text, tool_name, -1);
      g_string_append (self->text, ",\"input\":{}}");
      break;
    case AMQ_BLOCK_THINKING:
      g_string_append (self->text, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");
      break;
    case AMQ_BLOCK_TEXT:
    default:
      g_string_append (self->text, "{\"type\":\"text\",\"text\":\"\"}");
      break;
    }
  end_event (self);
}

static void
sse_block_delta (AmqEventSink *sink, guint index, AmqDeltaKind kind,
                 const char *text, gsize length)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);
  static const char * const prefixes[] = {
    [AMQ_DELTA_TEXT] = "{\"type\":\"text_delta\",\"text\":",
    [AMQ_DELTA_INPUT_JSON] = "{\"type\":\"input_json_delta\",\"partial_json\":",
    [AMQ_DELTA_THINKING] = "{\"type\":\"thinking_delta\",\"thinking\":",
    [AMQ_DELTA_SIGNATURE] = "{\"type\":\"signature_delta\",\"signature\":",
  };

  begin_event (self, "content_block_delta");
  g_string_append_printf (self->text, ",\"index\":%u,\"delta\":", index);
  g_string_append (self->text, prefixes[kind]);
  amq_json_append_string (self->text, text, length);
  g_string_append_c (self->text, '}');
  end_event (self);
}

static void
sse_block_stop (AmqEventSink *sink, guint index)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "content_block_stop");
  g_string_append_printf (self->text, ",\"index\":%u", index);
  end_event (self);
}

static void
sse_message_end (AmqEventSink *sink, const char *stop_reason, const char *stop_sequence,
                 const AmqUsage *usage)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "message_delta");
  g_string_append (self->text, ",\"delta\":{\"stop_reason\":");
  amq_json_append_string (self->text, stop_reason, -1);
  g_string_append (self->text, ",\"stop_sequence\":");
  if (stop_sequence != NULL)
    amq_json_append_string (self->text, stop_sequence, -1);
  else
    g_string_append (self->text, "null");
  g_string_append (self->text, "},\"usage\":");
  amq_usage_append_json (self->text, usage);
  end_event (self);
  begin_event (self, "message_stop");
  end_last_event (self);
}

static void
sse_error (AmqEventSink *sink, const GError *error)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "error");
  g_string_append (self->text, ",\"error\":{\"type\":");
  amq_json_append_string (self->text, amq_error_anthropic_type (error), -1);
  g_string_append (self->text, ",\"message\":");
  amq_json_append_string (self->text, error->message, -1);
  g_string_append_c (self->text, '}');
  end_last_event (self);
}

static void
amq_sse_writer_sink_init (AmqEventSinkInterface *iface)
{
  iface->message_start = sse_message_start;
  iface->block_start = sse_block_start;
  iface->block_delta = sse_block_delta;
  iface->block_stop = sse_block_stop;
  iface->message_end = sse_message_end;
  iface->error = sse_error;
}

const char *
amq_sse_writer_peek_text (AmqSseWriter *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_WRITER (self), NULL);

  return amq_sse_channel_peek_text (self->channel);
}

gboolean
amq_sse_writer_is_complete (AmqSseWriter *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_WRITER (self), FALSE);

  return amq_sse_channel_is_complete (self->channel);
}

static void
amq_sse_writer_finalize (GObject *object)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (object);

  g_object_unref (self->channel);
  G_OBJECT_CLASS (amq_sse_writer_parent_class)->finalize (object);
}

static void
amq_sse_writer_class_init (AmqSseWriterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_sse_writer_finalize;
}

static void
amq_sse_writer_init (AmqSseWriter *self)
{
}

AmqSseWriter *
amq_sse_writer_new_for_channel (AmqSseChannel *channel)
{
  AmqSseWriter *self;

  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (channel), NULL);

  self = g_object_new (AMQ_TYPE_SSE_WRITER, NULL);
  self->channel = g_object_ref (channel);
  self->text = amq_sse_channel_get_buffer (channel);
  return self;
}

AmqSseWriter *
amq_sse_writer_new (SoupServerMessage *message)
{
  g_autoptr(AmqSseChannel) channel = NULL;

  g_return_val_if_fail (message == NULL || SOUP_IS_SERVER_MESSAGE (message), NULL);

  channel = amq_sse_channel_new (message, AMQ_SSE_WRITER_PING);
  return amq_sse_writer_new_for_channel (channel);
}
