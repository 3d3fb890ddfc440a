/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-stream.c: every event is one chunk with one choice; tool calls are numbered in arrival order */
#include "config.h"

#include "amq-openai-chat-stream.h"

#include "amq-error.h"
#include "amq-json.h"
#include "amq-openai-chat-completion.h"

struct _AmqOpenaiChatStream
{
  GObject        parent_instance;
  AmqSseChannel *channel;
  GString       *text;          /* the channel's buffer */
  gint64         created;
  gboolean       include_usage;
  char          *chunk_head;    /* "data: {"id":...,"choices":[" — the same on every chunk */
  guint          n_tool_calls;
};

static void amq_openai_chat_stream_sink_init (AmqEventSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqOpenaiChatStream, amq_openai_chat_stream, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_EVENT_SINK, amq_openai_chat_stream_sink_init))

/* Starts a chunk whose one choice carries a delta: the caller appends the delta's members. */
static void
begin_delta (AmqOpenaiChatStream *self)
{
  g_string_append (self->text, self->chunk_head);
  g_string_append (self->text, "{\"index\":0,\"delta\":{");
}

/* Ends the delta and the chunk. OpenAI's chunks carry "usage":null until the usage chunk when
 * usage was asked for. */
static void
end_delta (AmqOpenaiChatStream *self, const char *finish_reason)
{
  g_string_append (self->text, "},\"logprobs\":null,\"finish_reason\":");
  if (finish_reason != NULL)
    amq_json_append_string (self->text, finish_reason, -1);
  else
    g_string_append (self->text, "null");
  g_string_append (self->text, self->include_usage ? "}],\"usage\":null}\n\n" : "}]}\n\n");
  amq_sse_channel_commit (self->channel);
}

static void
chat_message_start (AmqEventSink *sink, const char *message_id, const char *model,
                    const AmqUsage *usage)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (sink);
  GString *head = g_string_new ("data: {\"id\":");

  amq_json_append_string (head, message_id, -1);
  g_string_append_printf (head, ",\"object\":\"chat.completion.chunk\",\"created\":%" G_GINT64_FORMAT
                          ",\"model\":", self->created);
  amq_json_append_string (head, model, -1);
  g_string_append (head, ",\"choices\":[");
  g_free (self->chunk_head);
  self->chunk_head = g_string_free (head, FALSE);
  begin_delta (self);
  g_string_append (self->text, "\"role\":\"assistant\",\"content\":\"\"");
  end_delta (self, NULL);
}

static void
chat_block_start (AmqEventSink *sink, guint index, AmqBlockKind kind,
                  const char *tool_id, const char *tool_name)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (sink);

  if (kind != AMQ_BLOCK_TOOL_USE)
    return;
  /* id, type and name come first, with empty arguments: clients key the call on them */
  begin_delta (self);
  g_string_append_printf (self->text, "\"tool_calls\":[{\"index\":%u,\"id\":", self->n_tool_calls++);
  amq_json_append_string (self->text, tool_id, -1);
  g_string_append (self->text, ",\"type\":\"function\",\"function\":{\"name\":");
  amq_json_append_string (self->text, tool_name, -1);
  g_string_append (self->text, ",\"arguments\":\"\"}}]");
  end_delta (self, NULL);
}

static void
chat_block_delta (AmqEventSink *sink, guint index, AmqDeltaKind kind,
                  const char *text, gsize length)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (sink);

  if (kind == AMQ_DELTA_SIGNATURE)
    return;  /* OpenAI has nothing to carry it */
  begin_delta (self);
  switch (kind)
    {
    case AMQ_DELTA_INPUT_JSON:
      /* the delta belongs to the call opened last: blocks never interleave */
      g_string_append_printf (self->text, "\"tool_calls\":[{\"index\":%u,\"function\":{\"arguments\":",
                              self->n_tool_calls - 1);
      amq_json_append_string (self->text, text, length);
      g_string_append (self->text, "}}]");
      break;
    case AMQ_DELTA_THINKING:
      g_string_append (self->text, "\"reasoning_content\":");
      amq_json_append_string (self->text, text, length);
      break;
    case AMQ_DELTA_TEXT:
    case AMQ_DELTA_SIGNATURE:
    default:
      g_string_append (self->text, "\"content\":");
      amq_json_append_string (self->text, text, length);
      break;
    }
  end_delta (self, NULL);
}

static void
chat_block_stop (AmqEventSink *sink, guint index)
{
}

static void
chat_message_end (AmqEventSink *sink, const char *stop_reason, const char *stop_sequence,
                  const AmqUsage *usage)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (sink);

  begin_delta (self);
  end_delta (self, amq_openai_finish_reason (stop_reason));
  if (self->include_usage)
    {
      g_string_append (self->text, self->chunk_head);
      g_string_append (self->text, "],\"usage\":");
      amq_openai_chat_usage_append_json (self->text, usage);
      g_string_append (self->text, "}\n\n");
    }
  g_string_append (self->text, "data: [DONE]\n\n");
  amq_sse_channel_finish (self->channel);
}

static void
chat_error (AmqEventSink *sink, const GError *error)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (sink);

  /* the SDKs throw on a chunk with an "error" member; [DONE] would pass for success */
  g_string_append (self->text, "data: {\"error\":");
  amq_error_append_openai_object (self->text, error);
  g_string_append (self->text, "}\n\n");
  amq_sse_channel_finish (self->channel);
}

static void
amq_openai_chat_stream_sink_init (AmqEventSinkInterface *iface)
{
  iface->message_start = chat_message_start;
  iface->block_start = chat_block_start;
  iface->block_delta = chat_block_delta;
  iface->block_stop = chat_block_stop;
  iface->message_end = chat_message_end;
  iface->error = chat_error;
}

static void
amq_openai_chat_stream_finalize (GObject *object)
{
  AmqOpenaiChatStream *self = AMQ_OPENAI_CHAT_STREAM (object);

  g_object_unref (self->channel);
  g_free (self->chunk_head);
  G_OBJECT_CLASS (amq_openai_chat_stream_parent_class)->finalize (object);
}

static void
amq_openai_chat_stream_class_init (AmqOpenaiChatStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_openai_chat_stream_finalize;
}

static void
amq_openai_chat_stream_init (AmqOpenaiChatStream *self)
{
}

AmqOpenaiChatStream *
amq_openai_chat_stream_new (AmqSseChannel *channel,
                            gint64         created,
                            gboolean       include_usage)
{
  AmqOpenaiChatStream *self;

  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (channel), NULL);
  self = g_object_new (AMQ_TYPE_OPENAI_CHAT_STREAM, NULL);
  self->channel = g_object_ref (channel);
  self->text = amq_sse_channel_get_buffer (channel);
  self->created = created;
  self->include_usage = include_usage;
  return self;
}
