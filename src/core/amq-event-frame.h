/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-frame.h: one decoded application/vnd.amazon.eventstream frame */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AMQ_FRAME_ERROR (amq_frame_error_quark ())

typedef enum {
  AMQ_FRAME_ERROR_PRELUDE_CRC,
  AMQ_FRAME_ERROR_MESSAGE_CRC,
  AMQ_FRAME_ERROR_LENGTH,
  AMQ_FRAME_ERROR_HEADERS_BOUNDS,
  AMQ_FRAME_ERROR_BAD_HEADER,
  AMQ_FRAME_ERROR_HEADER_TYPE,
  AMQ_FRAME_ERROR_TRUNCATED,
  AMQ_FRAME_ERROR_HEADER_LIMIT,
} AmqFrameError;

typedef enum {
  AMQ_HEADER_TRUE = 0,
  AMQ_HEADER_FALSE = 1,
  AMQ_HEADER_BYTE = 2,
  AMQ_HEADER_SHORT = 3,
  AMQ_HEADER_INT = 4,
  AMQ_HEADER_LONG = 5,
  AMQ_HEADER_BYTES = 6,
  AMQ_HEADER_STRING = 7,
  AMQ_HEADER_TIMESTAMP = 8,
  AMQ_HEADER_UUID = 9,
} AmqHeaderType;

#define AMQ_FRAME_MIN_LENGTH 16
#define AMQ_FRAME_MAX_LENGTH (16 * 1024 * 1024)
#define AMQ_FRAME_PRELUDE_LENGTH 12
/* aws-c-event-stream's limits: a frame over them is refused before anything is allocated */
#define AMQ_FRAME_MAX_HEADERS 1024
#define AMQ_FRAME_MAX_HEADER_VALUE 32767

typedef struct {
  const char    *name;      /* NUL-terminated, inside the frame's allocation */
  AmqHeaderType  type;
  gint64         integer;   /* bool (0/1), byte, short, int, long, timestamp (ms) */
  const guint8  *data;      /* bytes, string (not NUL-terminated), uuid: inside the frame */
  gsize          length;
} AmqEventHeader;

/* One allocation holds the frame, its headers, a copy of its bytes and the header names. */
typedef struct {
  AmqEventHeader *headers;
  guint           n_headers;
  const guint8   *payload;
  gsize           payload_length;
} AmqEventFrame;

typedef enum {
  AMQ_FRAME_DECODE_OK,
  AMQ_FRAME_DECODE_NEED_MORE,
  AMQ_FRAME_DECODE_ERROR,
} AmqFrameDecodeResult;

GQuark                amq_frame_error_quark        (void);

/* Decodes the frame at the start of @data. NEED_MORE sets @needed to the byte count that
 * would let decoding progress; OK sets @frame and @needed to the frame's length. Both CRCs
 * are checked before any header is read; more than AMQ_FRAME_MAX_HEADERS headers or a value
 * over AMQ_FRAME_MAX_HEADER_VALUE bytes is AMQ_FRAME_ERROR_HEADER_LIMIT. */
AmqFrameDecodeResult  amq_event_frame_decode       (const guint8   *data,
                                                    gsize           length,
                                                    AmqEventFrame **frame,
                                                    gsize          *needed,
                                                    GError        **error);
const AmqEventHeader *amq_event_frame_get_header   (const AmqEventFrame *frame,
                                                    const char          *name);
/* A string header's value as a new string, or NULL when absent or not a string. */
char                 *amq_event_frame_dup_string   (const AmqEventFrame *frame,
                                                    const char          *name);
gboolean              amq_event_frame_has_string   (const AmqEventFrame *frame,
                                                    const char          *name,
                                                    const char          *value);
void                  amq_event_frame_free         (AmqEventFrame *frame);

/* Encodes a frame with string headers (names and values alternate, NULL-terminated). */
GBytes               *amq_event_frame_encode       (const char * const *string_headers,
                                                    const guint8       *payload,
                                                    gsize               payload_length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqEventFrame, amq_event_frame_free)

G_END_DECLS
