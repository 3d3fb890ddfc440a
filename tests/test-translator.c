/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-translator.c: upstream byte stream -> reader -> translator -> SSE text and Message JSON,
 * compared with reviewed golden files (AMQ_UPDATE_GOLDEN=1 rewrites them). */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-event-stream-reader.h"
#include "amq-message-builder.h"
#include "amq-sse-writer.h"
#include "amq-translator.h"
#include "scenario.h"

static void
test_scenario (gconstpointer data)
{
  const char *name = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Scenario) scenario = scenario_load (name, &error);
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) builder = amq_message_builder_new ();
  g_autofree char *message = NULL;
  g_autofree char *message_or_error = NULL;
  g_autoptr(GError) message_error = NULL;

  g_assert_no_error (error);
  scenario_translate (scenario, AMQ_EVENT_SINK (writer), "msg_test", "claude-sonnet-4-5-20250929");
  scenario_compare_golden ("golden", name, ".sse", amq_sse_writer_peek_text (writer));
  g_assert_true (amq_sse_writer_is_complete (writer));

  scenario_translate (scenario, AMQ_EVENT_SINK (builder), "msg_test", "claude-sonnet-4-5-20250929");
  message = amq_message_builder_to_json (builder, &message_error);
  if (message != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      /* the builder writes JSON by hand: it must parse */
      g_assert_true (json_parser_load_from_data (parser, message, -1, NULL));
      message_or_error = g_strconcat (message, "\n", NULL);
    }
  else
    message_or_error = g_strdup_printf ("error %s %d: %s\n", g_quark_to_string (message_error->domain),
                                        message_error->code, message_error->message);
  scenario_compare_golden ("golden", name, ".message", message_or_error);
}

/* Every event's data line parses and its type equals the event line; indexes are in order and
 * every block is closed. */
static void
assert_sse_grammar (const char *text)
{
  g_auto(GStrv) events = g_strsplit (text, "\n\n", -1);
  gint open = -1;
  gint next = 0;

  for (guint i = 0; events[i] != NULL && *events[i] != '\0'; i++)
    {
      g_auto(GStrv) lines = g_strsplit (events[i], "\n", 2);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *data;
      const char *type;

      g_assert_true (g_str_has_prefix (lines[0], "event: "));
      g_assert_true (g_str_has_prefix (lines[1], "data: "));
      g_assert_true (json_parser_load_from_data (parser, lines[1] + 6, -1, NULL));
      data = json_node_get_object (json_parser_get_root (parser));
      type = json_object_get_string_member (data, "type");
      g_assert_cmpstr (type, ==, lines[0] + 7);
      if (g_str_equal (type, "content_block_start"))
        {
          g_assert_cmpint (open, ==, -1);
          g_assert_cmpint (json_object_get_int_member (data, "index"), ==, next);
          open = next++;
        }
      else if (g_str_equal (type, "content_block_delta"))
        g_assert_cmpint (json_object_get_int_member (data, "index"), ==, open);
      else if (g_str_equal (type, "content_block_stop"))
        {
          g_assert_cmpint (json_object_get_int_member (data, "index"), ==, open);
          open = -1;
        }
    }
  g_assert_cmpint (open, ==, -1);
}

static void
test_sse_grammar (void)
{
  static const char * const names[] = { "text", "tool_use", "two_tools", "thinking", "reasoning" };

  for (guint n = 0; n < G_N_ELEMENTS (names); n++)
    {
      g_autoptr(Scenario) scenario = scenario_load (names[n], NULL);
      g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);

      scenario_translate (scenario, AMQ_EVENT_SINK (writer), "msg_test", "claude-sonnet-4-5-20250929");
      assert_sse_grammar (amq_sse_writer_peek_text (writer));
    }
}

/* Feeds one upstream event; returns what the translator said: FALSE once the message is over. */
static gboolean
feed_one (AmqTranslator *translator, const char *event_type, const char *payload)
{
  const char *headers[] = { ":event-type", event_type, ":message-type", "event", NULL };
  g_autoptr(GBytes) bytes = amq_event_frame_encode (headers, (const guint8 *) payload, strlen (payload));
  g_autoptr(AmqEventFrame) frame = NULL;
  gsize needed;

  g_assert_cmpint (amq_event_frame_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                           &frame, &needed, NULL), ==, AMQ_FRAME_DECODE_OK);
  return amq_translator_feed (translator, frame);
}

static void
feed_payloads (AmqTranslator *translator, const char * const (*payloads)[2], guint n)
{
  for (guint i = 0; i < n; i++)
    g_assert_true (feed_one (translator, payloads[i][0], payloads[i][1]));
}

/* Found by fuzz-translator: blank payloads and members of the wrong type are ignored, not a
 * critical (the tests run with fatal criticals). */
static void
test_odd_payloads (void)
{
  static const char * const payloads[][2] = {
    { "assistantResponseEvent", "   " },
    { "assistantResponseEvent", "{\"content\":{\"nested\":true}}" },
    { "assistantResponseEvent", "[1,2,3]" },
    { "toolUseEvent", "{\"toolUseId\":7,\"name\":[],\"input\":{},\"stop\":\"yes\"}" },
    { "metadataEvent", "{\"tokenUsage\":{\"outputTokens\":\"many\"}}" },
    { "contextUsageEvent", "{\"contextUsagePercentage\":\"high\"}" },
    { "reasoningContentEvent", "{\"text\":5,\"signature\":{}}" },
    /* found by fuzz-translator: json-glib took a tool input with text after it as valid */
    { "toolUseEvent", "{\"toolUseId\":\"t9\",\"name\":\"Bash\",\"input\":\"{\\\"a\\\": 1} trailing\",\"stop\":true}" },
    { "assistantResponseEvent", "{\"content\":\"still fine\"}" },
  };
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqTranslator) translator = amq_translator_new (AMQ_EVENT_SINK (writer), "msg_odd", "m");

  amq_translator_set_thinking (translator, TRUE);
  amq_translator_begin (translator);
  feed_payloads (translator, payloads, G_N_ELEMENTS (payloads));
  amq_translator_end (translator, NULL);
  g_assert_nonnull (strstr (amq_sse_writer_peek_text (writer), "\"text\":\"still fine\""));
  g_assert_null (strstr (amq_sse_writer_peek_text (writer), "trailing"));
  /* the broken tool input is dropped as cut off, never sent */
  g_assert_cmpstr (amq_translator_get_stop_reason (translator), ==, "max_tokens");
}

/* Credits add up over meteringEvents of the credit unit; the context percentage is kept and,
 * without tokenUsage, gives the input count; the estimates stay where Amazon Q says nothing. */
static void
test_metering (void)
{
  static const char * const metered[][2] = {
    { "assistantResponseEvent", "{\"content\":\"hi\"}" },
    { "meteringEvent", "{\"unit\":\"credit\",\"unitPlural\":\"credits\",\"usage\":0.25}" },
    { "meteringEvent", "{\"unit\":\"second\",\"usage\":9}" },
    { "meteringEvent", "{\"unit\":\"credit\",\"usage\":1}" },
    { "meteringEvent", "{\"unit\":\"credit\",\"usage\":\"lots\"}" },
    { "contextUsageEvent", "{\"contextUsagePercentage\":25}" },
    { "contextUsageEvent", "{\"contextUsagePercentage\":250}" },
  };
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqTranslator) translator = amq_translator_new (AMQ_EVENT_SINK (writer), "msg_m", "m");
  g_autoptr(AmqSseWriter) quiet_writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqTranslator) quiet = amq_translator_new (AMQ_EVENT_SINK (quiet_writer), "msg_q", "m");

  amq_translator_set_input_estimate (translator, 1000, 200000);
  amq_translator_begin (translator);
  feed_payloads (translator, metered, G_N_ELEMENTS (metered));
  amq_translator_end (translator, NULL);
  g_assert_cmpfloat_with_epsilon (amq_translator_get_credits (translator), 1.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (amq_translator_get_context_usage (translator), 25, 1e-9);
  g_assert_cmpuint (amq_translator_get_usage (translator)->input_tokens, ==, 50000);
  g_assert_nonnull (strstr (amq_sse_writer_peek_text (writer), "\"usage\":{\"input_tokens\":50000,"));

  amq_translator_set_input_estimate (quiet, 1000, 200000);
  amq_translator_begin (quiet);
  feed_payloads (quiet, metered, 1);
  amq_translator_end (quiet, NULL);
  g_assert_cmpfloat (amq_translator_get_credits (quiet), ==, 0);
  g_assert_cmpfloat (amq_translator_get_context_usage (quiet), ==, 0);
  g_assert_cmpuint (amq_translator_get_usage (quiet)->input_tokens, ==, 1000);
  g_assert_cmpuint (amq_translator_get_usage (quiet)->output_tokens, >, 0);
}

/* Translates @payloads with @max_tokens into both sinks; returns how many were fed before
 * the translator said the message was over. */
static guint
translate_capped (AmqSseWriter *writer, AmqMessageBuilder *builder, guint64 max_tokens,
                  const char * const (*payloads)[2], guint n)
{
  AmqEventSink *sinks[] = { AMQ_EVENT_SINK (writer), AMQ_EVENT_SINK (builder) };
  guint fed = 0;

  for (guint s = 0; s < G_N_ELEMENTS (sinks); s++)
    {
      g_autoptr(AmqTranslator) translator = amq_translator_new (sinks[s], "msg_max", "m");

      amq_translator_set_max_tokens (translator, max_tokens);
      amq_translator_begin (translator);
      for (fed = 0; fed < n && feed_one (translator, payloads[fed][0], payloads[fed][1]); fed++)
        ;
      fed = MIN (fed + 1, n);
      amq_translator_end (translator, NULL);
    }
  assert_sse_grammar (amq_sse_writer_peek_text (writer));
  g_assert_true (amq_sse_writer_is_complete (writer));
  return fed;
}

/* The text of the builder's only block. */
static const char *
only_text (AmqMessageBuilder *builder)
{
  const GString *text;

  g_assert_cmpuint (amq_message_builder_get_n_blocks (builder), ==, 1);
  g_assert_cmpint (amq_message_builder_get_block (builder, 0, &text, NULL, NULL), ==, AMQ_BLOCK_TEXT);
  return text->str;
}

/* max_tokens has no field upstream: the answer ends where its estimate (12 units a token:
 * 3 a letter or blank, 7 a punctuation mark, 11 a CJK character) reaches it, the last text
 * cut between characters, its block closed, and nothing more is read. */
static void
test_max_tokens_cuts_text (void)
{
  static const char * const ascii[][2] = {
    { "assistantResponseEvent", "{\"content\":\"Hello \"}" },
    { "assistantResponseEvent", "{\"content\":\"world, how are you?\"}" },
    { "assistantResponseEvent", "{\"content\":\"never read\"}" },
  };
  static const char * const cjk[][2] = {
    { "assistantResponseEvent", "{\"content\":\"\u4f60\u597d\u4e16\u754c\"}" },
  };
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) builder = amq_message_builder_new ();
  g_autoptr(AmqSseWriter) cjk_writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) cjk_builder = amq_message_builder_new ();

  /* 36 units: "Hello world" is 33, the comma would make 40 */
  g_assert_cmpuint (translate_capped (writer, builder, 3, ascii, G_N_ELEMENTS (ascii)), ==, 2);
  g_assert_cmpstr (only_text (builder), ==, "Hello world");
  g_assert_cmpstr (amq_message_builder_get_stop_reason (builder), ==, "max_tokens");
  g_assert_cmpuint (amq_message_builder_get_usage (builder)->output_tokens, ==, 3);
  g_assert_nonnull (strstr (amq_sse_writer_peek_text (writer), "\"stop_reason\":\"max_tokens\""));
  g_assert_null (strstr (amq_sse_writer_peek_text (writer), "never"));

  /* 24 units: two characters of four, never half of one */
  translate_capped (cjk_writer, cjk_builder, 2, cjk, G_N_ELEMENTS (cjk));
  g_assert_cmpstr (only_text (cjk_builder), ==, "\u4f60\u597d");
  g_assert_cmpuint (amq_message_builder_get_usage (cjk_builder)->output_tokens, ==, 2);
}

/* A tool call that does not fit max_tokens is never sent with its input cut: it is left out
 * and the answer ends with max_tokens, as soon as its input alone is past the limit. */
static void
test_max_tokens_leaves_tool_out (void)
{
  static const char * const calls[][2] = {
    { "assistantResponseEvent", "{\"content\":\"Let me look.\"}" },
    { "toolUseEvent", "{\"name\":\"Bash\",\"toolUseId\":\"t1\",\"input\":\"{\\\"command\\\": \\\"ls\"}" },
    { "toolUseEvent", "{\"name\":\"Bash\",\"toolUseId\":\"t1\",\"input\":\" -la /tmp /var /usr /home\"}" },
    { "toolUseEvent", "{\"name\":\"Bash\",\"toolUseId\":\"t1\",\"input\":\"\\\"}\",\"stop\":true}" },
  };
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) builder = amq_message_builder_new ();
  g_autoptr(AmqSseWriter) roomy_writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) roomy = amq_message_builder_new ();

  /* 108 units: the text is 40, the input 65 after its first fragment and past the limit
   * with its second */
  g_assert_cmpuint (translate_capped (writer, builder, 9, calls, G_N_ELEMENTS (calls)), ==, 3);
  g_assert_cmpstr (only_text (builder), ==, "Let me look.");
  g_assert_cmpstr (amq_message_builder_get_stop_reason (builder), ==, "max_tokens");
  g_assert_null (strstr (amq_sse_writer_peek_text (writer), "tool_use"));

  /* with room for it, the same call goes out whole */
  translate_capped (roomy_writer, roomy, 1000, calls, G_N_ELEMENTS (calls));
  g_assert_cmpuint (amq_message_builder_get_n_blocks (roomy), ==, 2);
  g_assert_cmpstr (amq_message_builder_get_stop_reason (roomy), ==, "tool_use");
}

int
main (int argc, char **argv)
{
  g_autoptr(GDir) dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *file;

  g_test_init (&argc, &argv, NULL);
  path = scenario_data_dir ();
  dir = g_dir_open (path, 0, NULL);
  g_assert_nonnull (dir);
  while ((file = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr(Scenario) scenario = NULL;
      g_autofree char *name = g_strndup (file, strlen (file) - 5);

      scenario = scenario_load (name, NULL);
      /* HTTP errors and timing scenarios belong to the server tests */
      if (scenario->http_status != 200 || scenario->gap_ms > 0 || scenario->stall_ms > 0 || scenario->reset ||
          scenario->drop)
        continue;
      g_ptr_array_add (names, g_steal_pointer (&name));
    }
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *test_path = g_strconcat ("/translator/", (char *) g_ptr_array_index (names, i), NULL);

      g_test_add_data_func (test_path, g_ptr_array_index (names, i), test_scenario);
    }
  g_test_add_func ("/translator/sse-grammar", test_sse_grammar);
  g_test_add_func ("/translator/odd-payloads", test_odd_payloads);
  g_test_add_func ("/translator/metering", test_metering);
  g_test_add_func ("/translator/max-tokens-cuts-text", test_max_tokens_cuts_text);
  g_test_add_func ("/translator/max-tokens-leaves-tool-out", test_max_tokens_leaves_tool_out);
  return g_test_run ();
}
