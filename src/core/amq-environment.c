/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-environment.c */
#include "config.h"

#include "amq-environment.h"

#include <glib/gstdio.h>
#include <string.h>

struct _AmqEnvironment
{
  GObject     parent_instance;
  GHashTable *dotenv;   /* name -> value */
};

G_DEFINE_FINAL_TYPE (AmqEnvironment, amq_environment, G_TYPE_OBJECT)

/* A .env may hold a refresh token: others on the machine should not read it. */
static void
warn_if_readable_by_others (const char *path)
{
  GStatBuf info;

  if (g_stat (path, &info) == 0 && (info.st_mode & 0044) != 0)
    g_message ("%s can be read by other users of this machine and may hold your refresh token: chmod 600 %s",
               path, path);
}

/* KEY=VALUE lines; "export " before a key and quotes around a value are dropped; # starts a
 * comment line. */
static void
read_dotenv (GHashTable *values, const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return;
  warn_if_readable_by_others (path);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *eq = strchr (line, '=');
      char *value;
      gsize len;

      if (*line == '#' || eq == NULL)
        continue;
      *eq = '\0';
      if (g_str_has_prefix (line, "export "))
        line += strlen ("export ");
      value = g_strstrip (eq + 1);
      len = strlen (value);
      if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0])
        {
          value[len - 1] = '\0';
          value++;
        }
      g_hash_table_insert (values, g_strdup (g_strstrip (line)), g_strdup (value));
    }
  explicit_bzero (text, strlen (text));
}

const char *
amq_environment_get (AmqEnvironment *self, const char *name)
{
  const char *value;

  g_return_val_if_fail (AMQ_IS_ENVIRONMENT (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  value = g_getenv (name);
  if (value != NULL && *value != '\0')
    return value;
  value = g_hash_table_lookup (self->dotenv, name);
  return value != NULL && *value != '\0' ? value : NULL;
}

gboolean
amq_environment_is_from_dotenv (AmqEnvironment *self, const char *name)
{
  g_return_val_if_fail (AMQ_IS_ENVIRONMENT (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return amq_environment_get (self, name) != NULL && (g_getenv (name) == NULL || *g_getenv (name) == '\0');
}

AmqCredentialSet *
amq_environment_dup_credentials (AmqEnvironment *self)
{
  AmqCredentialSet *set;

  g_return_val_if_fail (AMQ_IS_ENVIRONMENT (self), NULL);

  if (amq_environment_get (self, "AMAZONQ_REFRESH_TOKEN") == NULL &&
      amq_environment_get (self, "AMAZONQ_CLIENT_ID") == NULL &&
      amq_environment_get (self, "AMAZONQ_CLIENT_SECRET") == NULL)
    return NULL;
  set = amq_credential_set_new ();
  set->refresh_token = g_strdup (amq_environment_get (self, "AMAZONQ_REFRESH_TOKEN"));
  set->client_id = g_strdup (amq_environment_get (self, "AMAZONQ_CLIENT_ID"));
  set->client_secret = g_strdup (amq_environment_get (self, "AMAZONQ_CLIENT_SECRET"));
  set->profile_arn = g_strdup (amq_environment_get (self, "AMAZONQ_PROFILE_ARN"));
  set->local_api_key = g_strdup (amq_environment_get (self, "AMQ2API_API_KEY"));
  return set;
}

GProxyResolver *
amq_environment_dup_proxy_resolver (AmqEnvironment *self)
{
  const char *names[] = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
  const char *proxy = NULL;
  const char *no_proxy;
  g_auto(GStrv) ignore = NULL;

  g_return_val_if_fail (AMQ_IS_ENVIRONMENT (self), NULL);

  no_proxy = amq_environment_get (self, "no_proxy") ? amq_environment_get (self, "no_proxy")
                                                     : amq_environment_get (self, "NO_PROXY");
  for (guint i = 0; i < G_N_ELEMENTS (names) && proxy == NULL; i++)
    proxy = amq_environment_get (self, names[i]);
  if (proxy == NULL)
    return NULL;
  ignore = no_proxy ? g_strsplit (no_proxy, ",", -1) : NULL;
  for (guint i = 0; ignore != NULL && ignore[i] != NULL; i++)
    g_strstrip (ignore[i]);
  return g_simple_proxy_resolver_new (proxy, ignore);
}

static void
amq_environment_finalize (GObject *object)
{
  AmqEnvironment *self = AMQ_ENVIRONMENT (object);

  g_hash_table_unref (self->dotenv);
  G_OBJECT_CLASS (amq_environment_parent_class)->finalize (object);
}

static void
amq_environment_class_init (AmqEnvironmentClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_environment_finalize;
}

static void
amq_environment_init (AmqEnvironment *self)
{
  self->dotenv = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

AmqEnvironment *
amq_environment_new (const char *dotenv_path)
{
  AmqEnvironment *self = g_object_new (AMQ_TYPE_ENVIRONMENT, NULL);

  if (dotenv_path != NULL)
    read_dotenv (self->dotenv, dotenv_path);
  return self;
}
