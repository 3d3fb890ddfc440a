/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-messages-request.c
 *
 * Tolerant of what real clients add (unknown keys, cache_control, output_config, ...),
 * strict about what is really wrong, naming the field path in every error. Content given
 * as a string is normalised to one text block so later stages see one shape. */
#include "config.h"

#include "amq-messages-request.h"

#include <string.h>

#include "amq-error.h"
#include "amq-json.h"

struct _AmqMessagesRequest
{
  GObject    parent_instance;
  JsonNode  *root;
  char      *model;
  gboolean   stream;
  gint64     max_tokens;
  gboolean   thinking;
  gint64     thinking_budget;
  GStrv      stop_sequences;
  char      *system;
  JsonArray *messages;
  JsonArray *tools;
};

G_DEFINE_FINAL_TYPE (AmqMessagesRequest, amq_messages_request, G_TYPE_OBJECT)

#define FAIL(error, ...) \
  (g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, __VA_ARGS__), FALSE)

static const char *
node_type_name (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return "null";
  if (JSON_NODE_HOLDS_OBJECT (node))
    return "object";
  if (JSON_NODE_HOLDS_ARRAY (node))
    return "array";
  switch (json_node_get_value_type (node) == G_TYPE_STRING ? 0 :
          json_node_get_value_type (node) == G_TYPE_BOOLEAN ? 1 : 2)
    {
    case 0: return "string";
    case 1: return "boolean";
    default: return "number";
    }
}

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

static gboolean
is_integer (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
is_bool (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_BOOLEAN;
}

static gboolean
require (JsonObject *object, const char *member, const char *path, GError **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return FAIL (error, "%s%s%s: Field required", path, *path ? "." : "", member);
  return TRUE;
}

static gboolean
require_string (JsonObject *object, const char *member, const char *path, GError **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (!require (object, member, path, error))
    return FALSE;
  if (!is_string (node))
    return FAIL (error, "%s%s%s: Input should be a valid string (got %s)",
                 path, *path ? "." : "", member, node_type_name (node));
  return TRUE;
}

/* Names and ids: a string with something in it. */
static gboolean
require_name (JsonObject *object, const char *member, const char *path, GError **error)
{
  if (!require_string (object, member, path, error))
    return FALSE;
  if (*json_object_get_string_member (object, member) == '\0')
    return FAIL (error, "%s%s%s: String should have at least 1 character", path, *path ? "." : "", member);
  return TRUE;
}

/* Text from a string or an array of text blocks (system prompts, tool results). */
static gboolean
collect_text (JsonNode *node, const char *path, GString *out, GError **error)
{
  JsonArray *blocks;

  if (is_string (node))
    {
      g_string_append (out, json_node_get_string (node));
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FAIL (error, "%s: Input should be a string or a list of text blocks", path);
  blocks = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (blocks); i++)
    {
      JsonNode *block = json_array_get_element (blocks, i);
      g_autofree char *block_path = g_strdup_printf ("%s.%u", path, i);

      if (!JSON_NODE_HOLDS_OBJECT (block))
        return FAIL (error, "%s: Input should be an object", block_path);
      if (!require_string (json_node_get_object (block), "text", block_path, error))
        return FALSE;
      if (out->len > 0)
        g_string_append (out, "\n\n");
      g_string_append (out, json_object_get_string_member (json_node_get_object (block), "text"));
    }
  return TRUE;
}

static gboolean
validate_image (JsonObject *block, const char *path, GError **error)
{
  g_autofree char *source_path = g_strdup_printf ("%s.source", path);
  JsonObject *source;
  const char *type;

  if (!require (block, "source", path, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_object_get_member (block, "source")))
    return FAIL (error, "%s: Input should be an object", source_path);
  source = json_object_get_object_member (block, "source");
  if (!require_string (source, "type", source_path, error))
    return FALSE;
  type = json_object_get_string_member (source, "type");
  if (g_str_equal (type, "url"))
    return FAIL (error, "%s: URL images are not supported by Amazon Q; send the image as base64", source_path);
  if (!g_str_equal (type, "base64"))
    return FAIL (error, "%s.type: Input should be 'base64' or 'url'", source_path);
  if (!require_string (source, "media_type", source_path, error) ||
      !require_string (source, "data", source_path, error))
    return FALSE;
  {
    const char *media = json_object_get_string_member (source, "media_type");
    const char *data = json_object_get_string_member (source, "data");
    gsize len = strlen (data);

    if (!g_str_equal (media, "image/png") && !g_str_equal (media, "image/jpeg") &&
        !g_str_equal (media, "image/jpg") && !g_str_equal (media, "image/gif") &&
        !g_str_equal (media, "image/webp"))
      return FAIL (error, "%s.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'", source_path);
    for (gsize i = 0; i < len; i++)
      if (!g_ascii_isalnum (data[i]) && data[i] != '+' && data[i] != '/' && data[i] != '=' &&
          data[i] != '\n' && data[i] != '\r')
        return FAIL (error, "%s.data: The image data is not valid base64", source_path);
    if (len == 0 || len % 4 == 1)
      return FAIL (error, "%s.data: The image data is not valid base64", source_path);
  }
  return TRUE;
}

static gboolean
validate_block (JsonNode *node, const char *role, const char *path, GError **error)
{
  JsonObject *block;
  const char *type;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return FAIL (error, "%s: Input should be an object", path);
  block = json_node_get_object (node);
  if (!require_string (block, "type", path, error))
    return FALSE;
  type = json_object_get_string_member (block, "type");
  if (g_str_equal (type, "text"))
    return require_string (block, "text", path, error);
  if (g_str_equal (type, "image"))
    return validate_image (block, path, error);
  if (g_str_equal (type, "tool_use") || g_str_equal (type, "server_tool_use"))
    {
      if (!require_name (block, "id", path, error) || !require_name (block, "name", path, error))
        return FALSE;
      if (json_object_has_member (block, "input") &&
          !JSON_NODE_HOLDS_OBJECT (json_object_get_member (block, "input")))
        return FAIL (error, "%s.input: Input should be an object", path);
      return TRUE;
    }
  if (g_str_equal (type, "tool_result"))
    {
      g_autofree char *content_path = g_strdup_printf ("%s.content", path);
      JsonNode *content = json_object_get_member (block, "content");

      if (!require_name (block, "tool_use_id", path, error))
        return FALSE;
      if (json_object_has_member (block, "is_error") && !is_bool (json_object_get_member (block, "is_error")))
        return FAIL (error, "%s.is_error: Input should be a valid boolean", path);
      if (content == NULL || is_string (content) || JSON_NODE_HOLDS_NULL (content))
        return TRUE;
      if (!JSON_NODE_HOLDS_ARRAY (content))
        return FAIL (error, "%s: Input should be a string or a list of blocks", content_path);
      for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
        {
          g_autofree char *inner = g_strdup_printf ("%s.%u", content_path, i);

          if (!validate_block (json_array_get_element (json_node_get_array (content), i), role, inner, error))
            return FALSE;
        }
      return TRUE;
    }
  if (g_str_equal (type, "thinking") || g_str_equal (type, "redacted_thinking"))
    return TRUE;
  if (g_str_equal (type, "document") || g_str_equal (type, "search_result") ||
      g_str_equal (type, "web_search_tool_result") || g_str_equal (type, "web_fetch_tool_result") ||
      g_str_equal (type, "server_tool_result") || g_str_equal (type, "container_upload"))
    return TRUE;  /* passed on as text where they carry any */
  return FAIL (error, "%s.type: Input tag '%s' found using 'type' does not match any of the expected tags", path, type);
}

/* Normalises string content to [{"type":"text","text":...}] in place. */
static gboolean
validate_message (JsonObject *message, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("messages.%u", index);
  g_autofree char *content_path = g_strdup_printf ("messages.%u.content", index);
  JsonNode *content;
  const char *role;

  if (!require_string (message, "role", path, error) || !require (message, "content", path, error))
    return FALSE;
  role = json_object_get_string_member (message, "role");
  if (!g_str_equal (role, "user") && !g_str_equal (role, "assistant") && !g_str_equal (role, "system"))
    return FAIL (error, "%s.role: Input should be 'user' or 'assistant'", path);
  content = json_object_get_member (message, "content");
  if (is_string (content))
    {
      JsonObject *block = json_object_new ();
      JsonArray *blocks = json_array_new ();

      json_object_set_string_member (block, "type", "text");
      json_object_set_string_member (block, "text", json_node_get_string (content));
      json_array_add_object_element (blocks, block);
      json_object_set_array_member (message, "content", blocks);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return FAIL (error, "%s: Input should be a string or a list of blocks", content_path);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
    {
      g_autofree char *block_path = g_strdup_printf ("%s.%u", content_path, i);

      if (!validate_block (json_array_get_element (json_node_get_array (content), i), role, block_path, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_messages (AmqMessagesRequest *self, JsonObject *root, GString *system, GError **error)
{
  JsonNode *node = json_object_get_member (root, "messages");
  JsonArray *messages;

  if (node == NULL)
    return FAIL (error, "messages: Field required");
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FAIL (error, "messages: Input should be a valid list");
  messages = json_node_get_array (node);
  self->messages = json_array_new ();
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *element = json_array_get_element (messages, i);
      JsonObject *message;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return FAIL (error, "messages.%u: Input should be an object", i);
      message = json_node_get_object (element);
      if (!validate_message (message, i, error))
        return FALSE;
      if (g_str_equal (json_object_get_string_member (message, "role"), "system"))
        {
          g_autofree char *path = g_strdup_printf ("messages.%u.content", i);
          GString *text = g_string_new (NULL);
          gboolean ok = collect_text (json_object_get_member (message, "content"), path, text, error);

          if (ok && text->len > 0)
            g_string_append_printf (system, "%s%s", system->len ? "\n\n" : "", text->str);
          g_string_free (text, TRUE);
          if (!ok)
            return FALSE;
          continue;
        }
      json_array_add_element (self->messages, json_node_ref (element));
    }
  if (json_array_get_length (self->messages) == 0)
    return FAIL (error, "messages: at least one user or assistant message is required");
  return TRUE;
}

static gboolean
parse_tools (AmqMessagesRequest *self, JsonObject *root, GError **error)
{
  JsonNode *node = json_object_get_member (root, "tools");
  JsonArray *tools;

  self->tools = json_array_new ();
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FAIL (error, "tools: Input should be a valid list");
  tools = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (tools); i++)
    {
      JsonNode *element = json_array_get_element (tools, i);
      g_autofree char *path = g_strdup_printf ("tools.%u", i);
      JsonObject *tool;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return FAIL (error, "%s: Input should be an object", path);
      tool = json_node_get_object (element);
      type = json_object_has_member (tool, "type") && !JSON_NODE_HOLDS_NULL (json_object_get_member (tool, "type"))
             ? amq_json_get_string (tool, "type") : "custom";
      /* server tools run on Anthropic's side; deferred tools are never called */
      if (type == NULL)
        return FAIL (error, "%s.type: Input should be a valid string", path);
      if (!g_str_equal (type, "custom") ||
          amq_json_get_bool (tool, "defer_loading", FALSE))
        continue;
      if (!require_name (tool, "name", path, error))
        return FALSE;
      if (json_object_has_member (tool, "input_schema") &&
          !JSON_NODE_HOLDS_OBJECT (json_object_get_member (tool, "input_schema")) &&
          !JSON_NODE_HOLDS_NULL (json_object_get_member (tool, "input_schema")))
        return FAIL (error, "%s.input_schema: Input should be an object", path);
      json_array_add_element (self->tools, json_node_ref (element));
    }
  return TRUE;
}

static gboolean
parse_root (AmqMessagesRequest *self, JsonObject *root, AmqRequestKind kind, GError **error)
{
  g_autoptr(GString) system = g_string_new (NULL);
  JsonNode *node;

  if (!require_string (root, "model", "", error))
    return FALSE;
  self->model = g_strdup (json_object_get_string_member (root, "model"));
  if (*self->model == '\0')
    return FAIL (error, "model: String should have at least 1 character");
  node = json_object_get_member (root, "max_tokens");
  if (kind == AMQ_REQUEST_MESSAGES)
    {
      if (node == NULL)
        return FAIL (error, "max_tokens: Field required");
      if (!is_integer (node))
        return FAIL (error, "max_tokens: Input should be a valid integer (got %s)", node_type_name (node));
      self->max_tokens = json_node_get_int (node);
      if (self->max_tokens < 1)
        return FAIL (error, "max_tokens: Input should be greater than or equal to 1");
    }
  node = json_object_get_member (root, "stream");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      if (!is_bool (node))
        return FAIL (error, "stream: Input should be a valid boolean");
      self->stream = json_node_get_boolean (node);
    }
  node = json_object_get_member (root, "system");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) && !collect_text (node, "system", system, error))
    return FALSE;
  node = json_object_get_member (root, "thinking");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *thinking = json_node_get_object (node);
      const char *type = amq_json_get_string (thinking, "type");

      self->thinking = g_strcmp0 (type, "enabled") == 0 || g_strcmp0 (type, "adaptive") == 0;
      self->thinking_budget = amq_json_get_int (thinking, "budget_tokens", 16000);
    }
  node = json_object_get_member (root, "stop_sequences");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    {
      GStrvBuilder *builder = g_strv_builder_new ();
      JsonArray *stops;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_strv_builder_unref (builder);
          return FAIL (error, "stop_sequences: Input should be a valid list");
        }
      stops = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (stops); i++)
        {
          if (!is_string (json_array_get_element (stops, i)))
            {
              g_strv_builder_unref (builder);
              return FAIL (error, "stop_sequences.%u: Input should be a valid string", i);
            }
          g_strv_builder_add (builder, json_array_get_string_element (stops, i));
        }
      self->stop_sequences = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
    }
  if (!parse_messages (self, root, system, error) || !parse_tools (self, root, error))
    return FALSE;
  self->system = g_strdup (system->str);
  return TRUE;
}

JsonNode *
amq_messages_request_read_body (GBytes   *body,
                                GError  **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  gsize length = 0;
  const char *data;

  g_return_val_if_fail (body != NULL, NULL);
  data = g_bytes_get_data (body, &length);
  if (length == 0)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body is empty: expected a JSON object");
      return NULL;
    }
  if (memchr (data, '\0', length) != NULL || !g_utf8_validate_len (data, length, NULL))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body is not valid UTF-8 JSON");
      return NULL;
    }
  if (!amq_json_check_text (data, length, AMQ_JSON_MAX_DEPTH, &parse_error))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body is not valid JSON: %s", parse_error->message);
      return NULL;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, length, &parse_error))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body is not valid JSON: %s", parse_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body must be a JSON object");
      return NULL;
    }
  /* kept mutable: content strings are normalised to blocks */
  return json_parser_steal_root (parser);
}

AmqMessagesRequest *
amq_messages_request_new_from_object (JsonNode        *root,
                                      AmqRequestKind   kind,
                                      GError         **error)
{
  g_autoptr(AmqMessagesRequest) self = NULL;

  g_return_val_if_fail (root != NULL && JSON_NODE_HOLDS_OBJECT (root), NULL);
  self = g_object_new (AMQ_TYPE_MESSAGES_REQUEST, NULL);
  self->root = json_node_ref (root);
  if (!parse_root (self, json_node_get_object (self->root), kind, error))
    return NULL;
  return g_steal_pointer (&self);
}

AmqMessagesRequest *
amq_messages_request_parse (GBytes          *body,
                            AmqRequestKind   kind,
                            GError         **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (body != NULL, NULL);

  root = amq_messages_request_read_body (body, error);
  if (root == NULL)
    return NULL;
  return amq_messages_request_new_from_object (root, kind, error);
}

const char *
amq_messages_request_get_model (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), NULL);
  return self->model;
}

gboolean
amq_messages_request_get_stream (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), FALSE);
  return self->stream;
}

gint64
amq_messages_request_get_max_tokens (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), 0);
  return self->max_tokens;
}

gboolean
amq_messages_request_get_thinking (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), FALSE);
  return self->thinking;
}

gint64
amq_messages_request_get_thinking_budget (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), 0);
  return self->thinking_budget;
}

const char * const *
amq_messages_request_get_stop_sequences (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), NULL);
  return (const char * const *) self->stop_sequences;
}

const char *
amq_messages_request_get_system (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), NULL);
  return self->system;
}

JsonArray *
amq_messages_request_get_messages (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), NULL);
  return self->messages;
}

JsonArray *
amq_messages_request_get_tools (AmqMessagesRequest *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGES_REQUEST (self), NULL);
  return self->tools;
}

void
amq_messages_request_release_conversation (AmqMessagesRequest *self)
{
  g_return_if_fail (AMQ_IS_MESSAGES_REQUEST (self));

  g_clear_pointer (&self->root, json_node_unref);
  g_clear_pointer (&self->system, g_free);
  g_clear_pointer (&self->messages, json_array_unref);
  g_clear_pointer (&self->tools, json_array_unref);
}

static void
amq_messages_request_finalize (GObject *object)
{
  AmqMessagesRequest *self = AMQ_MESSAGES_REQUEST (object);

  g_clear_pointer (&self->root, json_node_unref);
  g_free (self->model);
  g_strfreev (self->stop_sequences);
  g_free (self->system);
  g_clear_pointer (&self->messages, json_array_unref);
  g_clear_pointer (&self->tools, json_array_unref);
  G_OBJECT_CLASS (amq_messages_request_parent_class)->finalize (object);
}

static void
amq_messages_request_class_init (AmqMessagesRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_messages_request_finalize;
}

static void
amq_messages_request_init (AmqMessagesRequest *self)
{
}
