/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-converter.c: a validated Anthropic request -> Amazon Q GenerateAssistantResponse body */
#include "config.h"

#include "amq-converter.h"

#include <string.h>

#include "amq-error.h"
#include "amq-history.h"
#include "amq-json.h"
#include "amq-model-map.h"
#include "amq-token-estimator.h"

#define SYSTEM_ACK "Understood. I will follow these instructions."
#define PLACEHOLDER_TOOL_DESCRIPTION "A tool used earlier in this conversation."

static void
add_string_member (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

/* Amazon Q takes names of letters, digits, '_' and '-', at most 64 long. Other names get a
 * readable prefix and a stable hash of the original, so the response maps them back. */
char *
amq_converter_upstream_tool_name (const char *client_name)
{
  g_autofree char *hash = NULL;
  GString *name;
  gboolean valid;

  g_return_val_if_fail (client_name != NULL, NULL);

  valid = strlen (client_name) <= AMQ_MAX_TOOL_NAME;
  for (const char *p = client_name; valid && *p; p++)
    valid = is_name_char (*p);
  if (valid)
    return g_strdup (client_name);
  name = g_string_new (NULL);
  for (const char *p = client_name; *p && name->len < AMQ_MAX_TOOL_NAME - 9; p = g_utf8_next_char (p))
    g_string_append_c (name, is_name_char (*p) ? *p : '_');
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, client_name, -1);
  g_string_append_printf (name, "_%.8s", hash);
  return g_string_free (name, FALSE);
}

/* Cuts @text to at most @max bytes on a character boundary, saying how much was cut. */
static void
trim_text (GString *text, gsize max, const char *what)
{
  g_autofree char *marker = NULL;
  const char *end;

  if (text->len <= max)
    return;
  marker = g_strdup_printf ("\n\n[... %s truncated by Amq2Api: %" G_GSIZE_FORMAT " bytes removed ...]",
                            what, text->len - max);
  end = g_utf8_find_prev_char (text->str, text->str + max + 1);
  g_string_truncate (text, end - text->str);
  g_string_append (text, marker);
}

/* Amazon Q rejects "required": null and "properties": null anywhere in a schema. */
static JsonNode *
normalise_schema (JsonNode *schema)
{
  JsonNode *copy;
  JsonObject *object;

  if (schema == NULL || !JSON_NODE_HOLDS_OBJECT (schema))
    return json_from_string ("{\"type\":\"object\",\"properties\":{}}", NULL);
  copy = json_node_copy (schema);
  object = json_node_get_object (copy);
  if (json_object_has_member (object, "required") &&
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "required")))
    json_object_remove_member (object, "required");
  if (json_object_has_member (object, "properties") &&
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "properties")))
    json_object_set_object_member (object, "properties", json_object_new ());
  if (json_object_has_member (object, "properties"))
    {
      JsonObject *props = json_object_get_object_member (object, "properties");
      g_autoptr(GList) names = json_object_get_members (props);

      for (GList *l = names; l; l = l->next)
        json_object_set_member (props, l->data,
                                normalise_schema (json_object_get_member (props, l->data)));
    }
  if (json_object_has_member (object, "items") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "items")))
    json_object_set_member (object, "items", normalise_schema (json_object_get_member (object, "items")));
  return copy;
}

static void
add_tool_spec (JsonBuilder *b, const char *name, const char *description, JsonNode *schema)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "toolSpecification");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "description");
  json_builder_add_string_value (b, description);
  json_builder_set_member_name (b, "inputSchema");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "json");
  json_builder_add_value (b, schema);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_images (JsonBuilder *b, GPtrArray *images)
{
  if (images->len == 0)
    return;
  json_builder_set_member_name (b, "images");
  json_builder_begin_array (b);
  for (guint i = 0; i < images->len; i++)
    json_builder_add_value (b, json_node_copy (g_ptr_array_index (images, i)));
  json_builder_end_array (b);
}

static void
add_tool_results (JsonBuilder *b, GPtrArray *results)
{
  json_builder_set_member_name (b, "toolResults");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    {
      AmqToolResult *r = g_ptr_array_index (results, i);
      g_autoptr(GString) text = g_string_new (r->text);

      trim_text (text, AMQ_MAX_TOOL_RESULT, "tool result");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "toolUseId");
      json_builder_add_string_value (b, r->tool_use_id);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, r->is_error ? "error" : "success");
      json_builder_set_member_name (b, "content");
      json_builder_begin_array (b);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "text");
      json_builder_add_string_value (b, text->str);
      json_builder_end_object (b);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_env_state (JsonBuilder *b)
{
  json_builder_set_member_name (b, "envState");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operatingSystem");
  json_builder_add_string_value (b, "linux");
  json_builder_set_member_name (b, "currentWorkingDirectory");
  json_builder_add_string_value (b, "/");
  json_builder_end_object (b);
}

static void
add_history_user (JsonBuilder *b, const char *text, AmqTurn *turn, const char *origin)
{
  g_autoptr(GString) content = g_string_new (text);

  trim_text (content, AMQ_MAX_USER_MESSAGE, "message");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "userInputMessage");
  json_builder_begin_object (b);
  add_string_member (b, "content", content->str);
  add_string_member (b, "origin", origin);
  if (turn != NULL)
    {
      add_images (b, turn->images);
      if (turn->tool_results->len > 0)
        {
          json_builder_set_member_name (b, "userInputMessageContext");
          json_builder_begin_object (b);
          add_tool_results (b, turn->tool_results);
          json_builder_end_object (b);
        }
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

static void
add_history_assistant (JsonBuilder *b, const char *text, AmqTurn *turn)
{
  g_autofree char *message_id = g_uuid_string_random ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "assistantResponseMessage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "messageId");
  json_builder_add_string_value (b, message_id);
  json_builder_set_member_name (b, "content");
  json_builder_add_string_value (b, text);
  if (turn != NULL && turn->tool_uses->len > 0)
    {
      json_builder_set_member_name (b, "toolUses");
      json_builder_begin_array (b);
      for (guint i = 0; i < turn->tool_uses->len; i++)
        {
          AmqToolUse *use = g_ptr_array_index (turn->tool_uses, i);
          g_autofree char *name = amq_converter_upstream_tool_name (use->name);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "toolUseId");
          json_builder_add_string_value (b, use->id);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "input");
          json_builder_add_value (b, json_node_copy (use->input));
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
}

/* The tools array: declared tools plus placeholders for names the history uses; long
 * descriptions cut, their full text added to @system. Returns the token units of the specs. */
static guint64
add_tools (JsonBuilder *b, AmqMessagesRequest *request, GPtrArray *turns,
           GHashTable *tool_names, GString *system)
{
  JsonArray *tools = amq_messages_request_get_tools (request);
  g_autoptr(GHashTable) declared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 units = 0;

  json_builder_begin_array (b);
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonObject *tool = json_array_get_object_element (tools, i);
      const char *name = json_object_get_string_member (tool, "name");
      const char *description = amq_json_get_string (tool, "description") ? amq_json_get_string (tool, "description") : "";
      g_autofree char *upstream = amq_converter_upstream_tool_name (name);
      g_autoptr(GString) cut = g_string_new (*description ? description : name);
      JsonNode *schema = normalise_schema (json_object_get_member (tool, "input_schema"));
      g_autofree char *schema_text = json_to_string (schema, FALSE);

      if (g_hash_table_contains (declared, upstream))
        {
          json_node_unref (schema);
          continue;
        }
      if (cut->len > AMQ_MAX_TOOL_DESCRIPTION)
        {
          g_string_append_printf (system, "%s# Full description of the tool %s\n%s",
                                  system->len ? "\n\n" : "", upstream, description);
          trim_text (cut, AMQ_MAX_TOOL_DESCRIPTION - 200, "description");
          g_string_append (cut, " (The full description is in the system instructions.)");
        }
      units += amq_token_units_of (cut->str, cut->len) + amq_token_units_of (schema_text, -1) +
               amq_token_units_of (upstream, -1);
      add_tool_spec (b, upstream, cut->str, schema);
      g_hash_table_add (declared, g_strdup (upstream));
      g_hash_table_insert (tool_names, g_strdup (upstream), g_strdup (name));
    }
  for (guint i = 0; i < turns->len; i++)
    {
      AmqTurn *turn = g_ptr_array_index (turns, i);

      for (guint j = 0; j < turn->tool_uses->len; j++)
        {
          AmqToolUse *use = g_ptr_array_index (turn->tool_uses, j);
          g_autofree char *upstream = amq_converter_upstream_tool_name (use->name);

          if (g_hash_table_contains (declared, upstream))
            continue;
          add_tool_spec (b, upstream, PLACEHOLDER_TOOL_DESCRIPTION,
                         json_from_string ("{\"type\":\"object\",\"properties\":{}}", NULL));
          g_hash_table_add (declared, g_strdup (upstream));
          g_hash_table_insert (tool_names, g_strdup (upstream), g_strdup (use->name));
        }
    }
  json_builder_end_array (b);
  return units;
}

static guint64
turn_units (AmqTurn *turn)
{
  guint64 units = amq_token_units_of (turn->text->str, turn->text->len);

  for (guint i = 0; i < turn->tool_uses->len; i++)
    {
      AmqToolUse *use = g_ptr_array_index (turn->tool_uses, i);
      g_autofree char *input = json_to_string (use->input, FALSE);

      units += amq_token_units_of (input, -1) + amq_token_units_of (use->name, -1);
    }
  for (guint i = 0; i < turn->tool_results->len; i++)
    units += amq_token_units_of (((AmqToolResult *) g_ptr_array_index (turn->tool_results, i))->text, -1);
  units += (guint64) turn->images->len * AMQ_TOKENS_PER_IMAGE * AMQ_UNITS_PER_TOKEN;
  return units;
}

static gboolean
check_images (GPtrArray *turns, GError **error)
{
  AmqTurn *current = g_ptr_array_index (turns, turns->len - 1);

  if (current->images->len > AMQ_MAX_IMAGES)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "messages: too many images in the last message (%u; Amazon Q accepts at most %d)",
                   current->images->len, AMQ_MAX_IMAGES);
      return FALSE;
    }
  for (guint i = 0; i < turns->len; i++)
    {
      AmqTurn *turn = g_ptr_array_index (turns, i);

      for (guint j = 0; j < turn->images->len; j++)
        {
          JsonObject *image = json_node_get_object (g_ptr_array_index (turn->images, j));
          const char *data = json_object_get_string_member (json_object_get_object_member (image, "source"), "bytes");

          if (strlen (data) / 4 * 3 > AMQ_MAX_IMAGE_BYTES)
            {
              g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                           "messages: an image is larger than %d MiB, the most Amazon Q accepts",
                           AMQ_MAX_IMAGE_BYTES / (1024 * 1024));
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* The system text as a first pair, so it reaches the model on every turn, then every turn
 * but the current one. Returns their token units. */
static guint64
add_history (JsonBuilder *b, const char *system, GPtrArray *turns, const char *origin)
{
  guint64 units = 0;
  guint first_turn = 0;

  /* keep within the history limit: drop the oldest user/assistant pairs */
  if (turns->len - 1 > AMQ_MAX_HISTORY - 2)
    first_turn = (turns->len - 1) - (AMQ_MAX_HISTORY - 2);
  first_turn += first_turn % 2;

  json_builder_set_member_name (b, "history");
  json_builder_begin_array (b);
  if (*system != '\0')
    {
      add_history_user (b, system, NULL, origin);
      add_history_assistant (b, SYSTEM_ACK, NULL);
    }
  for (guint i = first_turn; i + 1 < turns->len; i++)
    {
      AmqTurn *turn = g_ptr_array_index (turns, i);

      units += turn_units (turn);
      if (turn->is_user)
        add_history_user (b, turn->text->str, turn, origin);
      else
        add_history_assistant (b, turn->text->str, turn);
    }
  json_builder_end_array (b);
  return units;
}

/* The last user turn, with the model, the tools (@tools, taken) and the thinking prefix. */
static void
add_current_message (JsonBuilder *b, AmqMessagesRequest *request, AmqTurn *current,
                     const char *upstream_model, const char *origin, JsonNode *tools)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (amq_messages_request_get_thinking (request))
    g_string_append_printf (text,
                            "<thinking_mode>enabled</thinking_mode><max_thinking_length>%" G_GINT64_FORMAT "</max_thinking_length>\n",
                            amq_messages_request_get_thinking_budget (request));
  g_string_append (text, current->text->str);
  trim_text (text, AMQ_MAX_USER_MESSAGE, "message");

  json_builder_set_member_name (b, "currentMessage");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "userInputMessage");
  json_builder_begin_object (b);
  add_string_member (b, "content", text->str);
  add_string_member (b, "modelId", upstream_model);
  add_string_member (b, "origin", origin);
  add_images (b, current->images);
  json_builder_set_member_name (b, "userInputMessageContext");
  json_builder_begin_object (b);
  add_env_state (b);
  json_builder_set_member_name (b, "tools");
  json_builder_add_value (b, tools);
  if (current->tool_results->len > 0)
    add_tool_results (b, current->tool_results);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_object (b);
}

AmqConversion *
amq_converter_convert (AmqMessagesRequest        *request,
                       const char                *upstream_model,
                       const AmqConverterOptions *options,
                       GError                   **error)
{
  static const AmqConverterOptions defaults = { AMQ_DEFAULT_ORIGIN, NULL, 0 };
  g_autoptr(GPtrArray) turns = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonBuilder) tools = json_builder_new ();
  g_autoptr(GString) system = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *conversation_id = g_uuid_string_random ();
  g_autofree char *continuation_id = g_uuid_string_random ();
  g_autoptr(AmqConversion) conversion = NULL;
  const char *origin;
  AmqTurn *current;
  guint64 units;
  gsize body_bytes;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (upstream_model != NULL, NULL);

  if (options == NULL)
    options = &defaults;
  origin = options->origin != NULL ? options->origin : AMQ_DEFAULT_ORIGIN;
  turns = amq_history_build (amq_messages_request_get_messages (request));
  if (!check_images (turns, error))
    return NULL;
  conversion = g_new0 (AmqConversion, 1);
  conversion->upstream_model = g_strdup (upstream_model);
  conversion->tool_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  current = g_ptr_array_index (turns, turns->len - 1);

  /* tools first: the full text of cut descriptions goes to the system text */
  system = g_string_new (amq_messages_request_get_system (request));
  units = add_tools (tools, request, turns, conversion->tool_names, system);
  units += amq_token_units_of (system->str, system->len);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "conversationState");
  json_builder_begin_object (b);
  add_string_member (b, "conversationId", conversation_id);
  add_string_member (b, "chatTriggerType", "MANUAL");
  add_string_member (b, "agentTaskType", AMQ_AGENT_TASK_TYPE);
  add_string_member (b, "agentContinuationId", continuation_id);
  units += add_history (b, system->str, turns, origin);
  units += turn_units (current);
  add_current_message (b, request, current, upstream_model, origin, json_builder_get_root (tools));
  json_builder_end_object (b);
  if (options->profile_arn != NULL && *options->profile_arn != '\0')
    add_string_member (b, "profileArn", options->profile_arn);
  json_builder_end_object (b);

  conversion->input_tokens = amq_tokens_from_units (units);
  if (conversion->input_tokens > AMQ_CONTEXT_WINDOW)
    {
      g_propagate_error (error, amq_error_new_prompt_too_long (conversion->input_tokens, AMQ_CONTEXT_WINDOW));
      return NULL;
    }
  root = json_builder_get_root (b);
  conversion->body = json_to_string (root, FALSE);
  body_bytes = strlen (conversion->body);
  /* the service answers a body past its limit with nothing a client can act on */
  if (options->max_body_bytes > 0 && body_bytes > options->max_body_bytes)
    {
      g_propagate_error (error, amq_error_new_body_too_large (conversion->input_tokens, body_bytes,
                                                              options->max_body_bytes));
      return NULL;
    }
  return g_steal_pointer (&conversion);
}

void
amq_conversion_free (AmqConversion *conversion)
{
  if (conversion == NULL)
    return;
  g_free (conversion->body);
  g_free (conversion->upstream_model);
  g_clear_pointer (&conversion->tool_names, g_hash_table_unref);
  g_free (conversion);
}
