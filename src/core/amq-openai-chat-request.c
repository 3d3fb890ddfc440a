/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-request.c: each OpenAI message becomes one Messages message (the converter merges neighbours of one role) */
#include "config.h"

#include "amq-openai-chat-request.h"

#include "amq-error.h"
#include "amq-json.h"
#include "amq-openai-draft.h"
#include "amq-openai-fields.h"

#define FAIL(error, ...) \
  (g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, __VA_ARGS__), FALSE)

/* Where each Messages member came from in the client's request. */
static const AmqOpenaiRename image_url_object[] = { { "source", "image_url.url", TRUE }, { NULL, NULL, FALSE } };
static const AmqOpenaiRename image_url_string[] = { { "source", "image_url", TRUE }, { NULL, NULL, FALSE } };
static const AmqOpenaiRename tool_call[] = {
  { "name", "function.name", FALSE }, { "input", "function.arguments", TRUE }, { NULL, NULL, FALSE },
};
static const AmqOpenaiRename tool_message[] = { { "tool_use_id", "tool_call_id", FALSE }, { NULL, NULL, FALSE } };

/* One part of a message's content: text (or a refusal), or an image as a data URL. */
static JsonObject *
part_block (JsonNode *node, const char *path, const AmqOpenaiRename **renames, GError **error)
{
  g_autofree char *url_path = g_strdup_printf ("%s.image_url", path);
  JsonObject *part;
  JsonNode *text, *image;
  const char *type;

  type = amq_openai_tagged_object (node, "type", path, &part, error);
  if (type == NULL)
    return NULL;
  if (g_str_equal (type, "text") || g_str_equal (type, "refusal"))
    {
      text = amq_openai_member (part, type, path, AMQ_OPENAI_STRING, error);
      return text != NULL ? amq_openai_text_block (text) : NULL;
    }
  if (!g_str_equal (type, "image_url"))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "%s.type: '%s' parts are not supported; send text or image_url parts", path, type);
      return NULL;
    }
  image = json_object_get_member (part, "image_url");
  *renames = image_url_string;
  if (image != NULL && JSON_NODE_HOLDS_OBJECT (image))
    {
      g_free (url_path);
      url_path = g_strdup_printf ("%s.image_url.url", path);
      image = json_object_get_member (json_node_get_object (image), "url");
      *renames = image_url_object;
    }
  return amq_openai_image_block (image, url_path, error);
}

/* A user or assistant message's content: a string or a list of parts. */
static gboolean
add_content (AmqOpenaiDraft *draft, JsonObject *message, JsonNode *content, const char *role,
             const char *path, GError **error)
{
  g_autofree char *content_path = g_strdup_printf ("%s.content", path);

  if (content == NULL || JSON_NODE_HOLDS_NULL (content))
    {
      if (g_str_equal (role, "user"))
        json_object_remove_member (message, "content");  /* the Messages rules say it is required */
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (content) && json_node_get_value_type (content) == G_TYPE_STRING)
    {
      /* an empty assistant turn says nothing; the converter fills turns that need words */
      if (g_str_equal (role, "user") || *json_node_get_string (content) != '\0')
        amq_openai_draft_add_text (draft, content, content_path, NULL);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (content))
    return FAIL (error, "%s: Input should be a string or a list of parts", content_path);
  return amq_openai_draft_add_parts (draft, json_node_get_array (content), content_path, part_block, error);
}

static gboolean
add_tool_calls (AmqOpenaiDraft *draft, JsonNode *calls, const char *path, GError **error)
{
  g_autofree char *calls_path = g_strdup_printf ("%s.tool_calls", path);

  if (calls == NULL || JSON_NODE_HOLDS_NULL (calls))
    return TRUE;
  if (!amq_openai_expect (calls, AMQ_OPENAI_ARRAY, calls_path, error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (calls)); i++)
    {
      g_autofree char *call_path = g_strdup_printf ("%s[%u]", calls_path, i);
      g_autofree char *arguments_path = g_strdup_printf ("%s.function.arguments", call_path);
      JsonNode *node = json_array_get_element (json_node_get_array (calls), i);
      JsonObject *call, *function;

      if (!amq_openai_expect (node, AMQ_OPENAI_OBJECT, call_path, error))
        return FALSE;
      call = json_node_get_object (node);
      if (json_object_has_member (call, "type") && g_strcmp0 (amq_json_get_string (call, "type"), "function") != 0)
        return FAIL (error, "%s.type: only function tool calls are supported", call_path);
      if (amq_openai_member (call, "function", call_path, AMQ_OPENAI_OBJECT, error) == NULL)
        return FALSE;
      function = json_object_get_object_member (call, "function");
      if (!amq_openai_draft_add_tool_use (draft, json_object_get_member (call, "id"),
                                          json_object_get_member (function, "name"),
                                          json_object_get_member (function, "arguments"),
                                          call_path, arguments_path, tool_call, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
add_assistant (AmqOpenaiDraft *draft, JsonObject *message, const char *path, GError **error)
{
  JsonObject *added = amq_openai_draft_add_message (draft, "assistant", path);

  if (json_object_has_member (message, "function_call") &&
      !JSON_NODE_HOLDS_NULL (json_object_get_member (message, "function_call")))
    return FAIL (error, "%s.function_call: the legacy function_call is not supported; use tool_calls", path);
  amq_openai_draft_add_thinking (draft, amq_json_get_string (message, "reasoning_content"), path);
  return add_content (draft, added, json_object_get_member (message, "content"), "assistant", path, error) &&
         add_tool_calls (draft, json_object_get_member (message, "tool_calls"), path, error);
}

static gboolean
add_message (AmqOpenaiDraft *draft, JsonNode *node, guint index, GError **error)
{
  g_autofree char *path = g_strdup_printf ("messages[%u]", index);
  JsonObject *message, *added;
  const char *role;

  role = amq_openai_tagged_object (node, "role", path, &message, error);
  if (role == NULL)
    return FALSE;
  if (g_str_equal (role, "system") || g_str_equal (role, "developer"))
    {
      amq_openai_draft_add_system (draft, json_object_get_member (message, "content"), path);
      return TRUE;
    }
  if (g_str_equal (role, "user"))
    {
      added = amq_openai_draft_add_message (draft, "user", path);
      return add_content (draft, added, json_object_get_member (message, "content"), "user", path, error);
    }
  if (g_str_equal (role, "assistant"))
    return add_assistant (draft, message, path, error);
  if (g_str_equal (role, "tool"))
    {
      g_autofree char *content_path = g_strdup_printf ("%s.content", path);

      return amq_openai_draft_add_tool_result (draft, json_object_get_member (message, "tool_call_id"),
                                               json_object_get_member (message, "content"), path, content_path,
                                               part_block, tool_message, error);
    }
  if (g_str_equal (role, "function"))
    return FAIL (error, "%s.role: legacy function messages are not supported; answer tool_calls with tool messages", path);
  return FAIL (error, "%s.role: Input should be 'system', 'developer', 'user', 'assistant' or 'tool'", path);
}

/* model, stream, the output limit, stop and reasoning_effort */
static gboolean
set_options (AmqOpenaiDraft *draft, JsonObject *root, GError **error)
{
  static const char * const copied[] = { "model", "stream" };
  const char *limit = json_object_has_member (root, "max_completion_tokens") &&
                      !JSON_NODE_HOLDS_NULL (json_object_get_member (root, "max_completion_tokens"))
                      ? "max_completion_tokens" : "max_tokens";
  JsonNode *stop = json_object_get_member (root, "stop");
  JsonNode *n = json_object_get_member (root, "n");

  if (n != NULL && !JSON_NODE_HOLDS_NULL (n) && amq_json_get_int (root, "n", 0) != 1)
    return FAIL (error, "n: only n = 1 is supported (one choice per request)");
  if (json_object_has_member (root, "functions") || json_object_has_member (root, "function_call"))
    return FAIL (error, "functions: the legacy functions API is not supported; use tools and tool_choice");
  for (guint i = 0; i < G_N_ELEMENTS (copied); i++)
    if (json_object_get_member (root, copied[i]) != NULL)
      amq_openai_draft_set (draft, copied[i], json_node_ref (json_object_get_member (root, copied[i])), copied[i]);
  if (json_object_get_member (root, limit) != NULL && !JSON_NODE_HOLDS_NULL (json_object_get_member (root, limit)))
    amq_openai_draft_set (draft, "max_tokens", json_node_ref (json_object_get_member (root, limit)), limit);
  if (stop != NULL && JSON_NODE_HOLDS_VALUE (stop) && json_node_get_value_type (stop) == G_TYPE_STRING)
    {
      JsonArray *one = json_array_new ();

      json_array_add_element (one, json_node_ref (stop));
      amq_openai_draft_set (draft, "stop_sequences", json_node_init_array (json_node_alloc (), one), "stop");
      json_array_unref (one);
    }
  else if (stop != NULL && !JSON_NODE_HOLDS_NULL (stop))
    amq_openai_draft_set (draft, "stop_sequences", json_node_ref (stop), "stop");
  return amq_openai_draft_set_effort (draft, json_object_get_member (root, "reasoning_effort"), "reasoning_effort", error);
}

AmqMessagesRequest *
amq_openai_chat_request_parse (GBytes    *body,
                               gboolean  *include_usage,
                               GError   **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(AmqOpenaiDraft) draft = amq_openai_draft_new ("messages");
  JsonObject *object;
  JsonNode *messages, *stream_options;

  g_return_val_if_fail (body != NULL, NULL);
  if ((root = amq_messages_request_read_body (body, error)) == NULL)
    return NULL;
  object = json_node_get_object (root);
  if (!set_options (draft, object, error) ||
      !amq_openai_draft_add_tools (draft, object, error))
    return NULL;
  messages = json_object_get_member (object, "messages");
  if (!amq_openai_expect (messages, AMQ_OPENAI_ARRAY, "messages", error))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (messages)); i++)
    if (!add_message (draft, json_array_get_element (json_node_get_array (messages), i), i, error))
      return NULL;
  stream_options = json_object_get_member (object, "stream_options");
  if (include_usage != NULL)
    *include_usage = stream_options != NULL && JSON_NODE_HOLDS_OBJECT (stream_options) &&
                     amq_json_get_bool (json_node_get_object (stream_options), "include_usage", FALSE);
  return amq_openai_draft_finish (draft, error);
}
