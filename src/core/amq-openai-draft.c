/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-draft.c
 *
 * Every rule about a valid request lives in AmqMessagesRequest; OpenAI requests are reshaped
 * into its shape and checked there. Its errors name Messages paths ("messages.3.content.0.
 * source.data"), so each piece added here records the OpenAI path it came from, and a failed
 * validation is reworded with the path the client sent ("messages[3].content[0].image_url.url"). */
#include "config.h"

#include "amq-openai-draft.h"

#include <string.h>

#include "amq-error.h"
#include "amq-json.h"
#include "amq-openai-fields.h"

/* An OpenAI request may name no output limit, the Messages rules want one, and the translator
 * enforces it: more than any Amazon Q model writes in one answer, so it never cuts one short. */
#define DEFAULT_MAX_TOKENS 128000

typedef struct {
  char                  *path;
  const AmqOpenaiRename *renames;
} Origin;

struct _AmqOpenaiDraft
{
  JsonNode   *root;
  JsonObject *object;
  JsonArray  *messages;
  JsonArray  *tools;
  GHashTable *origins;          /* Messages path -> Origin */
  gboolean    nested_tools;     /* Chat Completions: a tool's members are in "function" */
  gboolean    no_tools;
  char       *only_tool;
  char       *only_tool_path;
  gboolean    only_tool_found;
};

static JsonNode *parse_arguments (JsonNode *arguments, const char *path, GError **error);

/* @from's member @from_member, when present, as @to's @to_member. */
static void
copy_member (JsonObject *to, const char *to_member, JsonObject *from, const char *from_member)
{
  JsonNode *node = json_object_get_member (from, from_member);

  if (node != NULL)
    json_object_set_member (to, to_member, json_node_ref (node));
}

static void
origin_free (gpointer data)
{
  Origin *origin = data;

  g_free (origin->path);
  g_free (origin);
}

static void
remember (AmqOpenaiDraft *self, char *messages_path, const char *path, const AmqOpenaiRename *renames)
{
  Origin *origin = g_new0 (Origin, 1);

  origin->path = g_strdup (path);
  origin->renames = renames;
  g_hash_table_replace (self->origins, messages_path, origin);
}

AmqOpenaiDraft *
amq_openai_draft_new (const char *messages_field)
{
  AmqOpenaiDraft *self;

  g_return_val_if_fail (messages_field != NULL, NULL);
  self = g_new0 (AmqOpenaiDraft, 1);
  self->object = json_object_new ();
  self->root = json_node_init_object (json_node_alloc (), self->object);
  self->messages = json_array_new ();
  self->tools = json_array_new ();
  json_object_set_array_member (self->object, "messages", self->messages);
  json_object_set_array_member (self->object, "tools", self->tools);
  json_object_set_int_member (self->object, "max_tokens", DEFAULT_MAX_TOKENS);
  self->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, origin_free);
  remember (self, g_strdup ("messages"), messages_field, NULL);
  self->nested_tools = g_str_equal (messages_field, "messages");
  return self;
}

void
amq_openai_draft_free (AmqOpenaiDraft *self)
{
  if (self == NULL)
    return;
  json_node_unref (self->root);
  json_object_unref (self->object);
  g_hash_table_unref (self->origins);
  g_free (self->only_tool);
  g_free (self->only_tool_path);
  g_free (self);
}

void
amq_openai_draft_set (AmqOpenaiDraft *self,
                      const char     *member,
                      JsonNode       *node,
                      const char     *path)
{
  g_return_if_fail (self != NULL && member != NULL && node != NULL && path != NULL);
  json_object_set_member (self->object, member, node);
  remember (self, g_strdup (member), path, NULL);
}

JsonObject *
amq_openai_draft_add_message (AmqOpenaiDraft *self,
                              const char     *role,
                              const char     *path)
{
  JsonObject *message;

  g_return_val_if_fail (self != NULL && role != NULL && path != NULL, NULL);
  message = json_object_new ();
  json_object_set_string_member (message, "role", role);
  json_object_set_array_member (message, "content", json_array_new ());
  remember (self, g_strdup_printf ("messages.%u", json_array_get_length (self->messages)), path, NULL);
  json_array_add_object_element (self->messages, message);
  return message;
}

void
amq_openai_draft_add_block (AmqOpenaiDraft        *self,
                            JsonObject            *block,
                            const char            *path,
                            const AmqOpenaiRename *renames)
{
  guint last;
  JsonArray *content;

  g_return_if_fail (self != NULL && block != NULL && path != NULL);
  g_return_if_fail (json_array_get_length (self->messages) > 0);
  last = json_array_get_length (self->messages) - 1;
  content = json_object_get_array_member (json_array_get_object_element (self->messages, last), "content");
  remember (self, g_strdup_printf ("messages.%u.content.%u", last, json_array_get_length (content)), path, renames);
  json_array_add_object_element (content, block);
}

void
amq_openai_draft_add_text (AmqOpenaiDraft        *self,
                           JsonNode              *text,
                           const char            *path,
                           const AmqOpenaiRename *renames)
{
  g_return_if_fail (self != NULL && text != NULL && path != NULL);

  amq_openai_draft_add_block (self, amq_openai_text_block (text), path, renames);
}

void
amq_openai_draft_add_system (AmqOpenaiDraft *self,
                             JsonNode       *content,
                             const char     *path)
{
  JsonObject *message;

  g_return_if_fail (self != NULL && path != NULL);
  message = amq_openai_draft_add_message (self, "system", path);
  /* folded into the system prompt by the Messages rules; text parts carry "text" */
  json_object_remove_member (message, "content");
  if (content != NULL)
    json_object_set_member (message, "content", json_node_ref (content));
}

void
amq_openai_draft_add_thinking (AmqOpenaiDraft *self,
                               const char     *text,
                               const char     *path)
{
  JsonObject *block;

  g_return_if_fail (self != NULL && path != NULL);
  if (text == NULL || *text == '\0')
    return;
  block = json_object_new ();
  json_object_set_string_member (block, "type", "thinking");
  json_object_set_string_member (block, "thinking", text);
  amq_openai_draft_add_block (self, block, path, NULL);
}

gboolean
amq_openai_draft_add_tool_use (AmqOpenaiDraft        *self,
                               JsonNode              *id,
                               JsonNode              *name,
                               JsonNode              *arguments,
                               const char            *path,
                               const char            *arguments_path,
                               const AmqOpenaiRename *renames,
                               GError               **error)
{
  JsonNode *input;
  JsonObject *block;

  g_return_val_if_fail (self != NULL && path != NULL && arguments_path != NULL, FALSE);
  if ((input = parse_arguments (arguments, arguments_path, error)) == NULL)
    return FALSE;
  block = json_object_new ();
  json_object_set_string_member (block, "type", "tool_use");
  if (id != NULL)
    json_object_set_member (block, "id", json_node_ref (id));
  if (name != NULL)
    json_object_set_member (block, "name", json_node_ref (name));
  json_object_set_member (block, "input", input);
  amq_openai_draft_add_block (self, block, path, renames);
  return TRUE;
}

gboolean
amq_openai_draft_add_parts (AmqOpenaiDraft     *self,
                            JsonArray          *parts,
                            const char         *path,
                            AmqOpenaiPartFunc   part_block,
                            GError            **error)
{
  g_return_val_if_fail (self != NULL && parts != NULL && path != NULL && part_block != NULL, FALSE);
  for (guint i = 0; i < json_array_get_length (parts); i++)
    {
      g_autofree char *part_path = g_strdup_printf ("%s[%u]", path, i);
      const AmqOpenaiRename *renames = NULL;
      JsonObject *block = part_block (json_array_get_element (parts, i), part_path, &renames, error);

      if (block == NULL)
        return FALSE;
      amq_openai_draft_add_block (self, block, part_path, renames);
    }
  return TRUE;
}

gboolean
amq_openai_draft_add_tool_result (AmqOpenaiDraft        *self,
                                  JsonNode              *call_id,
                                  JsonNode              *output,
                                  const char            *path,
                                  const char            *output_path,
                                  AmqOpenaiPartFunc      part_block,
                                  const AmqOpenaiRename *renames,
                                  GError               **error)
{
  g_autoptr(JsonObject) result = json_object_new ();

  g_return_val_if_fail (self != NULL && path != NULL && output_path != NULL && part_block != NULL, FALSE);
  json_object_set_string_member (result, "type", "tool_result");
  if (call_id != NULL)
    json_object_set_member (result, "tool_use_id", json_node_ref (call_id));
  if (output != NULL && JSON_NODE_HOLDS_ARRAY (output))
    {
      JsonArray *blocks = json_array_new ();

      json_object_set_array_member (result, "content", blocks);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (output)); i++)
        {
          g_autofree char *part_path = g_strdup_printf ("%s[%u]", output_path, i);
          const AmqOpenaiRename *part_renames = NULL;
          JsonObject *block = part_block (json_array_get_element (json_node_get_array (output), i), part_path,
                                          &part_renames, error);

          if (block == NULL)
            return FALSE;
          json_array_add_object_element (blocks, block);
        }
    }
  else if (output != NULL)
    json_object_set_member (result, "content", json_node_ref (output));
  amq_openai_draft_add_message (self, "user", path);
  amq_openai_draft_add_block (self, g_steal_pointer (&result), path, renames);
  return TRUE;
}

/* tool_choice, either API's shape: what add_tool lets through */
static gboolean
set_tool_choice (AmqOpenaiDraft  *self,
                 JsonNode        *choice,
                 GError         **error)
{
  const char *mode = NULL;
  JsonObject *object;
  JsonNode *name, *function;

  if (choice == NULL || JSON_NODE_HOLDS_NULL (choice))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (choice) && json_node_get_value_type (choice) == G_TYPE_STRING)
    mode = json_node_get_string (choice);
  if (g_strcmp0 (mode, "none") == 0 || g_strcmp0 (mode, "auto") == 0 || g_strcmp0 (mode, "required") == 0)
    {
      self->no_tools = g_str_equal (mode, "none");
      return TRUE;
    }
  object = JSON_NODE_HOLDS_OBJECT (choice) ? json_node_get_object (choice) : NULL;
  if (object == NULL || amq_json_get_string (object, "type") == NULL)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "tool_choice: Input should be 'none', 'auto', 'required' or a function to call");
      return FALSE;
    }
  if (!g_str_equal (amq_json_get_string (object, "type"), "function"))
    return TRUE;  /* allowed_tools and hosted tools: every function stays offered */
  /* Chat Completions names it in "function", the Responses API beside "type" */
  function = json_object_get_member (object, "function");
  if (function != NULL && JSON_NODE_HOLDS_OBJECT (function))
    {
      name = json_object_get_member (json_node_get_object (function), "name");
      self->only_tool_path = g_strdup ("tool_choice.function.name");
    }
  else
    {
      name = json_object_get_member (object, "name");
      self->only_tool_path = g_strdup ("tool_choice.name");
    }
  if (!amq_openai_expect (name, AMQ_OPENAI_STRING, self->only_tool_path, error))
    return FALSE;
  self->only_tool = g_strdup (json_node_get_string (name));
  return TRUE;
}

/* Where a tool's members came from: Chat Completions nests them in "function". */
static const AmqOpenaiRename nested_function[] = {
  { "name", "function.name", FALSE }, { "input_schema", "function.parameters", TRUE }, { NULL, NULL, FALSE },
};
static const AmqOpenaiRename flat_function[] = { { "input_schema", "parameters", TRUE }, { NULL, NULL, FALSE } };

static void
add_tool (AmqOpenaiDraft *self, JsonObject *function, const char *path, const AmqOpenaiRename *renames)
{
  JsonObject *tool;
  const char *description = amq_json_get_string (function, "description");

  if (self->no_tools ||
      (self->only_tool != NULL && g_strcmp0 (amq_json_get_string (function, "name"), self->only_tool) != 0))
    return;
  self->only_tool_found = TRUE;
  tool = json_object_new ();
  copy_member (tool, "name", function, "name");
  if (description != NULL)
    json_object_set_string_member (tool, "description", description);
  copy_member (tool, "input_schema", function, "parameters");
  remember (self, g_strdup_printf ("tools.%u", json_array_get_length (self->tools)), path, renames);
  json_array_add_object_element (self->tools, tool);
}

gboolean
amq_openai_draft_add_tools (AmqOpenaiDraft  *self,
                            JsonObject      *request,
                            GError         **error)
{
  JsonNode *tools;

  g_return_val_if_fail (self != NULL && request != NULL, FALSE);
  if (!set_tool_choice (self, json_object_get_member (request, "tool_choice"), error))
    return FALSE;
  tools = json_object_get_member (request, "tools");
  if (tools == NULL || JSON_NODE_HOLDS_NULL (tools))
    return TRUE;
  if (!amq_openai_expect (tools, AMQ_OPENAI_ARRAY, "tools", error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (tools)); i++)
    {
      g_autofree char *path = g_strdup_printf ("tools[%u]", i);
      JsonNode *node = json_array_get_element (json_node_get_array (tools), i);
      JsonNode *function;
      JsonObject *tool;

      if (!amq_openai_expect (node, AMQ_OPENAI_OBJECT, path, error))
        return FALSE;
      tool = json_node_get_object (node);
      if (json_object_has_member (tool, "type") && g_strcmp0 (amq_json_get_string (tool, "type"), "function") != 0)
        continue;
      function = json_object_get_member (tool, "function");
      if (function != NULL && JSON_NODE_HOLDS_OBJECT (function))
        add_tool (self, json_node_get_object (function), path, nested_function);
      else if (!self->nested_tools)
        add_tool (self, tool, path, flat_function);
      else
        {
          g_autofree char *function_path = g_strdup_printf ("%s.function", path);

          return amq_openai_expect (function, AMQ_OPENAI_OBJECT, function_path, error);
        }
    }
  return TRUE;
}

gboolean
amq_openai_draft_set_effort (AmqOpenaiDraft  *self,
                             JsonNode        *effort,
                             const char      *path,
                             GError         **error)
{
  static const struct { const char *name; gint64 budget; } budgets[] = {
    { "none", 0 }, { "minimal", 0 }, { "low", 4000 }, { "medium", 16000 }, { "high", 32000 }, { "xhigh", 32000 },
  };
  const char *name;

  g_return_val_if_fail (self != NULL && path != NULL, FALSE);
  if (effort == NULL || JSON_NODE_HOLDS_NULL (effort))
    return TRUE;
  if (!amq_openai_expect (effort, AMQ_OPENAI_STRING, path, error))
    return FALSE;
  name = json_node_get_string (effort);
  for (guint i = 0; i < G_N_ELEMENTS (budgets); i++)
    if (g_str_equal (name, budgets[i].name))
      {
        JsonObject *thinking = json_object_new ();

        json_object_set_string_member (thinking, "type", budgets[i].budget > 0 ? "enabled" : "disabled");
        json_object_set_int_member (thinking, "budget_tokens", budgets[i].budget);
        json_object_set_object_member (self->object, "thinking", thinking);
        return TRUE;
      }
  g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
               "%s: Input should be 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'", path);
  return FALSE;
}

/* @origin's path followed by @suffix (".source.data", ".content.1.text" or ""), each Messages
 * member renamed as the origin says and list indexes in brackets. */
static char *
openai_path (const Origin *origin, const char *suffix)
{
  GString *out = g_string_new (origin->path);
  g_auto(GStrv) segments = g_strsplit (*suffix == '.' ? suffix + 1 : suffix, ".", -1);
  guint first = 0;

  for (const AmqOpenaiRename *rename = origin->renames; rename && rename->from && segments[0]; rename++)
    if (g_str_equal (segments[0], rename->from))
      {
        if (*rename->to != '\0')
          g_string_append_printf (out, ".%s", rename->to);
        first = rename->whole ? g_strv_length (segments) : 1;
        break;
      }
  for (guint i = first; segments[i] != NULL && *segments[i] != '\0'; i++)
    {
      if (g_ascii_isdigit (*segments[i]))
        g_string_append_printf (out, "[%s]", segments[i]);
      else
        g_string_append_printf (out, ".%s", segments[i]);
    }
  return g_string_free (out, FALSE);
}

/* Rewords "messages.3.content.0.source.data: ..." with the client's own path. */
static GError *
rename_error (AmqOpenaiDraft *self, GError *error)
{
  const char *end = error->message + strspn (error->message, "abcdefghijklmnopqrstuvwxyz"
                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");
  g_autofree char *path = g_strndup (error->message, end - error->message);
  g_autofree char *suffix = NULL;
  g_autofree char *renamed = NULL;
  char *cut = path + strlen (path);
  Origin *origin = NULL;
  GError *reworded;

  if (*path == '\0' || !g_str_has_prefix (end, ": "))
    return error;
  while ((origin = g_hash_table_lookup (self->origins, path)) == NULL && (cut = strrchr (path, '.')) != NULL)
    *cut = '\0';
  if (origin == NULL)
    return error;
  suffix = g_strndup (error->message + strlen (path), end - error->message - strlen (path));
  renamed = openai_path (origin, suffix);
  reworded = g_error_new (error->domain, error->code, "%s%s", renamed, end);
  g_error_free (error);
  return reworded;
}

AmqMessagesRequest *
amq_openai_draft_finish (AmqOpenaiDraft  *self,
                         GError         **error)
{
  GError *invalid = NULL;
  AmqMessagesRequest *request;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->only_tool != NULL && !self->only_tool_found)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "%s: no function named '%s' in tools",
                   self->only_tool_path, self->only_tool);
      return NULL;
    }
  request = amq_messages_request_new_from_object (self->root, AMQ_REQUEST_MESSAGES, &invalid);
  if (request == NULL)
    g_propagate_error (error, rename_error (self, invalid));
  return request;
}

static JsonNode *
parse_arguments (JsonNode    *arguments,
                 const char  *path,
                 GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  const char *text;

  if (!amq_openai_expect (arguments, AMQ_OPENAI_STRING, path, error))
    return NULL;
  text = json_node_get_string (arguments);
  if (text[strspn (text, " \t\r\n")] == '\0')
    return json_node_init_object (json_node_alloc (), json_object_new ());
  parser = json_parser_new ();
  if (!amq_json_check_text (text, strlen (text), AMQ_JSON_MAX_DEPTH, &parse_error) ||
      !json_parser_load_from_data (parser, text, -1, &parse_error))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "%s: not valid JSON: %s", path, parse_error->message);
      return NULL;
    }
  root = json_parser_steal_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "%s: Input should be a JSON object", path);
      return NULL;
    }
  return g_steal_pointer (&root);
}
