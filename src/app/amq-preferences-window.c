/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-preferences-window.c: every row writes GSettings (the application reacts to it); the
 * local API key is a secret and goes to the keyring through the sign-in. */
#include "config.h"

#include "amq-preferences-window.h"

#include <glib/gi18n.h>

#include "amq-access-policy.h"
#include "amq-model-map.h"

struct _AmqPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwEntryRow    *port_row;
  AdwEntryRow    *bind_row;
  AdwEntryRow    *api_key_row;
  AdwEntryRow    *allowed_hosts_row;
  AdwEntryRow    *allowed_origins_row;
  AdwComboRow    *default_model_row;
  AdwEntryRow    *overrides_row;
  AdwEntryRow    *api_endpoint_row;
  AdwEntryRow    *token_endpoint_row;
  GtkSwitch      *start_at_login_switch;

  AmqApplication *application;
  GSettings      *settings;
};

G_DEFINE_FINAL_TYPE (AmqPreferencesWindow, amq_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
toast (AmqPreferencesWindow *self, const char *text)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (text));
}

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
on_port_apply (AmqPreferencesWindow *self)
{
  char *end = NULL;
  guint64 port = g_ascii_strtoull (row_text (self->port_row), &end, 10);

  if (end == row_text (self->port_row) || *end != '\0' || port < 1 || port > 65535)
    {
      toast (self, _("A port is a number from 1 to 65535"));
      return;
    }
  g_settings_set_uint (self->settings, "port", (guint) port);
}

static void
on_bind_apply (AmqPreferencesWindow *self)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (row_text (self->bind_row));

  if (address == NULL)
    {
      toast (self, _("Enter an IP address such as 127.0.0.1"));
      return;
    }
  if (!g_inet_address_get_is_loopback (address) && amq_signin_get_local_api_key (amq_application_get_signin (self->application)) == NULL)
    {
      toast (self, _("Set a local API key first: other machines could use your subscription"));
      return;
    }
  g_settings_set_string (self->settings, "bind-address", row_text (self->bind_row));
}

static void
on_key_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqPreferencesWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* a window closed meanwhile has nowhere to say it */
  if (!amq_signin_set_local_api_key_finish (AMQ_SIGNIN (source), result, &error) && self->settings != NULL)
    toast (self, error->message);
}

static void
on_api_key_apply (AmqPreferencesWindow *self)
{
  const char *key = row_text (self->api_key_row);

  amq_signin_set_local_api_key_async (amq_application_get_signin (self->application), key, on_key_stored,
                                      g_object_ref (self));
  if (*key != '\0')
    toast (self, _("Clients must now send this key"));
  else if (!amq_application_bound_to_loopback (self->application))
    toast (self, _("Without a key the local API stopped: it listens beyond this computer"));
  else
    toast (self, _("Any key is accepted now"));
}

/* The server checks the entries and uses them at once; the setting keeps them. */
static void
apply_access_list (AmqPreferencesWindow *self, AdwEntryRow *row, const char *key,
                   gboolean (*apply) (AmqServer *, const char * const *, GError **))
{
  g_auto(GStrv) entries = amq_access_policy_split_list (row_text (row));
  g_autoptr(GError) error = NULL;

  if (!apply (amq_application_get_server (self->application), (const char * const *) entries, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      toast (self, error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_settings_set_strv (self->settings, key, (const char * const *) entries);
}

static void
on_allowed_hosts_apply (AmqPreferencesWindow *self)
{
  apply_access_list (self, self->allowed_hosts_row, "allowed-hosts", amq_server_set_allowed_hosts);
}

static void
on_allowed_origins_apply (AmqPreferencesWindow *self)
{
  apply_access_list (self, self->allowed_origins_row, "allowed-origins", amq_server_set_allowed_origins);
}

static void
on_default_model_selected (AmqPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->default_model_row);
  const char * const *models = amq_model_map_known_upstream ();

  if (self->settings != NULL && selected < g_strv_length ((GStrv) models))
    g_settings_set_string (self->settings, "default-model", models[selected]);
}

static void
on_overrides_apply (AmqPreferencesWindow *self)
{
  g_autoptr(AmqModelMap) check = amq_model_map_new ();
  g_autoptr(GError) error = NULL;

  if (!amq_model_map_parse_overrides (check, row_text (self->overrides_row), &error))
    {
      toast (self, error->message);
      return;
    }
  g_settings_set_string (self->settings, "model-overrides", row_text (self->overrides_row));
}

static void
on_api_endpoint_apply (AmqPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "api-endpoint", row_text (self->api_endpoint_row));
}

static void
on_token_endpoint_apply (AmqPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "token-endpoint", row_text (self->token_endpoint_row));
}

static void
amq_preferences_window_dispose (GObject *object)
{
  AmqPreferencesWindow *self = AMQ_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (amq_preferences_window_parent_class)->dispose (object);
}

static void
amq_preferences_window_class_init (AmqPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_preferences_window_dispose;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, port_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, bind_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, api_key_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, allowed_hosts_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, allowed_origins_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, default_model_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, overrides_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, api_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, token_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, start_at_login_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_port_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_bind_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_api_key_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_allowed_hosts_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_allowed_origins_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_default_model_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_overrides_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_api_endpoint_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_token_endpoint_apply);
}

static void
amq_preferences_window_init (AmqPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
show_settings (AmqPreferencesWindow *self, AmqApplication *application)
{
  GSettings *settings = amq_application_get_settings (application);
  const char * const *models = amq_model_map_known_upstream ();
  g_autofree char *port = g_strdup_printf ("%u", g_settings_get_uint (settings, "port"));
  g_autofree char *bind = g_settings_get_string (settings, "bind-address");
  g_autofree char *overrides = g_settings_get_string (settings, "model-overrides");
  g_autofree char *api_endpoint = g_settings_get_string (settings, "api-endpoint");
  g_autofree char *token_endpoint = g_settings_get_string (settings, "token-endpoint");
  g_autofree char *default_model = g_settings_get_string (settings, "default-model");
  const char *api_key = amq_signin_get_local_api_key (amq_application_get_signin (application));
  g_auto(GStrv) hosts = g_settings_get_strv (settings, "allowed-hosts");
  g_auto(GStrv) origins = g_settings_get_strv (settings, "allowed-origins");
  g_autofree char *hosts_text = g_strjoinv (", ", hosts);
  g_autofree char *origins_text = g_strjoinv (", ", origins);
  g_autoptr(GtkStringList) model_list = gtk_string_list_new (models);

  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port);
  gtk_editable_set_text (GTK_EDITABLE (self->bind_row), bind);
  gtk_editable_set_text (GTK_EDITABLE (self->api_key_row), api_key ? api_key : "");
  gtk_editable_set_text (GTK_EDITABLE (self->allowed_hosts_row), hosts_text);
  gtk_editable_set_text (GTK_EDITABLE (self->allowed_origins_row), origins_text);
  gtk_editable_set_text (GTK_EDITABLE (self->overrides_row), overrides);
  gtk_editable_set_text (GTK_EDITABLE (self->api_endpoint_row), api_endpoint);
  gtk_editable_set_text (GTK_EDITABLE (self->token_endpoint_row), token_endpoint);
  adw_combo_row_set_model (self->default_model_row, G_LIST_MODEL (model_list));
  for (guint i = 0; models[i] != NULL; i++)
    if (g_str_equal (models[i], default_model))
      adw_combo_row_set_selected (self->default_model_row, i);
  g_settings_bind (settings, "start-at-login", self->start_at_login_switch, "active", G_SETTINGS_BIND_DEFAULT);
  /* set last: the rows above were filled without writing settings back */
  self->settings = g_object_ref (settings);
}

GtkWidget *
amq_preferences_window_new (AmqApplication *application)
{
  AmqPreferencesWindow *self;

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);

  self = g_object_new (AMQ_TYPE_PREFERENCES_WINDOW, NULL);
  self->application = application;
  show_settings (self, application);
  return GTK_WIDGET (self);
}
