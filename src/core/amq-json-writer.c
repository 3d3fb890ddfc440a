/* amq-json-writer.c */
#include "amq-json-writer.h"

#include <string.h>

void
amq_json_append_string (GString    *out,
                        const char *text,
                        gssize      len)
{
  static const char hex[] = "0123456789abcdef";
  const guchar *p = (const guchar *) text;
  const guchar *end;
  const guchar *run;

  if (len < 0)
    len = strlen (text);
  end = p + len;
  g_string_append_c (out, '"');
  run = p;
  for (; p < end; p++)
    {
      guchar c = *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, (const char *) run, p - run);
      switch (c)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        default:
          g_string_append (out, "\\u00");
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
          break;
        }
      run = p + 1;
    }
  g_string_append_len (out, (const char *) run, p - run);
  g_string_append_c (out, '"');
}

char *
amq_json_quote (const char *text)
{
  GString *out = g_string_sized_new (strlen (text) + 2);

  amq_json_append_string (out, text, -1);
  return g_string_free (out, FALSE);
}
