/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-sse-writer.h: Anthropic events as server-sent events, written as they come */
#pragma once

#include <libsoup/soup.h>

#include "amq-event-sink.h"
#include "amq-sse-channel.h"

G_BEGIN_DECLS

#define AMQ_TYPE_SSE_WRITER (amq_sse_writer_get_type ())
G_DECLARE_FINAL_TYPE (AmqSseWriter, amq_sse_writer, AMQ, SSE_WRITER, GObject)

/* With a message: sets the 200 event-stream headers and streams chunks into it (the
 * caller has paused it); with NULL: collects the text (tests, benchmarks). */
AmqSseWriter *amq_sse_writer_new          (SoupServerMessage *message);
/* Seconds of silence before a ping; 0 turns pings off. */
void          amq_sse_writer_set_ping_interval (AmqSseWriter *self,
                                                guint         seconds);
/* The collected text when there is no message. */
const char   *amq_sse_writer_peek_text    (AmqSseWriter *self);
/* Stop touching the message (the client went away). */
void          amq_sse_writer_detach       (AmqSseWriter *self);
gboolean      amq_sse_writer_is_complete  (AmqSseWriter *self);

G_END_DECLS
