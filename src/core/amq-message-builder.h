/* amq-message-builder.h: Anthropic events folded into one non-streaming Message */
#pragma once

#include "amq-event-sink.h"

G_BEGIN_DECLS

#define AMQ_TYPE_MESSAGE_BUILDER (amq_message_builder_get_type ())
G_DECLARE_FINAL_TYPE (AmqMessageBuilder, amq_message_builder, AMQ, MESSAGE_BUILDER, GObject)

AmqMessageBuilder *amq_message_builder_new       (void);
/* The Message JSON once message_end was received; NULL with the error otherwise. */
char              *amq_message_builder_to_json   (AmqMessageBuilder *self,
                                                  GError           **error);

G_END_DECLS
