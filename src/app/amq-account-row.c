/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-row.c
 *
 * The row follows the account's health. A rest (cooling, used up) ends without a
 * notification, so while the row is shown it wakes once, when the rest is over, to say so;
 * hidden, it does not wake at all. The buttons drive actions: app.credentials for the
 * sign-in's account, accounts.remove (with the label) for the others. */
#include "config.h"

#include "amq-account-row.h"

#include <glib/gi18n.h>

#include "amq-account-summary.h"
#include "amq-token-status.h"

struct _AmqAccountRow
{
  GtkListBoxRow   parent_instance;

  GtkLabel       *title_label;
  GtkLabel       *status_label;
  GtkButton      *action_button;
  GtkSwitch      *enabled_switch;
  GtkLevelBar    *credits_bar;
  GtkLabel       *credits_label;
  GtkLabel       *error_label;

  AmqApplication *application;
  AmqAccount     *account;
  gboolean        first;
  guint           rest_over_id;
};

G_DEFINE_FINAL_TYPE (AmqAccountRow, amq_account_row, GTK_TYPE_LIST_BOX_ROW)

static void update (AmqAccountRow *self);

static gboolean
on_rest_over (gpointer user_data)
{
  AmqAccountRow *self = user_data;

  self->rest_over_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* While shown and resting: wake when the rest is over. */
static void
watch_rest (AmqAccountRow *self)
{
  g_clear_handle_id (&self->rest_over_id, g_source_remove);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->rest_over_id = amq_account_summary_wake_after (amq_account_summary_rest_end (amq_account_get_health (self->account)),
                                                         on_rest_over, self);
}

static void
show_status (AmqAccountRow *self, AmqAccountHealth *health)
{
  /* why a sign-in is needed is the token's story */
  g_autofree char *status = amq_account_health_get_status (health) == AMQ_ACCOUNT_SIGNIN_NEEDED
                            ? amq_token_status_describe (amq_account_get_tokens (self->account))
                            : amq_account_summary_status (health);
  guint64 requests = amq_account_health_get_requests (health);
  g_autofree char *count = g_strdup_printf ("%" G_GUINT64_FORMAT, requests);
  /* TRANSLATORS: the account's status, and how many requests it answered since start */
  g_autofree char *line = g_strdup_printf (ngettext ("%s · %s request", "%s · %s requests", (gulong) requests),
                                           status, count);
  g_autofree char *text = NULL;

  if (self->first)
    text = g_strdup_printf ("%s\n%s", line,
                            amq_signin_get_description (amq_application_get_signin (self->application)));
  gtk_label_set_text (self->status_label, text ? text : line);
}

static void
show_credits (AmqAccountRow *self, const AmqCredits *credits)
{
  gdouble used = amq_account_summary_used_fraction (credits);
  g_autofree char *text = amq_account_summary_plan_credits (credits);

  gtk_widget_set_visible (GTK_WIDGET (self->credits_bar), used >= 0);
  if (used >= 0)
    gtk_level_bar_set_value (self->credits_bar, used);
  gtk_label_set_text (self->credits_label, text ? text : _("Credits not known yet"));
}

static void
toggle_class (GtkWidget *widget, const char *name, gboolean on)
{
  if (on)
    gtk_widget_add_css_class (widget, name);
  else
    gtk_widget_remove_css_class (widget, name);
}

static void
show_error (AmqAccountRow *self, AmqAccountHealth *health)
{
  const char *error = amq_account_health_get_last_error (health);
  gboolean resting = amq_account_health_get_status (health) != AMQ_ACCOUNT_READY;
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  if (error == NULL)
    return;
  /* TRANSLATORS: %s is the message of the account's last failure */
  text = g_strdup_printf (_("Last error: %s"), error);
  gtk_label_set_text (self->error_label, text);
  /* red while it keeps the account from working; a past one is only noted */
  toggle_class (GTK_WIDGET (self->error_label), "error", resting);
  toggle_class (GTK_WIDGET (self->error_label), "dim-label", !resting);
}

static void
update (AmqAccountRow *self)
{
  AmqAccountHealth *health = amq_account_get_health (self->account);

  gtk_label_set_text (self->title_label, amq_account_get_label (self->account));
  show_status (self, health);
  show_credits (self, amq_account_health_get_credits (health));
  show_error (self, health);
  watch_rest (self);
}

static void
amq_account_row_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (amq_account_row_parent_class)->map (widget);
  /* a rest may have ended while hidden */
  update (AMQ_ACCOUNT_ROW (widget));
}

static void
amq_account_row_unmap (GtkWidget *widget)
{
  g_clear_handle_id (&AMQ_ACCOUNT_ROW (widget)->rest_over_id, g_source_remove);
  GTK_WIDGET_CLASS (amq_account_row_parent_class)->unmap (widget);
}

static void
set_button (AmqAccountRow *self, const char *icon, const char *tooltip, const char *action, GVariant *target)
{
  GtkWidget *button = GTK_WIDGET (self->action_button);

  gtk_button_set_icon_name (self->action_button, icon);
  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip, -1);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (button), target);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
}

AmqAccount *
amq_account_row_get_account (AmqAccountRow *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_ROW (self), NULL);

  return self->account;
}

static void
amq_account_row_dispose (GObject *object)
{
  AmqAccountRow *self = AMQ_ACCOUNT_ROW (object);

  g_clear_handle_id (&self->rest_over_id, g_source_remove);
  /* a disposed row may linger a moment: it follows nothing any more */
  if (self->account != NULL)
    g_signal_handlers_disconnect_by_data (amq_account_get_health (self->account), self);
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (amq_application_get_signin (self->application), self);
  g_clear_object (&self->account);
  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_ACCOUNT_ROW);
  G_OBJECT_CLASS (amq_account_row_parent_class)->dispose (object);
}

static void
amq_account_row_class_init (AmqAccountRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_account_row_dispose;
  widget_class->map = amq_account_row_map;
  widget_class->unmap = amq_account_row_unmap;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, action_button);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, credits_bar);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, credits_label);
  gtk_widget_class_bind_template_child (widget_class, AmqAccountRow, error_label);
}

static void
amq_account_row_init (AmqAccountRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
amq_account_row_new (AmqApplication *application, AmqAccount *account)
{
  AmqAccountRow *self;
  AmqAccountHealth *health;

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (AMQ_IS_ACCOUNT (account), NULL);

  self = g_object_new (AMQ_TYPE_ACCOUNT_ROW, NULL);
  self->application = application;
  self->account = g_object_ref (account);
  self->first = amq_accounts_is_first (amq_application_get_accounts (application), account);
  health = amq_account_get_health (account);
  g_object_bind_property (health, "enabled", self->enabled_switch, "active", G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->enabled_switch), _("Take requests"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->enabled_switch), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Take requests"), -1);
  if (self->first)
    set_button (self, "document-edit-symbolic", _("Change the sign-in"), "app.credentials", NULL);
  else
    set_button (self, "user-trash-symbolic", _("Remove"), "accounts.remove",
                g_variant_new_string (amq_account_get_label (account)));
  g_signal_connect_object (health, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  if (self->first)
    g_signal_connect_object (amq_application_get_signin (application), "changed", G_CALLBACK (update), self,
                             G_CONNECT_SWAPPED);
  update (self);
  return GTK_WIDGET (self);
}
