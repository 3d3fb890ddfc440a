/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-sse-writer.h: Anthropic events as server-sent events, written as they come */
#pragma once

#include <libsoup/soup.h>

#include "amq-event-sink.h"
#include "amq-sse-channel.h"

G_BEGIN_DECLS

#define AMQ_TYPE_SSE_WRITER (amq_sse_writer_get_type ())
G_DECLARE_FINAL_TYPE (AmqSseWriter, amq_sse_writer, AMQ, SSE_WRITER, GObject)

/* Anthropic's keep-alive event. */
#define AMQ_SSE_WRITER_PING "event: ping\ndata: {\"type\":\"ping\"}\n\n"

/* With a message: sets the 200 event-stream headers and streams chunks into it (the
 * caller has paused it); with NULL: collects the text (tests, benchmarks). */
AmqSseWriter *amq_sse_writer_new          (SoupServerMessage *message);
/* Writes into @channel (create it with AMQ_SSE_WRITER_PING), which the caller may detach. */
AmqSseWriter *amq_sse_writer_new_for_channel (AmqSseChannel *channel);
/* The collected text when there is no message. */
const char   *amq_sse_writer_peek_text    (AmqSseWriter *self);
gboolean      amq_sse_writer_is_complete  (AmqSseWriter *self);

G_END_DECLS
