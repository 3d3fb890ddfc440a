/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-tool-assembler.h: Amazon Q's toolUseEvent fragments -> whole tool calls */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A tool call whose input is one JSON object, @input its text (not NUL-terminated) of
 * @input_units token units (amq-token-estimator). */
typedef void (*AmqToolCallReady) (const char *id,
                                  const char *name,
                                  const char *input,
                                  gsize       input_length,
                                  guint64     input_units,
                                  gpointer    user_data);

#define AMQ_TYPE_TOOL_ASSEMBLER (amq_tool_assembler_get_type ())
G_DECLARE_FINAL_TYPE (AmqToolAssembler, amq_tool_assembler, AMQ, TOOL_ASSEMBLER, GObject)

AmqToolAssembler *amq_tool_assembler_new         (AmqToolCallReady  ready,
                                                  gpointer          user_data);
/* One toolUseEvent payload. A call is complete at its stop frame or when another call
 * starts; frames re-sent for a call already complete are ignored. */
void              amq_tool_assembler_add         (AmqToolAssembler *self,
                                                  JsonObject       *event);
/* The stream ended: a call that never got its stop frame is still whole if its input is. */
void              amq_tool_assembler_end         (AmqToolAssembler *self);
/* The token units (amq-token-estimator) of the input gathered so far for the call not yet
 * complete, 0 when there is none: a call that can no longer fit an output budget is cut off
 * before it is whole. */
guint64           amq_tool_assembler_get_pending_units (AmqToolAssembler *self);
/* TRUE once a call's input was not one JSON object: the model was cut off. */
gboolean          amq_tool_assembler_get_cut_off (AmqToolAssembler *self);

G_END_DECLS
