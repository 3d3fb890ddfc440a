/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scenario.c
 *
 * A scenario file: {"frames": [[EVENT, PAYLOAD], ...], "end": "clean|truncate|bad_crc|giant_length|header_flood",
 * "http_status": N, "http_body": {...}, "http_headers": {NAME: VALUE}, "gap_ms": N,
 * "thinking": bool, "stop_sequences": [...], "one_chunk": bool, "drop": bool}.
 * EVENT is an :event-type, "exception:TYPE" (payload is the JSON body) or "error:CODE"
 * (payload is the message string). */
#include "config.h"

#include "scenario.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-event-frame.h"
#include "amq-event-stream-reader.h"
#include "amq-translator.h"

#include <zlib.h>

char *
scenario_data_dir (void)
{
  const char *srcdir = g_getenv ("G_TEST_SRCDIR");

  return g_build_filename (srcdir ? srcdir : ".", "data", "scenarios", NULL);
}

static GBytes *
encode_event (const char *event, JsonNode *payload)
{
  g_autofree char *json = NULL;

  if (g_str_has_prefix (event, "exception:"))
    {
      const char *headers[] = { ":exception-type", event + 10, ":content-type", "application/json",
                                ":message-type", "exception", NULL };
      json = json_to_string (payload, FALSE);
      return amq_event_frame_encode (headers, (const guint8 *) json, strlen (json));
    }
  if (g_str_has_prefix (event, "error:"))
    {
      const char *headers[] = { ":error-code", event + 6, ":error-message",
                                json_node_get_string (payload), ":message-type", "error", NULL };
      return amq_event_frame_encode (headers, NULL, 0);
    }
  {
    const char *headers[] = { ":event-type", event, ":content-type", "application/json",
                              ":message-type", "event", NULL };
    json = json_to_string (payload, FALSE);
    return amq_event_frame_encode (headers, (const guint8 *) json, strlen (json));
  }
}

static void
put_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
}

GBytes *
scenario_header_flood_frame (guint n_headers)
{
  static const guint8 header[3] = { 1, 'a', AMQ_HEADER_TRUE };  /* name "a", no value */
  gsize headers_length = sizeof header * (gsize) n_headers;
  gsize total = AMQ_FRAME_MIN_LENGTH + headers_length;
  guint8 *frame = g_malloc (total);

  g_assert (total <= AMQ_FRAME_MAX_LENGTH);
  put_u32 (frame, total);
  put_u32 (frame + 4, headers_length);
  put_u32 (frame + 8, crc32 (0L, frame, 8));
  for (guint i = 0; i < n_headers; i++)
    memcpy (frame + AMQ_FRAME_PRELUDE_LENGTH + i * sizeof header, header, sizeof header);
  put_u32 (frame + total - 4, crc32 (0L, frame, total - 4));
  return g_bytes_new_take (frame, total);
}

static void
apply_ending (Scenario *scenario, const char *end)
{
  GBytes *last;
  gsize len;

  if (end == NULL || g_str_equal (end, "clean") || scenario->frames->len == 0)
    return;
  last = g_ptr_array_index (scenario->frames, scenario->frames->len - 1);
  len = g_bytes_get_size (last);
  /* a reset cuts the connection inside a frame; libsoup 3.2 reads a cut at a frame boundary
   * of a chunked body as a normal end, so that case cannot be told from a complete answer */
  if (g_str_equal (end, "truncate") || g_str_equal (end, "reset"))
    g_ptr_array_index (scenario->frames, scenario->frames->len - 1) = g_bytes_new_from_bytes (last, 0, len / 2);
  else if (g_str_equal (end, "bad_crc"))
    {
      guint8 *copy = g_memdup2 (g_bytes_get_data (last, NULL), len);

      copy[len - 1] ^= 0xff;
      g_ptr_array_index (scenario->frames, scenario->frames->len - 1) = g_bytes_new_take (copy, len);
    }
  else if (g_str_equal (end, "header_flood"))
    {
      /* CRC-valid, 15 MB of 5,000,000 headers: refused at once, with nothing allocated */
      g_ptr_array_add (scenario->frames, scenario_header_flood_frame (5000000));
      return;
    }
  else if (g_str_equal (end, "giant_length"))
    {
      /* a valid prelude announcing 2 GiB: the reader must refuse, not wait for it */
      static const guint8 prelude[12] = { 0x80, 0, 0, 0, 0, 0, 0, 0x10 };
      guint8 *copy = g_memdup2 (prelude, 12);
      guint32 crc = (guint32) crc32 (0L, copy, 8);

      copy[8] = crc >> 24; copy[9] = crc >> 16; copy[10] = crc >> 8; copy[11] = crc;
      g_ptr_array_add (scenario->frames, g_bytes_new_take (copy, 12));
      return;
    }
  else
    g_error ("unknown scenario end '%s'", end);
  g_bytes_unref (last);
}

Scenario *
scenario_load (const char *name,
               GError    **error)
{
  g_autofree char *dir = scenario_data_dir ();
  g_autofree char *file = g_strconcat (name, ".json", NULL);
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Scenario) scenario = NULL;
  JsonObject *root;

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  scenario = g_new0 (Scenario, 1);
  scenario->name = g_strdup (name);
  scenario->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  scenario->http_status = json_object_get_int_member_with_default (root, "http_status", 200);
  if (json_object_has_member (root, "http_body"))
    {
      JsonNode *body = json_object_get_member (root, "http_body");

      /* a string is sent as it is: upstream bodies that are not JSON */
      scenario->http_body = JSON_NODE_HOLDS_VALUE (body) ? g_strdup (json_node_get_string (body))
                                                         : json_to_string (body, FALSE);
    }
  scenario->http_error_type = g_strdup (json_object_get_string_member_with_default (root, "http_error_type", NULL));
  scenario->http_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (json_object_has_member (root, "http_headers"))
    {
      JsonObject *headers = json_object_get_object_member (root, "http_headers");
      g_autoptr(GList) names = json_object_get_members (headers);

      for (GList *l = names; l != NULL; l = l->next)
        g_hash_table_insert (scenario->http_headers, g_strdup (l->data),
                             g_strdup (json_object_get_string_member (headers, l->data)));
    }
  scenario->gap_ms = json_object_get_int_member_with_default (root, "gap_ms", 0);
  scenario->stall_ms = json_object_get_int_member_with_default (root, "stall_ms", 0);
  scenario->thinking = json_object_get_boolean_member_with_default (root, "thinking", FALSE);
  scenario->one_chunk = json_object_get_boolean_member_with_default (root, "one_chunk", FALSE);
  scenario->drop = json_object_get_boolean_member_with_default (root, "drop", FALSE);
  scenario->reset = g_strcmp0 (json_object_get_string_member_with_default (root, "end", NULL), "reset") == 0;
  if (json_object_has_member (root, "stop_sequences"))
    {
      JsonArray *stops = json_object_get_array_member (root, "stop_sequences");
      GStrvBuilder *builder = g_strv_builder_new ();

      for (guint i = 0; i < json_array_get_length (stops); i++)
        g_strv_builder_add (builder, json_array_get_string_element (stops, i));
      scenario->stop_sequences = g_strv_builder_end (builder);
      g_strv_builder_unref (builder);
    }
  if (json_object_has_member (root, "frames"))
    {
      JsonArray *frames = json_object_get_array_member (root, "frames");

      for (guint i = 0; i < json_array_get_length (frames); i++)
        {
          JsonArray *pair = json_array_get_array_element (frames, i);

          if (g_str_equal (json_array_get_string_element (pair, 0), "meteringEvent"))
            scenario->credits += json_object_get_double_member_with_default (json_array_get_object_element (pair, 1),
                                                                             "usage", 0);
          g_ptr_array_add (scenario->frames,
                           encode_event (json_array_get_string_element (pair, 0),
                                         json_array_get_element (pair, 1)));
        }
    }
  apply_ending (scenario, json_object_get_string_member_with_default (root, "end", NULL));
  return g_steal_pointer (&scenario);
}

Scenario *
scenario_new_large (guint n_frames,
                    gsize text_length)
{
  Scenario *scenario = g_new0 (Scenario, 1);
  const char *headers[] = { ":event-type", "assistantResponseEvent", ":content-type",
                            "application/json", ":message-type", "event", NULL };
  g_autofree char *text = g_strnfill (text_length, 'x');
  g_autofree char *json = g_strdup_printf ("{\"content\":\"%s\"}", text);
  g_autoptr(GBytes) frame = amq_event_frame_encode (headers, (const guint8 *) json, strlen (json));

  scenario->name = g_strdup ("large");
  scenario->http_status = 200;
  scenario->http_headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  scenario->frames = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < n_frames; i++)
    g_ptr_array_add (scenario->frames, g_bytes_ref (frame));
  return scenario;
}

GBytes *
scenario_body (const Scenario *scenario)
{
  GByteArray *body = g_byte_array_new ();

  for (guint i = 0; i < scenario->frames->len; i++)
    {
      GBytes *frame = g_ptr_array_index (scenario->frames, i);

      g_byte_array_append (body, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
    }
  return g_byte_array_free_to_bytes (body);
}

void
scenario_free (Scenario *scenario)
{
  g_free (scenario->name);
  g_clear_pointer (&scenario->frames, g_ptr_array_unref);
  g_free (scenario->http_body);
  g_free (scenario->http_error_type);
  g_clear_pointer (&scenario->http_headers, g_hash_table_unref);
  g_strfreev (scenario->stop_sequences);
  g_free (scenario);
}

typedef struct {
  AmqTranslator *translator;
  GMainLoop     *loop;
  GError        *error;
} Run;

static gboolean
on_frame (const AmqEventFrame *frame, gpointer user_data)
{
  return amq_translator_feed (((Run *) user_data)->translator, frame);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  amq_event_stream_reader_read_finish (AMQ_EVENT_STREAM_READER (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

void
scenario_translate (const Scenario *scenario,
                    AmqEventSink   *sink,
                    const char     *message_id,
                    const char     *model)
{
  g_autoptr(GBytes) body = scenario_body (scenario);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (body);
  g_autoptr(AmqEventStreamReader) reader = amq_event_stream_reader_new (stream);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AmqTranslator) translator = amq_translator_new (sink, message_id, model);
  Run run = { translator, loop, NULL };

  amq_translator_set_thinking (translator, scenario->thinking);
  amq_translator_set_stop_sequences (translator, (const char * const *) scenario->stop_sequences);
  amq_translator_set_input_estimate (translator, 1000, 200000);
  g_hash_table_insert (names, (gpointer) "Bash", (gpointer) "Bash");
  amq_translator_set_tool_names (translator, names);
  amq_translator_begin (translator);
  amq_event_stream_reader_read_async (reader, on_frame, &run, NULL, on_done, &run);
  g_main_loop_run (loop);
  amq_translator_end (translator, run.error);
  g_clear_error (&run.error);
}

void
scenario_compare_golden (const char *dir,
                         const char *name,
                         const char *suffix,
                         const char *actual)
{
  g_autofree char *file = g_strconcat (name, suffix, NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", dir, file, NULL);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  if (g_getenv ("AMQ_UPDATE_GOLDEN") != NULL)
    {
      g_file_set_contents (path, actual, -1, &error);
      g_assert_no_error (error);
      return;
    }
  g_file_get_contents (path, &expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (actual, ==, expected);
}
