/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-response.c: blocks become output items in order: text a message, tool use a function_call, thinking a reasoning item */
#include "config.h"

#include "amq-openai-response.h"

#include <string.h>

#include "amq-error.h"
#include "amq-json.h"
#include "amq-openai-chat-completion.h"

/* Requests are stateless here: nothing is stored, nothing continues an earlier response. */
#define FIXED_MEMBERS ",\"previous_response_id\":null,\"store\":false"

static const struct {
  const char *member;
  const char *default_json;
} echoed[] = {
  { "instructions", "null" },
  { "max_output_tokens", "null" },
  { "parallel_tool_calls", "true" },
  { "reasoning", "{\"effort\":null,\"summary\":null}" },
  { "temperature", "1" },
  { "text", "{\"format\":{\"type\":\"text\"}}" },
  { "tool_choice", "\"auto\"" },
  { "tools", "[]" },
  { "top_p", "1" },
  { "truncation", "\"disabled\"" },
  { "user", "null" },
  { "metadata", "{}" },
};

char *
amq_openai_response_echo_new (JsonObject *request)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (echoed); i++)
    {
      JsonNode *node = request ? json_object_get_member (request, echoed[i].member) : NULL;

      g_string_append_printf (out, "%s\"%s\":", i > 0 ? "," : "", echoed[i].member);
      if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          g_autofree char *json = json_to_string (node, FALSE);

          g_string_append (out, json);
        }
      else
        g_string_append (out, echoed[i].default_json);
    }
  return g_string_free (out, FALSE);
}

const char *
amq_openai_response_status (const char *stop_reason)
{
  if (g_strcmp0 (stop_reason, "max_tokens") == 0 ||
      g_strcmp0 (stop_reason, "model_context_window_exceeded") == 0 ||
      g_strcmp0 (stop_reason, "refusal") == 0)
    return "incomplete";
  return "completed";
}

char *
amq_openai_response_item_id (const char   *response_id,
                             guint         index,
                             AmqBlockKind  kind)
{
  const char *prefix = kind == AMQ_BLOCK_TOOL_USE ? "fc_" : kind == AMQ_BLOCK_THINKING ? "rs_" : "msg_";
  const char *unique;

  g_return_val_if_fail (response_id != NULL, NULL);
  unique = g_str_has_prefix (response_id, "resp_") ? response_id + strlen ("resp_") : response_id;
  return g_strdup_printf ("%s%s_%u", prefix, unique, index);
}

void
amq_openai_response_append_part (GString      *out,
                                 AmqBlockKind  kind,
                                 const char   *text,
                                 gsize         length)
{
  g_return_if_fail (out != NULL && text != NULL);
  if (kind == AMQ_BLOCK_THINKING)
    g_string_append (out, "{\"type\":\"summary_text\",\"text\":");
  else
    g_string_append (out, "{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":");
  amq_json_append_string (out, text, length);
  g_string_append_c (out, '}');
}

void
amq_openai_response_append_item (GString       *out,
                                 const char    *response_id,
                                 guint          index,
                                 AmqBlockKind   kind,
                                 const GString *text,
                                 const char    *tool_id,
                                 const char    *tool_name)
{
  g_autofree char *id = NULL;

  g_return_if_fail (out != NULL && response_id != NULL);
  id = amq_openai_response_item_id (response_id, index, kind);
  g_string_append (out, "{\"id\":");
  amq_json_append_string (out, id, -1);
  switch (kind)
    {
    case AMQ_BLOCK_TOOL_USE:
      g_string_append (out, text ? ",\"type\":\"function_call\",\"status\":\"completed\",\"arguments\":"
                                 : ",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":");
      amq_json_append_string (out, text ? text->str : "", text ? (gssize) text->len : 0);
      g_string_append (out, ",\"call_id\":");
      amq_json_append_string (out, tool_id, -1);
      g_string_append (out, ",\"name\":");
      amq_json_append_string (out, tool_name, -1);
      break;
    case AMQ_BLOCK_THINKING:
      g_string_append (out, ",\"type\":\"reasoning\",\"summary\":[");
      if (text != NULL)
        amq_openai_response_append_part (out, kind, text->str, text->len);
      g_string_append_c (out, ']');
      break;
    case AMQ_BLOCK_TEXT:
    default:
      g_string_append (out, text ? ",\"type\":\"message\",\"status\":\"completed\",\"content\":["
                                 : ",\"type\":\"message\",\"status\":\"in_progress\",\"content\":[");
      if (text != NULL)
        amq_openai_response_append_part (out, kind, text->str, text->len);
      g_string_append (out, "],\"role\":\"assistant\"");
      break;
    }
  g_string_append_c (out, '}');
}

static void
append_output (GString *out, AmqMessageBuilder *builder)
{
  g_string_append (out, ",\"output\":[");
  for (guint i = 0; i < amq_message_builder_get_n_blocks (builder); i++)
    {
      const GString *text;
      const char *tool_id, *tool_name;
      AmqBlockKind kind = amq_message_builder_get_block (builder, i, &text, &tool_id, &tool_name);

      if (i > 0)
        g_string_append_c (out, ',');
      amq_openai_response_append_item (out, amq_message_builder_get_id (builder), i, kind,
                                       text, tool_id, tool_name);
    }
  g_string_append_c (out, ']');
}

static void
append_usage (GString *out, const AmqUsage *usage)
{
  guint64 input = amq_openai_input_tokens (usage);

  /* the upstream does not tell how much of the output was thinking */
  g_string_append_printf (out,
                          ",\"usage\":{\"input_tokens\":%" G_GUINT64_FORMAT
                          ",\"input_tokens_details\":{\"cached_tokens\":%" G_GUINT64_FORMAT
                          ",\"cache_write_tokens\":%" G_GUINT64_FORMAT "}"
                          ",\"output_tokens\":%" G_GUINT64_FORMAT
                          ",\"output_tokens_details\":{\"reasoning_tokens\":0}"
                          ",\"total_tokens\":%" G_GUINT64_FORMAT "}",
                          input, usage->cache_read_input_tokens, usage->cache_creation_input_tokens,
                          usage->output_tokens, input + usage->output_tokens);
}

/* "status", "error" and "incomplete_details"; @stop_reason tells why an output is incomplete. */
static void
append_outcome (GString *out, const char *status, const char *stop_reason, const GError *failure)
{
  g_string_append (out, ",\"status\":");
  amq_json_append_string (out, status, -1);
  g_string_append (out, ",\"background\":false,\"error\":");
  if (failure != NULL)
    {
      g_autofree char *message = amq_error_dup_openai_message (failure);
      const char *code = amq_error_openai_code (failure);

      g_string_append (out, "{\"code\":");
      amq_json_append_string (out, code ? code : amq_error_openai_type (failure), -1);
      g_string_append (out, ",\"message\":");
      amq_json_append_string (out, message, -1);
      g_string_append_c (out, '}');
    }
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"incomplete_details\":");
  if (g_str_equal (status, "incomplete"))
    g_string_append (out, g_strcmp0 (stop_reason, "refusal") == 0 ? "{\"reason\":\"content_filter\"}"
                                                                   : "{\"reason\":\"max_output_tokens\"}");
  else
    g_string_append (out, "null");
}

void
amq_openai_response_append (GString           *out,
                            AmqMessageBuilder *builder,
                            gint64             created_at,
                            const char        *echo,
                            gboolean           in_progress)
{
  g_autoptr(GError) failure = NULL;
  gboolean ended;

  g_return_if_fail (out != NULL && AMQ_IS_MESSAGE_BUILDER (builder) && echo != NULL);
  ended = !in_progress && amq_message_builder_check (builder, &failure);
  g_string_append (out, "{\"id\":");
  amq_json_append_string (out, amq_message_builder_get_id (builder), -1);
  g_string_append_printf (out, ",\"object\":\"response\",\"created_at\":%" G_GINT64_FORMAT, created_at);
  if (in_progress)
    append_outcome (out, "in_progress", NULL, NULL);
  else if (ended)
    append_outcome (out, amq_openai_response_status (amq_message_builder_get_stop_reason (builder)),
                    amq_message_builder_get_stop_reason (builder), NULL);
  else
    append_outcome (out, "failed", NULL, failure);
  g_string_append (out, ",\"model\":");
  amq_json_append_string (out, amq_message_builder_get_model (builder), -1);
  if (in_progress)
    g_string_append (out, ",\"output\":[]");
  else
    append_output (out, builder);
  g_string_append_c (out, ',');
  g_string_append (out, echo);
  g_string_append (out, FIXED_MEMBERS);
  if (ended)
    append_usage (out, amq_message_builder_get_usage (builder));
  else
    g_string_append (out, ",\"usage\":null");
  g_string_append_c (out, '}');
}

char *
amq_openai_response_render (AmqMessageBuilder *builder,
                            gint64             created_at,
                            const char        *echo,
                            GError           **error)
{
  GString *out;

  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (builder) && echo != NULL, NULL);
  if (!amq_message_builder_check (builder, error))
    return NULL;
  out = g_string_new (NULL);
  amq_openai_response_append (out, builder, created_at, echo, FALSE);
  return g_string_free (out, FALSE);
}
