/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-history.h: Anthropic messages as alternating turns that Amazon Q accepts */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  char     *id;
  char     *name;
  JsonNode *input;        /* object */
} AmqToolUse;

typedef struct {
  char     *tool_use_id;
  gboolean  is_error;
  char     *text;         /* never empty */
} AmqToolResult;

typedef struct {
  gboolean   is_user;
  GString   *text;
  GPtrArray *images;      /* JsonNode {format, source: {bytes}} */
  GPtrArray *tool_uses;   /* AmqToolUse, assistant turns */
  GPtrArray *tool_results;/* AmqToolResult, user turns */
} AmqTurn;

#define AMQ_CANCELLED_TOOL_TEXT "Tool use was cancelled by the user"

/* Builds turns from validated messages (see AmqMessagesRequest) and repairs them:
 * consecutive same-role messages merged (every tool result kept, de-duplicated and ordered
 * like the preceding tool uses), unanswered tool uses answered as cancelled, results with
 * no matching use turned into text, empty contents filled, user first and last. */
GPtrArray *amq_history_build (JsonArray *messages);
void       amq_turn_free     (AmqTurn *turn);

G_END_DECLS
