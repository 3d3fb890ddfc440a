/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-translator.c: arbitrary frames (event type and payload from the input) through the
 * translator into SSE and the message builder; the output must stay well-formed JSON */
#include "config.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amq-message-builder.h"
#include "amq-sse-writer.h"
#include "amq-translator.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static const char * const event_types[] = {
  "assistantResponseEvent", "toolUseEvent", "reasoningContentEvent", "metadataEvent",
  "contextUsageEvent", "initial-response", "exception", "error",
};

static void
run (const guint8 *data, size_t size, AmqEventSink *sink)
{
  g_autoptr(AmqTranslator) translator = amq_translator_new (sink, "msg_fuzz", "claude-fuzz");
  const char *stops[] = { "STOP", "</x>", NULL };
  gsize offset = 1;

  amq_translator_set_thinking (translator, size > 0 && (data[0] & 1));
  amq_translator_set_stop_sequences (translator, (size > 0 && (data[0] & 2)) ? stops : NULL);
  amq_translator_begin (translator);
  /* records: type byte, length byte, payload */
  while (offset + 2 <= size)
    {
      guint type = data[offset] % G_N_ELEMENTS (event_types);
      gsize length = MIN ((gsize) data[offset + 1], size - offset - 2);
      const char *kind = g_str_equal (event_types[type], "exception") ? "exception"
                         : g_str_equal (event_types[type], "error") ? "error" : "event";
      const char *headers[] = { ":event-type", event_types[type], ":message-type", kind, NULL };
      g_autoptr(GBytes) encoded = amq_event_frame_encode (headers, data + offset + 2, length);
      g_autoptr(AmqEventFrame) frame = NULL;
      gsize needed;

      offset += 2 + length;
      g_assert (amq_event_frame_decode (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                                        &frame, &needed, NULL) == AMQ_FRAME_DECODE_OK);
      if (!amq_translator_feed (translator, frame))
        break;
    }
  amq_translator_end (translator, NULL);
}

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(AmqSseWriter) writer = amq_sse_writer_new (NULL);
  g_autoptr(AmqMessageBuilder) builder = amq_message_builder_new ();
  g_autofree char *message = NULL;
  g_auto(GStrv) events = NULL;

  run (data, size, AMQ_EVENT_SINK (writer));
  run (data, size, AMQ_EVENT_SINK (builder));
  events = g_strsplit (amq_sse_writer_peek_text (writer), "\n\n", -1);
  for (guint i = 0; events[i] != NULL && *events[i] != '\0'; i++)
    {
      const char *json = strstr (events[i], "\ndata: ");
      g_autoptr(JsonParser) parser = json_parser_new ();

      g_assert (json != NULL);
      if (!json_parser_load_from_data (parser, json + 7, -1, NULL))
        {
          fprintf (stderr, "event is not JSON: %s\n", events[i]);
          abort ();
        }
    }
  message = amq_message_builder_to_json (builder, NULL);
  if (message != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (!json_parser_load_from_data (parser, message, -1, NULL))
        {
          fprintf (stderr, "message is not JSON: %s\n", message);
          abort ();
        }
    }
  return 0;
}
