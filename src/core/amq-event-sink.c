/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-sink.c */
#include "config.h"

#include "amq-event-sink.h"

G_DEFINE_INTERFACE (AmqEventSink, amq_event_sink, G_TYPE_OBJECT)

static void
amq_event_sink_default_init (AmqEventSinkInterface *iface)
{
}

void
amq_event_sink_message_start (AmqEventSink *self, const char *message_id, const char *model,
                              const AmqUsage *usage)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));

  AMQ_EVENT_SINK_GET_IFACE (self)->message_start (self, message_id, model, usage);
}

void
amq_event_sink_block_start (AmqEventSink *self, guint index, AmqBlockKind kind,
                            const char *tool_id, const char *tool_name)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));

  AMQ_EVENT_SINK_GET_IFACE (self)->block_start (self, index, kind, tool_id, tool_name);
}

void
amq_event_sink_block_delta (AmqEventSink *self, guint index, AmqDeltaKind kind,
                            const char *text, gsize length)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));

  AMQ_EVENT_SINK_GET_IFACE (self)->block_delta (self, index, kind, text, length);
}

void
amq_event_sink_block_stop (AmqEventSink *self, guint index)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));

  AMQ_EVENT_SINK_GET_IFACE (self)->block_stop (self, index);
}

void
amq_event_sink_message_end (AmqEventSink *self, const char *stop_reason,
                            const char *stop_sequence, const AmqUsage *usage)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));

  AMQ_EVENT_SINK_GET_IFACE (self)->message_end (self, stop_reason, stop_sequence, usage);
}

void
amq_event_sink_error (AmqEventSink *self, const GError *error)
{
  g_return_if_fail (AMQ_IS_EVENT_SINK (self));
  g_return_if_fail (error != NULL);

  AMQ_EVENT_SINK_GET_IFACE (self)->error (self, error);
}

gboolean
amq_event_sink_is_full (AmqEventSink *self)
{
  AmqEventSinkInterface *iface;

  g_return_val_if_fail (AMQ_IS_EVENT_SINK (self), FALSE);
  iface = AMQ_EVENT_SINK_GET_IFACE (self);
  return iface->is_full != NULL && iface->is_full (self);
}

void
amq_usage_append_json (GString        *out,
                       const AmqUsage *usage)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (usage != NULL);

  g_string_append_printf (out,
                          "{\"input_tokens\":%" G_GUINT64_FORMAT
                          ",\"cache_creation_input_tokens\":%" G_GUINT64_FORMAT
                          ",\"cache_read_input_tokens\":%" G_GUINT64_FORMAT
                          ",\"output_tokens\":%" G_GUINT64_FORMAT "}",
                          usage->input_tokens, usage->cache_creation_input_tokens,
                          usage->cache_read_input_tokens, usage->output_tokens);
}
