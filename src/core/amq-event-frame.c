/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-event-frame.c: strict event-stream frame codec: lengths, both CRCs, then the headers */
#include "config.h"

#include "amq-event-frame.h"

#include <string.h>
#include <zlib.h>

G_DEFINE_QUARK (amq-frame-error-quark, amq_frame_error)

static guint32
read_u32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static guint64
read_u64 (const guint8 *p)
{
  return ((guint64) read_u32 (p) << 32) | read_u32 (p + 4);
}

static void
write_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint32
crc32_of (const guint8 *data, gsize length)
{
  return (guint32) crc32 (0L, data, (uInt) length);
}

/* Fixed value sizes by type; -1 means a u16 length prefix follows. */
static gssize
header_value_size (AmqHeaderType type)
{
  switch (type)
    {
    case AMQ_HEADER_TRUE:
    case AMQ_HEADER_FALSE:     return 0;
    case AMQ_HEADER_BYTE:      return 1;
    case AMQ_HEADER_SHORT:     return 2;
    case AMQ_HEADER_INT:       return 4;
    case AMQ_HEADER_LONG:
    case AMQ_HEADER_TIMESTAMP: return 8;
    case AMQ_HEADER_UUID:      return 16;
    case AMQ_HEADER_BYTES:
    case AMQ_HEADER_STRING:
    default:                   return -1;
    }
}

static gint64
integer_value (AmqHeaderType type,
               const guint8 *p)
{
  switch (type)
    {
    case AMQ_HEADER_TRUE:      return 1;
    case AMQ_HEADER_BYTE:      return (gint8) p[0];
    case AMQ_HEADER_SHORT:     return (gint16) ((p[0] << 8) | p[1]);
    case AMQ_HEADER_INT:       return (gint32) read_u32 (p);
    case AMQ_HEADER_LONG:
    case AMQ_HEADER_TIMESTAMP: return (gint64) read_u64 (p);
    case AMQ_HEADER_FALSE:
    case AMQ_HEADER_BYTES:
    case AMQ_HEADER_STRING:
    case AMQ_HEADER_UUID:
    default:                   return 0;
    }
}

/* A header as it lies in the frame: its name is not NUL-terminated there. */
typedef struct {
  const guint8  *name;
  guint          name_length;
  AmqHeaderType  type;
  const guint8  *value;
  gsize          value_length;
} WireHeader;

/* Reads header number @index at *@cursor (before @end) and moves *@cursor past it. Error
 * messages name the header by its number: its name is upstream bytes, maybe not text. */
static gboolean
read_header (const guint8 **cursor,
             const guint8  *end,
             guint          index,
             WireHeader    *header,
             GError       **error)
{
  const guint8 *p = *cursor;
  gssize size;

  header->name_length = *p++;
  header->name = p;
  if (header->name_length == 0 || (gsize) (end - p) < header->name_length + 1u)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_BAD_HEADER,
                   "name of header %u runs past the header block", index);
      return FALSE;
    }
  p += header->name_length;
  if (*p > AMQ_HEADER_UUID)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_TYPE,
                   "unknown type %u of header %u", *p, index);
      return FALSE;
    }
  header->type = (AmqHeaderType) *p++;
  size = header_value_size (header->type);
  if (size < 0 && end - p >= 2)
    {
      size = (p[0] << 8) | p[1];
      p += 2;
      if (size > AMQ_FRAME_MAX_HEADER_VALUE)
        {
          g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_LIMIT,
                       "value of header %u is %" G_GSSIZE_FORMAT " bytes, over the limit of %u",
                       index, size, AMQ_FRAME_MAX_HEADER_VALUE);
          return FALSE;
        }
    }
  if (size < 0 || end - p < size)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_BAD_HEADER,
                   "value of header %u runs past the header block", index);
      return FALSE;
    }
  header->value = p;
  header->value_length = size;
  *cursor = p + size;
  return TRUE;
}

/* Checks every header without allocating, stopping at the first one over the limits, and
 * counts the headers and the bytes their NUL-terminated names need. */
static gboolean
scan_headers (const guint8  *p,
              const guint8  *end,
              guint         *n_headers,
              gsize         *names_size,
              GError       **error)
{
  WireHeader header;

  *n_headers = 0;
  *names_size = 0;
  while (p < end)
    {
      if (*n_headers == AMQ_FRAME_MAX_HEADERS)
        {
          g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_LIMIT,
                       "event-stream frame has more than %u headers", AMQ_FRAME_MAX_HEADERS);
          return FALSE;
        }
      if (!read_header (&p, end, *n_headers, &header, error))
        return FALSE;
      *names_size += header.name_length + 1u;
      (*n_headers)++;
    }
  return TRUE;
}

/* One block: the frame, its header array, its header block and payload, the names. */
static AmqEventFrame *
frame_new (const guint8 *data,
           gsize         total,
           gsize         headers_length,
           guint         n_headers,
           gsize         names_size)
{
  gsize body_length = total - AMQ_FRAME_MIN_LENGTH;
  AmqEventFrame *frame = g_malloc (sizeof *frame + n_headers * sizeof (AmqEventHeader) + body_length + names_size);
  guint8 *body;
  char *names;
  const guint8 *cursor;

  frame->headers = (AmqEventHeader *) (void *) (frame + 1);
  frame->n_headers = n_headers;
  body = (guint8 *) (frame->headers + n_headers);
  memcpy (body, data + AMQ_FRAME_PRELUDE_LENGTH, body_length);
  names = (char *) body + body_length;
  cursor = body;
  for (guint i = 0; i < n_headers; i++)
    {
      AmqEventHeader *h = &frame->headers[i];
      WireHeader wire;
      gboolean valid = read_header (&cursor, body + headers_length, i, &wire, NULL);

      g_assert (valid);  /* scan_headers has checked them */
      memcpy (names, wire.name, wire.name_length);
      names[wire.name_length] = '\0';
      h->name = names;
      names += wire.name_length + 1;
      h->type = wire.type;
      h->integer = integer_value (wire.type, wire.value);
      h->data = wire.value;
      h->length = wire.value_length;
    }
  frame->payload = body + headers_length;
  frame->payload_length = body_length - headers_length;
  return frame;
}

AmqFrameDecodeResult
amq_event_frame_decode (const guint8   *data,
                        gsize           length,
                        AmqEventFrame **frame,
                        gsize          *needed,
                        GError        **error)
{
  guint32 total, headers_length, prelude_crc, message_crc;
  guint n_headers;
  gsize names_size;

  g_return_val_if_fail (data != NULL || length == 0, AMQ_FRAME_DECODE_ERROR);
  g_return_val_if_fail (frame != NULL && needed != NULL, AMQ_FRAME_DECODE_ERROR);

  *frame = NULL;
  if (length < AMQ_FRAME_PRELUDE_LENGTH)
    {
      *needed = AMQ_FRAME_PRELUDE_LENGTH;
      return AMQ_FRAME_DECODE_NEED_MORE;
    }
  total = read_u32 (data);
  headers_length = read_u32 (data + 4);
  prelude_crc = read_u32 (data + 8);
  if (crc32_of (data, 8) != prelude_crc)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_PRELUDE_CRC,
                   "event-stream prelude CRC mismatch");
      return AMQ_FRAME_DECODE_ERROR;
    }
  if (total < AMQ_FRAME_MIN_LENGTH || total > AMQ_FRAME_MAX_LENGTH)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_LENGTH,
                   "event-stream frame length %u out of range", total);
      return AMQ_FRAME_DECODE_ERROR;
    }
  if (headers_length > total - AMQ_FRAME_MIN_LENGTH)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADERS_BOUNDS,
                   "event-stream header block (%u bytes) exceeds the frame", headers_length);
      return AMQ_FRAME_DECODE_ERROR;
    }
  *needed = total;
  if (length < total)
    return AMQ_FRAME_DECODE_NEED_MORE;

  /* the whole frame is intact before any of its lengths inside is believed */
  message_crc = read_u32 (data + total - 4);
  if (crc32_of (data, total - 4) != message_crc)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_MESSAGE_CRC,
                   "event-stream message CRC mismatch");
      return AMQ_FRAME_DECODE_ERROR;
    }
  if (!scan_headers (data + AMQ_FRAME_PRELUDE_LENGTH, data + AMQ_FRAME_PRELUDE_LENGTH + headers_length,
                     &n_headers, &names_size, error))
    return AMQ_FRAME_DECODE_ERROR;
  *frame = frame_new (data, total, headers_length, n_headers, names_size);
  return AMQ_FRAME_DECODE_OK;
}

const AmqEventHeader *
amq_event_frame_get_header (const AmqEventFrame *frame,
                            const char          *name)
{
  g_return_val_if_fail (frame != NULL && name != NULL, NULL);

  for (guint i = 0; i < frame->n_headers; i++)
    if (strcmp (frame->headers[i].name, name) == 0)
      return &frame->headers[i];
  return NULL;
}

char *
amq_event_frame_dup_string (const AmqEventFrame *frame,
                            const char          *name)
{
  const AmqEventHeader *h;

  g_return_val_if_fail (frame != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  h = amq_event_frame_get_header (frame, name);
  if (h == NULL || h->type != AMQ_HEADER_STRING)
    return NULL;
  return g_strndup ((const char *) h->data, h->length);
}

gboolean
amq_event_frame_has_string (const AmqEventFrame *frame,
                            const char          *name,
                            const char          *value)
{
  const AmqEventHeader *h;

  g_return_val_if_fail (frame != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  h = amq_event_frame_get_header (frame, name);
  return h != NULL && h->type == AMQ_HEADER_STRING &&
         h->length == strlen (value) && memcmp (h->data, value, h->length) == 0;
}

void
amq_event_frame_free (AmqEventFrame *frame)
{
  g_free (frame);  /* one block, see frame_new () */
}

GBytes *
amq_event_frame_encode (const char * const *string_headers,
                        const guint8       *payload,
                        gsize               payload_length)
{
  GByteArray *out;
  guint8 prelude[AMQ_FRAME_PRELUDE_LENGTH];
  guint8 crc[4];
  gsize headers_length;

  g_return_val_if_fail (payload != NULL || payload_length == 0, NULL);

  out = g_byte_array_new ();
  g_byte_array_set_size (out, AMQ_FRAME_PRELUDE_LENGTH);
  for (guint i = 0; string_headers != NULL && string_headers[i] != NULL; i += 2)
    {
      const char *name = string_headers[i];
      const char *value = string_headers[i + 1];
      guint8 name_len = (guint8) strlen (name);
      gsize value_len = strlen (value);
      guint8 type_and_len[3] = { AMQ_HEADER_STRING, value_len >> 8, value_len & 0xff };

      g_byte_array_append (out, &name_len, 1);
      g_byte_array_append (out, (const guint8 *) name, name_len);
      g_byte_array_append (out, type_and_len, 3);
      g_byte_array_append (out, (const guint8 *) value, value_len);
    }
  headers_length = out->len - AMQ_FRAME_PRELUDE_LENGTH;
  g_byte_array_append (out, payload, payload_length);
  write_u32 (prelude, out->len + 4);
  write_u32 (prelude + 4, headers_length);
  write_u32 (prelude + 8, crc32_of (prelude, 8));
  memcpy (out->data, prelude, AMQ_FRAME_PRELUDE_LENGTH);
  write_u32 (crc, crc32_of (out->data, out->len));
  g_byte_array_append (out, crc, 4);
  return g_byte_array_free_to_bytes (out);
}
