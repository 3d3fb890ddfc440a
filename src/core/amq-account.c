/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account.c
 *
 * amq2api-server and the app assemble credentials the same way and keep rotations the same
 * way, here. A rotation is written before the token manager uses the new access token
 * (AmqTokenStore); writes are never cancelled, and "saving" tells when one is under way. */
#include "config.h"

#include "amq-account.h"

#include <string.h>

#include "amq-token-state.h"

struct _AmqAccount
{
  GObject           parent_instance;
  AmqTokenManager  *tokens;
  char             *state_path;
  AmqCredentialSet *credentials;
  AmqAccountOrigin  origin;
  char             *seed;          /* the environment's refresh token, as given */
  char             *saved;         /* the refresh token the keyring or state file holds */
  guint             saving;
};

enum { PROP_0, PROP_SAVING, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void amq_account_token_store_init (AmqTokenStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqAccount, amq_account, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_TOKEN_STORE, amq_account_token_store_init))

static void
replace_string (char **field, const char *value)
{
  if (*field != NULL)
    explicit_bzero (*field, strlen (*field));
  g_free (*field);
  *field = g_strdup (value);
}

static void
use_credentials (AmqAccount *self, AmqCredentialSet *set, AmqAccountOrigin origin)
{
  g_clear_pointer (&self->credentials, amq_credential_set_free);
  self->credentials = set ? set : amq_credential_set_new ();
  self->origin = self->credentials->refresh_token ? origin : AMQ_ACCOUNT_ORIGIN_NONE;
  replace_string (&self->saved, self->credentials->refresh_token);
  amq_token_manager_set_credentials (self->tokens, self->credentials->refresh_token,
                                     self->credentials->client_id, self->credentials->client_secret);
}

/* An environment refresh token is a seed: go on with its newest recorded successor. */
static void
use_environment_credentials (AmqAccount *self, AmqCredentialSet *set)
{
  g_autofree char *successor = amq_token_state_lookup_successor (self->state_path, set->refresh_token);

  replace_string (&self->seed, set->refresh_token);
  if (successor != NULL)
    {
      g_info ("using the refresh token saved after its last rotation (%s)", self->state_path);
      replace_string (&set->refresh_token, successor);
      explicit_bzero (successor, strlen (successor));
    }
  use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_ENVIRONMENT);
}

static void
fill_unset (char **field, const char *value)
{
  if (*field == NULL)
    *field = g_strdup (value);
}

/* Where the refresh token came from decides where its successors go. */
static void
on_keyring_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  const AmqCredentialSet *given = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);
  AmqCredentialSet *set;

  if (error != NULL)
    g_info ("no credentials from the keyring: %s", error->message);
  if (given == NULL)
    {
      use_credentials (self, g_steal_pointer (&stored), AMQ_ACCOUNT_ORIGIN_KEYRING);
      g_task_return_boolean (task, TRUE);
      return;
    }
  /* the environment wins; the keyring fills what it leaves unset */
  set = amq_credential_set_copy (given);
  if (stored != NULL)
    {
      fill_unset (&set->refresh_token, stored->refresh_token);
      fill_unset (&set->client_id, stored->client_id);
      fill_unset (&set->client_secret, stored->client_secret);
      fill_unset (&set->profile_arn, stored->profile_arn);
      fill_unset (&set->local_api_key, stored->local_api_key);
    }
  if (given->refresh_token != NULL)
    use_environment_credentials (self, set);
  else
    use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_KEYRING);
  g_task_return_boolean (task, TRUE);
}

void
amq_account_load_async (AmqAccount *self, AmqEnvironment *environment, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  AmqCredentialSet *set;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (AMQ_IS_ENVIRONMENT (environment));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_load_async);
  set = amq_environment_dup_credentials (environment);
  if (set != NULL && set->refresh_token != NULL && set->client_id != NULL && set->client_secret != NULL)
    {
      use_environment_credentials (self, set);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_set_task_data (task, set, (GDestroyNotify) amq_credential_set_free);
  amq_credentials_lookup_async (cancellable, on_keyring_loaded, g_steal_pointer (&task));
}

gboolean
amq_account_load_finish (AmqAccount *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (amq_credentials_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
amq_account_save_async (AmqAccount *self, const AmqCredentialSet *set, GCancellable *cancellable,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (set != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_save_async);
  use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_KEYRING);
  amq_credentials_store_async (set, cancellable, on_stored, task);
}

gboolean
amq_account_save_finish (AmqAccount *self, GAsyncResult *result, GError **error)
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

gboolean
amq_account_get_saving (AmqAccount *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT (self), FALSE);

  return self->saving > 0;
}

/* ---- AmqTokenStore ---- */

static void
saving_ended (AmqAccount *self)
{
  if (--self->saving == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

static void
on_keyring_replaced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (amq_credentials_replace_refresh_token_finish (result, &error))
    {
      replace_string (&self->saved, g_task_get_task_data (task));
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
  saving_ended (self);
}

static void
save_refresh_token_async (AmqTokenStore *store, const char *previous, const char *refresh_token,
                          GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  AmqAccount *self = AMQ_ACCOUNT (store);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  GError *error = NULL;

  if (self->saving++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
  replace_string (&self->credentials->refresh_token, refresh_token);
  switch (self->origin)
    {
    case AMQ_ACCOUNT_ORIGIN_ENVIRONMENT:
      if (amq_token_state_record_successor (self->state_path, self->seed, refresh_token, &error))
        {
          replace_string (&self->saved, refresh_token);
          g_task_return_boolean (task, TRUE);
        }
      else
        g_task_return_error (task, error);
      break;
    case AMQ_ACCOUNT_ORIGIN_KEYRING:
      /* compared with what the keyring last got from us: a failed write is retried next time */
      g_task_set_task_data (task, g_strdup (refresh_token), g_free);
      amq_credentials_replace_refresh_token_async (self->saved ? self->saved : previous, refresh_token,
                                                   NULL, on_keyring_replaced, g_steal_pointer (&task));
      return;
    case AMQ_ACCOUNT_ORIGIN_NONE:
    default:
      g_task_return_boolean (task, TRUE);
      break;
    }
  saving_ended (self);
}

static gboolean
save_refresh_token_finish (AmqTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
amq_account_token_store_init (AmqTokenStoreInterface *iface)
{
  iface->save_refresh_token_async = save_refresh_token_async;
  iface->save_refresh_token_finish = save_refresh_token_finish;
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
  g_free (self->state_path);
  g_clear_pointer (&self->credentials, amq_credential_set_free);
  replace_string (&self->seed, NULL);
  replace_string (&self->saved, NULL);
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
}

AmqAccount *
amq_account_new (AmqTokenManager *tokens, const char *state_path)
{
  AmqAccount *self;

  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), NULL);

  self = g_object_new (AMQ_TYPE_ACCOUNT, NULL);
  self->tokens = g_object_ref (tokens);
  self->state_path = state_path ? g_strdup (state_path) : amq_token_state_default_path ();
  amq_token_manager_set_store (tokens, AMQ_TOKEN_STORE (self));
  return self;
}
