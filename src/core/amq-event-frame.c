/* amq-event-frame.c: strict event-stream frame codec (checks in the order of PROTOCOL.md §3) */
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

static gboolean
parse_headers (const guint8    *p,
               const guint8    *end,
               GArray          *headers,
               GError         **error)
{
  while (p < end)
    {
      AmqEventHeader h = { 0 };
      guint name_len = *p++;
      gssize size;

      if (name_len == 0 || (gsize) (end - p) < name_len + 1u)
        {
          g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_BAD_HEADER,
                       "header name runs past the header block");
          return FALSE;
        }
      h.name = g_strndup ((const char *) p, name_len);
      p += name_len;
      if (*p > AMQ_HEADER_UUID)
        {
          g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_HEADER_TYPE,
                       "unknown header type %u for header '%s'", *p, h.name);
          g_free (h.name);
          return FALSE;
        }
      h.type = (AmqHeaderType) *p++;
      size = header_value_size (h.type);
      if (size < 0)
        {
          if (end - p < 2)
            goto overrun;
          size = (p[0] << 8) | p[1];
          p += 2;
        }
      if (end - p < size)
        goto overrun;
      h.data = p;
      h.length = size;
      switch (h.type)
        {
        case AMQ_HEADER_TRUE:      h.integer = 1; break;
        case AMQ_HEADER_FALSE:     h.integer = 0; break;
        case AMQ_HEADER_BYTE:      h.integer = (gint8) p[0]; break;
        case AMQ_HEADER_SHORT:     h.integer = (gint16) ((p[0] << 8) | p[1]); break;
        case AMQ_HEADER_INT:       h.integer = (gint32) read_u32 (p); break;
        case AMQ_HEADER_LONG:
        case AMQ_HEADER_TIMESTAMP: h.integer = (gint64) read_u64 (p); break;
        case AMQ_HEADER_BYTES:
        case AMQ_HEADER_STRING:
        case AMQ_HEADER_UUID:
        default:                   break;
        }
      p += size;
      g_array_append_val (headers, h);
      continue;

    overrun:
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_BAD_HEADER,
                   "value of header '%s' runs past the header block", h.name);
      g_free (h.name);
      return FALSE;
    }
  return TRUE;
}

static void
clear_header (gpointer header)
{
  g_free (((AmqEventHeader *) header)->name);
}

AmqFrameDecodeResult
amq_event_frame_decode (const guint8   *data,
                        gsize           length,
                        AmqEventFrame **frame,
                        gsize          *needed,
                        GError        **error)
{
  guint32 total, headers_length, prelude_crc, message_crc;
  g_autoptr(GArray) headers = NULL;
  AmqEventFrame *result;

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

  headers = g_array_new (FALSE, FALSE, sizeof (AmqEventHeader));
  g_array_set_clear_func (headers, clear_header);
  if (!parse_headers (data + AMQ_FRAME_PRELUDE_LENGTH,
                      data + AMQ_FRAME_PRELUDE_LENGTH + headers_length, headers, error))
    return AMQ_FRAME_DECODE_ERROR;
  message_crc = read_u32 (data + total - 4);
  if (crc32_of (data, total - 4) != message_crc)
    {
      g_set_error (error, AMQ_FRAME_ERROR, AMQ_FRAME_ERROR_MESSAGE_CRC,
                   "event-stream message CRC mismatch");
      return AMQ_FRAME_DECODE_ERROR;
    }

  /* Re-point header values into our own copy of the frame. */
  result = g_new0 (AmqEventFrame, 1);
  result->raw = g_bytes_new (data, total);
  {
    const guint8 *base = g_bytes_get_data (result->raw, NULL);

    result->n_headers = headers->len;
    result->headers = (AmqEventHeader *) (void *) g_array_free (g_steal_pointer (&headers), FALSE);
    for (guint i = 0; i < result->n_headers; i++)
      result->headers[i].data = base + (result->headers[i].data - data);
    result->payload = base + AMQ_FRAME_PRELUDE_LENGTH + headers_length;
    result->payload_length = total - headers_length - AMQ_FRAME_MIN_LENGTH;
  }
  *frame = result;
  return AMQ_FRAME_DECODE_OK;
}

const AmqEventHeader *
amq_event_frame_get_header (const AmqEventFrame *frame,
                            const char          *name)
{
  for (guint i = 0; i < frame->n_headers; i++)
    if (strcmp (frame->headers[i].name, name) == 0)
      return &frame->headers[i];
  return NULL;
}

char *
amq_event_frame_dup_string (const AmqEventFrame *frame,
                            const char          *name)
{
  const AmqEventHeader *h = amq_event_frame_get_header (frame, name);

  if (h == NULL || h->type != AMQ_HEADER_STRING)
    return NULL;
  return g_strndup ((const char *) h->data, h->length);
}

gboolean
amq_event_frame_has_string (const AmqEventFrame *frame,
                            const char          *name,
                            const char          *value)
{
  const AmqEventHeader *h = amq_event_frame_get_header (frame, name);

  return h != NULL && h->type == AMQ_HEADER_STRING &&
         h->length == strlen (value) && memcmp (h->data, value, h->length) == 0;
}

void
amq_event_frame_free (AmqEventFrame *frame)
{
  if (frame == NULL)
    return;
  for (guint i = 0; i < frame->n_headers; i++)
    g_free (frame->headers[i].name);
  g_free (frame->headers);
  g_bytes_unref (frame->raw);
  g_free (frame);
}

GBytes *
amq_event_frame_encode (const char * const *string_headers,
                        const guint8       *payload,
                        gsize               payload_length)
{
  GByteArray *out = g_byte_array_new ();
  guint8 prelude[AMQ_FRAME_PRELUDE_LENGTH];
  guint8 crc[4];
  gsize headers_length;

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
