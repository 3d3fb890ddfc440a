/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-converter.c: request parsing, model mapping and conversion to Amazon Q's body */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "amq-converter.h"
#include "amq-error.h"
#include "amq-model-map.h"
#include "q-validator.h"

/* What the server passes: Kiro's origin and a profile; no size limit unless a test sets one. */
static const AmqConverterOptions kiro = { AMQ_DEFAULT_ORIGIN, AMQ_PROFILE_ARN_BUILDER_ID, 0 };

static AmqMessagesRequest *
parse_text (const char *json, AmqRequestKind kind, GError **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

  return amq_messages_request_parse (bytes, kind, error);
}

/* Random ids replaced so the golden files are stable (q_validate checks they are UUIDs). */
static char *
normalised (const char *body)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *state;
  JsonArray *history;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
  state = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "conversationState");
  json_object_set_string_member (state, "conversationId", "CONVERSATION-ID");
  json_object_set_string_member (state, "agentContinuationId", "CONTINUATION-ID");
  history = json_object_get_array_member (state, "history");
  for (guint i = 0; i < json_array_get_length (history); i++)
    {
      JsonObject *entry = json_array_get_object_element (history, i);

      if (json_object_has_member (entry, "assistantResponseMessage"))
        json_object_set_string_member (json_object_get_object_member (entry, "assistantResponseMessage"),
                                       "messageId", "MESSAGE-ID");
    }
  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return g_strconcat (text, "\n", NULL);
}

static void
test_golden (gconstpointer data)
{
  const char *name = data;
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "requests", file, NULL);
  g_autofree char *golden = g_test_build_filename (G_TEST_DIST, "data", "golden-upstream", file, NULL);
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  g_autofree char *problem = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = NULL;
  g_autoptr(AmqModelMap) models = amq_model_map_new ();
  g_autoptr(AmqConversion) conversion = NULL;
  g_autofree char *upstream_model = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  request = parse_text (text, AMQ_REQUEST_MESSAGES, &error);
  g_assert_no_error (error);
  upstream_model = amq_model_map_resolve (models, amq_messages_request_get_model (request));
  conversion = amq_converter_convert (request, upstream_model, &kiro, &error);
  g_assert_no_error (error);
  problem = q_validate (conversion->body, AMQ_DEFAULT_ORIGIN, NULL);
  g_assert_null (problem);
  actual = normalised (conversion->body);
  if (g_getenv ("AMQ_UPDATE_GOLDEN"))
    {
      g_assert_true (g_file_set_contents (golden, actual, -1, NULL));
      return;
    }
  g_assert_true (g_file_get_contents (golden, &expected, NULL, NULL));
  g_assert_cmpstr (actual, ==, expected);
}

static void
test_long_tool_name_maps_back (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "requests", "long_tool_name.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(AmqMessagesRequest) request = NULL;
  g_autoptr(AmqConversion) conversion = NULL;
  const char *original = "mcp__very_long_server_name_for_testing__and_an_even_longer_tool_name_that_goes_on";
  g_autofree char *shortened = amq_converter_upstream_tool_name (original);
  g_autofree char *again = amq_converter_upstream_tool_name (original);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  request = parse_text (text, AMQ_REQUEST_MESSAGES, NULL);
  conversion = amq_converter_convert (request, "claude-sonnet-4.5", NULL, NULL);
  g_assert_cmpuint (strlen (shortened), ==, 64);
  g_assert_cmpstr (shortened, ==, again);  /* stable */
  g_assert_cmpstr (g_hash_table_lookup (conversion->tool_names, shortened), ==, original);
  g_assert_nonnull (strstr (conversion->body, shortened));
  g_assert_null (strstr (conversion->body, original));
  /* found by fuzz-request: cutting at a byte count split a UTF-8 character */
  {
    g_autofree char *odd = amq_converter_upstream_tool_name ("read file.txt ☕ now");
    g_autofree char *long_odd = amq_converter_upstream_tool_name ("ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé");

    g_assert_true (g_regex_match_simple ("^read_file_txt___now_[0-9a-f]{8}$", odd, 0, 0));
    g_assert_true (g_utf8_validate (long_odd, -1, NULL));
    g_assert_cmpuint (strlen (long_odd), <=, 64);
  }
}

static void
test_prompt_too_long (void)
{
  GString *json = g_string_new ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":[");
  g_autofree char *chunk = g_strnfill (500000, 'a');
  g_autoptr(AmqMessagesRequest) request = NULL;
  g_autoptr(AmqConversion) conversion = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    g_string_append_printf (json, "%s{\"role\":\"%s\",\"content\":\"%s\"}", i ? "," : "", i % 2 ? "assistant" : "user", chunk);
  g_string_append (json, "]}");
  request = parse_text (json->str, AMQ_REQUEST_MESSAGES, &error);
  g_assert_no_error (error);
  conversion = amq_converter_convert (request, "claude-sonnet-4.5", NULL, &error);
  g_assert_null (conversion);
  g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
  g_assert_true (g_regex_match_simple ("^prompt is too long: [0-9]+ tokens > 200000 maximum$", error->message, 0, 0));
  g_string_free (json, TRUE);
}

static void
test_too_many_images (void)
{
  GString *json = g_string_new ("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[");
  g_autoptr(AmqMessagesRequest) request = NULL;
  g_autoptr(AmqConversion) conversion = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 11; i++)
    g_string_append_printf (json, "%s{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}",
                            i ? "," : "");
  g_string_append (json, "]}]}");
  request = parse_text (json->str, AMQ_REQUEST_MESSAGES, &error);
  g_assert_no_error (error);
  conversion = amq_converter_convert (request, "claude-sonnet-4.5", NULL, &error);
  g_assert_null (conversion);
  g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
  g_assert_nonnull (strstr (error->message, "too many images"));
  g_string_free (json, TRUE);
}

static void
test_overlong_message_trimmed (void)
{
  g_autofree char *chunk = g_strnfill (700000, 'b');
  g_autofree char *json = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"é%s\"}]}", chunk);
  g_autoptr(AmqMessagesRequest) request = parse_text (json, AMQ_REQUEST_MESSAGES, NULL);
  g_autoptr(AmqConversion) conversion = amq_converter_convert (request, "claude-sonnet-4.5", &kiro, NULL);
  g_autofree char *problem = NULL;

  g_assert_nonnull (conversion);
  g_assert_nonnull (strstr (conversion->body, "truncated by Amq2Api"));
  g_assert_true (g_utf8_validate (conversion->body, -1, NULL));
  g_assert_cmpuint (strlen (conversion->body), <, 620000);
  problem = q_validate (conversion->body, AMQ_DEFAULT_ORIGIN, NULL);
  g_assert_null (problem);
}

typedef struct { const char *body; const char *message; guint status; } BadRow;

static void
test_bad_requests (void)
{
  static const BadRow rows[] = {
    { "", "request body is empty", 400 },
    { "{", "not valid JSON", 400 },
    { "[1,2]", "must be a JSON object", 400 },
    { "{\"max_tokens\":1,\"messages\":[]}", "model: Field required", 400 },
    { "{\"model\":5,\"max_tokens\":1,\"messages\":[]}", "model: Input should be a valid string", 400 },
    { "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens: Field required", 400 },
    { "{\"model\":\"m\",\"max_tokens\":\"9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "max_tokens: Input should be a valid integer", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1}", "messages: Field required", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":{}}", "messages: Input should be a valid list", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages.0.role", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\"}]}", "messages.0.content: Field required", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},{\"role\":\"user\",\"content\":\"c\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"x\"},{\"type\":\"tool_result\",\"content\":\"r\"}]}]}",
      "messages.3.content.1.tool_use_id: Field required", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"video\"}]}]}", "messages.0.content.0.type", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"***\"}}]}]}", "not valid base64", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"https://x/y.png\"}}]}]}", "URL images are not supported", 400 },
    /* found by fuzz-request: an empty tool name made an empty tool specification */
    { "{\"model\":\"m\",\"max_tokens\":1,\"tools\":[{\"name\":\"\",\"input_schema\":{\"type\":\"object\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "tools.0.name: String should have at least 1 character", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"\",\"input\":{}}]}]}", "messages.1.content.0.name: String should have at least 1 character", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} {\"model\":\"other\"}", "text after the end of the JSON value", 400 },
    { "{\"model\":\"m\",\"max_tokens\":1,\"stream\":\"yes\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "stream: Input should be a valid boolean", 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AmqMessagesRequest) request = parse_text (rows[i].body, AMQ_REQUEST_MESSAGES, &error);

      g_test_message ("row %u: %s", i, error ? error->message : "(accepted)");
      g_assert_null (request);
      g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
      g_assert_nonnull (strstr (error->message, rows[i].message));
      g_assert_cmpuint (amq_error_http_status (error), ==, rows[i].status);
    }
}

static void
test_hostile_bodies (void)
{
  GString *deep = g_string_new ("{\"model\":\"m\",\"max_tokens\":1,\"messages\":");
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = NULL;
  const char invalid_utf8[] = "{\"model\":\"m\xff\",\"max_tokens\":1,\"messages\":[]}";
  const char with_nul[] = "{\"model\":\"m\",\"max_tokens\":1,\0\"messages\":[]}";
  g_autoptr(GBytes) nul_bytes = g_bytes_new (with_nul, sizeof with_nul - 1);

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  request = parse_text (deep->str, AMQ_REQUEST_MESSAGES, &error);
  g_assert_null (request);
  g_assert_nonnull (strstr (error->message, "nests deeper"));
  g_clear_error (&error);
  g_string_free (deep, TRUE);
  request = parse_text (invalid_utf8, AMQ_REQUEST_MESSAGES, &error);
  g_assert_null (request);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);
  request = amq_messages_request_parse (nul_bytes, AMQ_REQUEST_MESSAGES, &error);
  g_assert_null (request);
  g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
}

static void
test_tolerant (void)
{
  const char *body =
    "{\"model\":\"claude-opus-4-5\",\"max_tokens\":128000,\"unknown_top\":{\"a\":[1]},"
    "\"thinking\":{\"type\":\"adaptive\"},\"metadata\":{\"user_id\":\"{}\"},"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\",\"citations\":null,\"extra\":1}],\"weird\":true}],"
    "\"tools\":[{\"name\":\"T\",\"input_schema\":{\"type\":\"object\"},\"defer_loading\":false,\"strict\":true}],"
    "\"count_tokens_only_field\":null}";
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse_text (body, AMQ_REQUEST_MESSAGES, &error);
  g_autoptr(AmqMessagesRequest) counted = parse_text ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                                                      AMQ_REQUEST_COUNT_TOKENS, &error);

  g_assert_no_error (error);
  g_assert_true (amq_messages_request_get_thinking (request));
  g_assert_cmpint (amq_messages_request_get_max_tokens (request), ==, 128000);
  g_assert_cmpuint (json_array_get_length (amq_messages_request_get_tools (request)), ==, 1);
  g_assert_nonnull (counted);
}

/* After conversion a stream keeps only what translation needs, never the conversation. */
static void
test_release_conversation (void)
{
  const char *body =
    "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,\"system\":\"be brief\","
    "\"stop_sequences\":[\"END\"],\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":2048},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
    "\"tools\":[{\"name\":\"T\",\"input_schema\":{\"type\":\"object\"}}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse_text (body, AMQ_REQUEST_MESSAGES, &error);

  g_assert_no_error (error);
  amq_messages_request_release_conversation (request);
  g_assert_null (amq_messages_request_get_messages (request));
  g_assert_null (amq_messages_request_get_tools (request));
  g_assert_null (amq_messages_request_get_system (request));
  g_assert_cmpstr (amq_messages_request_get_model (request), ==, "claude-sonnet-4-5");
  g_assert_true (amq_messages_request_get_stream (request));
  g_assert_true (amq_messages_request_get_thinking (request));
  g_assert_cmpstr (amq_messages_request_get_stop_sequences (request)[0], ==, "END");
}

static void
test_model_map (void)
{
  static const char * const rows[][2] = {
    { "claude-sonnet-4-5-20250929", "claude-sonnet-4.5" },
    { "claude-sonnet-4-5", "claude-sonnet-4.5" },
    { "claude-sonnet-4.5", "claude-sonnet-4.5" },
    { "claude-sonnet-4-20250514", "claude-sonnet-4" },
    { "claude-sonnet-4-0", "claude-sonnet-4" },
    { "claude-haiku-4-5-20251001", "claude-haiku-4.5" },
    { "claude-3-5-haiku-latest", "claude-haiku-4.5" },
    { "claude-opus-4-5-20251101", "claude-opus-4.5" },
    { "claude-opus-4-6", "claude-opus-4.5" },
    { "claude-opus-4-1-20250805", "claude-opus-4.5" },
    { "claude-sonnet-5", "claude-sonnet-4.5" },
    { "claude-3-7-sonnet-latest", "claude-sonnet-4" },
    { "CLAUDE-OPUS-4-5[1m]", "claude-opus-4.5" },
    { "gpt-4o", "claude-sonnet-4.5" },
  };
  g_autoptr(AmqModelMap) map = amq_model_map_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *resolved = amq_model_map_resolve (map, rows[i][0]);
      g_assert_cmpstr (resolved, ==, rows[i][1]);
    }
  amq_model_map_set_default (map, "claude-haiku-4.5");
  g_assert_true (amq_model_map_parse_overrides (map, " claude-opus-4-5 = claude-sonnet-4 ,x=y", &error));
  {
    g_autofree char *a = amq_model_map_resolve (map, "gpt-4o");
    g_autofree char *b = amq_model_map_resolve (map, "claude-opus-4-5");
    g_assert_cmpstr (a, ==, "claude-haiku-4.5");
    g_assert_cmpstr (b, ==, "claude-sonnet-4");
  }
  g_assert_false (amq_model_map_parse_overrides (map, "nonsense", &error));
  /* a new list replaces the old one */
  g_assert_true (amq_model_map_parse_overrides (map, "x=claude-haiku-4.5", NULL));
  {
    g_autofree char *c = amq_model_map_resolve (map, "claude-opus-4-5");
    g_assert_cmpstr (c, ==, "claude-opus-4.5");
  }
}

/* ---- property test: random conversations always satisfy Amazon Q's rules ---- */

static void
random_message (GString *out, GRand *rand, gboolean user, GPtrArray *open_uses, guint *serial)
{
  guint blocks = g_rand_int_range (rand, 0, 4);
  gboolean first = TRUE;

  g_string_append_printf (out, "{\"role\":\"%s\",\"content\":[", user ? "user" : "assistant");
  for (guint b = 0; b < blocks; b++)
    {
      guint kind = g_rand_int_range (rand, 0, 10);

      if (!first)
        g_string_append_c (out, ',');
      first = FALSE;
      if (user && kind < 4 && open_uses->len > 0)
        {
          const char *id = g_ptr_array_index (open_uses, g_rand_int_range (rand, 0, open_uses->len));
          g_string_append_printf (out, "{\"type\":\"tool_result\",\"tool_use_id\":\"%s\",\"content\":%s%s}", id,
                                  g_rand_boolean (rand) ? "\"out\"" : "[]",
                                  g_rand_boolean (rand) ? ",\"is_error\":true" : "");
        }
      else if (user && kind == 4)
        g_string_append_printf (out, "{\"type\":\"tool_result\",\"tool_use_id\":\"ghost%u\",\"content\":\"x\"}", (*serial)++);
      else if (user && kind == 5)
        g_string_append (out, "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"iVBORw0KGgo=\"}}");
      else if (!user && kind < 4)
        {
          char *id = g_strdup_printf ("tu%u", (*serial)++);
          const char *names[] = { "Read", "Bash", "Undeclared", "mcp__a_really_long_server_name_that_is_long__and_tool_name_too_long" };
          g_string_append_printf (out, "{\"type\":\"tool_use\",\"id\":\"%s\",\"name\":\"%s\",\"input\":{\"n\":%u}}",
                                  id, names[g_rand_int_range (rand, 0, 4)], *serial);
          g_ptr_array_add (open_uses, id);
        }
      else if (!user && kind == 4)
        g_string_append (out, "{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"s\"}");
      else
        g_string_append_printf (out, "{\"type\":\"text\",\"text\":\"%s\"}", g_rand_boolean (rand) ? "" : "words");
    }
  g_string_append (out, "]}");
}

static void
test_random_conversations (void)
{
  for (guint seed = 1; seed <= 500; seed++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
      g_autoptr(GString) json = g_string_new ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":10,");
      g_autoptr(GPtrArray) open_uses = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(AmqMessagesRequest) request = NULL;
      g_autoptr(AmqConversion) conversion = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *problem = NULL;
      guint n = g_rand_int_range (rand, 1, 14);
      guint serial = 0;

      if (g_rand_boolean (rand))
        g_string_append (json, "\"system\":\"be good\",");
      g_string_append (json, "\"tools\":[{\"name\":\"Read\",\"input_schema\":{\"type\":\"object\",\"properties\":null}},"
                             "{\"name\":\"Bash\",\"description\":\"b\",\"input_schema\":{\"required\":null}}],\"messages\":[");
      for (guint i = 0; i < n; i++)
        {
          guint role = g_rand_int_range (rand, 0, 10);

          if (i > 0)
            g_string_append_c (json, ',');
          if (role == 0)
            g_string_append (json, "{\"role\":\"system\",\"content\":\"reminder\"}");
          else
            random_message (json, rand, role > 4, open_uses, &serial);
        }
      g_string_append (json, "]}");
      request = parse_text (json->str, AMQ_REQUEST_MESSAGES, &error);
      if (request == NULL)
        {
          /* only an all-system conversation is refused */
          g_assert_nonnull (strstr (error->message, "at least one user or assistant message"));
          continue;
        }
      conversion = amq_converter_convert (request, "claude-sonnet-4.5", &kiro, &error);
      g_assert_no_error (error);
      problem = q_validate (conversion->body, AMQ_DEFAULT_ORIGIN, NULL);
      if (problem != NULL)
        g_error ("seed %u: %s\nrequest: %s", seed, problem, json->str);
    }
}

static AmqConversion *
convert_text (const char *json, const AmqConverterOptions *options, GError **error)
{
  g_autoptr(AmqMessagesRequest) request = parse_text (json, AMQ_REQUEST_MESSAGES, NULL);

  g_assert_nonnull (request);
  return amq_converter_convert (request, "claude-sonnet-4.5", options, error);
}

static const char *
string_at (JsonObject *object, const char *path)
{
  g_auto(GStrv) names = g_strsplit (path, ".", -1);
  guint i;

  for (i = 0; names[i + 1] != NULL; i++)
    object = json_object_get_object_member (object, names[i]);
  return json_object_get_string_member_with_default (object, names[i], NULL);
}

/* Kiro's dialect: origin on every user message, agentTaskType, a fresh agentContinuationId,
 * the profile; the origin is the caller's to choose. */
static void
test_dialect (void)
{
  const char *json = "{\"model\":\"m\",\"max_tokens\":1,\"system\":\"s\",\"messages\":["
                     "{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"},"
                     "{\"role\":\"user\",\"content\":\"c\"}]}";
  static const AmqConverterOptions old_cli = { "CLI", "arn:aws:codewhisperer:eu-central-1:1:profile/P", 0 };
  static const AmqConverterOptions no_profile = { NULL, NULL, 0 };
  g_autoptr(AmqConversion) first = convert_text (json, &kiro, NULL);
  g_autoptr(AmqConversion) second = convert_text (json, &kiro, NULL);
  g_autoptr(AmqConversion) cli = convert_text (json, &old_cli, NULL);
  g_autoptr(AmqConversion) bare = convert_text (json, &no_profile, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) second_parser = json_parser_new ();
  g_autofree char *kiro_problem = q_validate (first->body, "KIRO_CLI", NULL);
  g_autofree char *cli_problem = q_validate (cli->body, "CLI", NULL);
  g_autofree char *cli_as_kiro = q_validate (cli->body, "KIRO_CLI", NULL);
  g_autofree char *bare_problem = NULL;
  JsonObject *root, *state;
  JsonArray *history;
  QAnswer answer = Q_ANSWER_IMPROPERLY_FORMED;

  g_assert_true (json_parser_load_from_data (parser, first->body, -1, NULL));
  g_assert_true (json_parser_load_from_data (second_parser, second->body, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  state = json_object_get_object_member (root, "conversationState");
  history = json_object_get_array_member (state, "history");
  g_assert_cmpstr (string_at (root, "profileArn"), ==, AMQ_PROFILE_ARN_BUILDER_ID);
  g_assert_cmpstr (string_at (state, "agentTaskType"), ==, "vibe");
  g_assert_true (g_uuid_string_is_valid (string_at (state, "agentContinuationId")));
  g_assert_cmpstr (string_at (state, "agentContinuationId"), !=,
                   string_at (json_node_get_object (json_parser_get_root (second_parser)), "conversationState.agentContinuationId"));
  g_assert_cmpstr (string_at (state, "currentMessage.userInputMessage.origin"), ==, "KIRO_CLI");
  /* the system pair and the first user turn */
  g_assert_cmpuint (json_array_get_length (history), ==, 4);
  for (guint i = 0; i < 4; i += 2)
    g_assert_cmpstr (string_at (json_array_get_object_element (history, i), "userInputMessage.origin"), ==, "KIRO_CLI");
  g_assert_null (kiro_problem);
  g_assert_null (cli_problem);
  g_assert_nonnull (strstr (cli->body, "\"origin\":\"CLI\""));
  g_assert_null (strstr (cli->body, "KIRO_CLI"));
  g_assert_nonnull (cli_as_kiro);
  g_assert_null (strstr (bare->body, "profileArn"));
  bare_problem = q_validate (bare->body, "KIRO_CLI", &answer);
  g_assert_nonnull (bare_problem);
  g_assert_cmpint (answer, ==, Q_ANSWER_PROFILE_REQUIRED);
}

/* A body past the limit fails locally with the wording clients compact on, its numbers
 * scaled so the client knows how much to drop; one at the limit goes. */
static void
test_size_guard (void)
{
  g_autofree char *chunk = g_strnfill (300000, 'x');
  g_autofree char *json = g_strdup_printf ("{\"model\":\"m\",\"max_tokens\":1,\"messages\":["
                                           "{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":\"ok\"},"
                                           "{\"role\":\"user\",\"content\":\"%s\"}]}", chunk, chunk);
  g_autoptr(AmqConversion) unlimited = convert_text (json, &kiro, NULL);
  gsize size = strlen (unlimited->body);
  AmqConverterOptions at_limit = kiro;
  AmqConverterOptions below = kiro;
  g_autoptr(AmqConversion) fits = NULL;
  g_autoptr(AmqConversion) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GRegex) wording = g_regex_new ("^prompt is too long: ([0-9]+) tokens > ([0-9]+) maximum \\(the request to "
                                           "Amazon Q would be ([0-9]+) bytes; it takes at most 500000\\)$", 0, 0, NULL);
  guint64 tokens, maximum;

  g_assert_cmpuint (size, >, 600000);
  at_limit.max_body_bytes = size;
  fits = convert_text (json, &at_limit, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fits);
  below.max_body_bytes = 500000;
  refused = convert_text (json, &below, &error);
  g_assert_null (refused);
  g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
  g_assert_cmpuint (amq_error_http_status (error), ==, 400);
  g_assert_true (g_regex_match (wording, error->message, 0, &match));
  {
    g_autofree char *tokens_text = g_match_info_fetch (match, 1);
    g_autofree char *maximum_text = g_match_info_fetch (match, 2);

    tokens = g_ascii_strtoull (tokens_text, NULL, 10);
    maximum = g_ascii_strtoull (maximum_text, NULL, 10);
  }
  g_assert_cmpuint (tokens, ==, unlimited->input_tokens);
  g_assert_cmpuint (maximum, <, tokens);
  /* the same ratio as the bytes, within rounding */
  g_assert_cmpfloat (fabs ((double) maximum / tokens - 500000.0 / size), <, 0.001);
}

static void
test_profile_defaults (void)
{
  g_assert_cmpstr (amq_profile_arn_default (AMQ_CREDENTIAL_BUILDER_ID), ==,
                   "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX");
  g_assert_cmpstr (amq_profile_arn_default (AMQ_CREDENTIAL_SOCIAL), ==,
                   "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
  g_assert_null (amq_profile_arn_default (AMQ_CREDENTIAL_IDENTITY_CENTER));
}

int
main (int argc, char **argv)
{
  g_autofree char *dir_path = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *file;

  g_test_init (&argc, &argv, NULL);
  dir_path = g_test_build_filename (G_TEST_DIST, "data", "requests", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  while ((file = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strndup (file, strlen (file) - 5));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_strconcat ("/converter/golden/", (char *) g_ptr_array_index (names, i), NULL);
      g_test_add_data_func (path, g_ptr_array_index (names, i), test_golden);
    }
  g_test_add_func ("/converter/long-tool-name-maps-back", test_long_tool_name_maps_back);
  g_test_add_func ("/converter/prompt-too-long", test_prompt_too_long);
  g_test_add_func ("/converter/overlong-message-trimmed", test_overlong_message_trimmed);
  g_test_add_func ("/converter/too-many-images", test_too_many_images);
  g_test_add_func ("/converter/random-conversations", test_random_conversations);
  g_test_add_func ("/converter/dialect", test_dialect);
  g_test_add_func ("/converter/size-guard", test_size_guard);
  g_test_add_func ("/converter/profile-defaults", test_profile_defaults);
  g_test_add_func ("/request/bad-requests", test_bad_requests);
  g_test_add_func ("/request/hostile-bodies", test_hostile_bodies);
  g_test_add_func ("/request/tolerant", test_tolerant);
  g_test_add_func ("/request/release-conversation", test_release_conversation);
  g_test_add_func ("/model-map/table", test_model_map);
  return g_test_run ();
}
