/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts.c
 *
 * Each further account is a keyring item named by its label, with a token manager of its own
 * (two managers refreshing one rotating token would burn it), so a sign-in already in the pool
 * is refused. Switched-off labels live in settings: an account someone turned off stays off
 * after a restart. */
#include "config.h"

#include "amq-accounts.h"

#include <glib/gi18n.h>
#include <string.h>

#include "amq-error.h"

#define FIRST_LABEL      "default"
#define MAX_LABEL_CHARS  40

struct _AmqAccounts
{
  GObject         parent_instance;
  AmqAccountPool *pool;
  AmqAccount     *first;
  AmqUpstream    *upstream;
  GSettings      *settings;
  char           *token_endpoint;
  char           *social_token_endpoint;
};

G_DEFINE_FINAL_TYPE (AmqAccounts, amq_accounts, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
emit_changed (AmqAccounts *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* ---- switched off, remembered ---- */

static gboolean
remembered_off (AmqAccounts *self, const char *label)
{
  g_auto(GStrv) off = g_settings_get_strv (self->settings, "disabled-accounts");

  return g_strv_contains ((const char * const *) off, label);
}

static void
remember_off (AmqAccounts *self, const char *label, gboolean off)
{
  g_auto(GStrv) before = g_settings_get_strv (self->settings, "disabled-accounts");
  g_autoptr(GStrvBuilder) after = g_strv_builder_new ();
  g_auto(GStrv) labels = NULL;

  if (g_strv_contains ((const char * const *) before, label) == off)
    return;
  for (guint i = 0; before[i] != NULL; i++)
    if (!g_str_equal (before[i], label))
      g_strv_builder_add (after, before[i]);
  if (off)
    g_strv_builder_add (after, label);
  labels = g_strv_builder_end (after);
  g_settings_set_strv (self->settings, "disabled-accounts", (const char * const *) labels);
}

static void
on_enabled (AmqAccounts *self, GParamSpec *pspec, AmqAccountHealth *health)
{
  AmqAccountPool *pool = self->pool;

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (pool)); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (G_LIST_MODEL (pool), i);

      if (amq_account_get_health (account) == health)
        remember_off (self, amq_account_get_label (account), !amq_account_health_get_enabled (health));
    }
  emit_changed (self);
}

/* @account joins the pool, switched as it was left, with the app's token endpoints. */
static void
take (AmqAccounts *self, AmqAccount *account)
{
  AmqAccountHealth *health = amq_account_get_health (account);
  static const char * const followed[] = { "notify::status", "notify::credits", "notify::last-error" };

  amq_account_health_set_enabled (health, !remembered_off (self, amq_account_get_label (account)));
  amq_token_manager_set_endpoint (amq_account_get_tokens (account), self->token_endpoint);
  amq_token_manager_set_social_endpoint (amq_account_get_tokens (account), self->social_token_endpoint);
  for (guint i = 0; i < G_N_ELEMENTS (followed); i++)
    g_signal_connect_object (health, followed[i], G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (health, "notify::enabled", G_CALLBACK (on_enabled), self, G_CONNECT_SWAPPED);
  amq_account_pool_add (self->pool, account);
}

static AmqAccount *
account_new (AmqAccounts *self, const char *label)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  AmqAccount *account = amq_account_new (tokens, NULL);

  amq_account_set_label (account, label);
  return account;
}

/* ---- loading ---- */

static void
on_stored_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccounts *self = g_task_get_source_object (task);
  AmqAccount *account = AMQ_ACCOUNT (source);
  g_autoptr(GError) error = NULL;
  guint *pending = g_task_get_task_data (task);

  if (amq_account_load_finish (account, result, &error))
    amq_account_update_credits (account, self->upstream, TRUE);
  else
    g_message ("account %s cannot be read from the keyring: %s", amq_account_get_label (account), error->message);
  if (--*pending == 0)
    g_task_return_boolean (task, TRUE);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccounts *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_auto(GStrv) labels = amq_credentials_list_finish (result, &error);
  guint *pending = g_task_get_task_data (task);

  if (labels == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* one for the listing itself: the task ends after the last account, not before the first */
  *pending = 1;
  for (guint i = 0; labels[i] != NULL; i++)
    {
      g_autoptr(AmqAccount) account = NULL;

      if (g_str_equal (labels[i], FIRST_LABEL) || amq_account_pool_lookup (self->pool, labels[i]) != NULL)
        continue;
      /* in the pool at once, in the labels' order; it takes requests once its sign-in is read */
      account = account_new (self, labels[i]);
      take (self, account);
      ++*pending;
      amq_account_load_stored_async (account, NULL, on_stored_loaded, g_object_ref (task));
    }
  if (--*pending == 0)
    g_task_return_boolean (task, TRUE);
}

void
amq_accounts_load_async (AmqAccounts *self, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNTS (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_accounts_load_async);
  g_task_set_task_data (task, g_new0 (guint, 1), g_free);
  amq_credentials_list_async (NULL, on_listed, task);
}

gboolean
amq_accounts_load_finish (AmqAccounts *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- adding ---- */

static gboolean
label_allowed (const char *label)
{
  for (const char *p = label; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalnum (c) && (c >= 128 || strchr ("-_.@", (int) c) == NULL))
        return FALSE;
    }
  return g_utf8_strlen (label, -1) <= MAX_LABEL_CHARS;
}

gboolean
amq_accounts_check_label (AmqAccounts *self, const char *label, GError **error)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS (self), FALSE);

  if (label == NULL || *label == '\0')
    {
      g_set_error_literal (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, _("Name the account"));
      return FALSE;
    }
  /* the label names a keyring item and an /admin/accounts/LABEL path */
  if (!label_allowed (label))
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   _("An account’s name may hold letters, digits, “-”, “_”, “.” and “@”, up to %d"), MAX_LABEL_CHARS);
      return FALSE;
    }
  if (g_str_equal (label, FIRST_LABEL) || amq_account_pool_lookup (self->pool, label) != NULL)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, _("There is an account named “%s” already"), label);
      return FALSE;
    }
  return TRUE;
}

/* The label of the account in the pool signed in with @set's refresh token, or NULL. */
static const char *
holder_of (AmqAccounts *self, const AmqCredentialSet *set)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->pool)); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (G_LIST_MODEL (self->pool), i);

      if (g_strcmp0 (amq_account_get_credentials (account)->refresh_token, set->refresh_token) == 0)
        return amq_account_get_label (account);
    }
  return NULL;
}

static gboolean
check_signin (AmqAccounts *self, const AmqCredentialSet *set, GError **error)
{
  const char * const names[] = { _("refresh token"), _("client ID"), _("client secret") };
  g_autofree char *missing = amq_credential_set_missing (set, names);
  const char *holder = missing == NULL ? holder_of (self, set) : NULL;

  if (missing != NULL)
    {
      /* TRANSLATORS: %s names the missing fields */
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, _("Missing: %s"), missing);
      return FALSE;
    }
  if (holder != NULL)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                   _("This sign-in is the account “%s” already: two accounts would spend each other’s refresh tokens"),
                   holder);
      return FALSE;
    }
  return TRUE;
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqAccounts *self = g_task_get_source_object (task);
  AmqAccount *account = AMQ_ACCOUNT (source);
  GError *error = NULL;

  if (!amq_account_save_finish (account, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  take (self, account);
  amq_account_update_credits (account, self->upstream, TRUE);
  g_task_return_pointer (task, g_object_ref (account), g_object_unref);
}

void
amq_accounts_add_async (AmqAccounts *self, const char *label, const AmqCredentialSet *set,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(AmqAccount) account = NULL;
  GError *error = NULL;

  g_return_if_fail (AMQ_IS_ACCOUNTS (self));
  g_return_if_fail (set != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_accounts_add_async);
  if (!amq_accounts_check_label (self, label, &error) || !check_signin (self, set, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  account = account_new (self, label);
  amq_account_save_async (account, set, NULL, on_saved, g_steal_pointer (&task));
}

AmqAccount *
amq_accounts_add_finish (AmqAccounts *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- removing ---- */

void
amq_accounts_remove_async (AmqAccounts *self, AmqAccount *account, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_ACCOUNTS (self));
  g_return_if_fail (AMQ_IS_ACCOUNT (account));
  g_return_if_fail (account != self->first);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_accounts_remove_async);
  /* the pool may hold the last reference */
  g_task_set_task_data (task, g_object_ref (account), g_object_unref);
  amq_account_pool_remove (self->pool, account);
  /* a later account of that name starts switched on */
  remember_off (self, amq_account_get_label (account), FALSE);
  amq_credentials_clear_for_task (amq_account_get_label (account), task);
}

gboolean
amq_accounts_remove_finish (AmqAccounts *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- every account ---- */

AmqAccountPool *
amq_accounts_get_pool (AmqAccounts *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS (self), NULL);

  return self->pool;
}

gboolean
amq_accounts_is_first (AmqAccounts *self, AmqAccount *account)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS (self), FALSE);

  return account == self->first;
}

void
amq_accounts_set_token_endpoints (AmqAccounts *self, const char *token_endpoint, const char *social_token_endpoint)
{
  GListModel *accounts;

  g_return_if_fail (AMQ_IS_ACCOUNTS (self));

  g_free (self->token_endpoint);
  g_free (self->social_token_endpoint);
  self->token_endpoint = g_strdup (token_endpoint);
  self->social_token_endpoint = g_strdup (social_token_endpoint);
  accounts = G_LIST_MODEL (self->pool);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (accounts, i);

      amq_token_manager_set_endpoint (amq_account_get_tokens (account), token_endpoint);
      amq_token_manager_set_social_endpoint (amq_account_get_tokens (account), social_token_endpoint);
    }
}

void
amq_accounts_update_credits (AmqAccounts *self, AmqAccount *account, gboolean now)
{
  GListModel *accounts;

  g_return_if_fail (AMQ_IS_ACCOUNTS (self));
  g_return_if_fail (account == NULL || AMQ_IS_ACCOUNT (account));

  if (account != NULL)
    {
      amq_account_update_credits (account, self->upstream, now);
      return;
    }
  accounts = G_LIST_MODEL (self->pool);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(AmqAccount) each = g_list_model_get_item (accounts, i);

      amq_account_update_credits (each, self->upstream, now);
    }
}

static void
amq_accounts_finalize (GObject *object)
{
  AmqAccounts *self = AMQ_ACCOUNTS (object);

  g_clear_object (&self->pool);
  g_clear_object (&self->first);
  g_clear_object (&self->upstream);
  g_clear_object (&self->settings);
  g_free (self->token_endpoint);
  g_free (self->social_token_endpoint);
  G_OBJECT_CLASS (amq_accounts_parent_class)->finalize (object);
}

static void
amq_accounts_class_init (AmqAccountsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_accounts_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
amq_accounts_init (AmqAccounts *self)
{
}

AmqAccounts *
amq_accounts_new (AmqAccount *first, AmqUpstream *upstream, GSettings *settings)
{
  AmqAccounts *self;

  g_return_val_if_fail (AMQ_IS_ACCOUNT (first), NULL);
  g_return_val_if_fail (AMQ_IS_UPSTREAM (upstream), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (AMQ_TYPE_ACCOUNTS, NULL);
  self->pool = amq_account_pool_new (AMQ_POOL_PRIORITY);
  self->first = g_object_ref (first);
  self->upstream = g_object_ref (upstream);
  self->settings = g_object_ref (settings);
  g_signal_connect_object (self->pool, "items-changed", G_CALLBACK (emit_changed), self, G_CONNECT_SWAPPED);
  take (self, first);
  return self;
}
