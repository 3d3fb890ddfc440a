/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-json.c: amq_json_parse_object reads flat event payloads itself; whatever it answers
 * must be exactly what json-glib (after amq_json_check_text) makes of the same text. */
#include "config.h"

#include <string.h>

#include "amq-json.h"

/* The reference: json-glib alone, as amq_json_parse_object was before its fast path. */
static JsonObject *
reference_parse (JsonParser *parser, const char *data, gsize length)
{
  JsonNode *root;

  if (!amq_json_check_text (data, length, AMQ_JSON_MAX_DEPTH, NULL) ||
      !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

static gboolean
objects_equal (JsonObject *a, JsonObject *b)
{
  g_autoptr(JsonNode) x = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) y = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (x, y);
}

/* Both answer NULL, or equal objects. */
static void
assert_same (const char *data, gsize length)
{
  g_autoptr(JsonParser) ours = json_parser_new ();
  g_autoptr(JsonParser) theirs = json_parser_new ();
  JsonObject *got = amq_json_parse_object (ours, data, length);
  JsonObject *want = reference_parse (theirs, data, length);

  if ((got == NULL) != (want == NULL) || (got != NULL && !objects_equal (got, want)))
    {
      g_autofree char *shown = g_strescape (data, NULL);
      g_error ("%s: ours %s, json-glib's %s", shown, got ? "an object" : "NULL", want ? "an object" : "NULL");
    }
}

static const char *table[] = {
  "{\"content\":\"Hello\"}",
  "  {\n\t\"content\" : \"a\" ,\r\n \"b\":true,\"c\":false }  ",
  "{}",
  "{ }",
  "{\"content\":\"\"}",
  "{\"content\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}",
  "{\"content\":\"\\u00e9\\u4f60\\u597d \\ud83d\\udc4b\"}",
  "{\"content\":\"w\xc3\xb6rld \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x91\x8b\"}",
  "{\"name\":\"Write\",\"toolUseId\":\"t1\",\"input\":\"{\\\"a\\\": 1}\",\"stop\":true}",
  "{\"a\":\"1\",\"a\":\"2\"}",
  "{\"a\":null}",
  "{\"a\":1}",
  "{\"a\":-1.5e3}",
  "{\"a\":{\"b\":\"c\"}}",
  "{\"a\":[\"b\"]}",
  "[\"a\"]",
  "\"a\"",
  "",
  "   ",
  "{",
  "}",
  "{\"a\"}",
  "{\"a\":}",
  "{\"a\":\"b\",}",
  "{,\"a\":\"b\"}",
  "{\"a\":\"b\"} x",
  "{\"a\":\"b\"}{\"a\":\"b\"}",
  "{\"a\":\"unterminated}",
  "{\"a\":\"bad \\x escape\"}",
  "{\"a\":\"\\u12\"}",
  "{\"a\":\"\\u00zz\"}",
  "{\"a\":\"\\u0000\"}",
  "{\"a\":\"lone \\ud83d\"}",
  "{\"a\":\"lone \\udc4b\"}",
  "{\"a\":\"pair cut \\ud83d\\u0041\"}",
  "{\"a\":\"raw\ttab\"}",
  "{\"a\":\"raw\nnewline\"}",
  "{\"a\":\"bad utf-8 \xff\xfe\"}",
  "{\"a\":\"cut utf-8 \xe4\xbd\"}",
  "{\"a\":tru}",
  "{\"a\":truex}",
  "{\"a\":True}",
  "{a:\"b\"}",
  "{'a':'b'}",
};

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    assert_same (table[i], strlen (table[i]));
}

static void
test_embedded_nul (void)
{
  const char text[] = "{\"a\":\"b\0c\"}";

  assert_same (text, sizeof text - 1);
}

/* Mutations of real payloads: flips, JSON's special characters and cuts, 40,000 of them (10,000
 * under the sanitizers, where each costs ten times as much). */
static void
test_random_mutations (void)
{
  static const char *seeds[] = {
    "{\"content\":\"Hello, w\xc3\xb6rld \\\"q\\\" \\\\ \\u4f60\\ud83d\\udc4b\"}",
    "{\"name\":\"Bash\",\"toolUseId\":\"tooluse_1\",\"input\":\"{\\\"command\\\":\\\"ls\\\"}\",\"stop\":false}",
    "{ \"a\" : \"b\" , \"c\" : true }",
  };
  static const char specials[] = "\"\\{}[],:u0123456789abcdefABCDEF tfnrx\t\n\x01\x80\xc3\xff";
  GRand *rand = g_rand_new_with_seed (20261126);
  guint rounds = g_getenv ("AMQ_SANITIZED") ? 10000 : 40000;

  for (guint i = 0; i < rounds; i++)
    {
      g_autoptr(GString) text = g_string_new (seeds[i % G_N_ELEMENTS (seeds)]);
      guint edits = g_rand_int_range (rand, 1, 4);

      for (guint e = 0; e < edits && text->len > 0; e++)
        {
          guint at = g_rand_int_range (rand, 0, text->len);
          char c = specials[g_rand_int_range (rand, 0, sizeof specials - 1)];

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0: text->str[at] = c; break;
            case 1: g_string_insert_c (text, at, c); break;
            default: g_string_truncate (text, at); break;
            }
        }
      assert_same (text->str, text->len);
    }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/table", test_table);
  g_test_add_func ("/json/embedded-nul", test_embedded_nul);
  g_test_add_func ("/json/random-mutations", test_random_mutations);
  return g_test_run ();
}
