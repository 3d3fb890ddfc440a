/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-messages-request.h: a parsed, validated POST /v1/messages (or count_tokens) body */
#pragma once

#include <json-glib/json-glib.h>

#include "amq-json.h"

G_BEGIN_DECLS


typedef enum {
  AMQ_REQUEST_MESSAGES,
  AMQ_REQUEST_COUNT_TOKENS,   /* max_tokens not required */
} AmqRequestKind;

#define AMQ_TYPE_MESSAGES_REQUEST (amq_messages_request_get_type ())
G_DECLARE_FINAL_TYPE (AmqMessagesRequest, amq_messages_request, AMQ, MESSAGES_REQUEST, GObject)

AmqMessagesRequest *amq_messages_request_parse          (GBytes         *body,
                                                         AmqRequestKind  kind,
                                                         GError        **error);
/* A request body as a JSON object node (UTF-8, nesting bounded): for front ends that reshape
 * another API's body into a Messages request; NULL with an invalid_request_error. */
JsonNode           *amq_messages_request_read_body      (GBytes         *body,
                                                         GError        **error);
/* Validates @root, an object node in the Messages API's shape; keeps a reference to it and
 * normalises it in place. */
AmqMessagesRequest *amq_messages_request_new_from_object (JsonNode      *root,
                                                         AmqRequestKind  kind,
                                                         GError        **error);
const char         *amq_messages_request_get_model      (AmqMessagesRequest *self);
gboolean            amq_messages_request_get_stream     (AmqMessagesRequest *self);
gint64              amq_messages_request_get_max_tokens (AmqMessagesRequest *self);
gboolean            amq_messages_request_get_thinking   (AmqMessagesRequest *self);
gint64              amq_messages_request_get_thinking_budget (AmqMessagesRequest *self);
const char * const *amq_messages_request_get_stop_sequences (AmqMessagesRequest *self);
/* Top-level system plus every role:system message, in order, blank-line separated. */
const char         *amq_messages_request_get_system     (AmqMessagesRequest *self);
/* The user and assistant messages (system ones removed); each content is a block array. */
JsonArray          *amq_messages_request_get_messages   (AmqMessagesRequest *self);
/* Client tools (server tools and deferred tools removed); may be empty. */
JsonArray          *amq_messages_request_get_tools      (AmqMessagesRequest *self);
/* Lets the conversation (system, messages, tools) go once it is converted; the other fields
 * stay. Agents send hundreds of kilobytes a request, and a stream can run for minutes. */
void                amq_messages_request_release_conversation (AmqMessagesRequest *self);

G_END_DECLS
