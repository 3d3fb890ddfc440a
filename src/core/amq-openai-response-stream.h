/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-response-stream.h: message events as the OpenAI Responses API's typed server-sent events */
#pragma once

#include "amq-event-sink.h"
#include "amq-sse-channel.h"

G_BEGIN_DECLS

#define AMQ_TYPE_OPENAI_RESPONSE_STREAM (amq_openai_response_stream_get_type ())
G_DECLARE_FINAL_TYPE (AmqOpenaiResponseStream, amq_openai_response_stream, AMQ, OPENAI_RESPONSE_STREAM, GObject)

/* Writes "event: TYPE\ndata: {...}" events into @channel (create it with
 * AMQ_SSE_COMMENT_PING), each with its sequence_number: response.created,
 * response.in_progress, then per output item response.output_item.added, its content
 * (response.content_part.added, response.output_text.delta/.done, response.content_part.done;
 * response.function_call_arguments.delta/.done; or the reasoning_summary events for
 * thinking) and response.output_item.done, and last response.completed (response.incomplete
 * when the output was cut short). A failure sends an error event, then response.failed.
 * The message id given to message_start is the response id ("resp_..."); @created_at is
 * the Unix time in seconds; @echo comes from amq_openai_response_echo_new(). */
AmqOpenaiResponseStream *amq_openai_response_stream_new (AmqSseChannel *channel,
                                                         gint64         created_at,
                                                         const char    *echo);

G_END_DECLS
