/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-stream-reader.h: pumps event-stream frames off a GInputStream */
#pragma once

#include <gio/gio.h>

#include "amq-event-frame.h"

G_BEGIN_DECLS

#define AMQ_TYPE_EVENT_STREAM_READER (amq_event_stream_reader_get_type ())
G_DECLARE_FINAL_TYPE (AmqEventStreamReader, amq_event_stream_reader, AMQ, EVENT_STREAM_READER, GObject)

/* Called for every frame in order; return FALSE to stop reading (the read then succeeds). */
typedef gboolean (*AmqFrameFunc) (const AmqEventFrame *frame,
                                  gpointer             user_data);

AmqEventStreamReader *amq_event_stream_reader_new          (GInputStream *stream);

/* Reads until the end of the stream. Succeeds at a clean end between frames; fails with an
 * AMQ_FRAME_ERROR on any corrupt or truncated frame, or with the stream's own error (a
 * silent upstream is the HTTP session's to time out: its socket timeout costs no source). */
void                  amq_event_stream_reader_read_async   (AmqEventStreamReader *self,
                                                            AmqFrameFunc          frame_func,
                                                            gpointer              frame_data,
                                                            GCancellable         *cancellable,
                                                            GAsyncReadyCallback   callback,
                                                            gpointer              user_data);
gboolean              amq_event_stream_reader_read_finish  (AmqEventStreamReader *self,
                                                            GAsyncResult         *result,
                                                            GError              **error);
/* While paused (the "paused" property), no read is issued: the one in flight completes and
 * its frames are handed out, then reading waits, and the peer's TCP window closes. A read
 * that waits still fails at once when its cancellable is cancelled. */
void                  amq_event_stream_reader_set_paused   (AmqEventStreamReader *self,
                                                            gboolean              paused);
gboolean              amq_event_stream_reader_get_paused   (AmqEventStreamReader *self);

G_END_DECLS
