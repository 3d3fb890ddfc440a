/* amq-credentials-dialog.c
 *
 * Secrets go from the rows to the keyring and the token manager; they are never logged and
 * never shown in the status text. */
#include "amq-credentials-dialog.h"

#include <glib/gi18n.h>

#include "amq-cli-import.h"
#include "amq-device-login.h"

struct _AmqCredentialsDialog
{
  AdwWindow        parent_instance;

  AdwEntryRow     *refresh_token_row;
  AdwEntryRow     *client_id_row;
  AdwEntryRow     *client_secret_row;
  AdwEntryRow     *profile_arn_row;
  AdwEntryRow     *region_row;
  AdwActionRow    *status_row;
  GtkSpinner      *spinner;
  GtkButton       *test_button;
  GtkButton       *save_button;
  GtkButton       *sign_in_button;
  GtkButton       *import_button;

  AmqApplication  *application;
  AmqTokenManager *test_tokens;
  AmqDeviceLogin  *login;
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (AmqCredentialsDialog, amq_credentials_dialog, ADW_TYPE_WINDOW)

static void
set_busy (AmqCredentialsDialog *self, gboolean busy, const char *status)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->test_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), !busy);
  if (status != NULL)
    adw_action_row_set_subtitle (self->status_row, status);
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
  const AmqCredentialSet *current = amq_application_get_credentials (self->application);

  set->refresh_token = row_text (self->refresh_token_row);
  set->client_id = row_text (self->client_id_row);
  set->client_secret = row_text (self->client_secret_row);
  set->profile_arn = row_text (self->profile_arn_row);
  set->region = row_text (self->region_row);
  set->local_api_key = current ? g_strdup (current->local_api_key) : NULL;
  return set;
}

static void
fill_rows (AmqCredentialsDialog *self, const AmqCredentialSet *set)
{
  if (set == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->refresh_token_row), set->refresh_token ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_id_row), set->client_id ?: "");
  gtk_editable_set_text (GTK_EDITABLE (self->client_secret_row), set->client_secret ?: "");
  if (set->profile_arn != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->profile_arn_row), set->profile_arn);
  if (set->region != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->region_row), set->region);
}

static void
on_tested (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE, token ? _("✓ The credentials work: Amazon Q issued an access token.")
                               : error->message);
}

static void
on_test (AmqCredentialsDialog *self)
{
  g_autoptr(AmqCredentialSet) set = read_rows (self);
  g_autofree char *endpoint = amq_application_dup_token_endpoint (self->application);

  g_clear_object (&self->test_tokens);
  self->test_tokens = amq_token_manager_new (endpoint);
  amq_token_manager_set_credentials (self->test_tokens, set);
  set_busy (self, TRUE, _("Refreshing a token…"));
  amq_token_manager_get_token_async (self->test_tokens, self->cancellable, on_tested, g_object_ref (self));
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!amq_application_save_credentials_finish (AMQ_APPLICATION (source), result, &error))
    {
      set_busy (self, FALSE, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_save (AmqCredentialsDialog *self)
{
  g_autoptr(AmqCredentialSet) set = read_rows (self);

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  set_busy (self, TRUE, _("Saving to the keyring…"));
  amq_application_save_credentials_async (self->application, set, on_stored, g_object_ref (self));
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
  fill_rows (self, set);
  set_busy (self, FALSE, _("✓ Signed in. Saving…"));
  on_save (self);
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

static void
on_imported (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqCredentialsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_cli_import_finish (result, &error);

  if (set == NULL)
    {
      set_busy (self, FALSE, error->message);
      return;
    }
  fill_rows (self, set);
  set_busy (self, FALSE, _("✓ Imported from the Amazon Q CLI. Test or save."));
}

static void
on_import (AmqCredentialsDialog *self)
{
  g_autofree char *path = amq_cli_import_default_path ();

  set_busy (self, TRUE, _("Reading the Amazon Q CLI login…"));
  amq_cli_import_async (path, self->cancellable, on_imported, g_object_ref (self));
}

static void
amq_credentials_dialog_dispose (GObject *object)
{
  AmqCredentialsDialog *self = AMQ_CREDENTIALS_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->test_tokens);
  g_clear_object (&self->login);
  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_CREDENTIALS_DIALOG);
  G_OBJECT_CLASS (amq_credentials_dialog_parent_class)->dispose (object);
}

static void
amq_credentials_dialog_class_init (AmqCredentialsDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_credentials_dialog_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-credentials-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, refresh_token_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, client_id_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, client_secret_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, profile_arn_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, region_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, status_row);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, test_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, save_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, AmqCredentialsDialog, import_button);
  gtk_widget_class_bind_template_callback (widget_class, on_test);
  gtk_widget_class_bind_template_callback (widget_class, on_save);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in);
  gtk_widget_class_bind_template_callback (widget_class, on_import);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
amq_credentials_dialog_init (AmqCredentialsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

AmqCredentialsDialog *
amq_credentials_dialog_new (AmqApplication *application)
{
  AmqCredentialsDialog *self = g_object_new (AMQ_TYPE_CREDENTIALS_DIALOG, NULL);
  g_autofree char *path = amq_cli_import_default_path ();

  self->application = application;
  fill_rows (self, amq_application_get_credentials (application));
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), amq_cli_import_available (path));
  return self;
}
