/* amq-json.c */
#include "amq-json.h"

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

JsonObject *
amq_json_parse_object (JsonParser *parser,
                       const char *data,
                       gssize      length)
{
  JsonNode *root;

  if (data == NULL || !json_parser_load_from_data (parser, data, length, NULL))
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
