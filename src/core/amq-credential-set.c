/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credential-set.c */
#include "config.h"

#include "amq-credential-set.h"

#include <string.h>

void
amq_secret_replace (char **field, const char *value)
{
  g_return_if_fail (field != NULL);

  if (*field != NULL)
    explicit_bzero (*field, strlen (*field));
  g_free (*field);
  *field = g_strdup (value);
}

AmqCredentialSet *
amq_credential_set_new (void)
{
  return g_new0 (AmqCredentialSet, 1);
}

AmqCredentialSet *
amq_credential_set_copy (const AmqCredentialSet *set)
{
  AmqCredentialSet *copy;

  g_return_val_if_fail (set != NULL, NULL);

  copy = amq_credential_set_new ();
  copy->kind = set->kind;
  copy->refresh_token = g_strdup (set->refresh_token);
  copy->client_id = g_strdup (set->client_id);
  copy->client_secret = g_strdup (set->client_secret);
  copy->profile_arn = g_strdup (set->profile_arn);
  copy->region = g_strdup (set->region);
  copy->local_api_key = g_strdup (set->local_api_key);
  copy->access_token = g_strdup (set->access_token);
  copy->expires_at = set->expires_at;
  return copy;
}

void
amq_credential_set_free (AmqCredentialSet *set)
{
  if (set == NULL)
    return;
  amq_secret_replace (&set->refresh_token, NULL);
  amq_secret_replace (&set->client_id, NULL);
  amq_secret_replace (&set->client_secret, NULL);
  g_free (set->profile_arn);
  g_free (set->region);
  amq_secret_replace (&set->local_api_key, NULL);
  amq_secret_replace (&set->access_token, NULL);
  g_free (set);
}

char *
amq_credential_set_missing (const AmqCredentialSet *set, const char * const *names)
{
  const char *values[] = { set->refresh_token, set->client_id, set->client_secret };
  /* Kiro's social sign-in has no client registration */
  guint required = set->kind == AMQ_CREDENTIAL_SOCIAL ? 1 : G_N_ELEMENTS (values);
  GString *missing = g_string_new (NULL);

  g_return_val_if_fail (names != NULL, NULL);

  for (guint i = 0; i < required; i++)
    if (values[i] == NULL || *values[i] == '\0')
      g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", names[i]);
  if (missing->len == 0)
    {
      g_string_free (missing, TRUE);
      return NULL;
    }
  return g_string_free (missing, FALSE);
}

static const char * const kind_names[] = {
  [AMQ_CREDENTIAL_BUILDER_ID] = "builder-id",
  [AMQ_CREDENTIAL_IDENTITY_CENTER] = "identity-center",
  [AMQ_CREDENTIAL_SOCIAL] = "social",
};

const char *
amq_credential_kind_to_string (AmqCredentialKind kind)
{
  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (kind_names), NULL);

  return kind_names[kind];
}

gboolean
amq_credential_kind_from_string (const char *text, AmqCredentialKind *kind)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  for (guint i = 0; text != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (text, kind_names[i]))
      {
        *kind = (AmqCredentialKind) i;
        return TRUE;
      }
  return FALSE;
}
