/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-response.h: a built message as an OpenAI Responses API response object, and its output items */
#pragma once

#include <json-glib/json-glib.h>

#include "amq-message-builder.h"

G_BEGIN_DECLS

/* The request fields a response object repeats (instructions, max_output_tokens, tools,
 * tool_choice, temperature, ...), as JSON members without braces; @request NULL gives the
 * defaults. Made once per request, before its body is let go. */
char *amq_openai_response_echo_new    (JsonObject        *request);

/* The response object once @builder received message_end (status completed, or incomplete
 * when the output was cut short); NULL with the error otherwise. @created_at is the Unix
 * time in seconds. */
char *amq_openai_response_render      (AmqMessageBuilder *builder,
                                       gint64             created_at,
                                       const char        *echo,
                                       GError           **error);
/* The response object at any point of a stream: @in_progress gives status in_progress and
 * no output yet; otherwise completed or incomplete, or failed with the builder's error. */
void  amq_openai_response_append      (GString           *out,
                                       AmqMessageBuilder *builder,
                                       gint64             created_at,
                                       const char        *echo,
                                       gboolean           in_progress);
/* The output item of block @index of response @response_id: a message (text), a
 * function_call (tool use) or a reasoning item (thinking). With @text NULL, the item as it
 * starts (status in_progress, nothing in it yet); else the finished item. */
void  amq_openai_response_append_item (GString           *out,
                                       const char        *response_id,
                                       guint              index,
                                       AmqBlockKind       kind,
                                       const GString     *text,
                                       const char        *tool_id,
                                       const char        *tool_name);
/* The one content part of a message item (output_text) or of a reasoning item's summary
 * (summary_text). */
void  amq_openai_response_append_part (GString           *out,
                                       AmqBlockKind       kind,
                                       const char        *text,
                                       gsize              length);
/* completed, or incomplete when the output was cut short (max tokens, a refusal). */
const char *amq_openai_response_status (const char       *stop_reason);
/* msg_…, fc_… or rs_…, the same for the block in every event and in the final object. */
char *amq_openai_response_item_id     (const char        *response_id,
                                       guint              index,
                                       AmqBlockKind       kind);

G_END_DECLS
