/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-responses-request.h: a POST /v1/responses body as the same validated request POST /v1/messages makes */
#pragma once

#include "amq-messages-request.h"

G_BEGIN_DECLS

/* input (a string, or message items with input_text/input_image parts, function_call,
 * function_call_output and reasoning items) becomes the conversation, instructions the system
 * prompt; function tools, tool_choice (see amq_openai_draft_add_tools),
 * max_output_tokens, stream and reasoning.effort (extended thinking) carry over. Requests are
 * stateless, store treated as false: previous_response_id, conversation, item references and
 * background responses are refused. Errors name the client's field ("input[3].arguments:
 * ..."). @echo receives the request fields the response object repeats
 * (amq_openai_response_echo_new()). */
AmqMessagesRequest *amq_openai_responses_request_parse (GBytes   *body,
                                                        char    **echo,
                                                        GError  **error);

G_END_DECLS
