/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-state.c */
#include "config.h"

#include "amq-token-state.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-json.h"

char *
amq_token_state_default_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "amq2api", "credentials.json", NULL);
}

/* The seed itself is never written: a hash tells it again. */
static char *
seed_key (const char *seed)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, seed, -1);
}

static JsonObject *
read_successors (const char *path, JsonParser *parser)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *root;
  JsonNode *successors;

  if (!g_file_get_contents (path, &text, &length, NULL))
    return NULL;
  root = amq_json_parse_object (parser, text, length);
  explicit_bzero (text, length);
  successors = root ? json_object_get_member (root, "successors") : NULL;
  return successors && JSON_NODE_HOLDS_OBJECT (successors) ? json_node_get_object (successors) : NULL;
}

char *
amq_token_state_lookup_successor (const char *path, const char *seed)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *key = NULL;
  JsonObject *successors;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (seed != NULL, NULL);

  successors = read_successors (path, parser);
  if (successors == NULL)
    return NULL;
  key = seed_key (seed);
  return g_strdup (amq_json_get_string (successors, key));
}

gboolean
amq_token_state_record_successor (const char *path, const char *seed, const char *successor, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *key = NULL;
  g_autofree char *text = NULL;
  JsonObject *successors;
  gboolean written;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (seed != NULL && successor != NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  key = seed_key (seed);
  successors = read_successors (path, parser);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "successors");
  json_builder_begin_object (builder);
  if (successors != NULL)
    {
      g_autoptr(GList) names = json_object_get_members (successors);

      for (GList *l = names; l != NULL; l = l->next)
        if (!g_str_equal (l->data, key) && amq_json_get_string (successors, l->data) != NULL)
          {
            json_builder_set_member_name (builder, l->data);
            json_builder_add_string_value (builder, amq_json_get_string (successors, l->data));
          }
    }
  json_builder_set_member_name (builder, key);
  json_builder_add_string_value (builder, successor);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, FALSE);
  /* a temporary file, fsync, rename: the old file or the new one, never half of either */
  written = g_file_set_contents_full (path, text, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
  explicit_bzero (text, strlen (text));
  return written;
}
