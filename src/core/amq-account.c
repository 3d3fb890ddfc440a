/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account.c
 *
 * amq2api-server and the app find a sign-in and keep its rotations the same way, here. A
 * rotation is written before the token manager uses the new access token (AmqTokenStore);
 * writes are never cancelled, and "saving" tells when one is under way. */
#include "config.h"

#include "amq-account-private.h"
#include "amq-dialect.h"
#include "amq-token-state.h"

enum { PROP_0, PROP_SAVING, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqAccount, amq_account, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_TOKEN_STORE, amq_account_token_store_init))

static char *
describe (AmqAccount *self)
{
  switch (self->origin)
    {
    case AMQ_ACCOUNT_ORIGIN_ENVIRONMENT: return g_strdup ("the environment (AMAZONQ_REFRESH_TOKEN)");
    case AMQ_ACCOUNT_ORIGIN_KEYRING:     return g_strdup ("the keyring");
    case AMQ_ACCOUNT_ORIGIN_STATE_FILE:  return g_strdup_printf ("amq2api-server --login (%s)", self->state_path);
    case AMQ_ACCOUNT_ORIGIN_SOURCE:
      return g_strdup_printf ("%s (%s)", amq_signin_source_get_name (self->source),
                              amq_signin_source_get_path (self->source));
    case AMQ_ACCOUNT_ORIGIN_ACCOUNTS_FILE:
      return g_strdup_printf ("%s in %s", self->label, amq_accounts_file_get_path (self->file));
    case AMQ_ACCOUNT_ORIGIN_NONE:
    default:                             return g_strdup ("nowhere: no sign-in found");
    }
}

void
amq_account_use_credentials (AmqAccount *self, AmqCredentialSet *set, AmqAccountOrigin origin,
                             AmqSigninSource *source)
{
  g_assert (AMQ_IS_ACCOUNT (self));
  g_assert (source == NULL || AMQ_IS_SIGNIN_SOURCE (source));

  g_clear_pointer (&self->credentials, amq_credential_set_free);
  self->credentials = set ? set : amq_credential_set_new ();
  self->origin = self->credentials->refresh_token ? origin : AMQ_ACCOUNT_ORIGIN_NONE;
  if (self->origin != AMQ_ACCOUNT_ORIGIN_SOURCE)
    source = NULL;
  g_set_object (&self->source, source);
  amq_secret_replace (&self->saved, self->credentials->refresh_token);
  g_free (self->description);
  self->description = describe (self);
  amq_token_manager_set_credentials (self->tokens, self->credentials);
  /* the token manager keeps the access token; only the sign-in stays here */
  amq_secret_replace (&self->credentials->access_token, NULL);
}

void
amq_account_use_environment_credentials (AmqAccount *self, AmqCredentialSet *set)
{
  g_autofree char *successor = NULL;

  g_assert (AMQ_IS_ACCOUNT (self));
  g_assert (set != NULL);

  successor = amq_token_state_lookup_successor (self->state_path, set->refresh_token);
  amq_secret_replace (&self->seed, set->refresh_token);
  if (successor != NULL)
    {
      g_info ("using the refresh token saved after its last rotation (%s)", self->state_path);
      amq_secret_replace (&set->refresh_token, successor);
      amq_secret_replace (&successor, NULL);
    }
  amq_account_use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_ENVIRONMENT, NULL);
}

/* ---- credentials given by the user ---- */

void
amq_account_save_async (AmqAccount *self, const AmqCredentialSet *set, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (set != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_save_async);
  amq_account_use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
  amq_credentials_store_for_task (self->label, set, task);
}

gboolean
amq_account_save_finish (AmqAccount *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_login_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  const AmqCredentialSet *set = g_task_get_task_data (task);
  g_autoptr(GError) keyring_error = NULL;
  GError *error = NULL;

  if (amq_credentials_store_finish (result, &keyring_error))
    {
      amq_account_use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_info ("no keyring (%s): keeping the sign-in in %s", keyring_error->message, self->state_path);
  if (!amq_token_state_write_login (self->state_path, set, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  amq_account_use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_STATE_FILE, NULL);
  g_task_return_boolean (task, TRUE);
}

void
amq_account_keep_login_async (AmqAccount *self, const AmqCredentialSet *set, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (set != NULL && set->refresh_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_keep_login_async);
  g_task_set_task_data (task, amq_credential_set_copy (set), (GDestroyNotify) amq_credential_set_free);
  amq_credentials_store_async (self->label, set, cancellable, on_login_stored, task);
}

gboolean
amq_account_keep_login_finish (AmqAccount *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

const AmqCredentialSet *
amq_account_get_credentials (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->credentials;
}

AmqAccountOrigin
amq_account_get_origin (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), AMQ_ACCOUNT_ORIGIN_NONE);

  return self->origin;
}

const char *
amq_account_get_description (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->description;
}

void
amq_account_count_save (AmqAccount *self, gboolean started)
{
  g_assert (AMQ_IS_ACCOUNT (self));

  if (started ? self->saving++ == 0 : --self->saving == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

void
amq_account_use_file_entry (AmqAccount *self, AmqAccountsFile *file, const AmqAccountEntry *entry)
{
  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (AMQ_IS_ACCOUNTS_FILE (file));
  g_return_if_fail (entry != NULL);

  g_set_object (&self->file, file);
  amq_account_set_label (self, entry->label);
  amq_account_use_credentials (self, amq_credential_set_copy (entry->credentials), AMQ_ACCOUNT_ORIGIN_ACCOUNTS_FILE,
                               NULL);
  amq_account_health_set_enabled (self->health, entry->enabled);
}

const char *
amq_account_get_label (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->label;
}

void
amq_account_set_label (AmqAccount *self, const char *label)
{
  g_return_if_fail (AMQ_IS_ACCOUNT (self));

  g_free (self->label);
  self->label = g_strdup (label ? label : "default");
}

AmqTokenManager *
amq_account_get_tokens (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->tokens;
}

AmqAccountHealth *
amq_account_get_health (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->health;
}

AmqUpstream *
amq_account_get_upstream (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  return self->upstream;
}

void
amq_account_set_upstream (AmqAccount *self, AmqUpstream *upstream)
{
  g_return_if_fail (AMQ_IS_ACCOUNT (self));

  g_set_object (&self->upstream, upstream);
}

char *
amq_account_dup_profile_arn (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), NULL);

  if (self->credentials->profile_arn != NULL)
    return g_strdup (self->credentials->profile_arn);
  return g_strdup (amq_profile_arn_default (self->credentials->kind));
}

/* Credits change only with use: asked at most this often, and only when something happens. */
#define CREDITS_MAX_AGE_SECONDS 300

typedef struct {
  AmqAccount  *account;
  AmqUpstream *upstream;
} CreditsQuery;

static void
credits_query_end (CreditsQuery *query)
{
  query->account->asking_credits = FALSE;
  g_object_unref (query->account);
  g_object_unref (query->upstream);
  g_free (query);
}

static void
on_usage_limits (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CreditsQuery *query = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) limits = amq_upstream_get_usage_limits_finish (AMQ_UPSTREAM (source), result, &error);
  g_autoptr(AmqCredits) credits = limits ? amq_credits_parse (limits) : NULL;

  if (credits != NULL)
    amq_account_health_set_credits (query->account->health, credits);
  else
    g_info ("no credits for account %s: %s", query->account->label, error ? error->message : "none in the answer");
  credits_query_end (query);
}

static void
on_credits_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  CreditsQuery *query = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);
  g_autofree char *profile_arn = NULL;

  if (token == NULL)
    {
      g_info ("no credits for account %s: %s", query->account->label, error->message);
      credits_query_end (query);
      return;
    }
  profile_arn = amq_account_dup_profile_arn (query->account);
  amq_upstream_get_usage_limits_async (query->upstream, token, profile_arn, NULL, on_usage_limits, query);
  amq_secret_replace (&token, NULL);
}

void
amq_account_update_credits (AmqAccount *self, AmqUpstream *shared, gboolean now)
{
  CreditsQuery *query;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (AMQ_IS_UPSTREAM (shared));

  if (self->asking_credits || self->origin == AMQ_ACCOUNT_ORIGIN_NONE ||
      (!now && self->credits_asked_at != 0 &&
       g_get_monotonic_time () - self->credits_asked_at < CREDITS_MAX_AGE_SECONDS * G_USEC_PER_SEC))
    return;
  self->asking_credits = TRUE;
  self->credits_asked_at = g_get_monotonic_time ();
  query = g_new0 (CreditsQuery, 1);
  query->account = g_object_ref (self);
  query->upstream = g_object_ref (self->upstream ? self->upstream : shared);
  amq_token_manager_get_token_async (self->tokens, NULL, on_credits_token, query);
}

gboolean
amq_account_get_saving (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), FALSE);

  return self->saving > 0;
}

/* ---- GObject ---- */

static void
amq_account_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqAccount *self = AMQ_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving > 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_account_finalize (GObject *object)
{
  AmqAccount *self = AMQ_ACCOUNT (object);

  amq_token_manager_set_store (self->tokens, NULL);
  g_clear_object (&self->tokens);
  g_clear_object (&self->health);
  g_clear_object (&self->upstream);
  g_clear_object (&self->file);
  g_free (self->label);
  g_clear_object (&self->source);
  g_free (self->state_path);
  g_free (self->description);
  g_clear_pointer (&self->credentials, amq_credential_set_free);
  amq_secret_replace (&self->seed, NULL);
  amq_secret_replace (&self->saved, NULL);
  G_OBJECT_CLASS (amq_account_parent_class)->finalize (object);
}

static void
amq_account_class_init (AmqAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_account_get_property;
  object_class->finalize = amq_account_finalize;
  properties[PROP_SAVING] = g_param_spec_boolean ("saving", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_account_init (AmqAccount *self)
{
  self->credentials = amq_credential_set_new ();
  self->description = describe (self);
}

AmqAccount *
amq_account_new (AmqTokenManager *tokens, const char *state_path)
{
  AmqAccount *self;

  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), NULL);

  self = g_object_new (AMQ_TYPE_ACCOUNT, NULL);
  self->tokens = g_object_ref (tokens);
  self->health = amq_account_health_new (tokens);
  self->label = g_strdup ("default");
  self->state_path = state_path ? g_strdup (state_path) : amq_token_state_default_path ();
  amq_token_manager_set_store (tokens, AMQ_TOKEN_STORE (self));
  return self;
}
