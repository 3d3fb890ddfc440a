/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-responses-request.c: each input item becomes one Messages message (the converter merges neighbours of one role) */
#include "config.h"

#include "amq-openai-responses-request.h"

#include "amq-error.h"
#include "amq-json.h"
#include "amq-openai-draft.h"
#include "amq-openai-fields.h"
#include "amq-openai-response.h"

#define FAIL(error, ...) \
  (g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, __VA_ARGS__), FALSE)

/* Where each Messages member came from in the client's request. */
static const AmqOpenaiRename input_image[] = { { "source", "image_url", TRUE }, { NULL, NULL, FALSE } };
static const AmqOpenaiRename function_call[] = {
  { "id", "call_id", FALSE }, { "input", "arguments", TRUE }, { NULL, NULL, FALSE },
};
static const AmqOpenaiRename function_call_output[] = {
  { "tool_use_id", "call_id", FALSE }, { "content", "output", FALSE }, { NULL, NULL, FALSE },
};

static gboolean
is_string (JsonNode *node)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A content part as a block: text of any kind, or an image. NULL with the error. */
static JsonObject *
part_block (JsonNode *node, const char *path, const AmqOpenaiRename **renames, GError **error)
{
  g_autofree char *url_path = g_strdup_printf ("%s.image_url", path);
  JsonObject *part;
  JsonNode *text;
  const char *type;

  type = amq_openai_tagged_object (node, "type", path, &part, error);
  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "input_text") || g_str_equal (type, "output_text") || g_str_equal (type, "text") ||
      g_str_equal (type, "refusal"))
    {
      text = amq_openai_member (part, g_str_equal (type, "refusal") ? "refusal" : "text", path,
                                AMQ_OPENAI_STRING, error);
      return text != NULL ? amq_openai_text_block (text) : NULL;
    }
  if (g_str_equal (type, "input_image") && json_object_has_member (part, "file_id") &&
      !json_object_has_member (part, "image_url"))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "%s.file_id: uploaded files are not available here; send image_url as a data URL", path);
      return NULL;
    }
  if (g_str_equal (type, "input_image"))
    {
      *renames = input_image;
      return amq_openai_image_block (json_object_get_member (part, "image_url"), url_path, error);
    }
  g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
               "%s.type: '%s' parts are not supported; send input_text or input_image parts", path, type);
  return NULL;
}

static gboolean
add_message_item (AmqOpenaiDraft *draft, JsonObject *item, const char *path, GError **error)
{
  g_autofree char *content_path = g_strdup_printf ("%s.content", path);
  JsonNode *content = json_object_get_member (item, "content");
  const char *role;

  if (amq_openai_member (item, "role", path, AMQ_OPENAI_STRING, error) == NULL)
    return FALSE;
  role = json_object_get_string_member (item, "role");
  if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
    {
      amq_openai_draft_add_system (draft, content, path);
      return TRUE;
    }
  if (!g_str_equal (role, "user") && !g_str_equal (role, "assistant"))
    return FAIL (error, "%s.role: Input should be 'user', 'assistant', 'system' or 'developer'", path);
  amq_openai_draft_add_message (draft, role, path);
  if (is_string (content))
    {
      amq_openai_draft_add_text (draft, content, content_path, NULL);
      return TRUE;
    }
  if (!amq_openai_expect (content, AMQ_OPENAI_ARRAY, content_path, error))
    return FALSE;
  return amq_openai_draft_add_parts (draft, json_node_get_array (content), content_path, part_block, error);
}

/* Reasoning sent back is history: its summary goes upstream as past thinking. */
static void
add_reasoning (AmqOpenaiDraft *draft, JsonObject *item, const char *path)
{
  JsonNode *summary = json_object_get_member (item, "summary");
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; summary != NULL && JSON_NODE_HOLDS_ARRAY (summary) && i < json_array_get_length (json_node_get_array (summary)); i++)
    {
      JsonNode *part = json_array_get_element (json_node_get_array (summary), i);
      const char *part_text = JSON_NODE_HOLDS_OBJECT (part) ? amq_json_get_string (json_node_get_object (part), "text") : NULL;

      if (part_text != NULL && *part_text != '\0')
        g_string_append_printf (text, "%s%s", text->len > 0 ? "\n\n" : "", part_text);
    }
  if (text->len == 0)
    return;
  amq_openai_draft_add_message (draft, "assistant", path);
  amq_openai_draft_add_thinking (draft, text->str, path);
}

static gboolean
add_item (AmqOpenaiDraft *draft, JsonNode *node, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("input[%u]", index);
  JsonObject *item;
  const char *type;

  if (!amq_openai_expect (node, AMQ_OPENAI_OBJECT, path, error))
    return FALSE;
  item = json_node_get_object (node);
  /* a message may leave its type out */
  if (!json_object_has_member (item, "type") && json_object_has_member (item, "role"))
    return add_message_item (draft, item, path, error);
  if (amq_openai_member (item, "type", path, AMQ_OPENAI_STRING, error) == NULL)
    return FALSE;
  type = json_object_get_string_member (item, "type");
  if (g_str_equal (type, "message"))
    return add_message_item (draft, item, path, error);
  if (g_str_equal (type, "function_call"))
    {
      g_autofree char *arguments_path = g_strdup_printf ("%s.arguments", path);

      amq_openai_draft_add_message (draft, "assistant", path);
      return amq_openai_draft_add_tool_use (draft, json_object_get_member (item, "call_id"),
                                            json_object_get_member (item, "name"),
                                            json_object_get_member (item, "arguments"),
                                            path, arguments_path, function_call, error);
    }
  if (g_str_equal (type, "function_call_output"))
    {
      g_autofree char *output_path = g_strdup_printf ("%s.output", path);

      /* the output is text, or a list of text and image parts */
      return amq_openai_draft_add_tool_result (draft, json_object_get_member (item, "call_id"),
                                               json_object_get_member (item, "output"), path, output_path,
                                               part_block, function_call_output, error);
    }
  if (g_str_equal (type, "reasoning"))
    {
      add_reasoning (draft, item, path);
      return TRUE;
    }
  if (g_str_equal (type, "item_reference"))
    return FAIL (error, "%s: item references need stored responses; requests are stateless here "
                 "(store is treated as false): send the items themselves", path);
  return FAIL (error, "%s.type: '%s' items are not supported; send message, function_call, "
               "function_call_output or reasoning items", path, type);
}

static gboolean
add_input (AmqOpenaiDraft *draft, JsonNode *input, GError **error)
{
  if (is_string (input))
    {
      amq_openai_draft_add_message (draft, "user", "input");
      amq_openai_draft_add_text (draft, input, "input", NULL);
      return TRUE;
    }
  if (input != NULL && !JSON_NODE_HOLDS_ARRAY (input))
    return FAIL (error, "input: Input should be a string or a list of items");
  if (!amq_openai_expect (input, AMQ_OPENAI_ARRAY, "input", error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (input)); i++)
    if (!add_item (draft, json_array_get_element (json_node_get_array (input), i), i, error))
      return FALSE;
  return TRUE;
}

/* What needs state kept between requests is refused; the rest carries over. */
static gboolean
set_options (AmqOpenaiDraft *draft, JsonObject *root, GError **error)
{
  static const char * const copied[][3] = {
    { "model", "model" }, { "stream", "stream" }, { "max_output_tokens", "max_tokens" }, { "instructions", "system" },
  };
  JsonNode *reasoning = json_object_get_member (root, "reasoning");

  if (json_object_get_member (root, "previous_response_id") != NULL &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (root, "previous_response_id")))
    return FAIL (error, "previous_response_id: responses are not stored here (requests are stateless, store is "
                 "treated as false); send the whole conversation in input");
  if (json_object_get_member (root, "conversation") != NULL &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (root, "conversation")))
    return FAIL (error, "conversation: conversations are not stored here (requests are stateless); send the "
                 "whole conversation in input");
  if (amq_json_get_bool (root, "background", FALSE))
    return FAIL (error, "background: background responses need stored responses; requests are stateless here");
  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    {
      JsonNode *node = json_object_get_member (root, copied[i][0]);

      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        amq_openai_draft_set (draft, copied[i][1], json_node_ref (node), copied[i][0]);
    }
  if (reasoning != NULL && JSON_NODE_HOLDS_OBJECT (reasoning))
    return amq_openai_draft_set_effort (draft, json_object_get_member (json_node_get_object (reasoning), "effort"),
                                        "reasoning.effort", error);
  return TRUE;
}

AmqMessagesRequest *
amq_openai_responses_request_parse (GBytes   *body,
                                    char    **echo,
                                    GError  **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(AmqOpenaiDraft) draft = amq_openai_draft_new ("input");
  AmqMessagesRequest *request;
  JsonObject *object;

  g_return_val_if_fail (body != NULL, NULL);
  if ((root = amq_messages_request_read_body (body, error)) == NULL)
    return NULL;
  object = json_node_get_object (root);
  if (!set_options (draft, object, error) ||
      !amq_openai_draft_add_tools (draft, object, error) ||
      !add_input (draft, json_object_get_member (object, "input"), error))
    return NULL;
  request = amq_openai_draft_finish (draft, error);
  if (request != NULL && echo != NULL)
    *echo = amq_openai_response_echo_new (object);
  return request;
}
