/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-frame.c: arbitrary bytes through the frame decoder, as the reader feeds it */
#include "config.h"

#include <glib.h>

#include "amq-event-frame.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  gsize offset = 0;

  while (offset < size)
    {
      g_autoptr(AmqEventFrame) frame = NULL;
      g_autoptr(GError) error = NULL;
      gsize needed = 0;
      AmqFrameDecodeResult result = amq_event_frame_decode (data + offset, size - offset, &frame, &needed, &error);

      if (result != AMQ_FRAME_DECODE_OK)
        {
          /* NEED_MORE must ask for more than it has, and never for an absurd amount */
          g_assert (result == AMQ_FRAME_DECODE_ERROR || needed > size - offset);
          g_assert (needed <= AMQ_FRAME_MAX_LENGTH);
          break;
        }
      g_assert (needed >= AMQ_FRAME_MIN_LENGTH && needed <= size - offset);
      g_assert (frame->n_headers <= AMQ_FRAME_MAX_HEADERS);
      for (guint i = 0; i < frame->n_headers; i++)
        {
          g_autofree char *value = amq_event_frame_dup_string (frame, frame->headers[i].name);

          g_assert (value == NULL || frame->headers[i].type == AMQ_HEADER_STRING);
          g_assert (frame->headers[i].length <= AMQ_FRAME_MAX_HEADER_VALUE);
        }
      offset += needed;
    }
  return 0;
}
