/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-fields.c: shape checks worded as the Messages validation words them, so every error reads alike; text and image parts as blocks */
#include "config.h"

#include "amq-openai-fields.h"

#include <string.h>

#include "amq-error.h"

gboolean
amq_openai_expect (JsonNode        *node,
                   AmqOpenaiShape   shape,
                   const char      *path,
                   GError         **error)
{
  static const char * const wanted[] = {
    [AMQ_OPENAI_OBJECT] = "an object",
    [AMQ_OPENAI_ARRAY] = "a valid list",
    [AMQ_OPENAI_STRING] = "a valid string",
  };
  gboolean ok;

  g_return_val_if_fail (path != NULL, FALSE);
  if (node == NULL)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "%s: Field required", path);
      return FALSE;
    }
  switch (shape)
    {
    case AMQ_OPENAI_OBJECT: ok = JSON_NODE_HOLDS_OBJECT (node); break;
    case AMQ_OPENAI_ARRAY:  ok = JSON_NODE_HOLDS_ARRAY (node); break;
    case AMQ_OPENAI_STRING:
    default:                ok = JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING; break;
    }
  if (!ok)
    g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "%s: Input should be %s", path, wanted[shape]);
  return ok;
}

JsonNode *
amq_openai_member (JsonObject      *object,
                   const char      *name,
                   const char      *path,
                   AmqOpenaiShape   shape,
                   GError         **error)
{
  g_autofree char *member_path = NULL;
  JsonNode *node;

  g_return_val_if_fail (object != NULL && name != NULL && path != NULL, NULL);

  member_path = g_strdup_printf ("%s.%s", path, name);
  node = json_object_get_member (object, name);
  return amq_openai_expect (node, shape, member_path, error) ? node : NULL;
}

const char *
amq_openai_tagged_object (JsonNode     *node,
                          const char   *name,
                          const char   *path,
                          JsonObject  **object,
                          GError      **error)
{
  JsonNode *tag;

  g_return_val_if_fail (name != NULL && path != NULL && object != NULL, NULL);

  if (!amq_openai_expect (node, AMQ_OPENAI_OBJECT, path, error))
    return NULL;
  *object = json_node_get_object (node);
  tag = amq_openai_member (*object, name, path, AMQ_OPENAI_STRING, error);
  return tag != NULL ? json_node_get_string (tag) : NULL;
}

JsonObject *
amq_openai_text_block (JsonNode *text)
{
  JsonObject *block;

  g_return_val_if_fail (text != NULL, NULL);
  block = json_object_new ();
  json_object_set_string_member (block, "type", "text");
  json_object_set_member (block, "text", json_node_ref (text));
  return block;
}

JsonObject *
amq_openai_image_block (JsonNode    *url,
                        const char  *path,
                        GError     **error)
{
  g_autofree char *media_type = NULL;
  const char *text, *comma, *semicolon;
  JsonObject *source, *block;

  g_return_val_if_fail (path != NULL, NULL);

  if (!amq_openai_expect (url, AMQ_OPENAI_STRING, path, error))
    return NULL;
  text = json_node_get_string (url);
  if (g_str_has_prefix (text, "http://") || g_str_has_prefix (text, "https://"))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "%s: remote image URLs are not supported (Amazon Q cannot fetch them); send the image "
                   "inline as a data URL (data:image/png;base64,...)", path);
      return NULL;
    }
  comma = strchr (text, ',');
  if (!g_str_has_prefix (text, "data:") || comma == NULL || comma - text < 12 ||
      strncmp (comma - 7, ";base64", 7) != 0)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   "%s: Input should be a base64 data URL (data:image/png;base64,...)", path);
      return NULL;
    }
  semicolon = strchr (text, ';');
  media_type = g_strndup (text + 5, semicolon - text - 5);
  source = json_object_new ();
  json_object_set_string_member (source, "type", "base64");
  json_object_set_string_member (source, "media_type", media_type);
  json_object_set_string_member (source, "data", comma + 1);
  block = json_object_new ();
  json_object_set_string_member (block, "type", "image");
  json_object_set_object_member (block, "source", source);
  return block;
}
