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

typedef struct _AmqOpenaiDraft AmqOpenaiDraft;

/* The block for one content part the client sent at @path; @renames says where its members
 * came from. NULL with the error when the part cannot be sent. */
typedef JsonObject *(*AmqOpenaiPartFunc) (JsonNode               *part,
                                          const char             *path,
                                          const AmqOpenaiRename **renames,
                                          GError                **error);

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
/* A system or developer message: @content (a string or text parts, as sent) joins the system
 * prompt. */
void                amq_openai_draft_add_system   (AmqOpenaiDraft       *self,
                                                   JsonNode             *content,
                                                   const char           *path);
/* Thinking the client sends back, appended to the last message: history, which goes upstream
 * as text. Nothing when @text is empty. */
void                amq_openai_draft_add_thinking (AmqOpenaiDraft       *self,
                                                   const char           *text,
                                                   const char           *path);
/* A tool call, appended to the last message: a tool_use block with @id, @name and the object
 * @arguments holds (a string holding JSON, sent at @arguments_path; "" is {}). */
gboolean            amq_openai_draft_add_tool_use (AmqOpenaiDraft       *self,
                                                   JsonNode             *id,
                                                   JsonNode             *name,
                                                   JsonNode             *arguments,
                                                   const char           *path,
                                                   const char           *arguments_path,
                                                   const AmqOpenaiRename *renames,
                                                   GError              **error);
/* A block per part of @parts, the list the client sent at @path, appended to the last message. */
gboolean            amq_openai_draft_add_parts    (AmqOpenaiDraft       *self,
                                                   JsonArray            *parts,
                                                   const char           *path,
                                                   AmqOpenaiPartFunc     part_block,
                                                   GError              **error);
/* A user message answering tool call @call_id: a tool_result whose content is @output, a
 * string or a list of parts (sent at @output_path) made blocks by @part_block. The message
 * comes from the client's @path, its members named as @renames says. */
gboolean            amq_openai_draft_add_tool_result (AmqOpenaiDraft    *self,
                                                   JsonNode             *call_id,
                                                   JsonNode             *output,
                                                   const char           *path,
                                                   const char           *output_path,
                                                   AmqOpenaiPartFunc     part_block,
                                                   const AmqOpenaiRename *renames,
                                                   GError              **error);
/* The function tools of the client's @request, less those its tool_choice leaves out. Chat
 * Completions nests name, description and parameters in "function", the Responses API puts
 * them beside "type". Other tools (custom, hosted) are left out too: nothing upstream could
 * run them. tool_choice, either API's shape, goes as far as Amazon Q allows: "none" offers no
 * tool at all, a named function only that one; "auto" and "required" offer them all (Amazon Q
 * has no way to force a call: with "required" or a named function the model may still answer
 * in text). */
gboolean            amq_openai_draft_add_tools    (AmqOpenaiDraft       *self,
                                                   JsonObject           *request,
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqOpenaiDraft, amq_openai_draft_free)

G_END_DECLS
