/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts-page.c
 *
 * The list is bound to the pool itself, so an account added or removed anywhere shows here.
 * accounts.add opens the credentials dialog for a new account; accounts.remove asks first, as
 * the sign-in it deletes from the keyring cannot be had back. */
#include "config.h"

#include "amq-accounts-page.h"

#include <glib/gi18n.h>

#include "amq-account-row.h"
#include "amq-credentials-dialog.h"

struct _AmqAccountsPage
{
  AdwBin          parent_instance;
  GtkListBox     *list;
  AmqApplication *application;
};

G_DEFINE_FINAL_TYPE (AmqAccountsPage, amq_accounts_page, ADW_TYPE_BIN)

static void
toast (AmqAccountsPage *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static GtkWidget *
create_row (gpointer item, gpointer user_data)
{
  AmqAccountsPage *self = user_data;

  return amq_account_row_new (self->application, AMQ_ACCOUNT (item));
}

static void
add_account (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqAccountsPage *self = AMQ_ACCOUNTS_PAGE (widget);
  AmqCredentialsDialog *dialog = amq_credentials_dialog_new_for_account (self->application);

  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (gtk_widget_get_root (widget)));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_removed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqAccountsPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!amq_accounts_remove_finish (AMQ_ACCOUNTS (source), result, &error))
    {
      /* TRANSLATORS: %s says why */
      g_autofree char *text = g_strdup_printf (_("Removed, but its keyring item stays: %s"), error->message);

      toast (self, text);
    }
}

static void
on_remove_answered (AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
  AmqAccountsPage *self = user_data;
  const char *label = g_object_get_data (G_OBJECT (dialog), "label");
  AmqAccounts *accounts = amq_application_get_accounts (self->application);
  AmqAccount *account = amq_account_pool_lookup (amq_accounts_get_pool (accounts), label);

  if (!g_str_equal (response, "remove") || account == NULL)
    return;
  amq_accounts_remove_async (accounts, account, on_removed, g_object_ref (self));
}

static void
remove_account (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqAccountsPage *self = AMQ_ACCOUNTS_PAGE (widget);
  const char *label = g_variant_get_string (parameter, NULL);
  /* TRANSLATORS: %s is an account's name */
  g_autofree char *heading = g_strdup_printf (_("Remove “%s”?"), label);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), heading,
                                              _("Its sign-in is deleted from the keyring, and it takes no more "
                                                "requests."));

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "remove", _("_Remove"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "label", g_strdup (label), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_answered), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
amq_accounts_page_set_application (AmqAccountsPage *self, AmqApplication *application)
{
  g_return_if_fail (AMQ_IS_ACCOUNTS_PAGE (self));
  g_return_if_fail (AMQ_IS_APPLICATION (application));
  g_return_if_fail (self->application == NULL);

  self->application = application;
  gtk_list_box_bind_model (self->list, G_LIST_MODEL (amq_accounts_get_pool (amq_application_get_accounts (application))),
                           create_row, self, NULL);
}

static void
amq_accounts_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), AMQ_TYPE_ACCOUNTS_PAGE);
  G_OBJECT_CLASS (amq_accounts_page_parent_class)->dispose (object);
}

static void
amq_accounts_page_class_init (AmqAccountsPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_accounts_page_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-accounts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqAccountsPage, list);
  gtk_widget_class_install_action (widget_class, "accounts.add", NULL, add_account);
  gtk_widget_class_install_action (widget_class, "accounts.remove", "s", remove_account);
}

static void
amq_accounts_page_init (AmqAccountsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
