/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-front-ends.c: the APIs the server answers in: Anthropic Messages, OpenAI Chat Completions and Responses
 *
 * All three become the same validated Messages request and the same call to Amazon Q; only
 * the shape of what the client sends and gets back differs, and that is all this table holds. */
#include "config.h"

#include "amq-error.h"
#include "amq-openai-chat-completion.h"
#include "amq-openai-chat-request.h"
#include "amq-openai-chat-stream.h"
#include "amq-openai-response-stream.h"
#include "amq-openai-response.h"
#include "amq-openai-responses-request.h"
#include "amq-server-private.h"
#include "amq-sse-writer.h"

void
amq_answer_form_clear (AmqAnswerForm *form)
{
  g_clear_pointer (&form->echo, g_free);
}

/* ---- Anthropic Messages ---- */

static AmqMessagesRequest *
messages_parse (GBytes *body, AmqAnswerForm *form, GError **error)
{
  return amq_messages_request_parse (body, AMQ_REQUEST_MESSAGES, error);
}

static AmqEventSink *
messages_stream_new (AmqSseChannel *channel, const AmqAnswerForm *form)
{
  return AMQ_EVENT_SINK (amq_sse_writer_new_for_channel (channel));
}

static char *
messages_render (AmqMessageBuilder *builder, const AmqAnswerForm *form, GError **error)
{
  return amq_message_builder_to_json (builder, error);
}

const AmqFrontEnd amq_front_end_messages = {
  .api = AMQ_REQUEST_API_ANTHROPIC,
  .path = "/v1/messages",
  .conversation_field = "messages",
  .id_prefix = "msg_",
  .ping_text = AMQ_SSE_WRITER_PING,
  .bad_key_message = "invalid x-api-key",
  .parse = messages_parse,
  .stream_new = messages_stream_new,
  .render = messages_render,
  .error_json = amq_error_to_json,
};

/* ---- OpenAI ---- */

/* OpenAI's error bodies name no request: its x-request-id header does. */
static char *
openai_error_json (const GError *error, const char *request_id)
{
  return amq_error_to_openai_json (error);
}

static AmqMessagesRequest *
chat_parse (GBytes *body, AmqAnswerForm *form, GError **error)
{
  return amq_openai_chat_request_parse (body, &form->include_usage, error);
}

static AmqEventSink *
chat_stream_new (AmqSseChannel *channel, const AmqAnswerForm *form)
{
  return AMQ_EVENT_SINK (amq_openai_chat_stream_new (channel, form->created, form->include_usage));
}

static char *
chat_render (AmqMessageBuilder *builder, const AmqAnswerForm *form, GError **error)
{
  return amq_openai_chat_completion_render (builder, form->created, error);
}

const AmqFrontEnd amq_front_end_chat = {
  .api = AMQ_REQUEST_API_OPENAI_CHAT,
  .path = "/v1/chat/completions",
  .conversation_field = "messages",
  .id_prefix = "chatcmpl-",
  .ping_text = AMQ_SSE_COMMENT_PING,
  .bad_key_message = "Incorrect API key provided",
  .request_id_header = "x-request-id",
  .parse = chat_parse,
  .stream_new = chat_stream_new,
  .render = chat_render,
  .error_json = openai_error_json,
};

static AmqMessagesRequest *
responses_parse (GBytes *body, AmqAnswerForm *form, GError **error)
{
  return amq_openai_responses_request_parse (body, &form->echo, error);
}

static AmqEventSink *
responses_stream_new (AmqSseChannel *channel, const AmqAnswerForm *form)
{
  return AMQ_EVENT_SINK (amq_openai_response_stream_new (channel, form->created, form->echo));
}

static char *
responses_render (AmqMessageBuilder *builder, const AmqAnswerForm *form, GError **error)
{
  return amq_openai_response_render (builder, form->created, form->echo, error);
}

const AmqFrontEnd amq_front_end_responses = {
  .api = AMQ_REQUEST_API_OPENAI_RESPONSES,
  .path = "/v1/responses",
  .conversation_field = "input",
  .id_prefix = "resp_",
  .ping_text = AMQ_SSE_COMMENT_PING,
  .bad_key_message = "Incorrect API key provided",
  .request_id_header = "x-request-id",
  .parse = responses_parse,
  .stream_new = responses_stream_new,
  .render = responses_render,
  .error_json = openai_error_json,
};
