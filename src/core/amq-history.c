/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-history.c */
#include "config.h"

#include "amq-history.h"

#include "amq-json.h"

#include <string.h>

#define EMPTY_USER_TEXT       "Continue."
#define TOOL_RESULTS_TEXT     "Here are the tool results."
#define EMPTY_ASSISTANT_TEXT  "Understood."
#define TOOL_USES_TEXT        "I will use the tools."
#define EMPTY_RESULT_TEXT     "(the tool returned no output)"

static void
tool_use_free (gpointer data)
{
  AmqToolUse *use = data;

  g_free (use->id);
  g_free (use->name);
  json_node_unref (use->input);
  g_free (use);
}

static void
tool_result_free (gpointer data)
{
  AmqToolResult *result = data;

  g_free (result->tool_use_id);
  g_free (result->text);
  g_free (result);
}

void
amq_turn_free (AmqTurn *turn)
{
  if (turn == NULL)
    return;
  g_string_free (turn->text, TRUE);
  g_ptr_array_unref (turn->images);
  g_ptr_array_unref (turn->tool_uses);
  g_ptr_array_unref (turn->tool_results);
  g_free (turn);
}

static AmqTurn *
turn_new (gboolean is_user)
{
  AmqTurn *turn = g_new0 (AmqTurn, 1);

  turn->is_user = is_user;
  turn->text = g_string_new (NULL);
  turn->images = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  turn->tool_uses = g_ptr_array_new_with_free_func (tool_use_free);
  turn->tool_results = g_ptr_array_new_with_free_func (tool_result_free);
  return turn;
}

static void
append_text (GString *out, const char *text)
{
  if (text == NULL || *text == '\0')
    return;
  if (out->len > 0)
    g_string_append (out, "\n\n");
  g_string_append (out, text);
}

static JsonNode *
convert_image (JsonObject *block)
{
  JsonObject *source = json_object_get_object_member (block, "source");
  const char *media = json_object_get_string_member (source, "media_type");
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, g_str_equal (media, "image/jpg") ? "jpeg" : media + strlen ("image/"));
  json_builder_set_member_name (b, "source");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bytes");
  json_builder_add_string_value (b, json_object_get_string_member (source, "data"));
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Text of a tool result's content; images inside it go to the turn. */
static char *
tool_result_text (JsonObject *block, AmqTurn *turn)
{
  JsonNode *content = json_object_get_member (block, "content");
  GString *out = g_string_new (NULL);

  if (content != NULL && JSON_NODE_HOLDS_VALUE (content))
    g_string_append (out, json_node_get_string (content));
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    {
      JsonArray *parts = json_node_get_array (content);

      for (guint i = 0; i < json_array_get_length (parts); i++)
        {
          JsonObject *part = json_array_get_object_element (parts, i);
          const char *type = json_object_get_string_member (part, "type");

          if (g_str_equal (type, "text"))
            append_text (out, json_object_get_string_member (part, "text"));
          else if (g_str_equal (type, "image"))
            g_ptr_array_add (turn->images, convert_image (part));
          else
            {
              g_autofree char *json = json_to_string (json_array_get_element (parts, i), FALSE);
              append_text (out, json);
            }
        }
    }
  if (out->len == 0)
    g_string_append (out, EMPTY_RESULT_TEXT);
  return g_string_free (out, FALSE);
}

static void
add_block (AmqTurn *turn, JsonObject *block)
{
  const char *type = json_object_get_string_member (block, "type");

  if (g_str_equal (type, "text"))
    append_text (turn->text, json_object_get_string_member (block, "text"));
  else if (g_str_equal (type, "image"))
    g_ptr_array_add (turn->images, convert_image (block));
  else if (g_str_equal (type, "tool_use") && !turn->is_user)
    {
      AmqToolUse *use;
      JsonNode *input = json_object_get_member (block, "input");

      for (guint i = 0; i < turn->tool_uses->len; i++)
        if (g_str_equal (((AmqToolUse *) g_ptr_array_index (turn->tool_uses, i))->id,
                         json_object_get_string_member (block, "id")))
          return;  /* the same call echoed twice */
      use = g_new0 (AmqToolUse, 1);

      use->id = g_strdup (json_object_get_string_member (block, "id"));
      use->name = g_strdup (json_object_get_string_member (block, "name"));
      use->input = input ? json_node_copy (input) : json_from_string ("{}", NULL);
      g_ptr_array_add (turn->tool_uses, use);
    }
  else if (g_str_equal (type, "tool_result"))
    {
      AmqToolResult *result = g_new0 (AmqToolResult, 1);

      result->tool_use_id = g_strdup (json_object_get_string_member (block, "tool_use_id"));
      result->is_error = amq_json_get_bool (block, "is_error", FALSE);
      result->text = tool_result_text (block, turn);
      g_ptr_array_add (turn->tool_results, result);
    }
  else if (g_str_equal (type, "thinking"))
    {
      /* past thinking goes back as text: there is no upstream field for it */
      const char *thinking = amq_json_get_string (block, "thinking");

      if (thinking != NULL && *thinking != '\0')
        {
          g_autofree char *wrapped = g_strdup_printf ("<thinking>%s</thinking>", thinking);
          append_text (turn->text, wrapped);
        }
    }
  else if (g_str_equal (type, "redacted_thinking"))
    ;  /* opaque to any model but Anthropic's own */
  else
    {
      /* documents, server tool blocks: keep what they say as text */
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), block);
      g_autofree char *json = json_to_string (node, FALSE);
      append_text (turn->text, json);
    }
}

static void
merge_into (AmqTurn *into, AmqTurn *from)
{
  append_text (into->text, from->text->str);
  g_ptr_array_extend_and_steal (into->images, g_steal_pointer (&from->images));
  for (guint i = 0; i < from->tool_uses->len; i++)
    {
      AmqToolUse *use = g_ptr_array_index (from->tool_uses, i);
      gboolean seen = FALSE;

      for (guint j = 0; j < into->tool_uses->len && !seen; j++)
        seen = g_str_equal (((AmqToolUse *) g_ptr_array_index (into->tool_uses, j))->id, use->id);
      if (!seen)
        g_ptr_array_add (into->tool_uses, g_ptr_array_steal_index (from->tool_uses, i--));
    }
  g_ptr_array_extend_and_steal (into->tool_results, g_steal_pointer (&from->tool_results));
  from->images = g_ptr_array_new ();
  from->tool_uses = g_ptr_array_new ();
  from->tool_results = g_ptr_array_new ();
  amq_turn_free (from);
}

static AmqToolResult *
take_result (GPtrArray *results, const char *tool_use_id)
{
  for (guint i = 0; i < results->len; i++)
    {
      AmqToolResult *r = g_ptr_array_index (results, i);

      if (g_str_equal (r->tool_use_id, tool_use_id))
        return g_ptr_array_steal_index (results, i);
    }
  return NULL;
}

/* Makes @user's results answer exactly @uses (NULL: no uses), in their order. */
static void
pair_results (const GPtrArray *uses, AmqTurn *user)
{
  g_autoptr(GPtrArray) given = g_steal_pointer (&user->tool_results);
  GString *orphans = g_string_new (NULL);

  user->tool_results = g_ptr_array_new_with_free_func (tool_result_free);
  for (guint i = 0; uses != NULL && i < uses->len; i++)
    {
      AmqToolUse *use = g_ptr_array_index (uses, i);
      AmqToolResult *result = take_result (given, use->id);
      AmqToolResult *duplicate;

      while ((duplicate = take_result (given, use->id)) != NULL)
        tool_result_free (duplicate);
      if (result == NULL)
        {
          result = g_new0 (AmqToolResult, 1);
          result->tool_use_id = g_strdup (use->id);
          result->is_error = TRUE;
          result->text = g_strdup (AMQ_CANCELLED_TOOL_TEXT);
        }
      g_ptr_array_add (user->tool_results, result);
    }
  for (guint i = 0; i < given->len; i++)
    {
      AmqToolResult *orphan = g_ptr_array_index (given, i);

      g_string_append_printf (orphans, "%s[Result of tool call %s%s]\n%s",
                              orphans->len ? "\n\n" : "", orphan->tool_use_id,
                              orphan->is_error ? ", an error" : "", orphan->text);
    }
  if (orphans->len > 0)
    {
      /* results come before the user's words, as in the original message */
      if (user->text->len > 0)
        g_string_append_printf (orphans, "\n\n%s", user->text->str);
      g_string_assign (user->text, orphans->str);
    }
  g_string_free (orphans, TRUE);
}

GPtrArray *
amq_history_build (JsonArray *messages)
{
  GPtrArray *turns;

  g_return_val_if_fail (messages != NULL, NULL);

  turns = g_ptr_array_new_with_free_func ((GDestroyNotify) amq_turn_free);
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);
      gboolean is_user = g_str_equal (json_object_get_string_member (message, "role"), "user");
      JsonArray *blocks = json_object_get_array_member (message, "content");
      AmqTurn *turn = turn_new (is_user);

      for (guint j = 0; j < json_array_get_length (blocks); j++)
        add_block (turn, json_array_get_object_element (blocks, j));
      if (turns->len > 0 && ((AmqTurn *) g_ptr_array_index (turns, turns->len - 1))->is_user == is_user)
        merge_into (g_ptr_array_index (turns, turns->len - 1), turn);
      else
        g_ptr_array_add (turns, turn);
    }
  if (turns->len == 0 || !((AmqTurn *) g_ptr_array_index (turns, 0))->is_user)
    g_ptr_array_insert (turns, 0, turn_new (TRUE));
  if (!((AmqTurn *) g_ptr_array_index (turns, turns->len - 1))->is_user)
    g_ptr_array_add (turns, turn_new (TRUE));  /* an assistant prefill: ask to go on */

  for (guint i = 0; i < turns->len; i++)
    {
      AmqTurn *turn = g_ptr_array_index (turns, i);

      if (turn->is_user)
        {
          AmqTurn *previous = i > 0 ? g_ptr_array_index (turns, i - 1) : NULL;

          pair_results (previous ? previous->tool_uses : NULL, turn);
          if (turn->text->len == 0)
            g_string_assign (turn->text, turn->tool_results->len ? TOOL_RESULTS_TEXT : EMPTY_USER_TEXT);
        }
      else if (turn->text->len == 0)
        g_string_assign (turn->text, turn->tool_uses->len ? TOOL_USES_TEXT : EMPTY_ASSISTANT_TEXT);
    }
  return turns;
}
