/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-estimator.c: units by character class, and the prefix a budget of them holds */
#include "config.h"

#include "amq-token-estimator.h"

#include <string.h>

/* A character's units, counted at its first byte; continuation bytes count nothing. */
static inline guint
units_of_byte (guchar byte)
{
  if (byte < 0x80)
    return g_ascii_isalnum (byte) || g_ascii_isspace (byte) ? 3 : 7;
  if (byte >= 0xe0)
    return 11;
  if (byte >= 0xc0)
    return 8;
  return 0;
}

guint64
amq_token_units_of (const char *text,
                    gssize      length)
{
  const guchar *p = (const guchar *) text;
  const guchar *end;
  guint64 units = 0;

  if (length < 0)
    length = strlen (text);
  end = p + length;
  for (; p < end; p++)
    units += units_of_byte (*p);
  return units;
}

gsize
amq_token_prefix_within (const char *text,
                         gsize       length,
                         guint64     units)
{
  const guchar *p = (const guchar *) text;
  guint64 used = 0;
  gsize n;

  for (n = 0; n < length; n++)
    {
      used += units_of_byte (p[n]);
      if (used > units)
        break;
    }
  return n;
}

guint64
amq_tokens_from_units (guint64 units)
{
  return (units + AMQ_UNITS_PER_TOKEN - 1) / AMQ_UNITS_PER_TOKEN;
}
