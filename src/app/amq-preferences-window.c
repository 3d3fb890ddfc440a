/* amq-preferences-window.c: every row writes GSettings (the application reacts to it); the
 * local API key is a secret and goes to the keyring with the credentials. */
#include "amq-preferences-window.h"

#include <glib/gi18n.h>

#include "amq-model-map.h"

struct _AmqPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwEntryRow    *port_row;
  AdwEntryRow    *bind_row;
  AdwEntryRow    *api_key_row;
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
  const AmqCredentialSet *credentials = amq_application_get_credentials (self->application);

  if (address == NULL)
    {
      toast (self, _("Enter an IP address such as 127.0.0.1"));
      return;
    }
  if (!g_inet_address_get_is_loopback (address) && (credentials->local_api_key == NULL || !*credentials->local_api_key))
    {
      toast (self, _("Set a local API key first: other machines could use your subscription"));
      return;
    }
  g_settings_set_string (self->settings, "bind-address", row_text (self->bind_row));
}

static void
on_key_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!amq_application_save_credentials_finish (AMQ_APPLICATION (source), result, &error))
    g_warning ("could not store the local API key: %s", error->message);
}

static void
on_api_key_apply (AmqPreferencesWindow *self)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_copy (amq_application_get_credentials (self->application));

  g_free (set->local_api_key);
  set->local_api_key = g_strdup (row_text (self->api_key_row));
  amq_application_save_credentials_async (self->application, set, on_key_stored, NULL);
  toast (self, *set->local_api_key ? _("Clients must now send this key") : _("Any key is accepted now"));
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
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, default_model_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, overrides_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, api_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, token_endpoint_row);
  gtk_widget_class_bind_template_child (widget_class, AmqPreferencesWindow, start_at_login_switch);
  gtk_widget_class_bind_template_callback (widget_class, on_port_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_bind_apply);
  gtk_widget_class_bind_template_callback (widget_class, on_api_key_apply);
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

GtkWidget *
amq_preferences_window_new (AmqApplication *application)
{
  AmqPreferencesWindow *self = g_object_new (AMQ_TYPE_PREFERENCES_WINDOW, NULL);
  GSettings *settings = amq_application_get_settings (application);
  const char * const *models = amq_model_map_known_upstream ();
  g_autofree char *port = g_strdup_printf ("%u", g_settings_get_uint (settings, "port"));
  g_autofree char *bind = g_settings_get_string (settings, "bind-address");
  g_autofree char *overrides = g_settings_get_string (settings, "model-overrides");
  g_autofree char *api_endpoint = g_settings_get_string (settings, "api-endpoint");
  g_autofree char *token_endpoint = g_settings_get_string (settings, "token-endpoint");
  g_autofree char *default_model = g_settings_get_string (settings, "default-model");
  const AmqCredentialSet *credentials = amq_application_get_credentials (application);
  g_autoptr(GtkStringList) model_list = gtk_string_list_new (models);

  self->application = application;
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port);
  gtk_editable_set_text (GTK_EDITABLE (self->bind_row), bind);
  gtk_editable_set_text (GTK_EDITABLE (self->api_key_row), credentials && credentials->local_api_key ? credentials->local_api_key : "");
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
  return GTK_WIDGET (self);
}
