/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-request.h: a POST /v1/chat/completions body as the same validated request POST /v1/messages makes */
#pragma once

#include "amq-messages-request.h"

G_BEGIN_DECLS

/* system and developer messages become the system prompt; user text and image_url parts
 * (base64 data URLs), assistant content and tool_calls, and tool messages answering them by
 * tool_call_id become the conversation; function tools, tool_choice (see
 * amq_openai_draft_add_tools), max_completion_tokens or max_tokens, stop, stream and
 * reasoning_effort (extended thinking) carry over. n other than 1, remote image URLs and the
 * legacy functions API are refused; a tool that is not a function (hosted tools) is left out
 * as Amazon Q cannot run it. Errors name the client's field: "messages[2].tool_calls[0].
 * function.arguments: ...". @include_usage tells whether stream_options.include_usage asks
 * for the usage chunk. */
AmqMessagesRequest *amq_openai_chat_request_parse (GBytes    *body,
                                                   gboolean  *include_usage,
                                                   GError   **error);

G_END_DECLS
