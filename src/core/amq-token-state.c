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

/* The file's object, or a new empty one. */
static JsonObject *
read_root (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *root = NULL;

  if (g_file_get_contents (path, &text, &length, NULL))
    {
      root = amq_json_parse_object (parser, text, length);
      explicit_bzero (text, length);
    }
  return root ? json_object_ref (root) : json_object_new ();
}

static JsonObject *
member_object (JsonObject *root, const char *name)
{
  JsonNode *node = json_object_get_member (root, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      json_object_set_object_member (root, name, json_object_new ());
      node = json_object_get_member (root, name);
    }
  return json_node_get_object (node);
}

static gboolean
write_root (const char *path, JsonObject *root, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), root);
  g_autofree char *text = NULL;
  gboolean written;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot create %s: %s", dir,
                   g_strerror (saved));
      return FALSE;
    }
  text = json_to_string (node, FALSE);
  /* a temporary file, fsync, rename: the old file or the new one, never half of either */
  written = g_file_set_contents_full (path, text, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
  explicit_bzero (text, strlen (text));
  return written;
}

char *
amq_token_state_lookup_successor (const char *path, const char *seed)
{
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (seed != NULL, NULL);

  root = read_root (path);
  key = seed_key (seed);
  return g_strdup (amq_json_get_string (member_object (root, "successors"), key));
}

gboolean
amq_token_state_record_successor (const char *path, const char *seed, const char *successor, GError **error)
{
  g_autoptr(JsonObject) root = NULL;
  g_autofree char *key = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (seed != NULL && successor != NULL, FALSE);

  root = read_root (path);
  key = seed_key (seed);
  json_object_set_string_member (member_object (root, "successors"), key, successor);
  return write_root (path, root, error);
}

AmqCredentialSet *
amq_token_state_read_login (const char *path)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *login;
  AmqCredentialSet *set;

  g_return_val_if_fail (path != NULL, NULL);

  root = read_root (path);
  login = member_object (root, "login");
  if (amq_json_get_string (login, "refreshToken") == NULL)
    return NULL;
  set = amq_credential_set_new ();
  amq_credential_kind_from_string (amq_json_get_string (login, "kind"), &set->kind);
  set->refresh_token = g_strdup (amq_json_get_string (login, "refreshToken"));
  set->client_id = g_strdup (amq_json_get_string (login, "clientId"));
  set->client_secret = g_strdup (amq_json_get_string (login, "clientSecret"));
  set->region = g_strdup (amq_json_get_string (login, "region"));
  set->profile_arn = g_strdup (amq_json_get_string (login, "profileArn"));
  return set;
}

static void
set_optional (JsonObject *object, const char *name, const char *value)
{
  if (value != NULL)
    json_object_set_string_member (object, name, value);
}

gboolean
amq_token_state_write_login (const char *path, const AmqCredentialSet *set, GError **error)
{
  g_autoptr(JsonObject) root = NULL;
  JsonObject *login = json_object_new ();

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (set != NULL && set->refresh_token != NULL, FALSE);

  root = read_root (path);
  json_object_set_string_member (login, "kind", amq_credential_kind_to_string (set->kind));
  json_object_set_string_member (login, "refreshToken", set->refresh_token);
  set_optional (login, "clientId", set->client_id);
  set_optional (login, "clientSecret", set->client_secret);
  set_optional (login, "region", set->region);
  set_optional (login, "profileArn", set->profile_arn);
  json_object_set_object_member (root, "login", login);
  return write_root (path, root, error);
}
