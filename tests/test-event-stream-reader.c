/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-event-stream-reader.c: frames split at every byte, several per read, errors at the end */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include <gio/gunixinputstream.h>
#include <unistd.h>

#include "amq-event-stream-reader.h"
#include "scenario.h"

/* An input stream that hands out its data in pieces of the given sizes. */
#define TYPE_PIECE_STREAM (piece_stream_get_type ())
G_DECLARE_FINAL_TYPE (PieceStream, piece_stream, TEST, PIECE_STREAM, GInputStream)

struct _PieceStream
{
  GInputStream parent_instance;
  GBytes      *data;
  gsize        offset;
  gsize       *pieces;
  guint        n_pieces;
  guint        next_piece;
  guint        reads;
};

G_DEFINE_FINAL_TYPE (PieceStream, piece_stream, G_TYPE_INPUT_STREAM)

static gssize
piece_stream_read (GInputStream *stream, void *buffer, gsize count,
                   GCancellable *cancellable, GError **error)
{
  PieceStream *self = TEST_PIECE_STREAM (stream);
  gsize left = g_bytes_get_size (self->data) - self->offset;
  gsize n = left;

  self->reads++;
  if (self->next_piece < self->n_pieces)
    {
      n = MIN (left, self->pieces[self->next_piece]);
      self->next_piece++;
    }
  n = MIN (n, count);
  memcpy (buffer, (const guint8 *) g_bytes_get_data (self->data, NULL) + self->offset, n);
  self->offset += n;
  return n;
}

static void
piece_stream_finalize (GObject *object)
{
  PieceStream *self = TEST_PIECE_STREAM (object);

  g_bytes_unref (self->data);
  g_free (self->pieces);
  G_OBJECT_CLASS (piece_stream_parent_class)->finalize (object);
}

static void
piece_stream_class_init (PieceStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = piece_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = piece_stream_read;
}

static void
piece_stream_init (PieceStream *self)
{
}

static GInputStream *
piece_stream_new (GBytes *data, const gsize *pieces, guint n_pieces)
{
  PieceStream *self = g_object_new (TYPE_PIECE_STREAM, NULL);

  self->data = g_bytes_ref (data);
  self->pieces = g_memdup2 (pieces, n_pieces * sizeof (gsize));
  self->n_pieces = n_pieces;
  return G_INPUT_STREAM (self);
}

typedef struct {
  GString   *seen;     /* payloads, one per line */
  GMainLoop *loop;
  GError    *error;
  guint      stop_after;
  guint      frames;
} Collect;

static gboolean
collect_frame (const AmqEventFrame *frame, gpointer user_data)
{
  Collect *c = user_data;
  g_autofree char *type = amq_event_frame_dup_string (frame, ":event-type");

  g_string_append_printf (c->seen, "%s|", type ? type : "-");
  g_string_append_len (c->seen, (const char *) frame->payload, frame->payload_length);
  g_string_append_c (c->seen, '\n');
  c->frames++;
  return c->stop_after == 0 || c->frames < c->stop_after;
}

static void
collect_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Collect *c = user_data;

  amq_event_stream_reader_read_finish (AMQ_EVENT_STREAM_READER (source), result, &c->error);
  g_main_loop_quit (c->loop);
}

static char *
read_all (GInputStream *stream, GCancellable *cancellable, guint stop_after, GError **error)
{
  g_autoptr(AmqEventStreamReader) reader = amq_event_stream_reader_new (stream);
  Collect c = { g_string_new (NULL), g_main_loop_new (NULL, FALSE), NULL, stop_after, 0 };

  amq_event_stream_reader_read_async (reader, collect_frame, &c, cancellable, collect_done, &c);
  g_main_loop_run (c.loop);
  g_main_loop_unref (c.loop);
  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return g_string_free (c.seen, FALSE);
}

static GBytes *
multi_frame_stream (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "eventstream.json", NULL);
  const char *hex;
  gsize len;
  guint8 *data;

  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  hex = json_object_get_string_member (
    json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                   "multi_frame_stream"), "hex");
  len = strlen (hex) / 2;
  data = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    data[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, len);
}

static void
test_every_split (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  gsize len = g_bytes_get_size (data);
  g_autoptr(GInputStream) whole = g_memory_input_stream_new_from_bytes (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = read_all (whole, NULL, 0, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (expected, "initial-response|{\"conversationId\":\"\"}\n"
                                             "assistantResponseEvent|{\"content\":\"Hello\"}\n"));
  for (gsize split = 1; split < len; split++)
    {
      gsize pieces[] = { split, len - split };
      g_autoptr(GInputStream) stream = piece_stream_new (data, pieces, 2);
      g_autofree char *seen = read_all (stream, NULL, 0, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (seen, ==, expected);
    }
  /* one byte at a time */
  {
    g_autofree gsize *ones = g_new (gsize, len);
    g_autoptr(GInputStream) stream = NULL;
    g_autofree char *seen = NULL;

    for (gsize i = 0; i < len; i++)
      ones[i] = 1;
    stream = piece_stream_new (data, ones, len);
    seen = read_all (stream, NULL, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (seen, ==, expected);
  }
}

static void
test_truncated_everywhere (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  gsize len = g_bytes_get_size (data);

  for (gsize cut = 1; cut < len; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (data, 0, cut);
      g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (part);
      g_autoptr(GError) error = NULL;
      g_autofree char *seen = read_all (stream, NULL, 0, &error);

      /* a cut between frames is a clean end; anywhere else is truncation */
      if (error == NULL)
        g_assert_true (seen[0] == '\0' || g_str_has_suffix (seen, "\n"));
      else
        g_assert_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_TRUNCATED);
    }
}

/* Reads @data, which starts with the multi-frame stream's first frame (0x85 bytes) and
 * goes wrong after it: that frame comes out, then the error @code. */
static void
assert_first_frame_then_error (GBytes *data,
                               int     code)
{
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = read_all (stream, NULL, 0, &error);

  g_assert_error (error, AMQ_FRAME_ERROR, code);
  g_assert_cmpstr (seen, ==, "initial-response|{\"conversationId\":\"\"}\n");
}

static void
test_corrupt_stops_reading (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_autoptr(GBytes) corrupt = NULL;

  copy[0x85 + 20] ^= 1;  /* inside the second frame's headers */
  corrupt = g_bytes_new (copy, g_bytes_get_size (data));
  assert_first_frame_then_error (corrupt, AMQ_FRAME_ERROR_MESSAGE_CRC);
}

static void
test_stop_from_callback (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (data);
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = read_all (stream, NULL, 2, &error);

  g_assert_no_error (error);
  {
    g_auto(GStrv) lines = g_strsplit (seen, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 3);  /* two frames and the empty tail */
  }
}

/* A CRC-valid frame of five million headers after a good one: the good one is handed out,
 * then the flood is an error. */
static void
test_header_flood (void)
{
  g_autoptr(GBytes) good = multi_frame_stream ();
  g_autoptr(GBytes) flood = scenario_header_flood_frame (5000000);
  g_autoptr(GByteArray) both = g_byte_array_new ();
  g_autoptr(GBytes) data = NULL;

  g_byte_array_append (both, g_bytes_get_data (good, NULL), 0x85);  /* its first frame */
  g_byte_array_append (both, g_bytes_get_data (flood, NULL), g_bytes_get_size (flood));
  data = g_byte_array_free_to_bytes (g_steal_pointer (&both));
  assert_first_frame_then_error (data, AMQ_FRAME_ERROR_HEADER_LIMIT);
}

static GBytes *
frame_of_megabytes (guint megabytes)
{
  static const char * const headers[] = { ":event-type", "assistantResponseEvent", NULL };
  gsize size = megabytes * 1024 * 1024;
  g_autofree guint8 *payload = g_malloc (size);

  memset (payload, 'p', size);
  return amq_event_frame_encode (headers, payload, size);
}

/* Once a frame's prelude has told its length, the reader asks for all the rest at once
 * rather than chunk by chunk, decoding the frame again after each. */
static void
test_reads_what_the_frame_lacks (void)
{
  g_autoptr(GBytes) frame = frame_of_megabytes (4);
  g_autoptr(GInputStream) stream = piece_stream_new (frame, NULL, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = read_all (stream, NULL, 0, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (seen), ==, strlen ("assistantResponseEvent|\n") + 4 * 1024 * 1024);
  /* the first chunk, the rest of the frame, the end */
  g_assert_cmpuint (TEST_PIECE_STREAM (stream)->reads, ==, 3);
}

/* An upstream sending a big frame in small chunks costs time in proportion to its bytes:
 * no read copies, clears or decodes the whole frame again (the suite runs with
 * G_DEBUG=gc-friendly, which makes GLib clear memory it gives back). */
static void
test_big_frame_in_small_pieces (void)
{
  g_autoptr(GBytes) frame = frame_of_megabytes (8);
  guint n_pieces = g_bytes_get_size (frame) / 256 + 1;
  g_autofree gsize *pieces = g_new (gsize, n_pieces);
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;
  gint64 start;

  for (guint i = 0; i < n_pieces; i++)
    pieces[i] = 256;
  stream = piece_stream_new (frame, pieces, n_pieces);
  start = g_get_monotonic_time ();
  seen = read_all (stream, NULL, 0, &error);
  g_test_message ("%u pieces read in %" G_GINT64_FORMAT " ms", n_pieces, (g_get_monotonic_time () - start) / 1000);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (seen, "assistantResponseEvent|ppp"));
  /* a sanity bound: the 32,769 reads take about 1.5 s (each a thread-pool job, this test
   * stream being blocking); clearing the frame's buffer after each read took 16 s. The
   * sanitizers' own cost per allocation would decide under them: not timed there. */
  if (g_getenv ("AMQ_SANITIZED") == NULL)
    g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);
}

/* A pipe that never delivers: cancelling ends the read at once. */
static void
test_cancel (void)
{
  int fds[2];
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *seen = NULL;
  gint64 start;

  g_assert_cmpint (pipe (fds), ==, 0);
  stream = g_unix_input_stream_new (fds[0], TRUE);
  start = g_get_monotonic_time ();
  g_timeout_add_once (50, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  seen = read_all (stream, cancellable, 0, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  close (fds[1]);
}

static guint
count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; (p = strchr (p, '\n')) != NULL; p++)
    n++;
  return n;
}

typedef struct {
  AmqEventStreamReader *reader;
  GMainLoop            *loop;
  GError               *error;
  guint                 frames;
  gboolean              done;
} PausedRun;

static gboolean
pause_after_first_frame (const AmqEventFrame *frame, gpointer user_data)
{
  PausedRun *run = user_data;

  if (++run->frames == 1)
    amq_event_stream_reader_set_paused (run->reader, TRUE);
  return TRUE;
}

static void
paused_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  PausedRun *run = user_data;

  amq_event_stream_reader_read_finish (run->reader, result, &run->error);
  run->done = TRUE;
  g_main_loop_quit (run->loop);
}

/* Runs the main loop for @ms, or until the read is over. */
static void
spin (PausedRun *run, guint ms)
{
  guint timer = g_timeout_add_once (ms, (GSourceOnceFunc) g_main_loop_quit, run->loop);

  g_main_loop_run (run->loop);
  if (!run->done)
    return;
  g_source_remove (timer);
}

/* A paused reader asks for nothing more (the peer's TCP window then closes) and hands out
 * what it had; resumed, it reads on to the end. */
static void
test_pause_and_resume (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  gsize pieces[] = { 0x85, 16, 16, 16 };  /* the first read holds exactly the first frame */
  g_autoptr(GInputStream) stream = piece_stream_new (data, pieces, G_N_ELEMENTS (pieces));
  g_autoptr(GInputStream) whole = g_memory_input_stream_new_from_bytes (data);
  g_autofree char *all = read_all (whole, NULL, 0, NULL);
  g_autoptr(AmqEventStreamReader) reader = amq_event_stream_reader_new (stream);
  PausedRun run = { reader, g_main_loop_new (NULL, FALSE), NULL, 0, FALSE };

  amq_event_stream_reader_read_async (reader, pause_after_first_frame, &run, NULL, paused_run_done, &run);
  spin (&run, 200);
  g_assert_false (run.done);
  g_assert_true (amq_event_stream_reader_get_paused (reader));
  g_assert_cmpuint (run.frames, ==, 1);
  g_assert_cmpuint (TEST_PIECE_STREAM (stream)->reads, ==, 1);
  g_object_set (reader, "paused", FALSE, NULL);
  while (!run.done)
    spin (&run, 1000);
  g_assert_no_error (run.error);
  /* every frame: read_all gives one line each */
  g_assert_cmpuint (run.frames, ==, count_lines (all));
  g_assert_cmpuint (run.frames, >, 1);
  g_main_loop_unref (run.loop);
}

/* Paused before the first read: cancelling ends the wait at once, though no read is in
 * flight to notice it. */
static void
test_cancel_while_paused (void)
{
  g_autoptr(GBytes) data = multi_frame_stream ();
  g_autoptr(GInputStream) stream = piece_stream_new (data, NULL, 0);
  g_autoptr(AmqEventStreamReader) reader = amq_event_stream_reader_new (stream);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  PausedRun run = { reader, g_main_loop_new (NULL, FALSE), NULL, 0, FALSE };
  gint64 start = g_get_monotonic_time ();

  amq_event_stream_reader_set_paused (reader, TRUE);
  amq_event_stream_reader_read_async (reader, pause_after_first_frame, &run, cancellable, paused_run_done, &run);
  g_timeout_add_once (50, (GSourceOnceFunc) g_cancellable_cancel, cancellable);
  spin (&run, 5000);
  g_assert_true (run.done);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_cmpuint (TEST_PIECE_STREAM (stream)->reads, ==, 0);
  g_clear_error (&run.error);
  g_main_loop_unref (run.loop);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reader/every-split", test_every_split);
  g_test_add_func ("/reader/truncated-everywhere", test_truncated_everywhere);
  g_test_add_func ("/reader/corrupt-stops-reading", test_corrupt_stops_reading);
  g_test_add_func ("/reader/stop-from-callback", test_stop_from_callback);
  g_test_add_func ("/reader/cancel", test_cancel);
  g_test_add_func ("/reader/header-flood", test_header_flood);
  g_test_add_func ("/reader/reads-what-the-frame-lacks", test_reads_what_the_frame_lacks);
  g_test_add_func ("/reader/big-frame-in-small-pieces", test_big_frame_in_small_pieces);
  g_test_add_func ("/reader/pause-and-resume", test_pause_and_resume);
  g_test_add_func ("/reader/cancel-while-paused", test_cancel_while_paused);
  return g_test_run ();
}
