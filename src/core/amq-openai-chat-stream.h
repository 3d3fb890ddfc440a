/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-stream.h: message events as OpenAI chat.completion.chunk server-sent events */
#pragma once

#include "amq-event-sink.h"
#include "amq-sse-channel.h"

G_BEGIN_DECLS

#define AMQ_TYPE_OPENAI_CHAT_STREAM (amq_openai_chat_stream_get_type ())
G_DECLARE_FINAL_TYPE (AmqOpenaiChatStream, amq_openai_chat_stream, AMQ, OPENAI_CHAT_STREAM, GObject)

/* Writes "data: {chunk}" events into @channel (create it with AMQ_SSE_COMMENT_PING): a role
 * delta first, content, reasoning_content and tool-call deltas, a chunk with the
 * finish_reason, a usage chunk when @include_usage (stream_options.include_usage), then
 * "data: [DONE]". A failure ends the stream with "data: {"error":{...}}" and no [DONE].
 * The message id and model given to message_start become the chunks' id and model;
 * @created is the Unix time in seconds. */
AmqOpenaiChatStream *amq_openai_chat_stream_new (AmqSseChannel *channel,
                                                 gint64         created,
                                                 gboolean       include_usage);

G_END_DECLS
