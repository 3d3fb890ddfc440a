/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credentials-dialog.c
 *
 * Every way to a sign-in goes through the app's AmqSignin, so the token manager the server
 * uses is the only one that refreshes: a test of the credentials in use asks it for a token,
 * and a test of new ones puts them in use first, so a refresh token Amazon Q rotates is saved
 * rather than burnt in a throwaway manager. Rows left as they were filled are the sign-in in
 * use. Secrets go from the rows to the sign-in; they are never logged nor shown in the
 * status text.
 *
 * For a new account (the Accounts page's Add) the same ways lead to a new keyring item named
 * by the user: Builder ID, a copy of another client's sign-in, or pasted credentials. There
 * is no Link (the app links its first sign-in only) and no Test: Add puts the account in the
 * pool, where asking for its credits tests it and its row says how that went. */
#include "config.h"

#include "amq-credentials-dialog.h"

#include <glib/gi18n.h>

#include "amq-device-login.h"

struct _AmqCredentialsDialog
{
  AdwWindow            parent_instance;

  AdwPreferencesGroup *name_group;
  AdwEntryRow         *label_row;
  AdwPreferencesGroup *sources_group;
  AdwEntryRow         *refresh_token_row;
  AdwEntryRow         *client_id_row;
  AdwEntryRow         *client_secret_row;
  AdwEntryRow         *profile_arn_row;
  AdwEntryRow         *region_row;
  AdwActionRow        *status_row;
  GtkSpinner          *spinner;
  GtkButton           *cancel_button;
  GtkButton           *test_button;
  GtkButton           *save_button;
  GtkButton           *sign_in_button;

  AmqApplication      *application;
  AmqSignin           *signin;
  GPtrArray           *sources;       /* AmqSigninSource found on this computer */
  GPtrArray           *link_buttons;  /* one per source, in the same order */
  AmqCredentialSet    *shown;         /* what the rows were filled with */
  AmqDeviceLogin      *login;
  GCancellable        *cancellable;   /* NULL once the dialog is gone */
  gboolean             for_account;   /* adds a new account rather than changing the sign-in */
};

G_DEFINE_FINAL_TYPE (AmqCredentialsDialog, amq_credentials_dialog, ADW_TYPE_WINDOW)

static void
set_busy (AmqCredentialsDialog *self, gboolean busy, const char *status)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "signin.link", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "signin.copy", !busy);
  if (status != NULL)
    adw_action_row_set_subtitle (self->status_row, status);
}

/* A sign-in call ended after the dialog was closed: nothing left to update. */
static gboolean
gone (AmqCredentialsDialog *self)
{
  return self->cancellable == NULL;
}

static char *
row_text (AdwEntryRow *row)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  g_strstrip (text);
  return *text ? g_steal_pointer (&text) : NULL;
}

static AmqCredentialSet *
read_rows (AmqCredentialsDialog *self)
{
  AmqCredentialSet *set = amq_credential_set_new ();

  set->refresh_token = row_text (self->refresh_token_row);
  set->client_id = row_text (self->client_id_row);
  set->client_secret = row_text (self->client_secret_row);
  set->profile_arn = row_text (self->profile_arn_row);
  set->region = row_text (self->region_row);
  /* the rows do not show the kind: the shown sign-in's, as long as its token is there */
  if (self->shown != NULL && g_strcmp0 (set->refresh_token, self->shown->refresh_token) == 0)
    set->kind = self->shown->kind;
  return set;
}

static gboolean
same_as_shown (AmqCredentialsDialog *self, const AmqCredentialSet *set)
{
  return g_strcmp0 (set->refresh_token, self->shown->refresh_token) == 0 &&
         g_strcmp0 (set->client_id, self->shown->client_id) == 0 &&
         g_strcmp0 (set->client_secret, self->shown->client_secret) == 0 &&
         g_strcmp0 (set->profile_arn, self->shown->profile_arn) == 0 &&
         g_strcmp0 (set->region, self->shown->region) == 0;
}

static void
remember_shown (AmqCredentialsDialog *self, const AmqCredentialSet *set)
{
  g_clear_pointer (&self->shown, amq_credential_set_free);
  self->shown = amq_credential_set_copy (set);
}

/* The rows show @set; left as they are, they stand for the sign-in in use. */
static void
show_credentials (AmqCredentialsDialog *self, const AmqCredentialSet *set)
{
  g_autoptr(AmqCredentialSet) shown = NULL;

  gtk_editable_set_text (GTK_EDITABLE (self->refresh_token_row), set->refresh_token ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_id_row), set->client_id ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_secret_row), set->client_secret ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->profile_arn_row), set->profile_arn ?: "");
  if (set->region != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->region_row), set->region);
  g_clear_pointer (&self->shown, amq_credential_set_free);
  shown = read_rows (self);
  shown->kind = set->kind;
  remember_shown (self, shown);
}

/* Tested, linked or copied: that sign-in is in use already, and closing does not undo it. */
static void
now_in_use (AmqCredentialsDialog *self)
{
  gtk_button_set_label (self->cancel_button, _("_Close"));
}

/* The button of the client in use says so; the others offer a link. */
static void
update_sources (AmqCredentialsDialog *self)
{
  for (guint i = 0; i < self->sources->len; i++)
    {
      AmqSigninSource *source = g_ptr_array_index (self->sources, i);
      GtkWidget *button = g_ptr_array_index (self->link_buttons, i);
      gboolean linked = amq_signin_uses (self->signin, source);

      gtk_button_set_label (GTK_BUTTON (button), linked ? _("Linked") : _("Link"));
      gtk_widget_set_sensitive (button, !linked);
      /* a state, not a button, while linked */
      if (linked)
        gtk_widget_add_css_class (button, "flat");
      else
        gtk_widget_remove_css_class (button, "flat");
    }
}

/* ---- Test ---- */

static void
on_tested (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);

  if (gone (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE, token ? _("✓ The credentials work and are in use: Amazon Q issued an access token.")
                               : error->message);
}

static void
test_in_use (AmqCredentialsDialog *self)
{
  amq_token_manager_get_token_async (amq_application_get_tokens (self->application), self->cancellable, on_tested,
                                     g_object_ref (self));
}

static void
on_test_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!amq_signin_save_finish (AMQ_SIGNIN (source), result, &error))
    {
      if (!gone (self))
        set_busy (self, FALSE, error->message);
      return;
    }
  if (!gone (self))
    test_in_use (self);
}

static void
on_test (AmqCredentialsDialog *self)
{
  g_autoptr(AmqCredentialSet) set = read_rows (self);

  set_busy (self, TRUE, _("Asking Amazon Q for an access token…"));
  if (same_as_shown (self, set))
    {
      test_in_use (self);
      return;
    }
  remember_shown (self, set);
  amq_signin_save_async (self->signin, set, on_test_saved, g_object_ref (self));
  update_sources (self);
  now_in_use (self);
}

/* ---- Save, sign in ---- */

/* Another sign-in is in use: the plan and credits shown were the last one's. */
static void
ask_credits (AmqCredentialsDialog *self)
{
  amq_accounts_update_credits (amq_application_get_accounts (self->application), amq_signin_get_account (self->signin),
                               TRUE);
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (gone (self))
    return;
  if (!amq_signin_save_finish (AMQ_SIGNIN (source), result, &error))
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  ask_credits (self);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_account_added (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqAccount) account = amq_accounts_add_finish (AMQ_ACCOUNTS (source), result, &error);

  if (gone (self))
    return;
  if (account == NULL)
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
save (AmqCredentialsDialog *self, const AmqCredentialSet *set)
{
  g_autofree char *label = NULL;

  set_busy (self, TRUE, _("Saving to the keyring…"));
  if (!self->for_account)
    {
      remember_shown (self, set);
      amq_signin_save_async (self->signin, set, on_stored, g_object_ref (self));
      return;
    }
  label = row_text (self->label_row);
  amq_accounts_add_async (amq_application_get_accounts (self->application), label, set, on_account_added,
                          g_object_ref (self));
}

static void
on_save (AmqCredentialsDialog *self)
{
  g_autoptr(AmqCredentialSet) set = read_rows (self);

  /* nothing typed: the sign-in in use stays as it is, linked or not */
  if (!self->for_account && same_as_shown (self, set))
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  save (self, set);
}

static void
on_login_code (AmqDeviceLogin *login, const char *user_code, const char *uri, AmqCredentialsDialog *self)
{
  g_autofree char *text = g_strdup_printf (_("Confirm the code %s in your browser (%s). Waiting…"), user_code, uri);

  adw_action_row_set_subtitle (self->status_row, text);
  if (g_getenv ("AMQ2API_NO_BROWSER") == NULL)
    gtk_show_uri (GTK_WINDOW (self), uri, GDK_CURRENT_TIME);
}

static void
on_logged_in (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_device_login_run_finish (AMQ_DEVICE_LOGIN (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (set == NULL)
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  show_credentials (self, set);
  save (self, set);
}

static void
on_sign_in (AmqCredentialsDialog *self)
{
  g_autofree char *endpoint = g_settings_get_string (amq_application_get_settings (self->application), "oidc-endpoint");

  g_clear_object (&self->login);
  self->login = amq_device_login_new (endpoint);
  g_signal_connect_object (self->login, "code", G_CALLBACK (on_login_code), self, 0);
  set_busy (self, TRUE, _("Contacting AWS…"));
  amq_device_login_run_async (self->login, self->cancellable, on_logged_in, g_object_ref (self));
}

/* ---- other clients' sign-ins: signin.link and signin.copy, with the source's index ---- */

/* Linked or copied: the rows show the sign-in now in use, the status where it comes from. */
static void
show_outcome (AmqCredentialsDialog *self, gboolean done, const GError *error)
{
  g_autofree char *status = NULL;

  if (!done)
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  show_credentials (self, amq_signin_get_credentials (self->signin));
  update_sources (self);
  now_in_use (self);
  ask_credits (self);
  status = g_strdup_printf ("✓ %s", amq_signin_get_description (self->signin));
  set_busy (self, FALSE, status);
}

static void
on_linked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean linked = amq_signin_link_finish (AMQ_SIGNIN (source), result, &error);

  if (!gone (self))
    show_outcome (self, linked, error);
}

static void
on_copied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean copied = amq_signin_copy_finish (AMQ_SIGNIN (source), result, &error);

  if (!gone (self))
    show_outcome (self, copied, error);
}

/* A new account's copy: read once, then added like pasted credentials. */
static void
on_read_for_account (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_signin_source_read_finish (AMQ_SIGNIN_SOURCE (source), result, &error);

  if (gone (self))
    return;
  if (set == NULL)
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  save (self, set);
}

static void
use_source (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqCredentialsDialog *self = AMQ_CREDENTIALS_DIALOG (widget);
  guint index = g_variant_get_uint32 (parameter);
  AmqSigninSource *source;
  g_autofree char *status = NULL;

  g_assert (index < self->sources->len);

  source = g_ptr_array_index (self->sources, index);
  status = g_strdup_printf (_("Reading the %s sign-in…"), amq_signin_source_get_name (source));
  set_busy (self, TRUE, status);
  if (self->for_account)
    amq_signin_source_read_async (source, self->cancellable, on_read_for_account, g_object_ref (self));
  else if (g_str_equal (action_name, "signin.link"))
    amq_signin_link_async (self->signin, source, on_linked, g_object_ref (self));
  else
    amq_signin_copy_async (self->signin, source, on_copied, g_object_ref (self));
}

static GtkWidget *
source_button (const char *label, const char *tooltip, const char *action_name, guint index)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action_name);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), g_variant_new_uint32 (index));
  return button;
}

/* A row per client signed in on this computer: its name, its file, Link and Copy. */
static void
add_sources (AmqCredentialsDialog *self)
{
  self->sources = amq_signin_source_find_all ();
  self->link_buttons = g_ptr_array_new ();
  for (guint i = 0; i < self->sources->len; i++)
    {
      AmqSigninSource *source = g_ptr_array_index (self->sources, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *link = source_button (_("Link"), _("Use this sign-in and keep it current there"), "signin.link", i);
      g_autofree char *path = amq_signin_abbreviate_home (amq_signin_source_get_path (source));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), amq_signin_source_get_name (source));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), path);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
      gtk_widget_set_visible (link, !self->for_account);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), link);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 source_button (_("Copy"), _("Copy this sign-in into the keyring"), "signin.copy", i));
      adw_preferences_group_add (self->sources_group, row);
      g_ptr_array_add (self->link_buttons, link);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->sources_group), self->sources->len > 0);
  update_sources (self);
}

static void
amq_credentials_dialog_dispose (GObject *object)
{
  AmqCredentialsDialog *self = AMQ_CREDENTIALS_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->login);
  g_clear_pointer (&self->sources, g_ptr_array_unref);
  g_clear_pointer (&self->link_buttons, g_ptr_array_unref);
  g_clear_pointer (&self->shown, amq_credential_set_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_CREDENTIALS_DIALOG);
  G_OBJECT_CLASS (amq_credentials_dialog_parent_class)->dispose (object);
}

static void
amq_credentials_dialog_class_init (AmqCredentialsDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_credentials_dialog_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-credentials-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, name_group);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, label_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, sources_group);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, refresh_token_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, client_secret_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, profile_arn_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, region_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, status_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, sign_in_button);
  gtk_widget_class_bind_template_callback (widget_class, on_test);
  gtk_widget_class_bind_template_callback (widget_class, on_save);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in);
  gtk_widget_class_install_action (widget_class, "signin.link", "u", use_source);
  gtk_widget_class_install_action (widget_class, "signin.copy", "u", use_source);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
amq_credentials_dialog_init (AmqCredentialsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

static AmqCredentialsDialog *
dialog_new (AmqApplication *application, gboolean for_account)
{
  AmqCredentialsDialog *self = g_object_new (AMQ_TYPE_CREDENTIALS_DIALOG, NULL);

  self->application = application;
  self->signin = amq_application_get_signin (application);
  self->for_account = for_account;
  return self;
}

AmqCredentialsDialog *
amq_credentials_dialog_new (AmqApplication *application)
{
  AmqCredentialsDialog *self;

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);

  self = dialog_new (application, FALSE);
  show_credentials (self, amq_signin_get_credentials (self->signin));
  add_sources (self);
  return self;
}

AmqCredentialsDialog *
amq_credentials_dialog_new_for_account (AmqApplication *application)
{
  AmqCredentialsDialog *self;

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);

  self = dialog_new (application, TRUE);
  gtk_window_set_title (GTK_WINDOW (self), _("Add an Account"));
  gtk_widget_set_visible (GTK_WIDGET (self->name_group), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->test_button), FALSE);
  gtk_button_set_label (self->save_button, _("_Add"));
  adw_preferences_group_set_description (self->sources_group,
                                         _("Copy reads the client’s sign-in into this account’s keyring item: the "
                                           "client may then have to sign in again."));
  adw_action_row_set_subtitle (self->status_row, _("Add keeps the sign-in under the account’s name and asks Amazon Q "
                                                   "for its credits."));
  add_sources (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->label_row));
  return self;
}
