/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-load.c: finding a sign-in, each step either using one or going on to the next */
#include "config.h"

#include "amq-account-private.h"
#include "amq-token-state.h"

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

/* The account uses @set (taken), found at @origin, and the load ends with @task (taken). */
static void
use_found (GTask *task, AmqCredentialSet *set, AmqAccountOrigin origin, AmqSigninSource *source)
{
  AmqAccount *self = g_task_get_source_object (task);

  if (origin == AMQ_ACCOUNT_ORIGIN_ENVIRONMENT)
    amq_account_use_environment_credentials (self, set);
  else
    amq_account_use_credentials (self, set, origin, source);
  g_info ("Amazon Q sign-in from %s", self->description);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
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
          use_found (task, login, AMQ_ACCOUNT_ORIGIN_STATE_FILE, NULL);
          return;
        }
      load->sources = amq_signin_source_find_all ();
    }
  else
    amq_credential_set_free (login);
  if (load->sources->len == 0)
    {
      use_found (task, NULL, AMQ_ACCOUNT_ORIGIN_NONE, NULL);
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
  g_autoptr(GError) error = NULL;
  AmqCredentialSet *set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (set == NULL)
    {
      g_info ("no sign-in from %s: %s", amq_signin_source_get_name (AMQ_SIGNIN_SOURCE (source)), error->message);
      try_next_source (task);
      return;
    }
  use_found (task, set, AMQ_ACCOUNT_ORIGIN_SOURCE, AMQ_SIGNIN_SOURCE (source));
}

static void
on_keyring_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
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
      use_found (task, g_steal_pointer (&stored), AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
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
          use_found (task, set, AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
          return;
        }
    }
  use_found (task, set, set->refresh_token != NULL ? AMQ_ACCOUNT_ORIGIN_ENVIRONMENT : AMQ_ACCOUNT_ORIGIN_NONE, NULL);
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
      amq_credentials_lookup_async (self->label, g_task_get_cancellable (task), on_keyring_loaded, task);
      return;
    }
  use_found (task, set, AMQ_ACCOUNT_ORIGIN_SOURCE, AMQ_SIGNIN_SOURCE (source));
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
    use_found (task, g_steal_pointer (&load->given), AMQ_ACCOUNT_ORIGIN_ENVIRONMENT, NULL);
  else if (load->given == NULL && load->linked != NULL)
    amq_signin_source_read_async (load->linked, cancellable, on_linked_read, task);
  else
    amq_credentials_lookup_async (self->label, cancellable, on_keyring_loaded, task);
}

gboolean
amq_account_load_finish (AmqAccount *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}


static void
on_stored_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccount *self = g_task_get_source_object (task);
  GError *error = NULL;
  AmqCredentialSet *stored = amq_credentials_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  amq_account_use_credentials (self, stored, AMQ_ACCOUNT_ORIGIN_KEYRING, NULL);
  g_task_return_boolean (task, TRUE);
}

void
amq_account_load_stored_async (AmqAccount *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_account_load_stored_async);
  amq_credentials_lookup_async (self->label, cancellable, on_stored_loaded, task);
}
