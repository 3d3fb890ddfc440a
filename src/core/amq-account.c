/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account.c
 *
 * amq2api-server and the app find a sign-in and keep its rotations the same way, here. A
 * rotation is written before the token manager uses the new access token (AmqTokenStore);
 * writes are never cancelled, and "saving" tells when one is under way. */
#include "config.h"

#include "amq-account.h"

#include "amq-token-state.h"

struct _AmqAccount
{
  GObject           parent_instance;
  AmqTokenManager  *tokens;
  char             *state_path;
  AmqCredentialSet *credentials;
  AmqAccountOrigin  origin;
  AmqSigninSource  *source;        /* ORIGIN_SOURCE */
  char             *description;
  char             *seed;          /* ORIGIN_ENVIRONMENT: the refresh token as given */
  char             *saved;         /* the refresh token the store holds, as far as we know */
  guint             saving;
};

enum { PROP_0, PROP_SAVING, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void amq_account_token_store_init (AmqTokenStoreInterface *iface);

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
    case AMQ_ACCOUNT_ORIGIN_NONE:
    default:                             return g_strdup ("nowhere: no sign-in found");
    }
}

/* Takes @set (NULL: none). */
static void
use_credentials (AmqAccount *self, AmqCredentialSet *set, AmqAccountOrigin origin, AmqSigninSource *source)
{
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

/* An environment refresh token is a seed: go on with its newest recorded successor. */
static void
use_environment_credentials (AmqAccount *self, AmqCredentialSet *set)
{
  g_autofree char *successor = amq_token_state_lookup_successor (self->state_path, set->refresh_token);

  amq_secret_replace (&self->seed, set->refresh_token);
  if (successor != NULL)
    {
      g_info ("using the refresh token saved after its last rotation (%s)", self->state_path);
      amq_secret_replace (&set->refresh_token, successor);
      amq_secret_replace (&successor, NULL);
    }
  use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_ENVIRONMENT, NULL);
}

static gboolean
complete (const AmqCredentialSet *set)
{
  const char *names[] = { "refresh token", "client id", "client secret" };
  g_autofree char *missing = amq_credential_set_missing (set, names);

  return missing == NULL;
}

static void
fill_unset (char **field, const char *value)
{
  if (*field == NULL)
    *field = g_strdup (value);
}

/* ---- loading: each step either uses a sign-in and returns, or goes on to the next ---- */

typedef struct {
  AmqCredentialSet *given;     /* from the environment, incomplete */
  AmqSigninSource  *linked;
  GPtrArray        *sources;   /* still to try */
} Load;

static void
load_free (Load *load)
{
  amq_credential_set_free (load->given);
  g_clear_object (&load->linked);
  g_clear_pointer (&load->sources, g_ptr_array_unref);
  g_free (load);
}

static void
loaded (GTask *task)
{
  AmqAccount *self = g_task_get_source_object (task);

  g_info ("Amazon Q sign-in from %s", self->description);
  g_task_return_boolean (task, TRUE);
}

static void
on_source_read (GObject *source, GAsyncResult *result, gpointer user_data);

static void
try_next_source (GTask *task)
{
  AmqAccount *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  AmqCredentialSet *login = amq_token_state_read_login (self->state_path);
  AmqSigninSource *next;

  if (load->sources == NULL)
    {
      /* the state file's --login comes before other clients' sign-ins */
      if (login != NULL)
        {
          use_credentials (self, login, AMQ_ACCOUNT_ORIGIN_STATE_FILE, NULL);
          loaded (task);
          g_object_unref (task);
          return;
        }
      load->sources = amq_signin_source_find_all ();
    }
  else
    amq_credential_set_free (login);
  if (load->sources->len == 0)
    {
      use_credentials (self, NULL, AMQ_ACCOUNT_ORIGIN_NONE, NULL);
      loaded (task);
      g_object_unref (task);
      return;
    }
  next = g_ptr_array_steal_index (load->sources, 0);
  amq_signin_source_read_async (next, g_task_get_cancellable (task), on_source_read, task);
  g_object_unref (next);
}

static void
on_source_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  AmqCredentialSet *set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (set == NULL)
    {
      g_info ("no sign-in from %s: %s", amq_signin_source_get_name (AMQ_SIGNIN_SOURCE (source)), error->message);
      try_next_source (task);
      return;
    }
  use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_SOURCE, AMQ_SIGNIN_SOURCE (source));
  loaded (task);
  g_object_unref (task);
}

static void
on_keyring_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  Load *load = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);
  AmqCredentialSet *set;

  if (error != NULL)
    g_info ("no credentials from the keyring: %s", error->message);
  if (load->given == NULL)
    {
      if (stored == NULL)
        {
          try_next_source (task);
          return;
        }
      use_credentials (self, g_steal_pointer (&stored), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
      loaded (task);
      g_object_unref (task);
      return;
    }
  /* the environment wins; the keyring fills what it leaves unset, and where the refresh token
   * came from says where its successors go */
  set = g_steal_pointer (&load->given);
  if (stored != NULL)
    {
      gboolean from_keyring = set->refresh_token == NULL;

      fill_unset (&set->refresh_token, stored->refresh_token);
      fill_unset (&set->client_id, stored->client_id);
      fill_unset (&set->client_secret, stored->client_secret);
      fill_unset (&set->profile_arn, stored->profile_arn);
      fill_unset (&set->local_api_key, stored->local_api_key);
      if (from_keyring)
        {
          use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
          loaded (task);
          g_object_unref (task);
          return;
        }
    }
  if (set->refresh_token != NULL)
    use_environment_credentials (self, set);
  else
    use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_NONE, NULL);
  loaded (task);
  g_object_unref (task);
}

static void
on_linked_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  AmqCredentialSet *set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (set == NULL)
    {
      g_message ("the linked %s sign-in cannot be read: %s", amq_signin_source_get_name (AMQ_SIGNIN_SOURCE (source)),
                 error->message);
      amq_credentials_lookup_async (g_task_get_cancellable (task), on_keyring_loaded, task);
      return;
    }
  use_credentials (self, set, AMQ_ACCOUNT_ORIGIN_SOURCE, AMQ_SIGNIN_SOURCE (source));
  loaded (task);
  g_object_unref (task);
}

void
amq_account_load_async (AmqAccount *self, AmqEnvironment *environment, AmqSigninSource *linked,
                        GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  Load *load;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));
  g_return_if_fail (AMQ_IS_ENVIRONMENT (environment));
  g_return_if_fail (linked == NULL || AMQ_IS_SIGNIN_SOURCE (linked));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_load_async);
  load = g_new0 (Load, 1);
  load->given = amq_environment_dup_credentials (environment);
  load->linked = linked ? g_object_ref (linked) : NULL;
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  if (load->given != NULL && complete (load->given))
    {
      use_environment_credentials (self, g_steal_pointer (&load->given));
      loaded (task);
      g_object_unref (task);
    }
  else if (load->given == NULL && load->linked != NULL)
    amq_signin_source_read_async (load->linked, cancellable, on_linked_read, task);
  else
    amq_credentials_lookup_async (cancellable, on_keyring_loaded, task);
}

gboolean
amq_account_load_finish (AmqAccount *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- credentials given by the user ---- */

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
  use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
  amq_credentials_store_async (set, cancellable, on_stored, task);
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
      use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_info ("no keyring (%s): keeping the sign-in in %s", keyring_error->message, self->state_path);
  if (!amq_token_state_write_login (self->state_path, set, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  use_credentials (self, amq_credential_set_copy (set), AMQ_ACCOUNT_ORIGIN_STATE_FILE, NULL);
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
  amq_credentials_store_async (set, cancellable, on_login_stored, task);
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
finish_save (GTask *task, gboolean saved, GError *error)
{
  AmqAccount *self = g_task_get_source_object (task);
  const AmqCredentialSet *tokens = g_task_get_task_data (task);

  if (saved)
    {
      amq_secret_replace (&self->saved, tokens->refresh_token);
      g_task_return_boolean (task, TRUE);
    }
  else
    g_task_return_error (task, error);
  saving_ended (self);
  g_object_unref (task);
}

static void
on_keyring_replaced (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean saved = amq_credentials_replace_refresh_token_finish (result, &error);

  finish_save (user_data, saved, error);
}

static void
on_source_written (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GError *error = NULL;
  gboolean saved = amq_signin_source_write_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  finish_save (user_data, saved, error);
}

static void
save_tokens_async (AmqTokenStore *store, const char *previous, const AmqCredentialSet *tokens,
                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  AmqAccount *self = AMQ_ACCOUNT (store);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  /* compared with what the store last got from us: a failed write is retried next time */
  const char *held = self->saved ? self->saved : previous;
  GError *error = NULL;
  AmqCredentialSet *login;
  gboolean saved;

  g_task_set_task_data (task, amq_credential_set_copy (tokens), (GDestroyNotify) amq_credential_set_free);
  if (self->saving++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
  amq_secret_replace (&self->credentials->refresh_token, tokens->refresh_token);
  switch (self->origin)
    {
    case AMQ_ACCOUNT_ORIGIN_ENVIRONMENT:
      saved = amq_token_state_record_successor (self->state_path, self->seed, tokens->refresh_token, &error);
      finish_save (task, saved, error);
      break;
    case AMQ_ACCOUNT_ORIGIN_STATE_FILE:
      login = amq_credential_set_copy (self->credentials);
      saved = amq_token_state_write_login (self->state_path, login, &error);
      amq_credential_set_free (login);
      finish_save (task, saved, error);
      break;
    case AMQ_ACCOUNT_ORIGIN_KEYRING:
      amq_credentials_replace_refresh_token_async (held, tokens->refresh_token, NULL, on_keyring_replaced, task);
      break;
    case AMQ_ACCOUNT_ORIGIN_SOURCE:
      amq_signin_source_write_async (self->source, held, tokens, NULL, on_source_written, task);
      break;
    case AMQ_ACCOUNT_ORIGIN_NONE:
    default:
      finish_save (task, TRUE, NULL);
      break;
    }
}

static gboolean
save_tokens_finish (AmqTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_reread (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  GError *error = NULL;
  AmqCredentialSet *set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (set == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* what the other client holds is what the store holds */
  amq_secret_replace (&self->saved, set->refresh_token);
  amq_secret_replace (&self->credentials->refresh_token, set->refresh_token);
  g_task_return_pointer (task, set, (GDestroyNotify) amq_credential_set_free);
}

/* Only another client's sign-in changes behind our back; the rest says nothing new. */
static void
reload_async (AmqTokenStore *store, GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  AmqAccount *self = AMQ_ACCOUNT (store);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  if (self->origin != AMQ_ACCOUNT_ORIGIN_SOURCE)
    {
      g_task_return_pointer (task, NULL, NULL);
      g_object_unref (task);
      return;
    }
  amq_signin_source_read_async (self->source, cancellable, on_reread, task);
}

static AmqCredentialSet *
reload_finish (AmqTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
amq_account_token_store_init (AmqTokenStoreInterface *iface)
{
  iface->save_tokens_async = save_tokens_async;
  iface->save_tokens_finish = save_tokens_finish;
  iface->reload_async = reload_async;
  iface->reload_finish = reload_finish;
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
  self->state_path = state_path ? g_strdup (state_path) : amq_token_state_default_path ();
  amq_token_manager_set_store (tokens, AMQ_TOKEN_STORE (self));
  return self;
}
