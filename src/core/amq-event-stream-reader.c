/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-stream-reader.c: reads straight into one buffer and decodes a frame only once
 * the buffer holds all of it */
#include "config.h"

#include "amq-event-stream-reader.h"

#include <string.h>

#define READ_CHUNK (16 * 1024)

struct _AmqEventStreamReader
{
  GObject        parent_instance;
  GInputStream  *stream;
  /* A plain buffer, not a GByteArray: reads go straight into its spare room, which a
   * GByteArray would have to grow and shrink around each read (and under G_DEBUG=gc-friendly
   * zero, up to 16 MB a read). */
  guint8        *buffer;      /* unconsumed bytes from offset 0, then room for the next read */
  gsize          length;      /* unconsumed bytes */
  gsize          size;        /* allocated bytes */
  gsize          needed;      /* bytes the first frame needs before decoding can progress */
  AmqFrameFunc   frame_func;
  gpointer       frame_data;
  GTask         *task;
  gboolean       paused;
  gboolean       waiting;      /* paused with no read in flight */
  GSource       *cancel_watch; /* while waiting: the cancellable, which no read would notice */
};

G_DEFINE_FINAL_TYPE (AmqEventStreamReader, amq_event_stream_reader, G_TYPE_OBJECT)

enum { PROP_0, PROP_PAUSED, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void read_more (AmqEventStreamReader *self);

/* Drops the first @consumed bytes: the frames handed out. */
static void
consume (AmqEventStreamReader *self,
         gsize                 consumed)
{
  memmove (self->buffer, self->buffer + consumed, self->length - consumed);
  self->length -= consumed;
}

static void
stop_waiting (AmqEventStreamReader *self)
{
  self->waiting = FALSE;
  if (self->cancel_watch != NULL)
    {
      g_source_destroy (self->cancel_watch);
      g_clear_pointer (&self->cancel_watch, g_source_unref);
    }
}

static void
finish (AmqEventStreamReader *self,
        GError               *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  stop_waiting (self);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Hands out every complete frame in the buffer. Returns FALSE when the read is over. */
static gboolean
drain_frames (AmqEventStreamReader *self)
{
  gsize offset = 0;
  gboolean keep_going = TRUE;

  while (keep_going)
    {
      g_autoptr(AmqEventFrame) frame = NULL;
      GError *error = NULL;
      gsize needed = 0;

      switch (amq_event_frame_decode (self->buffer + offset, self->length - offset,
                                      &frame, &needed, &error))
        {
        case AMQ_FRAME_DECODE_OK:
          offset += needed;
          if (!self->frame_func (frame, self->frame_data))
            {
              consume (self, offset);
              finish (self, NULL);
              return FALSE;
            }
          break;
        case AMQ_FRAME_DECODE_NEED_MORE:
          self->needed = needed;
          keep_going = FALSE;
          break;
        case AMQ_FRAME_DECODE_ERROR:
        default:
          finish (self, error);
          return FALSE;
        }
    }
  consume (self, offset);
  return TRUE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(AmqEventStreamReader) self = user_data;
  GError *error = NULL;
  gssize got = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (got < 0)
    {
      finish (self, error);
      return;
    }
  if (got == 0)
    {
      if (self->length > 0)
        finish (self, g_error_new (AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_TRUNCATED,
                                   "event stream ended inside a frame (%" G_GSIZE_FORMAT " bytes pending)",
                                   self->length));
      else
        finish (self, NULL);
      return;
    }
  self->length += got;
  /* a frame still short of its length is not decoded again */
  if (self->length < self->needed || drain_frames (self))
    read_more (self);
}

static gboolean
on_cancelled_while_waiting (GCancellable *cancellable,
                            gpointer      user_data)
{
  AmqEventStreamReader *self = user_data;
  GError *error = NULL;

  g_clear_pointer (&self->cancel_watch, g_source_unref);
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  finish (self, error);
  return G_SOURCE_REMOVE;
}

/* Paused: no read until resumed; only the cancellable can end the wait. */
static void
wait_for_resume (AmqEventStreamReader *self)
{
  GCancellable *cancellable = g_task_get_cancellable (self->task);

  g_assert (!self->waiting);
  self->waiting = TRUE;
  if (cancellable == NULL)
    return;
  self->cancel_watch = g_cancellable_source_new (cancellable);
  g_source_set_callback (self->cancel_watch, G_SOURCE_FUNC (on_cancelled_while_waiting), self, NULL);
  g_source_attach (self->cancel_watch, g_main_context_get_thread_default ());
}

/* Reads into the buffer's tail: all that the pending frame still lacks, and at least the
 * rest of a chunk. A small leftover (part of the next frame, as reads end anywhere) then
 * keeps the buffer at one chunk: a full chunk after it would double every stream's buffer. */
static void
read_more (AmqEventStreamReader *self)
{
  gsize room = self->length < READ_CHUNK / 2 ? READ_CHUNK - self->length : READ_CHUNK;
  gsize want = MAX (room, self->needed > self->length ? self->needed - self->length : 0);

  if (self->paused)
    {
      wait_for_resume (self);
      return;
    }
  if (self->length + want > self->size)
    {
      /* doubling, so that a leftover growing by a few bytes does not reallocate each time */
      self->size = MAX (self->length + want, 2 * self->size);
      self->buffer = g_realloc (self->buffer, self->size);
    }
  g_input_stream_read_async (self->stream, self->buffer + self->length, want, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (self->task), on_read, g_object_ref (self));
}

void
amq_event_stream_reader_read_async (AmqEventStreamReader *self,
                                    AmqFrameFunc          frame_func,
                                    gpointer              frame_data,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data)
{
  g_return_if_fail (AMQ_IS_EVENT_STREAM_READER (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (self->task, amq_event_stream_reader_read_async);
  self->frame_func = frame_func;
  self->frame_data = frame_data;
  read_more (self);
}

gboolean
amq_event_stream_reader_read_finish (AmqEventStreamReader *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
amq_event_stream_reader_set_paused (AmqEventStreamReader *self,
                                    gboolean              paused)
{
  g_return_if_fail (AMQ_IS_EVENT_STREAM_READER (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  /* a read waiting for this goes now; one still in flight goes on when it completes */
  if (!paused && self->waiting)
    {
      stop_waiting (self);
      read_more (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
amq_event_stream_reader_get_paused (AmqEventStreamReader *self)
{
  g_return_val_if_fail (AMQ_IS_EVENT_STREAM_READER (self), FALSE);

  return self->paused;
}

static void
amq_event_stream_reader_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqEventStreamReader *self = AMQ_EVENT_STREAM_READER (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_event_stream_reader_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AmqEventStreamReader *self = AMQ_EVENT_STREAM_READER (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      amq_event_stream_reader_set_paused (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_event_stream_reader_finalize (GObject *object)
{
  AmqEventStreamReader *self = AMQ_EVENT_STREAM_READER (object);

  stop_waiting (self);
  g_clear_object (&self->stream);
  g_free (self->buffer);
  G_OBJECT_CLASS (amq_event_stream_reader_parent_class)->finalize (object);
}

static void
amq_event_stream_reader_class_init (AmqEventStreamReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_event_stream_reader_get_property;
  object_class->set_property = amq_event_stream_reader_set_property;
  object_class->finalize = amq_event_stream_reader_finalize;
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_event_stream_reader_init (AmqEventStreamReader *self)
{
}

AmqEventStreamReader *
amq_event_stream_reader_new (GInputStream *stream)
{
  AmqEventStreamReader *self;

  g_return_val_if_fail (G_IS_INPUT_STREAM (stream), NULL);

  self = g_object_new (AMQ_TYPE_EVENT_STREAM_READER, NULL);
  self->stream = g_object_ref (stream);
  return self;
}
