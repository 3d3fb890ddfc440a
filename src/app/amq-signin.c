/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin.c
 *
 * AmqAccount finds the sign-in and keeps its rotations; this adds what only the app has: the
 * link to another client, remembered in settings, and the local API key. The key belongs to
 * the app, not to a sign-in (a linked client's record has none), so it stays in the keyring
 * item whatever the sign-in's origin. "changed" tells the app to follow. */
#include "config.h"

#include "amq-signin.h"

#include <glib/gi18n.h>

struct _AmqSignin
{
  GObject          parent_instance;
  AmqAccount      *account;
  GSettings       *settings;
  AmqEnvironment  *environment;
  char            *local_api_key;
  char            *description;
};

G_DEFINE_FINAL_TYPE (AmqSignin, amq_signin, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The "signin-source" setting's values */
static const struct {
  const char    *id;
  AmqSigninKind  kind;
} links[] = {
  { "kiro-cli",     AMQ_SIGNIN_KIRO_CLI },
  { "amazon-q-cli", AMQ_SIGNIN_AMAZON_Q_CLI },
  { "kiro-ide",     AMQ_SIGNIN_KIRO_IDE },
};

static const char *
link_id (AmqSigninKind kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    if (links[i].kind == kind)
      return links[i].id;
  g_assert_not_reached ();
}

/* The client the user linked, or NULL. */
static AmqSigninSource *
linked_source (AmqSignin *self)
{
  g_autofree char *id = g_settings_get_string (self->settings, "signin-source");

  for (guint i = 0; i < G_N_ELEMENTS (links); i++)
    if (g_str_equal (id, links[i].id))
      return amq_signin_source_new (links[i].kind, NULL);
  return NULL;
}

char *
amq_signin_abbreviate_home (const char *text)
{
  g_autofree char *home = g_strconcat (g_get_home_dir (), G_DIR_SEPARATOR_S, NULL);
  GString *abbreviated;

  g_return_val_if_fail (text != NULL, NULL);

  abbreviated = g_string_new (text);
  g_string_replace (abbreviated, home, "~/", 0);
  return g_string_free (abbreviated, FALSE);
}

static char *
describe (AmqSignin *self)
{
  g_autofree char *where = amq_signin_abbreviate_home (amq_account_get_description (self->account));

  switch (amq_account_get_origin (self->account))
    {
    case AMQ_ACCOUNT_ORIGIN_ENVIRONMENT:
      return g_strdup (_("From the environment (AMAZONQ_REFRESH_TOKEN)"));
    case AMQ_ACCOUNT_ORIGIN_KEYRING:
      return g_strdup (_("Kept in the keyring"));
    case AMQ_ACCOUNT_ORIGIN_SOURCE:
      /* TRANSLATORS: %s is a client's name and the file of its sign-in */
      return g_strdup_printf (_("Linked to %s"), where);
    case AMQ_ACCOUNT_ORIGIN_STATE_FILE:
    case AMQ_ACCOUNT_ORIGIN_ACCOUNTS_FILE:
      /* TRANSLATORS: %s is a command and a file, or an account and its file */
      return g_strdup_printf (_("From %s"), where);
    case AMQ_ACCOUNT_ORIGIN_NONE:
    default:
      return g_strdup (_("No sign-in yet"));
    }
}

static void
emit_changed (AmqSignin *self)
{
  g_free (self->description);
  self->description = describe (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
replace_key (AmqSignin *self, const char *key)
{
  amq_secret_replace (&self->local_api_key, key != NULL && *key != '\0' ? key : NULL);
}

/* ---- after the account changed: the key ---- */

static void
on_key_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqSignin *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);

  if (error != NULL)
    g_message ("no local API key from the keyring: %s", error->message);
  replace_key (self, stored ? stored->local_api_key : NULL);
  emit_changed (self);
  g_task_return_boolean (task, TRUE);
}

/* Credentials from the keyring or the environment carry the key; a linked client's do not,
 * and the keyring item has it. Takes @task. */
static void
follow_account (GTask *task)
{
  AmqSignin *self = g_task_get_source_object (task);
  const AmqCredentialSet *credentials = amq_account_get_credentials (self->account);

  if (credentials->local_api_key == NULL && amq_account_get_origin (self->account) == AMQ_ACCOUNT_ORIGIN_SOURCE)
    {
      amq_credentials_lookup_async (NULL, NULL, on_key_looked_up, task);
      return;
    }
  replace_key (self, credentials->local_api_key);
  emit_changed (self);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* ---- loading ---- */

static void
on_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;

  amq_account_load_finish (AMQ_ACCOUNT (source), result, NULL);
  follow_account (task);
}

void
amq_signin_load_async (AmqSignin *self, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(AmqSigninSource) linked = NULL;
  GTask *task;

  g_return_if_fail (AMQ_IS_SIGNIN (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_signin_load_async);
  linked = linked_source (self);
  amq_account_load_async (self->account, self->environment, linked, NULL, on_loaded, task);
}

gboolean
amq_signin_load_finish (AmqSignin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- linking ---- */

static void
on_link_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AmqSignin *self = g_task_get_source_object (task);

  amq_account_load_finish (AMQ_ACCOUNT (source), result, NULL);
  if (amq_account_get_origin (self->account) == AMQ_ACCOUNT_ORIGIN_ENVIRONMENT)
    {
      g_settings_set_string (self->settings, "signin-source", "");
      emit_changed (self);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s",
                               _("AMAZONQ_REFRESH_TOKEN in the environment comes before any other sign-in"));
      g_object_unref (task);
      return;
    }
  follow_account (task);
}

static void
on_link_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  AmqSignin *self = g_task_get_source_object (task);
  AmqSigninSource *linked = AMQ_SIGNIN_SOURCE (source);
  GError *error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_signin_source_read_finish (linked, result, &error);

  /* nothing changes for a client that is not signed in */
  if (set == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_settings_set_string (self->settings, "signin-source", link_id (amq_signin_source_get_kind (linked)));
  amq_account_load_async (self->account, self->environment, linked, NULL, on_link_loaded, task);
}

void
amq_signin_link_async (AmqSignin *self, AmqSigninSource *source, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_SIGNIN (self));
  g_return_if_fail (AMQ_IS_SIGNIN_SOURCE (source));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_signin_link_async);
  amq_signin_source_read_async (source, NULL, on_link_read, task);
}

gboolean
amq_signin_link_finish (AmqSignin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- into the keyring ---- */

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (amq_account_save_finish (AMQ_ACCOUNT (source), result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The account uses @set at once (with the app's key), and ends any link. Takes @task. */
static void
keep_in_keyring (AmqSignin *self, const AmqCredentialSet *set, GTask *task)
{
  g_autoptr(AmqCredentialSet) kept = amq_credential_set_copy (set);

  amq_secret_replace (&kept->local_api_key, self->local_api_key);
  g_settings_set_string (self->settings, "signin-source", "");
  amq_account_save_async (self->account, kept, NULL, on_saved, task);
  emit_changed (self);
}

void
amq_signin_save_async (AmqSignin *self, const AmqCredentialSet *set, GAsyncReadyCallback callback,
                       gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_SIGNIN (self));
  g_return_if_fail (set != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_signin_save_async);
  keep_in_keyring (self, set, task);
}

gboolean
amq_signin_save_finish (AmqSignin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_copy_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (set == NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  keep_in_keyring (g_task_get_source_object (task), set, task);
}

void
amq_signin_copy_async (AmqSignin *self, AmqSigninSource *source, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_SIGNIN (self));
  g_return_if_fail (AMQ_IS_SIGNIN_SOURCE (source));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_signin_copy_async);
  amq_signin_source_read_async (source, NULL, on_copy_read, task);
}

gboolean
amq_signin_copy_finish (AmqSignin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- the local API key ---- */

static void
store_with_key (AmqSignin *self, AmqCredentialSet *set, GTask *task)
{
  amq_secret_replace (&set->local_api_key, self->local_api_key);
  amq_credentials_store_for_task (NULL, set, task);
}

static void
on_item_for_key (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);

  /* a damaged item is replaced rather than left unreadable */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_clear_error (&error);
  if (stored == NULL)
    stored = amq_credential_set_new ();
  store_with_key (g_task_get_source_object (task), stored, task);
}

void
amq_signin_set_local_api_key_async (AmqSignin *self, const char *key, GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  GTask *task;

  g_return_if_fail (AMQ_IS_SIGNIN (self));

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, amq_signin_set_local_api_key_async);
  replace_key (self, key);
  emit_changed (self);
  /* the keyring's own sign-in is the account's, with any rotation in it: store that; any
   * other origin leaves the item's sign-in alone */
  if (amq_account_get_origin (self->account) == AMQ_ACCOUNT_ORIGIN_KEYRING)
    {
      g_autoptr(AmqCredentialSet) set = amq_credential_set_copy (amq_account_get_credentials (self->account));

      store_with_key (self, set, task);
    }
  else
    amq_credentials_lookup_async (NULL, NULL, on_item_for_key, task);
}

gboolean
amq_signin_set_local_api_key_finish (AmqSignin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- what it is now ---- */

const AmqCredentialSet *
amq_signin_get_credentials (AmqSignin *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), NULL);

  return amq_account_get_credentials (self->account);
}

AmqAccountOrigin
amq_signin_get_origin (AmqSignin *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), AMQ_ACCOUNT_ORIGIN_NONE);

  return amq_account_get_origin (self->account);
}

const char *
amq_signin_get_local_api_key (AmqSignin *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), NULL);

  return self->local_api_key;
}

gboolean
amq_signin_uses (AmqSignin *self, AmqSigninSource *source)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), FALSE);
  g_return_val_if_fail (AMQ_IS_SIGNIN_SOURCE (source), FALSE);

  /* the account describes a client's sign-in as "Name (path)" (amq-account.h) */
  return amq_account_get_origin (self->account) == AMQ_ACCOUNT_ORIGIN_SOURCE &&
         g_str_has_prefix (amq_account_get_description (self->account), amq_signin_source_get_name (source));
}

const char *
amq_signin_get_description (AmqSignin *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), NULL);

  return self->description;
}

static void
amq_signin_finalize (GObject *object)
{
  AmqSignin *self = AMQ_SIGNIN (object);

  g_clear_object (&self->account);
  g_clear_object (&self->settings);
  g_clear_object (&self->environment);
  amq_secret_replace (&self->local_api_key, NULL);
  g_free (self->description);
  G_OBJECT_CLASS (amq_signin_parent_class)->finalize (object);
}

static void
amq_signin_class_init (AmqSigninClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_signin_finalize;
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
amq_signin_init (AmqSignin *self)
{
}

AmqSignin *
amq_signin_new (AmqTokenManager *tokens, GSettings *settings, AmqEnvironment *environment)
{
  AmqSignin *self;

  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (AMQ_IS_ENVIRONMENT (environment), NULL);

  self = g_object_new (AMQ_TYPE_SIGNIN, NULL);
  self->account = amq_account_new (tokens, NULL);
  self->settings = g_object_ref (settings);
  self->environment = g_object_ref (environment);
  self->description = describe (self);
  return self;
}

AmqAccount *
amq_signin_get_account (AmqSignin *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN (self), NULL);

  return self->account;
}
