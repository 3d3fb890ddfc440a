/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-openai-writers.c: upstream scenarios and hand-made events through the four OpenAI sinks (chat chunks, chat
 * completion, response events, response object), compared with reviewed golden files (AMQ_UPDATE_GOLDEN=1 rewrites
 * them) and parsed back: what a stream says must add up to what the non-streaming answer says. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-error.h"
#include "amq-openai-chat-completion.h"
#include "amq-openai-chat-stream.h"
#include "amq-openai-response.h"
#include "amq-openai-response-stream.h"
#include "scenario.h"

#define CREATED 1767225600
#define MODEL "gpt-test"

/* ---- driving the sinks ---- */

/* The four renderings of one run of events; @feed sends them to a sink. */
typedef struct {
  char *chat_stream;
  char *chat;            /* the completion JSON, or "error: ..." */
  char *responses_stream;
  char *response;        /* the response object, or "error: ..." */
} Renderings;

static void
renderings_clear (Renderings *r)
{
  g_free (r->chat_stream);
  g_free (r->chat);
  g_free (r->responses_stream);
  g_free (r->response);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Renderings, renderings_clear)

typedef void (*FeedFunc) (AmqEventSink *sink, const char *id, gconstpointer data);

static char *
json_or_error (char *json, GError **error)
{
  if (json != NULL)
    return json;
  return g_strdup_printf ("error: %s", (*error)->message);
}

static void
render_all (Renderings *r, FeedFunc feed, gconstpointer data)
{
  g_autoptr(AmqSseChannel) chat_channel = amq_sse_channel_new (NULL, AMQ_SSE_COMMENT_PING);
  g_autoptr(AmqSseChannel) response_channel = amq_sse_channel_new (NULL, AMQ_SSE_COMMENT_PING);
  g_autoptr(AmqOpenaiChatStream) chat_stream = amq_openai_chat_stream_new (chat_channel, CREATED, TRUE);
  g_autofree char *echo = amq_openai_response_echo_new (NULL);
  g_autoptr(AmqOpenaiResponseStream) response_stream = amq_openai_response_stream_new (response_channel, CREATED, echo);
  g_autoptr(AmqMessageBuilder) chat = amq_message_builder_new ();
  g_autoptr(AmqMessageBuilder) response = amq_message_builder_new ();
  g_autoptr(GError) chat_error = NULL;
  g_autoptr(GError) response_error = NULL;

  feed (AMQ_EVENT_SINK (chat_stream), "chatcmpl-test", data);
  feed (AMQ_EVENT_SINK (chat), "chatcmpl-test", data);
  feed (AMQ_EVENT_SINK (response_stream), "resp_test", data);
  feed (AMQ_EVENT_SINK (response), "resp_test", data);
  g_assert_true (amq_sse_channel_is_complete (chat_channel));
  g_assert_true (amq_sse_channel_is_complete (response_channel));
  r->chat_stream = g_strdup (amq_sse_channel_peek_text (chat_channel));
  r->responses_stream = g_strdup (amq_sse_channel_peek_text (response_channel));
  r->chat = json_or_error (amq_openai_chat_completion_render (chat, CREATED, &chat_error), &chat_error);
  r->response = json_or_error (amq_openai_response_render (response, CREATED, echo, &response_error), &response_error);
}

/* ---- reading the streams back ---- */

typedef struct {
  char     *name;   /* the event: line, NULL without one */
  JsonNode *data;   /* NULL for [DONE] */
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_free (event->name);
  g_clear_pointer (&event->data, json_node_unref);
  g_free (event);
}

/* Every event is "event: NAME\n"? "data: JSON\n\n" (or data: [DONE]); comments are pings. */
static GPtrArray *
parse_events (const char *text)
{
  GPtrArray *events = g_ptr_array_new_with_free_func (event_free);
  g_auto(GStrv) blocks = NULL;

  g_assert_true (g_str_has_suffix (text, "\n\n"));
  blocks = g_strsplit (text, "\n\n", -1);
  for (guint i = 0; blocks[i + 1] != NULL; i++)
    {
      g_auto(GStrv) lines = g_strsplit (blocks[i], "\n", -1);
      Event *event = g_new0 (Event, 1);
      guint data_line = 0;
      g_autoptr(GError) error = NULL;

      if (g_str_has_prefix (lines[0], "event: "))
        {
          event->name = g_strdup (lines[0] + strlen ("event: "));
          data_line = 1;
        }
      g_assert_true (g_str_has_prefix (lines[data_line], "data: "));
      g_assert_null (lines[data_line + 1]);
      if (!g_str_equal (lines[data_line], "data: [DONE]"))
        {
          event->data = json_from_string (lines[data_line] + strlen ("data: "), &error);
          g_assert_no_error (error);
          g_assert_true (JSON_NODE_HOLDS_OBJECT (event->data));
        }
      g_ptr_array_add (events, event);
    }
  return events;
}

static JsonObject *
object_at (JsonNode *node, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) found = json_path_query (path, node, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (found)), ==, 1);
  return json_array_get_object_element (json_node_get_array (found), 0);
}

static void
assert_same_json (JsonNode *a, JsonNode *b)
{
  g_autofree char *a_text = json_to_string (a, FALSE);
  g_autofree char *b_text = json_to_string (b, FALSE);

  g_assert_cmpstr (a_text, ==, b_text);
}

static const char *
string_or_empty (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : "";
}

/* Adds the chunks up and compares them with the completion: the same content, reasoning, tool
 * calls (ids, names, arguments to the byte), finish_reason and usage. */
static void
check_chat_stream (const char *stream, const char *completion_text)
{
  g_autoptr(GPtrArray) events = parse_events (stream);
  g_autoptr(GString) content = g_string_new (NULL);
  g_autoptr(GString) reasoning = g_string_new (NULL);
  g_autoptr(JsonArray) calls = json_array_new ();
  g_autoptr(JsonNode) completion = NULL;
  Event *last = g_ptr_array_index (events, events->len - 1);
  JsonObject *first = json_node_get_object (((Event *) g_ptr_array_index (events, 0))->data);
  JsonObject *message;
  const char *finish_reason = NULL;
  JsonNode *usage = NULL;

  g_assert_cmpstr (string_or_empty (object_at (((Event *) g_ptr_array_index (events, 0))->data, "$.choices[0].delta"), "role"), ==, "assistant");
  for (guint i = 0; i < events->len; i++)
    {
      Event *event = g_ptr_array_index (events, i);
      JsonObject *chunk, *delta, *choice;
      JsonArray *choices;

      g_assert_null (event->name);
      if (event->data == NULL || json_object_has_member (json_node_get_object (event->data), "error"))
        {
          g_assert_true (event == last);
          break;
        }
      chunk = json_node_get_object (event->data);
      g_assert_cmpstr (json_object_get_string_member (chunk, "id"), ==, json_object_get_string_member (first, "id"));
      g_assert_cmpstr (json_object_get_string_member (chunk, "object"), ==, "chat.completion.chunk");
      g_assert_cmpint (json_object_get_int_member (chunk, "created"), ==, CREATED);
      g_assert_cmpstr (json_object_get_string_member (chunk, "model"), ==, MODEL);
      choices = json_object_get_array_member (chunk, "choices");
      if (json_array_get_length (choices) == 0)
        {
          usage = json_object_get_member (chunk, "usage");  /* the usage chunk comes after the finish */
          g_assert_nonnull (finish_reason);
          continue;
        }
      g_assert_null (finish_reason);
      choice = json_array_get_object_element (choices, 0);
      delta = json_object_get_object_member (choice, "delta");
      g_string_append (content, string_or_empty (delta, "content"));
      g_string_append (reasoning, string_or_empty (delta, "reasoning_content"));
      if (!JSON_NODE_HOLDS_NULL (json_object_get_member (choice, "finish_reason")))
        finish_reason = json_object_get_string_member (choice, "finish_reason");
      for (guint j = 0; json_object_has_member (delta, "tool_calls") && j < json_array_get_length (json_object_get_array_member (delta, "tool_calls")); j++)
        {
          JsonObject *call = json_array_get_object_element (json_object_get_array_member (delta, "tool_calls"), j);
          JsonObject *function = json_object_get_object_member (call, "function");
          guint index = json_object_get_int_member (call, "index");

          if (index == json_array_get_length (calls))
            {
              /* a call starts with its id, type and name */
              JsonObject *started = json_object_new ();

              g_assert_cmpstr (json_object_get_string_member (call, "type"), ==, "function");
              json_object_set_string_member (started, "id", json_object_get_string_member (call, "id"));
              json_object_set_string_member (started, "name", json_object_get_string_member (function, "name"));
              json_object_set_string_member (started, "arguments", "");
              json_array_add_object_element (calls, started);
            }
          g_assert_cmpuint (index, <, json_array_get_length (calls));
          {
            JsonObject *call_so_far = json_array_get_object_element (calls, index);
            g_autofree char *joined = g_strconcat (json_object_get_string_member (call_so_far, "arguments"),
                                                   json_object_get_string_member (function, "arguments"), NULL);

            json_object_set_string_member (call_so_far, "arguments", joined);
          }
        }
    }
  if (g_str_has_prefix (completion_text, "error: "))
    {
      g_assert_nonnull (last->data);
      g_assert_true (json_object_has_member (json_node_get_object (last->data), "error"));
      return;
    }
  g_assert_null (last->data);  /* [DONE] */
  completion = json_from_string (completion_text, NULL);
  message = object_at (completion, "$.choices[0].message");
  g_assert_cmpstr (string_or_empty (message, "content"), ==, content->str);
  g_assert_cmpstr (string_or_empty (message, "reasoning_content"), ==, reasoning->str);
  g_assert_cmpstr (json_object_get_string_member (object_at (completion, "$.choices[0]"), "finish_reason"), ==, finish_reason);
  g_assert_nonnull (usage);
  assert_same_json (usage, json_object_get_member (json_node_get_object (completion), "usage"));
  g_assert_cmpuint (json_array_get_length (calls), ==,
                    json_object_has_member (message, "tool_calls") ? json_array_get_length (json_object_get_array_member (message, "tool_calls")) : 0);
  for (guint i = 0; i < json_array_get_length (calls); i++)
    {
      JsonObject *streamed = json_array_get_object_element (calls, i);
      JsonObject *call = json_array_get_object_element (json_object_get_array_member (message, "tool_calls"), i);

      g_assert_cmpstr (json_object_get_string_member (streamed, "id"), ==, json_object_get_string_member (call, "id"));
      g_assert_cmpstr (json_object_get_string_member (streamed, "name"), ==,
                       json_object_get_string_member (json_object_get_object_member (call, "function"), "name"));
      g_assert_cmpstr (json_object_get_string_member (streamed, "arguments"), ==,
                       json_object_get_string_member (json_object_get_object_member (call, "function"), "arguments"));
    }
}

/* The text an item's deltas add up to, checked against its .done event. */
static void
add_delta (GHashTable *texts, JsonObject *data, const char *member)
{
  const char *item = json_object_get_string_member (data, "item_id");
  GString *text = g_hash_table_lookup (texts, item);

  if (text == NULL)
    g_hash_table_insert (texts, g_strdup (item), text = g_string_new (NULL));
  g_string_append (text, json_object_get_string_member (data, member));
}

static void
check_done (GHashTable *texts, JsonObject *data, const char *member)
{
  GString *text = g_hash_table_lookup (texts, json_object_get_string_member (data, "item_id"));

  g_assert_cmpstr (text ? text->str : "", ==, json_object_get_string_member (data, member));
}

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

/* Every event named as its type, numbered in order; items added in order, their deltas adding
 * up to their .done events and to the final object, which is the non-streaming response. */
static void
check_responses_stream (const char *stream, const char *response_text)
{
  g_autoptr(GPtrArray) events = parse_events (stream);
  g_autoptr(GHashTable) texts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  Event *last = g_ptr_array_index (events, events->len - 1);
  JsonObject *final;

  for (guint i = 0; i < events->len; i++)
    {
      Event *event = g_ptr_array_index (events, i);
      JsonObject *data = json_node_get_object (event->data);
      const char *type = json_object_get_string_member (data, "type");

      g_assert_cmpstr (event->name, ==, type);
      g_assert_cmpint (json_object_get_int_member (data, "sequence_number"), ==, i);
      if (i == 0)
        g_assert_cmpstr (type, ==, "response.created");
      else if (i == 1)
        g_assert_cmpstr (type, ==, "response.in_progress");
      else if (g_str_equal (type, "response.output_item.added"))
        {
          g_assert_cmpint (json_object_get_int_member (data, "output_index"), ==, items->len);
          g_ptr_array_add (items, json_node_ref (json_object_get_member (data, "item")));
        }
      else if (g_str_equal (type, "response.output_item.done"))
        {
          guint index = json_object_get_int_member (data, "output_index");

          g_assert_cmpuint (index, <, items->len);
          json_node_unref (g_ptr_array_index (items, index));
          g_ptr_array_index (items, index) = json_node_ref (json_object_get_member (data, "item"));
        }
      else if (g_str_has_suffix (type, ".delta"))
        add_delta (texts, data, "delta");
      else if (g_str_equal (type, "response.output_text.done") || g_str_equal (type, "response.reasoning_summary_text.done"))
        check_done (texts, data, "text");
      else if (g_str_equal (type, "response.function_call_arguments.done"))
        check_done (texts, data, "arguments");
    }
  final = object_at (last->data, "$.response");
  if (g_str_has_prefix (response_text, "error: "))
    {
      Event *error = g_ptr_array_index (events, events->len - 2);

      g_assert_cmpstr (last->name, ==, "response.failed");
      g_assert_cmpstr (error->name, ==, "error");
      g_assert_cmpstr (json_object_get_string_member (final, "status"), ==, "failed");
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (final, "error"), "code"), ==,
                       json_object_get_string_member (json_node_get_object (error->data), "code"));
      return;
    }
  {
    g_autoptr(JsonNode) response = json_from_string (response_text, NULL);
    g_autoptr(JsonNode) final_node = json_node_init_object (json_node_alloc (), final);
    JsonArray *output = json_object_get_array_member (final, "output");

    g_assert_true (g_str_equal (last->name, "response.completed") || g_str_equal (last->name, "response.incomplete"));
    g_assert_cmpuint (json_array_get_length (output), ==, items->len);
    for (guint i = 0; i < items->len; i++)
      assert_same_json (json_array_get_element (output, i), g_ptr_array_index (items, i));
    assert_same_json (final_node, response);
  }
}

/* ---- golden scenarios ---- */

static void
feed_scenario (AmqEventSink *sink, const char *id, gconstpointer data)
{
  scenario_translate (data, sink, id, MODEL);
}

static void
test_scenario (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Scenario) scenario = scenario_load (data, &error);
  g_auto(Renderings) r = { 0 };
  g_autofree char *chat = NULL;
  g_autofree char *response = NULL;

  g_assert_no_error (error);
  render_all (&r, feed_scenario, scenario);
  check_chat_stream (r.chat_stream, r.chat);
  check_responses_stream (r.responses_stream, r.response);
  chat = g_strconcat (r.chat, "\n", NULL);
  response = g_strconcat (r.response, "\n", NULL);
  scenario_compare_golden ("golden-openai", data, ".chat.sse", r.chat_stream);
  scenario_compare_golden ("golden-openai", data, ".chat.json", chat);
  scenario_compare_golden ("golden-openai", data, ".responses.sse", r.responses_stream);
  scenario_compare_golden ("golden-openai", data, ".responses.json", response);
}

/* ---- hand-made events ---- */

/* Arguments split inside escapes and strings: quotes, backslashes, CJK, emoji, nesting. */
static const char * const argument_fragments[] = {
  "{\"path\": \"C:\\\\dir\\\\\\\"q",
  "uoted\\\"\", \"text\": \"引号「」 😀👍🏽 \\u00e9",
  "\\n\", \"nested\": {\"a\": [1, {\"b\": null, \"c\": \"\\\\\"}], \"d\": true}}",
};

static void
feed_tool_calls (AmqEventSink *sink, const char *id, gconstpointer data)
{
  const AmqUsage start = { 120, 0, 0, 30 };
  const AmqUsage end = { 120, 45, 0, 30 };

  amq_event_sink_message_start (sink, id, MODEL, &start);
  amq_event_sink_block_start (sink, 0, AMQ_BLOCK_THINKING, NULL, NULL);
  amq_event_sink_block_delta (sink, 0, AMQ_DELTA_THINKING, "Two calls \"needed\"", strlen ("Two calls \"needed\""));
  amq_event_sink_block_delta (sink, 0, AMQ_DELTA_SIGNATURE, "sig", 3);
  amq_event_sink_block_stop (sink, 0);
  amq_event_sink_block_start (sink, 1, AMQ_BLOCK_TEXT, NULL, NULL);
  amq_event_sink_block_delta (sink, 1, AMQ_DELTA_TEXT, "Calling 🛠", strlen ("Calling 🛠"));
  amq_event_sink_block_stop (sink, 1);
  for (guint call = 0; call < 2; call++)
    {
      g_autofree char *tool_id = g_strdup_printf ("tooluse_%u", call);

      amq_event_sink_block_start (sink, 2 + call, AMQ_BLOCK_TOOL_USE, tool_id, call ? "写文件" : "Bash");
      for (guint i = 0; i < G_N_ELEMENTS (argument_fragments); i++)
        amq_event_sink_block_delta (sink, 2 + call, AMQ_DELTA_INPUT_JSON, argument_fragments[i], strlen (argument_fragments[i]));
      amq_event_sink_block_stop (sink, 2 + call);
    }
  amq_event_sink_message_end (sink, "tool_use", NULL, &end);
}

static void
test_tool_arguments_exact (void)
{
  g_auto(Renderings) r = { 0 };
  g_autofree char *arguments = g_strjoinv ("", (char **) argument_fragments);
  g_autoptr(JsonNode) chat = NULL;
  g_autoptr(JsonNode) response = NULL;
  g_autoptr(JsonNode) parsed = NULL;

  render_all (&r, feed_tool_calls, NULL);
  check_chat_stream (r.chat_stream, r.chat);
  check_responses_stream (r.responses_stream, r.response);
  chat = json_from_string (r.chat, NULL);
  response = json_from_string (r.response, NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *chat_path = g_strdup_printf ("$.choices[0].message.tool_calls[%u].function", i);
      g_autofree char *response_path = g_strdup_printf ("$.output[%u]", 2 + i);

      g_assert_cmpstr (json_object_get_string_member (object_at (chat, chat_path), "arguments"), ==, arguments);
      g_assert_cmpstr (json_object_get_string_member (object_at (response, response_path), "arguments"), ==, arguments);
    }
  g_assert_cmpstr (json_object_get_string_member (object_at (chat, "$.choices[0].message.tool_calls[1].function"), "name"), ==, "写文件");
  g_assert_cmpstr (json_object_get_string_member (object_at (response, "$.output[3]"), "call_id"), ==, "tooluse_1");
  /* and they hold the object the model meant */
  parsed = json_from_string (arguments, NULL);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (parsed), "path"), ==, "C:\\dir\\\"quoted\"");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (parsed), "text"), ==, "引号「」 😀👍🏽 é\n");
  scenario_compare_golden ("golden-openai", "tool_calls", ".chat.sse", r.chat_stream);
  scenario_compare_golden ("golden-openai", "tool_calls", ".responses.sse", r.responses_stream);
}

static void
feed_failure (AmqEventSink *sink, const char *id, gconstpointer data)
{
  const AmqUsage usage = { 10, 0, 0, 1 };

  amq_event_sink_message_start (sink, id, MODEL, &usage);
  amq_event_sink_block_start (sink, 0, AMQ_BLOCK_TEXT, NULL, NULL);
  amq_event_sink_block_delta (sink, 0, AMQ_DELTA_TEXT, "Half", 4);
  amq_event_sink_error (sink, data);
}

/* A stream that fails ends with the error: never [DONE], never response.completed. */
static void
test_failure (void)
{
  AmqAwsFault fault = { .type = "ThrottlingException", .message = "slow down" };
  g_autoptr(GError) rate = amq_error_new_from_aws (&fault);
  g_autoptr(GError) overflow = amq_error_new_prompt_too_long (300000, 200000);
  const GError *errors[] = { rate, overflow };
  const char *codes[] = { "rate_limit_exceeded", "context_length_exceeded" };

  for (guint i = 0; i < G_N_ELEMENTS (errors); i++)
    {
      g_auto(Renderings) r = { 0 };
      g_autoptr(GPtrArray) chat = NULL;
      g_autoptr(GPtrArray) responses = NULL;
      JsonNode *chat_last, *response_error;

      render_all (&r, feed_failure, errors[i]);
      check_chat_stream (r.chat_stream, r.chat);
      check_responses_stream (r.responses_stream, r.response);
      g_assert_null (strstr (r.chat_stream, "[DONE]"));
      chat = parse_events (r.chat_stream);
      chat_last = ((Event *) g_ptr_array_index (chat, chat->len - 1))->data;
      g_assert_cmpstr (json_object_get_string_member (object_at (chat_last, "$.error"), "code"), ==, codes[i]);
      responses = parse_events (r.responses_stream);
      response_error = ((Event *) g_ptr_array_index (responses, responses->len - 2))->data;
      /* the flat fields are the documented event; the nested error what OpenAI's servers add */
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (response_error), "code"), ==, codes[i]);
      g_assert_cmpstr (json_object_get_string_member (object_at (response_error, "$.error"), "code"), ==, codes[i]);
      g_assert_true (g_str_has_prefix (r.chat, "error: "));
      g_assert_true (g_str_has_prefix (r.response, "error: "));
    }
  {
    g_auto(Renderings) r = { 0 };

    render_all (&r, feed_failure, rate);
    scenario_compare_golden ("golden-openai", "failure", ".chat.sse", r.chat_stream);
    scenario_compare_golden ("golden-openai", "failure", ".responses.sse", r.responses_stream);
  }
}

static void
feed_text (AmqEventSink *sink, const char *id, gconstpointer data)
{
  const AmqUsage usage = { 7, 0, 0, 2 };

  amq_event_sink_message_start (sink, id, MODEL, &usage);
  amq_event_sink_block_start (sink, 0, AMQ_BLOCK_TEXT, NULL, NULL);
  amq_event_sink_block_delta (sink, 0, AMQ_DELTA_TEXT, "Hi", 2);
  amq_event_sink_block_stop (sink, 0);
  amq_event_sink_message_end (sink, data, NULL, &usage);
}

/* Without stream_options.include_usage, no chunk mentions usage. */
static void
test_chat_without_usage (void)
{
  g_autoptr(AmqSseChannel) channel = amq_sse_channel_new (NULL, AMQ_SSE_COMMENT_PING);
  g_autoptr(AmqOpenaiChatStream) stream = amq_openai_chat_stream_new (channel, CREATED, FALSE);
  g_autoptr(GPtrArray) events = NULL;

  feed_text (AMQ_EVENT_SINK (stream), "chatcmpl-x", "end_turn");
  events = parse_events (amq_sse_channel_peek_text (channel));
  g_assert_null (strstr (amq_sse_channel_peek_text (channel), "usage"));
  g_assert_cmpuint (events->len, ==, 4);  /* role, content, finish, [DONE] */
  g_assert_null (((Event *) g_ptr_array_index (events, 3))->data);
}

/* Output cut short: finish_reason length, status incomplete with the reason. */
static void
test_cut_short (void)
{
  g_auto(Renderings) r = { 0 };
  g_autoptr(JsonNode) chat = NULL;
  g_autoptr(JsonNode) response = NULL;

  render_all (&r, feed_text, "max_tokens");
  check_chat_stream (r.chat_stream, r.chat);
  check_responses_stream (r.responses_stream, r.response);
  chat = json_from_string (r.chat, NULL);
  response = json_from_string (r.response, NULL);
  g_assert_cmpstr (json_object_get_string_member (object_at (chat, "$.choices[0]"), "finish_reason"), ==, "length");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (response), "status"), ==, "incomplete");
  g_assert_cmpstr (json_object_get_string_member (object_at (response, "$.incomplete_details"), "reason"), ==, "max_output_tokens");
  g_assert_nonnull (strstr (r.responses_stream, "event: response.incomplete\n"));
}

int
main (int argc, char **argv)
{
  static const char * const scenarios[] = {
    "text", "tool_use", "two_tools", "thinking", "reasoning", "stop_sequence", "tool_cut_off",
    "exception", "error_frame", "truncated", "empty", "capacity",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (scenarios); i++)
    {
      g_autofree char *path = g_strconcat ("/openai-writers/scenario/", scenarios[i], NULL);

      g_test_add_data_func (path, scenarios[i], test_scenario);
    }
  g_test_add_func ("/openai-writers/tool-arguments-exact", test_tool_arguments_exact);
  g_test_add_func ("/openai-writers/failure", test_failure);
  g_test_add_func ("/openai-writers/chat-without-usage", test_chat_without_usage);
  g_test_add_func ("/openai-writers/cut-short", test_cut_short);
  return g_test_run ();
}
