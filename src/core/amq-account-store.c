/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-store.c: AmqTokenStore: rotated tokens kept where the sign-in came from, and
 * another client's sign-in read again before each refresh */
#include "config.h"

#include "amq-account-private.h"
#include "amq-token-state.h"

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
  amq_account_count_save (self, FALSE);
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
  amq_account_count_save (self, TRUE);
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
      amq_credentials_replace_refresh_token_async (self->label, held, tokens->refresh_token, NULL, on_keyring_replaced, task);
      break;
    case AMQ_ACCOUNT_ORIGIN_SOURCE:
      amq_signin_source_write_async (self->source, held, tokens, NULL, on_source_written, task);
      break;
    case AMQ_ACCOUNT_ORIGIN_ACCOUNTS_FILE:
      saved = amq_accounts_file_save_refresh_token (self->file, self->label, held, tokens->refresh_token, &error);
      finish_save (task, saved, error);
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

void
amq_account_token_store_init (AmqTokenStoreInterface *iface)
{
  iface->save_tokens_async = save_tokens_async;
  iface->save_tokens_finish = save_tokens_finish;
  iface->reload_async = reload_async;
  iface->reload_finish = reload_finish;
}

