/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-event-frame.c: the frame codec against AWS's own encoder (tests/data/eventstream.json) */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-event-frame.h"
#include "scenario.h"

#ifndef __has_feature
#define __has_feature(feature) 0
#endif
/* The sanitizers bring their own allocator: allocations are counted without them only. */
#if defined(__SANITIZE_ADDRESS__) || __has_feature (address_sanitizer)
#define COUNTING_ALLOCATIONS 0
#else
#define COUNTING_ALLOCATIONS 1
#endif

static JsonObject *vectors;
static guint allocations;

#if COUNTING_ALLOCATIONS
/* This program's malloc family counts, then hands over to glibc's own: GLib's allocations
 * come here too, which is how the decoder's one allocation per frame is checked. */
extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t count, size_t size);
extern void *__libc_realloc (void *memory, size_t size);
extern void  __libc_free (void *memory);

void *
malloc (size_t size)
{
  allocations++;
  return __libc_malloc (size);
}

void *
calloc (size_t count, size_t size)
{
  allocations++;
  return __libc_calloc (count, size);
}

void *
realloc (void *memory, size_t size)
{
  allocations++;
  return __libc_realloc (memory, size);
}

void
free (void *memory)
{
  __libc_free (memory);
}
#endif

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

static GBytes *
vector_bytes (const char *section, const char *name)
{
  JsonArray *list = json_object_get_array_member (vectors, section);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *v = json_array_get_object_element (list, i);

      if (g_str_equal (json_object_get_string_member (v, "name"), name))
        return hex_to_bytes (json_object_get_string_member (v, "hex"));
    }
  g_error ("no vector %s/%s", section, name);
}

typedef struct {
  AmqFrameDecodeResult result;
  AmqEventFrame       *frame;
  GError              *error;
  guint                allocations;  /* 0 when not counted */
  gint64               elapsed_us;
} Decoded;

static void
decoded_clear (Decoded *d)
{
  amq_event_frame_free (d->frame);
  g_clear_error (&d->error);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Decoded, decoded_clear)

static Decoded
decode (GBytes *bytes)
{
  Decoded d = { 0 };
  gsize needed = 0;
  guint before = allocations;
  gint64 start = g_get_monotonic_time ();

  d.result = amq_event_frame_decode (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                     &d.frame, &needed, &d.error);
  d.elapsed_us = g_get_monotonic_time () - start;
  d.allocations = allocations - before;
  return d;
}

/* 5,000,000 three-byte headers in a CRC-valid 15 MB frame: refused at the 1025th, quickly,
 * and with no more allocations (the GError) than a frame one header over the limit. */
static void
test_header_flood (void)
{
  g_autoptr(GBytes) flood = scenario_header_flood_frame (5000000);
  g_autoptr(GBytes) just_over = scenario_header_flood_frame (AMQ_FRAME_MAX_HEADERS + 1);
  g_auto(Decoded) refused_small = decode (just_over);  /* first: GLib's first GError costs more */
  gint64 fastest = G_MAXINT64;

  g_assert_error (refused_small.error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_LIMIT);
  /* the fastest of three, so that a busy machine does not decide */
  for (guint i = 0; i < 3; i++)
    {
      g_auto(Decoded) refused = decode (flood);

      g_test_message ("5,000,000 headers refused in %" G_GINT64_FORMAT " us with %u allocations",
                      refused.elapsed_us, refused.allocations);
      g_assert_cmpint (refused.result, ==, AMQ_FRAME_DECODE_ERROR);
      g_assert_error (refused.error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_LIMIT);
      g_assert_null (refused.frame);
      g_assert_cmpuint (refused.allocations, ==, refused_small.allocations);
      fastest = MIN (fastest, refused.elapsed_us);
    }
  /* a sanity bound, not a benchmark: the CRC of 15 MB, then 1025 headers */
  g_assert_cmpint (fastest, <, 50 * 1000);
}

/* A frame is one allocation, whatever its number of headers. */
static void
test_one_allocation_per_frame (void)
{
  g_autoptr(GBytes) one = scenario_header_flood_frame (1);
  g_autoptr(GBytes) most = scenario_header_flood_frame (AMQ_FRAME_MAX_HEADERS);
  g_auto(Decoded) single = decode (one);
  g_auto(Decoded) full = decode (most);

  g_assert_cmpint (single.result, ==, AMQ_FRAME_DECODE_OK);
  g_assert_cmpint (full.result, ==, AMQ_FRAME_DECODE_OK);
  g_assert_cmpuint (full.frame->n_headers, ==, AMQ_FRAME_MAX_HEADERS);
  for (guint i = 0; i < full.frame->n_headers; i++)
    {
      g_assert_cmpstr (full.frame->headers[i].name, ==, "a");
      g_assert_cmpint (full.frame->headers[i].type, ==, AMQ_HEADER_TRUE);
      g_assert_cmpint (full.frame->headers[i].integer, ==, 1);
    }
  g_assert_cmpuint (full.frame->payload_length, ==, 0);
  if (!COUNTING_ALLOCATIONS)
    {
      g_test_skip ("allocations are not counted under the sanitizers");
      return;
    }
  g_assert_cmpuint (single.allocations, ==, 1);
  g_assert_cmpuint (full.allocations, ==, 1);
}

/* A string or bytes value may be up to 32,767 bytes long, as aws-c-event-stream allows. */
static void
test_header_value_limit (void)
{
  g_autofree char *longest = g_strnfill (AMQ_FRAME_MAX_HEADER_VALUE, 'v');
  g_autofree char *too_long = g_strnfill (AMQ_FRAME_MAX_HEADER_VALUE + 1, 'v');
  const char *fits[] = { ":event-type", longest, NULL };
  const char *over[] = { ":event-type", too_long, NULL };
  g_autoptr(GBytes) fits_frame = amq_event_frame_encode (fits, (const guint8 *) "{}", 2);
  g_autoptr(GBytes) over_frame = amq_event_frame_encode (over, (const guint8 *) "{}", 2);
  g_auto(Decoded) accepted = decode (fits_frame);
  g_auto(Decoded) refused = decode (over_frame);
  g_autofree char *value = NULL;

  g_assert_cmpint (accepted.result, ==, AMQ_FRAME_DECODE_OK);
  value = amq_event_frame_dup_string (accepted.frame, ":event-type");
  g_assert_cmpstr (value, ==, longest);
  g_assert_cmpmem (accepted.frame->payload, accepted.frame->payload_length, "{}", 2);
  g_assert_cmpint (refused.result, ==, AMQ_FRAME_DECODE_ERROR);
  g_assert_error (refused.error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_LIMIT);
}

/* The message CRC is checked before any header is read: a corrupt frame is a CRC error,
 * whatever its headers look like. */
static void
test_crc_before_headers (void)
{
  g_autoptr(GBytes) bad_type = vector_bytes ("corrupt", "unknown_header_type");
  g_autoptr(GBytes) flood = scenario_header_flood_frame (5000000);

  for (guint i = 0; i < 2; i++)
    {
      GBytes *bytes = i == 0 ? bad_type : flood;
      gsize len = g_bytes_get_size (bytes);
      g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
      g_autoptr(GBytes) corrupt = NULL;

      copy[len - 1] ^= 0x01;
      corrupt = g_bytes_new_take (g_steal_pointer (&copy), len);
      {
        g_auto(Decoded) d = decode (corrupt);

        g_assert_cmpint (d.result, ==, AMQ_FRAME_DECODE_ERROR);
        g_assert_error (d.error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_MESSAGE_CRC);
      }
    }
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
  g_test_add_func ("/event-frame/header-flood", test_header_flood);
  g_test_add_func ("/event-frame/one-allocation-per-frame", test_one_allocation_per_frame);
  g_test_add_func ("/event-frame/header-value-limit", test_header_value_limit);
  g_test_add_func ("/event-frame/crc-before-headers", test_crc_before_headers);
  return g_test_run ();
}
