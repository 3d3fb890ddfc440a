/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin-json.c
 *
 * Kiro IDE keeps its sign-in in ~/.aws/sso/cache/kiro-auth-token.json: {accessToken,
 * refreshToken, expiresAt, authMethod ("social" or "IdC"), provider, profileArn?, region?,
 * clientIdHash?}; for IdC the client registration is {clientIdHash}.json beside it:
 * {clientId, clientSecret, expiresAt}. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-json.h"
#include "amq-signin-source-private.h"

static JsonObject *
read_object (const char *path, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *object;

  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  object = amq_json_parse_object (parser, text, length);
  explicit_bzero (text, length);
  if (object == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a JSON object", path);
      return NULL;
    }
  return json_object_ref (object);
}

static void
add_registration (AmqCredentialSet *set, const char *path, const char *hash)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_strconcat (hash, ".json", NULL);
  g_autofree char *registration_path = NULL;
  g_autoptr(JsonObject) registration = NULL;

  /* a hash names a file beside this one, never a path elsewhere */
  if (strchr (hash, '/') != NULL || hash[0] == '.')
    return;
  registration_path = g_build_filename (dir, name, NULL);
  registration = read_object (registration_path, NULL);
  if (registration == NULL)
    return;
  set->client_id = g_strdup (amq_json_get_string (registration, "clientId"));
  set->client_secret = g_strdup (amq_json_get_string (registration, "clientSecret"));
}

AmqCredentialSet *
amq_signin_json_read (const char *path, GError **error)
{
  g_autoptr(GError) read_error = NULL;
  g_autoptr(JsonObject) token = NULL;
  const char *method;
  const char *provider;
  AmqCredentialSet *set;

  g_assert (path != NULL);

  token = read_object (path, &read_error);
  if (token == NULL || amq_json_get_string (token, "refreshToken") == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no sign-in in %s: sign in with Kiro first%s%s", path,
                   read_error ? " — " : "", read_error ? read_error->message : "");
      return NULL;
    }
  method = amq_json_get_string (token, "authMethod");
  provider = amq_json_get_string (token, "provider");
  set = amq_credential_set_new ();
  if (g_strcmp0 (method, "social") == 0)
    set->kind = AMQ_CREDENTIAL_SOCIAL;
  else
    set->kind = g_strcmp0 (provider, "BuilderId") == 0 ? AMQ_CREDENTIAL_BUILDER_ID : AMQ_CREDENTIAL_IDENTITY_CENTER;
  set->refresh_token = g_strdup (amq_json_get_string (token, "refreshToken"));
  set->access_token = g_strdup (amq_json_get_string (token, "accessToken"));
  set->expires_at = amq_signin_parse_time (amq_json_get_string (token, "expiresAt"));
  set->profile_arn = g_strdup (amq_json_get_string (token, "profileArn"));
  set->region = g_strdup (amq_json_get_string (token, "region"));
  set->client_id = g_strdup (amq_json_get_string (token, "clientId"));
  set->client_secret = g_strdup (amq_json_get_string (token, "clientSecret"));
  if (set->client_id == NULL && amq_json_get_string (token, "clientIdHash") != NULL)
    add_registration (set, path, amq_json_get_string (token, "clientIdHash"));
  return set;
}

static guint
file_mode (const char *path)
{
  GStatBuf info;

  return g_stat (path, &info) == 0 ? info.st_mode & 0777 : 0600;
}

gboolean
amq_signin_json_write (const char *path, const char *previous, const AmqCredentialSet *tokens, GError **error)
{
  g_autoptr(JsonObject) token = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  g_autofree char *expires = NULL;
  const char *stored;
  gboolean written;

  g_assert (path != NULL && tokens != NULL);

  token = read_object (path, error);
  if (token == NULL)
    return FALSE;
  stored = amq_json_get_string (token, "refreshToken");
  if (g_strcmp0 (stored, previous) != 0 && g_strcmp0 (stored, tokens->refresh_token) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s holds another sign-in now; it was left as it is", path);
      return FALSE;
    }
  json_object_set_string_member (token, "refreshToken", tokens->refresh_token);
  if (tokens->access_token != NULL)
    json_object_set_string_member (token, "accessToken", tokens->access_token);
  if (tokens->expires_at > 0)
    {
      expires = amq_signin_format_time (tokens->expires_at);
      json_object_set_string_member (token, "expiresAt", expires);
    }
  node = json_node_init_object (json_node_alloc (), token);
  generator = json_generator_new ();
  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  /* a temporary file, fsync, rename: Kiro reads the old file or the new one, never half */
  written = g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                      file_mode (path), error);
  explicit_bzero (text, strlen (text));
  return written;
}
