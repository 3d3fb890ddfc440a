/* test-event-frame.c: the frame codec against AWS's own encoder (tests/data/eventstream.json) */
#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-event-frame.h"

static JsonObject *vectors;

static GBytes *
hex_to_bytes (const char *hex)
{
  gsize len = strlen (hex) / 2;
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, len);
}

static void
check_header (const AmqEventFrame *frame,
              const char          *name,
              JsonObject          *expected)
{
  const AmqEventHeader *h = amq_event_frame_get_header (frame, name);
  const char *type = json_object_get_string_member (expected, "type");
  JsonNode *value = json_object_get_member (expected, "value");

  g_assert_nonnull (h);
  if (g_str_equal (type, "string"))
    {
      g_assert_cmpint (h->type, ==, AMQ_HEADER_STRING);
      g_assert_cmpmem (h->data, h->length, json_node_get_string (value), strlen (json_node_get_string (value)));
    }
  else if (g_str_equal (type, "boolean"))
    {
      g_assert_cmpint (h->type, ==, json_node_get_boolean (value) ? AMQ_HEADER_TRUE : AMQ_HEADER_FALSE);
      g_assert_cmpint (h->integer, ==, json_node_get_boolean (value));
    }
  else if (g_str_equal (type, "byte") || g_str_equal (type, "short") ||
           g_str_equal (type, "integer") || g_str_equal (type, "timestamp"))
    g_assert_cmpint (h->integer, ==, json_node_get_int (value));
  else if (g_str_equal (type, "long"))
    g_assert_cmpint (h->integer, ==, g_ascii_strtoll (json_node_get_string (value), NULL, 10));
  else if (g_str_equal (type, "binary"))
    {
      g_autoptr(GBytes) bytes = hex_to_bytes (json_node_get_string (value));
      g_assert_cmpint (h->type, ==, AMQ_HEADER_BYTES);
      g_assert_cmpmem (h->data, h->length, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
  else if (g_str_equal (type, "uuid"))
    {
      g_autofree char *hex = g_strdup (json_node_get_string (value));
      g_autoptr(GBytes) bytes = NULL;
      char *w = hex;

      for (const char *r = hex; *r; r++)
        if (*r != '-')
          *w++ = *r;
      *w = '\0';
      bytes = hex_to_bytes (hex);
      g_assert_cmpint (h->type, ==, AMQ_HEADER_UUID);
      g_assert_cmpmem (h->data, h->length, g_bytes_get_data (bytes, NULL), 16);
    }
  else
    g_assert_not_reached ();
}

static void
test_valid_vectors (void)
{
  JsonArray *valid = json_object_get_array_member (vectors, "valid");

  g_assert_cmpuint (json_array_get_length (valid), ==, 14);
  for (guint i = 0; i < json_array_get_length (valid); i++)
    {
      JsonObject *v = json_array_get_object_element (valid, i);
      g_autoptr(GBytes) bytes = hex_to_bytes (json_object_get_string_member (v, "hex"));
      g_autoptr(AmqEventFrame) frame = NULL;
      g_autoptr(GError) error = NULL;
      JsonObject *headers = json_object_get_object_member (v, "headers");
      g_autoptr(GList) names = json_object_get_members (headers);
      gsize needed = 0;

      g_test_message ("vector %s", json_object_get_string_member (v, "name"));
      g_assert_cmpint (amq_event_frame_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                               &frame, &needed, &error), ==, AMQ_FRAME_DECODE_OK);
      g_assert_no_error (error);
      g_assert_cmpuint (needed, ==, json_object_get_int_member (v, "total_length"));
      g_assert_cmpuint (frame->n_headers, ==, g_list_length (names));
      for (GList *l = names; l; l = l->next)
        check_header (frame, l->data, json_object_get_object_member (headers, l->data));
      if (json_object_has_member (v, "payload_utf8"))
        {
          const char *payload = json_object_get_string_member (v, "payload_utf8");
          g_assert_cmpmem (frame->payload, frame->payload_length, payload, strlen (payload));
        }
    }
}

static int
expected_code (const char *expect)
{
  static const struct { const char *prefix; int code; } map[] = {
    { "prelude CRC mismatch", AMQ_FRAME_ERROR_PRELUDE_CRC },
    { "message CRC mismatch", AMQ_FRAME_ERROR_MESSAGE_CRC },
    { "truncated", AMQ_FRAME_ERROR_TRUNCATED },
    { "length out of range", AMQ_FRAME_ERROR_LENGTH },
    { "header block exceeds frame", AMQ_FRAME_ERROR_HEADERS_BOUNDS },
    { "unknown header type", AMQ_FRAME_ERROR_HEADER_TYPE },
    { "header value length runs past", AMQ_FRAME_ERROR_BAD_HEADER },
  };
  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (g_str_has_prefix (expect, map[i].prefix))
      return map[i].code;
  g_error ("no code for '%s'", expect);
}

static void
test_corrupt_vectors (void)
{
  JsonArray *corrupt = json_object_get_array_member (vectors, "corrupt");

  g_assert_cmpuint (json_array_get_length (corrupt), ==, 11);
  for (guint i = 0; i < json_array_get_length (corrupt); i++)
    {
      JsonObject *v = json_array_get_object_element (corrupt, i);
      g_autoptr(GBytes) bytes = hex_to_bytes (json_object_get_string_member (v, "hex"));
      g_autoptr(AmqEventFrame) frame = NULL;
      g_autoptr(GError) error = NULL;
      int code = expected_code (json_object_get_string_member (v, "expect"));
      gsize needed = 0;
      AmqFrameDecodeResult result;

      g_test_message ("corrupt %s", json_object_get_string_member (v, "name"));
      result = amq_event_frame_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                       &frame, &needed, &error);
      g_assert_null (frame);
      if (code == AMQ_FRAME_ERROR_TRUNCATED)
        {
          /* the decoder asks for more; the reader turns the end of stream into the error */
          g_assert_cmpint (result, ==, AMQ_FRAME_DECODE_NEED_MORE);
          g_assert_cmpuint (needed, >, g_bytes_get_size (bytes));
        }
      else
        {
          g_assert_cmpint (result, ==, AMQ_FRAME_DECODE_ERROR);
          g_assert_error (error, AMQ_FRAME_ERROR, code);
        }
    }
}

/* Every single-byte corruption of the prelude, lengths and CRCs is caught. */
static void
test_every_byte_flip (void)
{
  JsonObject *v = json_array_get_object_element (json_object_get_array_member (vectors, "valid"), 0);
  g_autoptr(GBytes) bytes = hex_to_bytes (json_object_get_string_member (v, "hex"));
  gsize len = g_bytes_get_size (bytes);

  for (gsize i = 0; i < len; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
      g_autoptr(AmqEventFrame) frame = NULL;
      g_autoptr(GError) error = NULL;
      gsize needed = 0;
      AmqFrameDecodeResult result;

      copy[i] ^= 0x5a;
      result = amq_event_frame_decode (copy, len, &frame, &needed, &error);
      g_assert_cmpint (result, ==, AMQ_FRAME_DECODE_ERROR);
      if (i < 12)
        g_assert_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_PRELUDE_CRC);
      else if (i >= len - 4)
        g_assert_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_MESSAGE_CRC);
      else
        g_assert_true (error->domain == AMQ_FRAME_ERROR);
    }
}

static void
test_encode_matches_vector (void)
{
  static const char * const headers[] = {
    ":event-type", "assistantResponseEvent",
    ":content-type", "application/json",
    ":message-type", "event",
    NULL
  };
  const char *payload = "{\"content\":\"Hello\"}";
  JsonObject *v = json_array_get_object_element (json_object_get_array_member (vectors, "valid"), 0);
  g_autoptr(GBytes) expected = hex_to_bytes (json_object_get_string_member (v, "hex"));
  g_autoptr(GBytes) encoded = amq_event_frame_encode (headers, (const guint8 *) payload, strlen (payload));

  g_assert_true (g_bytes_equal (encoded, expected));
}

static void
test_short_input_needs_more (void)
{
  guint8 zeros[11] = { 0 };
  g_autoptr(AmqEventFrame) frame = NULL;
  gsize needed = 0;

  g_assert_cmpint (amq_event_frame_decode (zeros, sizeof zeros, &frame, &needed, NULL), ==,
                   AMQ_FRAME_DECODE_NEED_MORE);
  g_assert_cmpuint (needed, ==, 12);
}

int
main (int argc, char **argv)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  g_test_init (&argc, &argv, NULL);
  path = g_test_build_filename (G_TEST_DIST, "data", "eventstream.json", NULL);
  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  vectors = json_node_get_object (json_parser_get_root (parser));

  g_test_add_func ("/event-frame/valid-vectors", test_valid_vectors);
  g_test_add_func ("/event-frame/corrupt-vectors", test_corrupt_vectors);
  g_test_add_func ("/event-frame/every-byte-flip", test_every_byte_flip);
  g_test_add_func ("/event-frame/encode", test_encode_matches_vector);
  g_test_add_func ("/event-frame/short-input", test_short_input_needs_more);
  return g_test_run ();
}
