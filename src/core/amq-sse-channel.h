/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-sse-channel.h: a server-sent event stream over a paused SoupServerMessage, whatever the events say */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define AMQ_SSE_PING_INTERVAL 10
/* A keep-alive for formats with no ping event of their own: SSE parsers skip comments. */
#define AMQ_SSE_COMMENT_PING ": ping\n\n"

#define AMQ_TYPE_SSE_CHANNEL (amq_sse_channel_get_type ())
G_DECLARE_FINAL_TYPE (AmqSseChannel, amq_sse_channel, AMQ, SSE_CHANNEL, GObject)

/* With a message: sets the 200 event-stream headers and streams into it (the caller has
 * paused it); with NULL: collects the text (tests, benchmarks). @ping_text is one whole event
 * (or comment) written after a silence of the ping interval. */
AmqSseChannel *amq_sse_channel_new               (SoupServerMessage *message,
                                                  const char        *ping_text);
/* Where the events are written: append whole events, then commit them. */
GString       *amq_sse_channel_get_buffer        (AmqSseChannel *self);
/* Starts an event named @type whose data is a JSON object of that type, as Anthropic's and
 * the Responses API's events are: "event: TYPE\ndata: {"type":"TYPE"" — the caller appends
 * the other members and "}\n\n". */
void           amq_sse_channel_begin_typed_event (AmqSseChannel *self,
                                                  const char    *type);
/* The events appended since the last commit go out with the next main loop turn, with
 * whatever else comes before it, as one chunk; the ping timer starts over. */
void           amq_sse_channel_commit            (AmqSseChannel *self);
/* Commits the last events: the body ends after them and pings stop. */
void           amq_sse_channel_finish            (AmqSseChannel *self);
gboolean       amq_sse_channel_is_complete       (AmqSseChannel *self);
/* Seconds of silence before a ping; 0 turns pings off. */
void           amq_sse_channel_set_ping_interval (AmqSseChannel *self,
                                                  guint          seconds);
/* Everything written, when there is no message. */
const char    *amq_sse_channel_peek_text         (AmqSseChannel *self);
/* Stop touching the message (the client went away). */
void           amq_sse_channel_detach            (AmqSseChannel *self);
/* TRUE while more than about a megabyte of committed events waits for a client that reads
 * slowly or not at all; FALSE again once most of it is written. The "congested" property
 * (notified) is what the stream's feeder follows to stop reading and resume. */
gboolean       amq_sse_channel_get_congested     (AmqSseChannel *self);
/* The channel streaming into @message, or NULL: the call feeding a stream knows its message,
 * not which format's writer made the channel. */
AmqSseChannel *amq_sse_channel_get_for_message   (SoupServerMessage *message);

G_END_DECLS
