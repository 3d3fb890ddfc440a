/* amq-json.c */
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

gboolean
amq_json_check_text (const char *data,
                     gsize       length,
                     guint       max_depth,
                     GError    **error)
{
  gboolean in_string = FALSE;
  gboolean closed = FALSE;  /* the top-level object or array has ended */
  guint depth = 0;

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

JsonObject *
amq_json_parse_object (JsonParser *parser,
                       const char *data,
                       gssize      length)
{
  JsonNode *root;

  if (length < 0 && data != NULL)
    length = strlen (data);
  if (data == NULL || !amq_json_check_text (data, length, AMQ_JSON_MAX_DEPTH, NULL) ||
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
  JsonNode *node = value_member (object, member, G_TYPE_STRING);

  return node ? json_node_get_string (node) : NULL;
}

gint64
amq_json_get_int (JsonObject *object, const char *member, gint64 default_value)
{
  JsonNode *node = value_member (object, member, G_TYPE_INT64);

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
  JsonNode *node = value_member (object, member, G_TYPE_BOOLEAN);

  return node ? json_node_get_boolean (node) : default_value;
}
