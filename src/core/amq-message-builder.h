/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-message-builder.h: Anthropic events folded into one non-streaming Message */
#pragma once

#include "amq-event-sink.h"

G_BEGIN_DECLS

/* The most content (text, thinking, tool input, signatures) one collected answer holds: past
 * it the answer is refused, not held, however long Amazon Q goes on. */
#define AMQ_MESSAGE_BUILDER_MAX_CONTENT (32 * 1024 * 1024)

#define AMQ_TYPE_MESSAGE_BUILDER (amq_message_builder_get_type ())
G_DECLARE_FINAL_TYPE (AmqMessageBuilder, amq_message_builder, AMQ, MESSAGE_BUILDER, GObject)

AmqMessageBuilder *amq_message_builder_new       (void);
/* The Message JSON once message_end was received; NULL with the error otherwise. */
char              *amq_message_builder_to_json   (AmqMessageBuilder *self,
                                                  GError           **error);

/* What was built, for other renderings of the same message (OpenAI's formats). */
/* TRUE once message_end was received; FALSE with the error otherwise. */
gboolean           amq_message_builder_check     (AmqMessageBuilder *self,
                                                  GError           **error);
const char        *amq_message_builder_get_id    (AmqMessageBuilder *self);
const char        *amq_message_builder_get_model (AmqMessageBuilder *self);
guint              amq_message_builder_get_n_blocks (AmqMessageBuilder *self);
/* A block's kind; its text (text, thinking, or the tool's input JSON) and, for a tool use,
 * its id and name. */
AmqBlockKind       amq_message_builder_get_block (AmqMessageBuilder *self,
                                                  guint              index,
                                                  const GString    **text,
                                                  const char       **tool_id,
                                                  const char       **tool_name);
const char        *amq_message_builder_get_stop_reason (AmqMessageBuilder *self);
const AmqUsage    *amq_message_builder_get_usage (AmqMessageBuilder *self);

G_END_DECLS
