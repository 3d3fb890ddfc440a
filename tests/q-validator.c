/* SPDX-License-Identifier: GPL-3.0-or-later */
/* q-validator.c: what Amazon Q refuses, checked without the converter's code */
#include "config.h"

#include "q-validator.h"

#include <json-glib/json-glib.h>
#include <string.h>

static gboolean
schema_ok (JsonNode *node)
{
  JsonObject *o;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return TRUE;
  o = json_node_get_object (node);
  if (json_object_has_member (o, "required") && !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "required")))
    return FALSE;
  if (json_object_has_member (o, "properties"))
    {
      JsonNode *props = json_object_get_member (o, "properties");
      g_autoptr(GList) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (props))
        return FALSE;
      names = json_object_get_members (json_node_get_object (props));
      for (GList *l = names; l; l = l->next)
        if (!schema_ok (json_object_get_member (json_node_get_object (props), l->data)))
          return FALSE;
    }
  return TRUE;
}

static const char *
content_of (JsonObject *message)
{
  return json_object_get_string_member_with_default (message, "content", NULL);
}

static JsonArray *
results_of (JsonObject *user)
{
  JsonObject *context;

  if (!json_object_has_member (user, "userInputMessageContext"))
    return NULL;
  context = json_object_get_object_member (user, "userInputMessageContext");
  if (!json_object_has_member (context, "toolResults"))
    return NULL;
  return json_object_get_array_member (context, "toolResults");
}

#define BAD(...) do { return g_strdup_printf (__VA_ARGS__); } while (0)
#define REFUSE(how, ...) do { if (answer != NULL) *answer = (how); return g_strdup_printf (__VA_ARGS__); } while (0)

char *
q_validate_caller (const char *given_origin, const char *profile_arn, const char *origin, QAnswer *answer)
{
  g_auto(GStrv) fields = NULL;

  if (g_strcmp0 (given_origin, origin) != 0)
    REFUSE (Q_ANSWER_IMPROPERLY_FORMED, "origin is '%s', not '%s'", given_origin ? given_origin : "(none)", origin);
  if (profile_arn == NULL || *profile_arn == '\0')
    REFUSE (Q_ANSWER_PROFILE_REQUIRED, "no profileArn");
  /* arn:aws:codewhisperer:REGION:ACCOUNT:profile/ID */
  fields = g_strsplit (profile_arn, ":", 6);
  if (g_strv_length (fields) != 6 || !g_str_equal (fields[0], "arn") || !g_str_equal (fields[2], "codewhisperer") ||
      *fields[3] == '\0' || *fields[4] == '\0' || !g_str_has_prefix (fields[5], "profile/") || fields[5][8] == '\0')
    REFUSE (Q_ANSWER_INVALID_PROFILE, "profileArn '%s' is not a profile ARN", profile_arn);
  return NULL;
}

/* Kiro's additions to the conversation state (PROTOCOL.md §1.6). */
static char *
dialect_problem (JsonObject *root, JsonObject *state, const char *origin, QAnswer *answer)
{
  const char *continuation = json_object_get_string_member_with_default (state, "agentContinuationId", NULL);

  if (g_strcmp0 (json_object_get_string_member_with_default (state, "agentTaskType", NULL), "vibe") != 0)
    REFUSE (Q_ANSWER_IMPROPERLY_FORMED, "agentTaskType is not vibe");
  if (continuation == NULL || !g_uuid_string_is_valid (continuation))
    REFUSE (Q_ANSWER_IMPROPERLY_FORMED, "agentContinuationId is not a UUID");
  return q_validate_caller (origin, json_object_get_string_member_with_default (root, "profileArn", NULL),
                            origin, answer);
}

/* Every tool spec acceptable; their names go to @declared. */
static char *
tools_problem (JsonArray *tools, GHashTable *declared)
{
  for (guint i = 0; tools && i < json_array_get_length (tools); i++)
    {
      JsonObject *spec = json_object_get_object_member (json_array_get_object_element (tools, i), "toolSpecification");
      const char *name = json_object_get_string_member (spec, "name");
      const char *description = json_object_get_string_member_with_default (spec, "description", "");

      if (strlen (name) > 64 || *name == '\0')
        BAD ("tool name '%s' is empty or longer than 64", name);
      for (const char *c = name; *c; c++)
        if (!g_ascii_isalnum (*c) && *c != '_' && *c != '-')
          BAD ("tool name '%s' has a character Amazon Q refuses", name);
      if (*description == '\0' || strlen (description) > 10000)
        BAD ("tool '%s' description is empty or too long", name);
      if (!schema_ok (json_object_get_member (json_object_get_object_member (spec, "inputSchema"), "json")))
        BAD ("tool '%s' schema has null required/properties", name);
      g_hash_table_add (declared, (gpointer) name);
    }
  return NULL;
}

/* User turn @i answers exactly the tool uses of the turn before it, in their order. */
static char *
user_turn_problem (GPtrArray *turns, guint i, const char *origin)
{
  JsonObject *turn = g_ptr_array_index (turns, i);
  JsonArray *results = results_of (turn);
  JsonObject *previous = i > 0 ? g_ptr_array_index (turns, i - 1) : NULL;
  JsonArray *uses = previous && json_object_has_member (previous, "toolUses")
                    ? json_object_get_array_member (previous, "toolUses") : NULL;
  guint n_results = results ? json_array_get_length (results) : 0;
  guint n_uses = uses ? json_array_get_length (uses) : 0;

  if (g_strcmp0 (json_object_get_string_member_with_default (turn, "origin", NULL), origin) != 0)
    BAD ("user turn %u does not name the origin %s", i, origin);
  if (n_results != n_uses)
    BAD ("turn %u answers %u tool uses with %u results", i, n_uses, n_results);
  for (guint j = 0; j < n_results; j++)
    {
      JsonObject *r = json_array_get_object_element (results, j);
      JsonObject *u = json_array_get_object_element (uses, j);
      const char *status = json_object_get_string_member_with_default (r, "status", "");
      JsonArray *rc = json_object_get_array_member (r, "content");

      if (g_strcmp0 (json_object_get_string_member (r, "toolUseId"),
                     json_object_get_string_member (u, "toolUseId")) != 0)
        BAD ("turn %u result %u answers another tool use", i, j);
      if (!g_str_equal (status, "success") && !g_str_equal (status, "error"))
        BAD ("turn %u result %u status '%s'", i, j, status);
      if (rc == NULL || json_array_get_length (rc) == 0)
        BAD ("turn %u result %u has no content", i, j);
    }
  return NULL;
}

/* An assistant turn uses declared tools, with object inputs and distinct ids. */
static char *
assistant_turn_problem (JsonObject *turn, GHashTable *declared)
{
  JsonArray *uses = json_object_has_member (turn, "toolUses") ? json_object_get_array_member (turn, "toolUses") : NULL;
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint j = 0; uses != NULL && j < json_array_get_length (uses); j++)
    {
      JsonObject *u = json_array_get_object_element (uses, j);
      const char *name = json_object_get_string_member (u, "name");

      if (!g_hash_table_contains (declared, name))
        BAD ("tool '%s' used in history is not declared", name);
      if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (u, "input")))
        BAD ("tool use input is not an object");
      if (!g_hash_table_add (ids, (gpointer) json_object_get_string_member (u, "toolUseId")))
        BAD ("tool use id repeated in one turn");
    }
  return NULL;
}

char *
q_validate (const char *body, const char *origin, QAnswer *answer)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *state, *current, *context;
  JsonArray *history, *tools;
  g_autoptr(GHashTable) declared = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) turns = g_ptr_array_new ();  /* JsonObject, user/assistant alternating */
  char *problem = NULL;
  guint n_history;

  if (answer != NULL)
    *answer = Q_ANSWER_IMPROPERLY_FORMED;
  if (strlen (body) > Q_MAX_BODY_BYTES)
    BAD ("body is %zu bytes, past what the service takes", strlen (body));
  if (!json_parser_load_from_data (parser, body, -1, NULL) || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    BAD ("body is not a JSON object");
  root = json_node_get_object (json_parser_get_root (parser));
  state = json_object_get_object_member (root, "conversationState");
  if (state == NULL)
    BAD ("no conversationState");
  if ((problem = dialect_problem (root, state, origin, answer)) != NULL)
    return problem;
  if (g_strcmp0 (json_object_get_string_member_with_default (state, "chatTriggerType", ""), "MANUAL") != 0)
    BAD ("chatTriggerType is not MANUAL");
  if (json_object_get_string_member_with_default (state, "conversationId", NULL) == NULL)
    BAD ("no conversationId");
  history = json_object_has_member (state, "history") ? json_object_get_array_member (state, "history") : NULL;
  current = json_object_get_object_member (json_object_get_object_member (state, "currentMessage"), "userInputMessage");
  if (current == NULL)
    BAD ("currentMessage is not a user message");
  if (json_object_get_string_member_with_default (current, "modelId", NULL) == NULL)
    BAD ("no modelId");
  context = json_object_has_member (current, "userInputMessageContext")
            ? json_object_get_object_member (current, "userInputMessageContext") : NULL;
  tools = context && json_object_has_member (context, "tools") ? json_object_get_array_member (context, "tools") : NULL;
  if ((problem = tools_problem (tools, declared)) != NULL)
    return problem;
  n_history = history ? json_array_get_length (history) : 0;
  if (n_history > 10000)
    BAD ("history has %u entries", n_history);
  for (guint i = 0; i < n_history; i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);
      gboolean want_user = i % 2 == 0;
      JsonObject *message = json_object_get_object_member (entry, want_user ? "userInputMessage" : "assistantResponseMessage");

      if (message == NULL)
        BAD ("history %u is not a %s turn", i, want_user ? "user" : "assistant");
      g_ptr_array_add (turns, message);
    }
  if (n_history % 2 != 0)
    BAD ("history ends with a user turn before the current user message");
  g_ptr_array_add (turns, current);
  for (guint i = 0; i < turns->len && problem == NULL; i++)
    {
      const char *content = content_of (g_ptr_array_index (turns, i));

      if (content == NULL || *content == '\0')
        BAD ("turn %u has empty content", i);
      problem = i % 2 == 0 ? user_turn_problem (turns, i, origin)
                           : assistant_turn_problem (g_ptr_array_index (turns, i), declared);
    }
  return problem;
}
