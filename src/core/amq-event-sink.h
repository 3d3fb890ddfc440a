/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-sink.h: receiver of Anthropic response events (SSE writer, message builder) */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  AMQ_BLOCK_TEXT,
  AMQ_BLOCK_TOOL_USE,
  AMQ_BLOCK_THINKING,
} AmqBlockKind;

typedef enum {
  AMQ_DELTA_TEXT,
  AMQ_DELTA_INPUT_JSON,
  AMQ_DELTA_THINKING,
  AMQ_DELTA_SIGNATURE,
} AmqDeltaKind;

typedef struct {
  guint64 input_tokens;
  guint64 output_tokens;
  guint64 cache_creation_input_tokens;
  guint64 cache_read_input_tokens;
} AmqUsage;

#define AMQ_TYPE_EVENT_SINK (amq_event_sink_get_type ())
G_DECLARE_INTERFACE (AmqEventSink, amq_event_sink, AMQ, EVENT_SINK, GObject)

struct _AmqEventSinkInterface
{
  GTypeInterface parent_iface;

  void (*message_start) (AmqEventSink   *self,
                         const char     *message_id,
                         const char     *model,
                         const AmqUsage *usage);
  void (*block_start)   (AmqEventSink   *self,
                         guint           index,
                         AmqBlockKind    kind,
                         const char     *tool_id,
                         const char     *tool_name);
  void (*block_delta)   (AmqEventSink   *self,
                         guint           index,
                         AmqDeltaKind    kind,
                         const char     *text,
                         gsize           length);
  void (*block_stop)    (AmqEventSink   *self,
                         guint           index);
  /* message_delta followed by message_stop */
  void (*message_end)   (AmqEventSink   *self,
                         const char     *stop_reason,
                         const char     *stop_sequence,
                         const AmqUsage *usage);
  void (*error)         (AmqEventSink   *self,
                         const GError   *error);
  /* Optional: TRUE once the sink holds all it may; the producer stops feeding it, and the
   * sink itself tells the client why. */
  gboolean (*is_full)   (AmqEventSink   *self);
};

void amq_event_sink_message_start (AmqEventSink   *self,
                                   const char     *message_id,
                                   const char     *model,
                                   const AmqUsage *usage);
void amq_event_sink_block_start   (AmqEventSink   *self,
                                   guint           index,
                                   AmqBlockKind    kind,
                                   const char     *tool_id,
                                   const char     *tool_name);
void amq_event_sink_block_delta   (AmqEventSink   *self,
                                   guint           index,
                                   AmqDeltaKind    kind,
                                   const char     *text,
                                   gsize           length);
void amq_event_sink_block_stop    (AmqEventSink   *self,
                                   guint           index);
void amq_event_sink_message_end   (AmqEventSink   *self,
                                   const char     *stop_reason,
                                   const char     *stop_sequence,
                                   const AmqUsage *usage);
void amq_event_sink_error         (AmqEventSink   *self,
                                   const GError   *error);
gboolean amq_event_sink_is_full   (AmqEventSink   *self);

void amq_usage_append_json         (GString        *out,
                                   const AmqUsage *usage);

G_END_DECLS
