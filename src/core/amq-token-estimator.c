/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-estimator.c: units by character class, and the prefix a budget of them holds */
#include "config.h"

#include "amq-token-estimator.h"

#include <string.h>

guint64
amq_token_units_of (const char *text,
                    gssize      length)
{
  const guchar *p = (const guchar *) text;
  const guchar *end;
  guint64 units = 0;

  g_return_val_if_fail (text != NULL || length == 0, 0);

  if (length < 0)
    length = strlen (text);
  end = p + length;
  for (; p < end; p++)
    {
      if (*p < 0x80)
        units += g_ascii_isalnum (*p) || g_ascii_isspace (*p) ? 3 : 7;
      else if (*p >= 0xe0)
        units += 11;
      else if (*p >= 0xc0)
        units += 8;
      /* continuation bytes count nothing: their lead byte counted the character */
    }
  return units;
}

gsize
amq_token_prefix_within (const char *text,
                         gsize       length,
                         guint64     units)
{
  guint64 used = 0;
  gsize n;

  g_return_val_if_fail (text != NULL || length == 0, 0);

  /* byte by byte: a character counts at its first byte, so the cut falls between characters */
  for (n = 0; n < length; n++)
    {
      used += amq_token_units_of (text + n, 1);
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
