/* amq-token-estimator.c */
#include "amq-token-estimator.h"

#include <string.h>

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
    {
      if (*p < 0x80)
        units += 1;
      else if (*p >= 0xf0)
        units += 3;
      else if (*p >= 0xe0)
        units += 3;
      else if (*p >= 0xc0)
        units += 2;
      /* continuation bytes count nothing: their lead byte counted the character */
    }
  return units;
}

guint64
amq_tokens_from_units (guint64 units)
{
  return (units + 3) / 4;
}

guint64
amq_estimate_tokens (const char *text,
                     gssize      length)
{
  return amq_tokens_from_units (amq_token_units_of (text, length));
}
