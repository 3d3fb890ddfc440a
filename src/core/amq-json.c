/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-json.c */
#include "config.h"

#include "amq-json.h"

#include <gio/gio.h>

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

  g_return_if_fail (out != NULL);
  g_return_if_fail (text != NULL || len == 0);

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
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_string_sized_new (strlen (text) + 2);
  amq_json_append_string (out, text, -1);
  return g_string_free (out, FALSE);
}

gboolean
amq_json_check_text (const char *data,
                     gsize       length,
                     guint       max_depth,
                     GError    **error)
{
  gboolean in_string = FALSE;
  gboolean closed = FALSE;  /* the top-level object or array has ended */
  guint depth = 0;

  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        continue;
      if (closed)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "text after the end of the JSON value (byte %" G_GSIZE_FORMAT ")", i);
          return FALSE;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > max_depth)
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "JSON nests deeper than %u levels", max_depth);
              return FALSE;
            }
        }
      else if ((c == '}' || c == ']') && depth > 0)
        closed = --depth == 0;
    }
  return TRUE;
}

/* The four hex digits at @p as a code point, or -1. */
static gint
hex4 (const char *p)
{
  gint value = 0;

  for (guint i = 0; i < 4; i++)
    {
      gint digit = g_ascii_xdigit_value (p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }
  return value;
}

/* A JSON string at *@p (just past its opening quote) into @out; *@p ends past the closing
 * quote. FALSE for what json-glib should judge: control characters, NUL, lone surrogates. */
static gboolean
read_flat_string (const char **p, const char *end, GString *out)
{
  const char *run = *p;
  const char *q = *p;

  g_string_truncate (out, 0);
  while (q < end && *q != '"')
    {
      gint code, low;

      if ((guchar) *q < 0x20)
        return FALSE;
      if (*q != '\\')
        {
          q++;
          continue;
        }
      g_string_append_len (out, run, q - run);
      if (++q >= end)
        return FALSE;
      switch (*q)
        {
        case '"': case '\\': case '/': g_string_append_c (out, *q); break;
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          code = end - q > 4 ? hex4 (q + 1) : -1;
          if (code <= 0 || (code >= 0xdc00 && code <= 0xdfff))
            return FALSE;
          q += 4;
          if (code >= 0xd800 && code <= 0xdbff)
            {
              low = end - q > 6 && q[1] == '\\' && q[2] == 'u' ? hex4 (q + 3) : -1;
              if (low < 0xdc00 || low > 0xdfff)
                return FALSE;
              code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
              q += 6;
            }
          g_string_append_unichar (out, code);
          break;
        default:
          return FALSE;
        }
      run = ++q;
    }
  if (q >= end)
    return FALSE;
  g_string_append_len (out, run, q - run);
  *p = q + 1;
  return TRUE;
}

static const char *
skip_blanks (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* Amazon Q's events are nearly all flat objects of strings and booleans, and json-glib's
 * scanner cost more than the rest of the translation together: such objects are read here.
 * NULL for any other text, valid or not, which json-glib then reads. */
static JsonObject *
parse_flat_object (const char *data, gsize length)
{
  const char *p = data, *end = data + length;
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(GString) name = g_string_new (NULL);
  g_autoptr(GString) value = g_string_new (NULL);

  if (!g_utf8_validate_len (data, length, NULL))
    return NULL;
  p = skip_blanks (p, end);
  if (p == end || *p++ != '{')
    return NULL;
  p = skip_blanks (p, end);
  if (p < end && *p == '}')
    p++;
  else
    for (;;)
      {
        if (p == end || *p++ != '"' || !read_flat_string (&p, end, name))
          return NULL;
        p = skip_blanks (p, end);
        if (p == end || *p++ != ':')
          return NULL;
        p = skip_blanks (p, end);
        if (p < end && *p == '"')
          {
            p++;
            if (!read_flat_string (&p, end, value))
              return NULL;
            json_object_set_string_member (object, name->str, value->str);
          }
        else if (end - p >= 4 && memcmp (p, "true", 4) == 0)
          {
            json_object_set_boolean_member (object, name->str, TRUE);
            p += 4;
          }
        else if (end - p >= 5 && memcmp (p, "false", 5) == 0)
          {
            json_object_set_boolean_member (object, name->str, FALSE);
            p += 5;
          }
        else
          return NULL;
        p = skip_blanks (p, end);
        if (p < end && *p == ',')
          {
            p = skip_blanks (p + 1, end);
            continue;
          }
        if (p == end || *p++ != '}')
          return NULL;
        break;
      }
  return skip_blanks (p, end) == end ? g_steal_pointer (&object) : NULL;
}

JsonObject *
amq_json_parse_object (JsonParser *parser,
                       const char *data,
                       gssize      length)
{
  JsonObject *flat;
  JsonNode *root;

  g_return_val_if_fail (JSON_IS_PARSER (parser), NULL);

  if (length < 0 && data != NULL)
    length = strlen (data);
  if (data == NULL)
    return NULL;
  if ((flat = parse_flat_object (data, length)) != NULL)
    {
      /* owned by the parser like the roots it reads, until its next text */
      g_object_set_data_full (G_OBJECT (parser), "amq-flat-object", flat, (GDestroyNotify) json_object_unref);
      return flat;
    }
  if (!amq_json_check_text (data, length, AMQ_JSON_MAX_DEPTH, NULL) ||
      !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;
  /* blank text parses, with no root */
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
}

static JsonNode *
value_member (JsonObject *object, const char *member, GType type)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
amq_json_get_string (JsonObject *object, const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (member != NULL, NULL);

  node = value_member (object, member, G_TYPE_STRING);
  return node ? json_node_get_string (node) : NULL;
}

gint64
amq_json_get_int (JsonObject *object, const char *member, gint64 default_value)
{
  JsonNode *node;

  g_return_val_if_fail (member != NULL, default_value);

  node = value_member (object, member, G_TYPE_INT64);
  if (node == NULL)
    node = value_member (object, member, G_TYPE_DOUBLE);
  if (node == NULL)
    return default_value;
  return json_node_get_value_type (node) == G_TYPE_INT64 ? json_node_get_int (node)
                                                         : (gint64) json_node_get_double (node);
}

gboolean
amq_json_get_bool (JsonObject *object, const char *member, gboolean default_value)
{
  JsonNode *node;

  g_return_val_if_fail (member != NULL, default_value);

  node = value_member (object, member, G_TYPE_BOOLEAN);
  return node ? json_node_get_boolean (node) : default_value;
}
