/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-translate.c: upstream event-stream bytes -> reader -> translator -> SSE text, on one
 * core, no network: frames and bytes per second. */
#include "config.h"

#include <gio/gio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amq-event-stream-reader.h"
#include "amq-sse-writer.h"
#include "amq-translator.h"

typedef struct {
  AmqTranslator *translator;
  GMainLoop     *loop;
} Run;

static gboolean
on_frame (const AmqEventFrame *frame, gpointer data)
{
  return amq_translator_feed (((Run *) data)->translator, frame);
}

static void
on_done (GObject *source, GAsyncResult *result, gpointer data)
{
  amq_event_stream_reader_read_finish (AMQ_EVENT_STREAM_READER (source), result, NULL);
  g_main_loop_quit (((Run *) data)->loop);
}

static GBytes *
build_stream (guint n_frames, gboolean tools)
{
  GByteArray *body = g_byte_array_new ();
  const char *text_headers[] = { ":event-type", "assistantResponseEvent", ":content-type", "application/json",
                                 ":message-type", "event", NULL };
  const char *tool_headers[] = { ":event-type", "toolUseEvent", ":content-type", "application/json",
                                 ":message-type", "event", NULL };
  g_autofree char *text = g_strnfill (64, 'x');

  for (guint i = 0; i < n_frames; i++)
    {
      g_autofree char *json = NULL;
      g_autoptr(GBytes) frame = NULL;

      if (!tools)
        json = g_strdup_printf ("{\"content\":\"%s\"}", text);
      else if (i % 1000 == 0)
        json = g_strdup_printf ("{\"name\":\"Write\",\"toolUseId\":\"t%u\",\"input\":\"{\\\"content\\\": \\\"\"}", i / 1000);
      else if (i % 1000 == 999)
        json = g_strdup_printf ("{\"name\":\"Write\",\"toolUseId\":\"t%u\",\"input\":\"\\\"}\",\"stop\":true}", i / 1000);
      else
        json = g_strdup_printf ("{\"name\":\"Write\",\"toolUseId\":\"t%u\",\"input\":\"%s\"}", i / 1000, text);
      frame = amq_event_frame_encode (tools ? tool_headers : text_headers, (const guint8 *) json, strlen (json));
      g_byte_array_append (body, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
    }
  return g_byte_array_free_to_bytes (body);
}

static void
measure (const char *name, guint n_frames, gboolean tools, guint repeats)
{
  g_autoptr(GBytes) stream = build_stream (n_frames, tools);
  GArray *rates = g_array_new (FALSE, FALSE, sizeof (double));
  gsize sse_bytes = 0;

  for (guint r = 0; r < repeats; r++)
    {
      g_autoptr(GInputStream) input = g_memory_input_stream_new_from_bytes (stream);
      g_autoptr(AmqEventStreamReader) reader = amq_event_stream_reader_new (input);
      g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
      Run run = { amq_translator_new (AMQ_EVENT_SINK (writer), "msg_bench", "claude-sonnet-4-5"),
                  g_main_loop_new (NULL, FALSE) };
      gint64 start = g_get_monotonic_time ();
      double seconds, rate;

      amq_translator_begin (run.translator);
      amq_event_stream_reader_read_async (reader, on_frame, &run, NULL, on_done, &run);
      g_main_loop_run (run.loop);
      amq_translator_end (run.translator, NULL);
      seconds = (g_get_monotonic_time () - start) / 1e6;
      rate = n_frames / seconds;
      g_array_append_val (rates, rate);
      sse_bytes = strlen (amq_sse_writer_peek_text (writer));
      g_object_unref (run.translator);
      g_main_loop_unref (run.loop);
    }
  {
    double best = 0, sum = 0;

    for (guint i = 0; i < rates->len; i++)
      {
        best = MAX (best, g_array_index (rates, double, i));
        sum += g_array_index (rates, double, i);
      }
    printf ("{\"benchmark\":\"%s\",\"frames\":%u,\"upstream_bytes\":%zu,\"sse_bytes\":%zu,"
            "\"frames_per_second_mean\":%.0f,\"frames_per_second_best\":%.0f,\"upstream_mb_per_second_mean\":%.1f}\n",
            name, n_frames, g_bytes_get_size (stream), sse_bytes, sum / rates->len, best,
            sum / rates->len * g_bytes_get_size (stream) / n_frames / 1e6);
  }
  g_array_unref (rates);
}

int
main (int argc, char **argv)
{
  guint repeats = argc > 1 ? (guint) atoi (argv[1]) : 5;

  measure ("translate-text-64B", 100000, FALSE, repeats);
  measure ("translate-tool-fragments", 100000, TRUE, repeats);
  return 0;
}
