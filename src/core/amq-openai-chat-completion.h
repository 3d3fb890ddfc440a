/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-completion.h: a built message as OpenAI's chat completion object, and the pieces its chunk stream shares */
#pragma once

#include "amq-message-builder.h"

G_BEGIN_DECLS

/* {"id","object":"chat.completion","created","model","choices":[{"index":0,"message":{...},
 * "finish_reason"}],"usage"} once @builder received message_end; NULL with the error otherwise.
 * @created is the Unix time in seconds. */
char       *amq_openai_chat_completion_render (AmqMessageBuilder *builder,
                                               gint64             created,
                                               GError           **error);
/* An Anthropic stop_reason as OpenAI's finish_reason: stop, tool_calls, length or content_filter. */
const char *amq_openai_finish_reason          (const char        *stop_reason);
/* {"prompt_tokens","completion_tokens","total_tokens","prompt_tokens_details":{"cached_tokens",
 * "cache_write_tokens"}}: prompt_tokens counts all input, of which cached_tokens were read from
 * the cache and cache_write_tokens written to it. */
void        amq_openai_chat_usage_append_json (GString           *out,
                                               const AmqUsage    *usage);
/* Every token the model read: OpenAI counts cached input in its input totals. */
guint64     amq_openai_input_tokens           (const AmqUsage    *usage);

G_END_DECLS
