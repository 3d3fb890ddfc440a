/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-draft.h: the Messages request an OpenAI request becomes, built piece by piece, each piece remembering the OpenAI field it came from */
#pragma once

#include <json-glib/json-glib.h>

#include "amq-messages-request.h"

G_BEGIN_DECLS

/* How a piece's members are named on the OpenAI side: the Messages member @from is OpenAI's
 * @to ("" when the piece itself is the field); with @whole, everything below @from maps to
 * @to too (an image's whole source is one URL). Tables end with a NULL @from. */
typedef struct {
  const char *from;
  const char *to;
  gboolean    whole;
} AmqOpenaiRename;

typedef enum {
  AMQ_OPENAI_OBJECT,
  AMQ_OPENAI_ARRAY,
  AMQ_OPENAI_STRING,
} AmqOpenaiShape;

typedef struct _AmqOpenaiDraft AmqOpenaiDraft;

/* @messages_field is where the client's conversation is: "messages" or "input". */
AmqOpenaiDraft     *amq_openai_draft_new          (const char           *messages_field);
void                amq_openai_draft_free         (AmqOpenaiDraft       *self);

/* Sets a top-level member (model, stream, max_tokens, stop_sequences, system, ...) to @node
 * (taken), which the client sent at @path. */
void                amq_openai_draft_set          (AmqOpenaiDraft       *self,
                                                   const char           *member,
                                                   JsonNode             *node,
                                                   const char           *path);
/* Appends a message of @role (user, assistant or system), made from the client's @path;
 * returns it, its content an empty block array. */
JsonObject         *amq_openai_draft_add_message  (AmqOpenaiDraft       *self,
                                                   const char           *role,
                                                   const char           *path);
/* Appends @block (taken) to the last message's content. */
void                amq_openai_draft_add_block    (AmqOpenaiDraft       *self,
                                                   JsonObject           *block,
                                                   const char           *path,
                                                   const AmqOpenaiRename *renames);
/* A text block holding @text (a string node, referenced). */
void                amq_openai_draft_add_text     (AmqOpenaiDraft       *self,
                                                   JsonNode             *text,
                                                   const char           *path,
                                                   const AmqOpenaiRename *renames);
/* tool_choice, either API's shape, as far as Amazon Q allows: "none" offers no tool at all,
 * a named function only that one; "auto" and "required" offer them all (Amazon Q has no way
 * to force a call: with "required" or a named function the model may still answer in text).
 * Call before adding tools. */
gboolean            amq_openai_draft_set_tool_choice (AmqOpenaiDraft    *self,
                                                   JsonNode             *choice,
                                                   GError              **error);
/* The client's function tools, less those tool_choice leaves out. Chat Completions nests name,
 * description and parameters in "function", the Responses API puts them beside "type". Other
 * tools (custom, hosted) are left out too: nothing upstream could run them. */
gboolean            amq_openai_draft_add_tools    (AmqOpenaiDraft       *self,
                                                   JsonNode             *tools,
                                                   GError              **error);
/* reasoning effort ("none", "minimal", "low", "medium", "high", "xhigh"; NULL node: none)
 * as extended thinking with a budget to match. */
gboolean            amq_openai_draft_set_effort   (AmqOpenaiDraft       *self,
                                                   JsonNode             *effort,
                                                   const char           *path,
                                                   GError              **error);
/* Validates the draft with the Messages rules; an error names the client's field. */
AmqMessagesRequest *amq_openai_draft_finish       (AmqOpenaiDraft       *self,
                                                   GError              **error);

/* What the client sent at @path (NULL when absent) has @shape; else an invalid_request_error
 * worded as the Messages validation words it. */
gboolean            amq_openai_expect             (JsonNode             *node,
                                                   AmqOpenaiShape        shape,
                                                   const char           *path,
                                                   GError              **error);
/* Member @name of @object (the client's @path) when it has @shape; NULL with the error otherwise. */
JsonNode           *amq_openai_member             (JsonObject           *object,
                                                   const char           *name,
                                                   const char           *path,
                                                   AmqOpenaiShape        shape,
                                                   GError              **error);
/* @from's member @from_member, when present, as @to's @to_member (referenced). */
void                amq_openai_copy_member        (JsonObject           *to,
                                                   const char           *to_member,
                                                   JsonObject           *from,
                                                   const char           *from_member);
/* An image block from a data URL ("data:image/png;base64,..."); remote URLs are refused. */
JsonObject         *amq_openai_image_block        (JsonNode             *url,
                                                   const char           *path,
                                                   GError              **error);
/* A tool call's "arguments", a string holding a JSON object, as that object ("" is {}). */
JsonNode           *amq_openai_parse_arguments    (JsonNode             *arguments,
                                                   const char           *path,
                                                   GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqOpenaiDraft, amq_openai_draft_free)

G_END_DECLS
