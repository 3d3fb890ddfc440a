/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-translator.h: upstream Amazon Q events -> Anthropic message events (a state machine) */
#pragma once

#include <glib-object.h>

#include "amq-event-frame.h"
#include "amq-event-sink.h"

G_BEGIN_DECLS

#define AMQ_TYPE_TRANSLATOR (amq_translator_get_type ())
G_DECLARE_FINAL_TYPE (AmqTranslator, amq_translator, AMQ, TRANSLATOR, GObject)

AmqTranslator *amq_translator_new                 (AmqEventSink       *sink,
                                                   const char         *message_id,
                                                   const char         *model);
void           amq_translator_set_thinking        (AmqTranslator      *self,
                                                   gboolean            enabled);
void           amq_translator_set_stop_sequences  (AmqTranslator      *self,
                                                   const char * const *stop_sequences);
/* Upstream tool name -> the name the client declared (for shortened names). */
void           amq_translator_set_tool_names      (AmqTranslator      *self,
                                                   GHashTable         *upstream_to_client);
void           amq_translator_set_input_estimate  (AmqTranslator      *self,
                                                   guint64             input_tokens,
                                                   guint64             context_window);
/* The request's max_tokens (0: no limit), which Amazon Q has no field for: once the answer's
 * estimated output reaches it the message ends here with stop_reason "max_tokens", its last
 * text cut to fit and a tool call that does not fit left out. */
void           amq_translator_set_max_tokens      (AmqTranslator      *self,
                                                   guint64             max_tokens);

/* message_start: call once the upstream answered 200, before any frame. */
void           amq_translator_begin               (AmqTranslator      *self);
/* Returns FALSE once the message is complete (stop sequence, max_tokens, upstream exception). */
gboolean       amq_translator_feed                (AmqTranslator      *self,
                                                   const AmqEventFrame *frame);
/* Ends the message: @stream_error (a truncated or failed stream) becomes an error event. */
void           amq_translator_end                 (AmqTranslator      *self,
                                                   const GError       *stream_error);

/* Amazon Q's own numbers (metadataEvent) where it sent them, else the estimates. */
const AmqUsage *amq_translator_get_usage          (AmqTranslator      *self);
const char    *amq_translator_get_stop_reason     (AmqTranslator      *self);
/* Monotonic time of the first content delta, 0 if none yet. */
gint64         amq_translator_get_first_content_time (AmqTranslator   *self);
/* Credits Amazon Q metered for this request (meteringEvent), 0 when it said nothing. */
gdouble        amq_translator_get_credits         (AmqTranslator      *self);
/* Percent of the model's context window in use (contextUsageEvent), 0 when not said. */
gdouble        amq_translator_get_context_usage   (AmqTranslator      *self);

G_END_DECLS
