/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-chat-completion.c: text blocks become the content, tool uses the tool_calls, thinking the reasoning_content */
#include "config.h"

#include "amq-openai-chat-completion.h"

#include "amq-json.h"

const char *
amq_openai_finish_reason (const char *stop_reason)
{
  if (g_strcmp0 (stop_reason, "tool_use") == 0)
    return "tool_calls";
  if (g_strcmp0 (stop_reason, "max_tokens") == 0 ||
      g_strcmp0 (stop_reason, "model_context_window_exceeded") == 0)
    return "length";
  if (g_strcmp0 (stop_reason, "refusal") == 0)
    return "content_filter";
  return "stop";
}

guint64
amq_openai_input_tokens (const AmqUsage *usage)
{
  g_return_val_if_fail (usage != NULL, 0);
  return usage->input_tokens + usage->cache_creation_input_tokens + usage->cache_read_input_tokens;
}

void
amq_openai_chat_usage_append_json (GString        *out,
                                   const AmqUsage *usage)
{
  guint64 input;

  g_return_if_fail (out != NULL && usage != NULL);
  input = amq_openai_input_tokens (usage);
  /* cached_tokens are the ones read from the cache; writing to it is input read in full */
  g_string_append_printf (out,
                          "{\"prompt_tokens\":%" G_GUINT64_FORMAT ",\"completion_tokens\":%" G_GUINT64_FORMAT
                          ",\"total_tokens\":%" G_GUINT64_FORMAT
                          ",\"prompt_tokens_details\":{\"cached_tokens\":%" G_GUINT64_FORMAT
                          ",\"cache_write_tokens\":%" G_GUINT64_FORMAT "}}",
                          input, usage->output_tokens, input + usage->output_tokens,
                          usage->cache_read_input_tokens, usage->cache_creation_input_tokens);
}

/* Every block of @kind, concatenated: OpenAI has one content string per message. */
static GString *
join_blocks (AmqMessageBuilder *builder, AmqBlockKind kind)
{
  GString *joined = g_string_new (NULL);

  for (guint i = 0; i < amq_message_builder_get_n_blocks (builder); i++)
    {
      const GString *text;

      if (amq_message_builder_get_block (builder, i, &text, NULL, NULL) == kind)
        g_string_append_len (joined, text->str, text->len);
    }
  return joined;
}

static guint
append_tool_calls (GString *out, AmqMessageBuilder *builder)
{
  guint n_calls = 0;

  for (guint i = 0; i < amq_message_builder_get_n_blocks (builder); i++)
    {
      const GString *arguments;
      const char *id, *name;

      if (amq_message_builder_get_block (builder, i, &arguments, &id, &name) != AMQ_BLOCK_TOOL_USE)
        continue;
      g_string_append (out, n_calls++ == 0 ? ",\"tool_calls\":[" : ",");
      g_string_append (out, "{\"id\":");
      amq_json_append_string (out, id, -1);
      g_string_append (out, ",\"type\":\"function\",\"function\":{\"name\":");
      amq_json_append_string (out, name, -1);
      /* OpenAI carries the arguments as a string holding the JSON */
      g_string_append (out, ",\"arguments\":");
      amq_json_append_string (out, arguments->str, arguments->len);
      g_string_append (out, "}}");
    }
  if (n_calls > 0)
    g_string_append_c (out, ']');
  return n_calls;
}

char *
amq_openai_chat_completion_render (AmqMessageBuilder *builder,
                                   gint64             created,
                                   GError           **error)
{
  g_autoptr(GString) content = NULL;
  g_autoptr(GString) reasoning = NULL;
  g_autoptr(GString) tool_calls = g_string_new (NULL);
  GString *out;

  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (builder), NULL);
  if (!amq_message_builder_check (builder, error))
    return NULL;
  content = join_blocks (builder, AMQ_BLOCK_TEXT);
  reasoning = join_blocks (builder, AMQ_BLOCK_THINKING);
  out = g_string_new ("{\"id\":");
  amq_json_append_string (out, amq_message_builder_get_id (builder), -1);
  g_string_append_printf (out, ",\"object\":\"chat.completion\",\"created\":%" G_GINT64_FORMAT ",\"model\":", created);
  amq_json_append_string (out, amq_message_builder_get_model (builder), -1);
  g_string_append (out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  /* a reply that only calls tools has no content at all, as OpenAI's own */
  if (append_tool_calls (tool_calls, builder) > 0 && content->len == 0)
    g_string_append (out, "null");
  else
    amq_json_append_string (out, content->str, content->len);
  if (reasoning->len > 0)
    {
      g_string_append (out, ",\"reasoning_content\":");
      amq_json_append_string (out, reasoning->str, reasoning->len);
    }
  g_string_append_len (out, tool_calls->str, tool_calls->len);
  g_string_append (out, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":");
  amq_json_append_string (out, amq_openai_finish_reason (amq_message_builder_get_stop_reason (builder)), -1);
  g_string_append (out, "}],\"usage\":");
  amq_openai_chat_usage_append_json (out, amq_message_builder_get_usage (builder));
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}
