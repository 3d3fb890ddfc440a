/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credits-row.c
 *
 * The ready count changes by itself when a rest ends, without a notification: while shown,
 * the row wakes once at the first rest's end to say so; hidden, it does not wake. */
#include "config.h"

#include "amq-credits-row.h"

#include "amq-account-summary.h"

struct _AmqCreditsRow
{
  AdwActionRow  parent_instance;
  GtkLevelBar  *bar;
  AmqAccounts  *accounts;
  guint         rest_over_id;
};

G_DEFINE_FINAL_TYPE (AmqCreditsRow, amq_credits_row, ADW_TYPE_ACTION_ROW)

static void update (AmqCreditsRow *self);

static gboolean
on_rest_over (gpointer user_data)
{
  AmqCreditsRow *self = user_data;

  self->rest_over_id = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

static void
update (AmqCreditsRow *self)
{
  AmqAccountPool *pool = amq_accounts_get_pool (self->accounts);
  AmqAccount *fewest = amq_account_summary_fewest_left (pool);
  gdouble used = fewest ? amq_account_summary_used_fraction (amq_account_health_get_credits (amq_account_get_health (fewest)))
                        : -1;
  g_autofree char *credits = amq_account_summary_lowest_credits (pool);
  g_autofree char *ready = NULL;
  g_autofree char *text = NULL;

  if (g_list_model_get_n_items (G_LIST_MODEL (pool)) > 1)
    {
      ready = amq_account_summary_ready (pool);
      text = g_strdup_printf ("%s\n%s", credits, ready);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), text ? text : credits);
  gtk_widget_set_visible (GTK_WIDGET (self->bar), used >= 0);
  if (used >= 0)
    gtk_level_bar_set_value (self->bar, used);
  g_clear_handle_id (&self->rest_over_id, g_source_remove);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    self->rest_over_id = amq_account_summary_wake_after (amq_account_summary_next_return (pool), on_rest_over, self);
}

void
amq_credits_row_set_accounts (AmqCreditsRow *self, AmqAccounts *accounts)
{
  g_return_if_fail (AMQ_IS_CREDITS_ROW (self));
  g_return_if_fail (AMQ_IS_ACCOUNTS (accounts));
  g_return_if_fail (self->accounts == NULL);

  self->accounts = g_object_ref (accounts);
  g_signal_connect_object (accounts, "changed", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
}

static void
amq_credits_row_map (GtkWidget *widget)
{
  AmqCreditsRow *self = AMQ_CREDITS_ROW (widget);

  GTK_WIDGET_CLASS (amq_credits_row_parent_class)->map (widget);
  /* a rest may have ended while hidden */
  if (self->accounts != NULL)
    update (self);
}

static void
amq_credits_row_unmap (GtkWidget *widget)
{
  g_clear_handle_id (&AMQ_CREDITS_ROW (widget)->rest_over_id, g_source_remove);
  GTK_WIDGET_CLASS (amq_credits_row_parent_class)->unmap (widget);
}

static void
amq_credits_row_dispose (GObject *object)
{
  AmqCreditsRow *self = AMQ_CREDITS_ROW (object);

  g_clear_handle_id (&self->rest_over_id, g_source_remove);
  if (self->accounts != NULL)
    g_signal_handlers_disconnect_by_data (self->accounts, self);
  g_clear_object (&self->accounts);
  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_CREDITS_ROW);
  G_OBJECT_CLASS (amq_credits_row_parent_class)->dispose (object);
}

static void
amq_credits_row_class_init (AmqCreditsRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_credits_row_dispose;
  widget_class->map = amq_credits_row_map;
  widget_class->unmap = amq_credits_row_unmap;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-credits-row.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqCreditsRow, bar);
}

static void
amq_credits_row_init (AmqCreditsRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
