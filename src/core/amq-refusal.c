/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-refusal.c
 *
 * libsoup reads a whole request body before it writes any answer, even one decided when the
 * headers arrived; a refused request is therefore answered here, on the connection taken
 * from libsoup, and its body is never kept. Closing a socket whose peer is still sending
 * resets the connection, and a reset can destroy the answer before the client reads it: so
 * the answer is followed by a half-close and the rest of the body is read and dropped until
 * the client closes, for LINGER_SECONDS at most. */
#include "config.h"

#include "amq-refusal.h"

#include <libsoup/soup.h>
#include <string.h>

#include "amq-error.h"

#define LINGER_SECONDS 2
#define DRAIN_BUFFER   (64 * 1024)

typedef struct {
  GIOStream    *stream;
  GSocket      *socket;
  GCancellable *cancellable;
  char         *answer;
  guint         deadline;
  char          drained[DRAIN_BUFFER];
} Refusal;

static void
refusal_finish (Refusal *refusal)
{
  g_clear_handle_id (&refusal->deadline, g_source_remove);
  g_io_stream_close (refusal->stream, NULL, NULL);
  g_object_unref (refusal->stream);
  g_clear_object (&refusal->socket);
  g_object_unref (refusal->cancellable);
  g_free (refusal->answer);
  g_free (refusal);
}

static gboolean
on_deadline (gpointer user_data)
{
  Refusal *refusal = user_data;

  /* the pending read or write ends, cancelled, and finishes the refusal */
  refusal->deadline = 0;
  g_cancellable_cancel (refusal->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_drained (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refusal *refusal = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      refusal_finish (refusal);
      return;
    }
  g_input_stream_read_async (G_INPUT_STREAM (source), refusal->drained, sizeof refusal->drained,
                             G_PRIORITY_DEFAULT, refusal->cancellable, on_drained, refusal);
}

static void
on_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refusal *refusal = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL) ||
      refusal->socket == NULL || !g_socket_shutdown (refusal->socket, FALSE, TRUE, NULL))
    {
      refusal_finish (refusal);
      return;
    }
  g_input_stream_read_async (g_io_stream_get_input_stream (refusal->stream), refusal->drained,
                             sizeof refusal->drained, G_PRIORITY_DEFAULT, refusal->cancellable,
                             on_drained, refusal);
}

static char *
format_answer (const GError *error, const char *request_id, gboolean with_body)
{
  g_autofree char *json = amq_error_to_json (error, request_id);
  guint status = amq_error_http_status (error);

  return g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %zu\r\n"
                          "request-id: %s\r\n"
                          "Connection: close\r\n"
                          "\r\n"
                          "%s",
                          status, soup_status_get_phrase (status), strlen (json), request_id,
                          with_body ? json : "");
}

void
amq_refusal_send (GIOStream *stream, GSocket *socket, const GError *error, const char *request_id,
                  gboolean with_body)
{
  Refusal *refusal;

  g_return_if_fail (G_IS_IO_STREAM (stream));
  g_return_if_fail (socket == NULL || G_IS_SOCKET (socket));
  g_return_if_fail (error != NULL && request_id != NULL);

  refusal = g_new0 (Refusal, 1);
  refusal->stream = g_object_ref (stream);
  refusal->socket = socket ? g_object_ref (socket) : NULL;
  refusal->cancellable = g_cancellable_new ();
  refusal->answer = format_answer (error, request_id, with_body);
  refusal->deadline = g_timeout_add_seconds (LINGER_SECONDS, on_deadline, refusal);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (stream), refusal->answer,
                                   strlen (refusal->answer), G_PRIORITY_DEFAULT, refusal->cancellable,
                                   on_written, refusal);
}
