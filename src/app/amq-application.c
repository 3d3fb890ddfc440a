/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-application.c
 *
 * The actions (app.proxy-enabled, app.show-window, app.credentials, app.preferences,
 * app.about, app.quit) are what the window switch, the tray menu and the command line drive.
 * app.proxy-enabled is the "proxy-enabled" setting itself; the server follows that setting,
 * its port, its address and the allowed hosts and origins. It starts once the sign-in and
 * the local API key are loaded: off loopback it may not listen without the key. While the
 * server listens the app holds itself, so closing the window leaves it serving. */
#include "config.h"

#include "amq-application.h"

#include <glib/gi18n.h>

#include "amq-autostart.h"
#include "amq-credentials-dialog.h"
#include "amq-preferences-window.h"
#include "amq-tray.h"
#include "amq-window.h"

struct _AmqApplication
{
  AdwApplication    parent_instance;
  GSettings        *settings;
  AmqTokenManager  *tokens;
  AmqUpstream      *upstream;
  AmqModelMap      *models;
  AmqServer        *server;
  AmqTray          *tray;
  AmqEnvironment   *environment;  /* AMAZONQ_* variables override settings and the keyring */
  AmqSignin        *signin;
  AmqAccounts      *accounts;
  char             *server_error;     /* why the server does not listen, or NULL */
  gboolean          holding;
  gboolean          background;
  gboolean          loaded;           /* the sign-in and the local API key are known */
};

G_DEFINE_FINAL_TYPE (AmqApplication, amq_application, ADW_TYPE_APPLICATION)

enum { PROP_0, PROP_SERVER_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

static const char *
env (AmqApplication *self, const char *name)
{
  return amq_environment_get (self->environment, name);
}

AmqServer *
amq_application_get_server (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->server;
}

AmqTokenManager *
amq_application_get_tokens (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->tokens;
}

GSettings *
amq_application_get_settings (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->settings;
}

const char *
amq_application_get_server_error (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->server_error;
}

AmqSignin *
amq_application_get_signin (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->signin;
}

AmqAccounts *
amq_application_get_accounts (AmqApplication *self)
{
  g_return_val_if_fail (AMQ_IS_APPLICATION (self), NULL);
  return self->accounts;
}

static void
set_server_error (AmqApplication *self, char *error)
{
  if (g_strcmp0 (error, self->server_error) == 0)
    {
      g_free (error);
      return;
    }
  g_free (self->server_error);
  self->server_error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVER_ERROR]);
}

static void
on_listening_changed (AmqApplication *self)
{
  gboolean hold = amq_server_get_listening (self->server);

  if (hold == self->holding)
    return;
  self->holding = hold;
  if (hold)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void
start_server (AmqApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *bind = g_settings_get_string (self->settings, "bind-address");
  g_autofree char *why = NULL;
  guint port = g_settings_get_uint (self->settings, "port");

  if (env (self, "PORT"))
    port = (guint) g_ascii_strtoull (env (self, "PORT"), NULL, 10);
  if (!amq_server_start (self->server, bind, port, &error))
    {
      why = g_strdup_printf (_("Cannot listen on %s:%u: %s"), bind, port, error->message);
      /* a taken port is the user's to fix: the window shows why, the log only notes it */
      g_message ("%s", why);
    }
  set_server_error (self, g_steal_pointer (&why));
}

static void
stop_server (AmqApplication *self)
{
  amq_server_stop (self->server);
  set_server_error (self, NULL);
}

static void
restart_server (AmqApplication *self)
{
  if (!self->loaded || !g_settings_get_boolean (self->settings, "proxy-enabled"))
    return;
  amq_server_stop (self->server);
  start_server (self);
}

static void
apply_settings (AmqApplication *self)
{
  g_autofree char *default_model = g_settings_get_string (self->settings, "default-model");
  g_autofree char *overrides = g_settings_get_string (self->settings, "model-overrides");
  g_autofree char *api_endpoint = g_settings_get_string (self->settings, "api-endpoint");
  g_autofree char *token_endpoint = g_settings_get_string (self->settings, "token-endpoint");
  g_autofree char *region_endpoint = NULL;

  amq_model_map_set_default (self->models, default_model);
  amq_model_map_parse_overrides (self->models, overrides, NULL);
  if (env (self, "AMAZONQ_API_ENDPOINT"))
    amq_upstream_set_endpoint (self->upstream, env (self, "AMAZONQ_API_ENDPOINT"));
  else if (*api_endpoint)
    amq_upstream_set_endpoint (self->upstream, api_endpoint);
  else
    {
      region_endpoint = amq_upstream_endpoint_for_profile (amq_signin_get_credentials (self->signin)->profile_arn);
      amq_upstream_set_endpoint (self->upstream, region_endpoint);
    }
  /* unset: each sign-in's region's endpoint (a Kiro sign-in may live in another region) */
  amq_accounts_set_token_endpoints (self->accounts, env (self, "AMAZONQ_TOKEN_ENDPOINT") ? env (self, "AMAZONQ_TOKEN_ENDPOINT")
                                                    : *token_endpoint ? token_endpoint : NULL,
                                    env (self, "AMAZONQ_SOCIAL_TOKEN_ENDPOINT"));
}

static void
apply_access_lists (AmqApplication *self)
{
  g_auto(GStrv) hosts = g_settings_get_strv (self->settings, "allowed-hosts");
  g_auto(GStrv) origins = g_settings_get_strv (self->settings, "allowed-origins");
  g_autoptr(GError) hosts_error = NULL;
  g_autoptr(GError) origins_error = NULL;

  /* Preferences checks what it writes; anything else that wrote a bad entry hears why here */
  if (!amq_server_set_allowed_hosts (self->server, (const char * const *) hosts, &hosts_error))
    g_message ("allowed-hosts: %s", hosts_error->message);
  if (!amq_server_set_allowed_origins (self->server, (const char * const *) origins, &origins_error))
    g_message ("allowed-origins: %s", origins_error->message);
}

gboolean
amq_application_bound_to_loopback (AmqApplication *self)
{
  g_autofree char *bind = NULL;
  g_autoptr(GInetAddress) address = NULL;

  g_return_val_if_fail (AMQ_IS_APPLICATION (self), TRUE);

  bind = g_settings_get_string (self->settings, "bind-address");
  address = g_inet_address_new_from_string (bind);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

/* The sign-in or the local API key changed: the rest of the engine follows. Off loopback the
 * key is what makes listening safe: without it the server stops, and its refused start says
 * why in the window; with a key again it starts. */
static void
follow_signin (AmqApplication *self)
{
  const char *key = amq_signin_get_local_api_key (self->signin);

  amq_server_set_api_key (self->server, key);
  apply_settings (self);
  if (self->loaded && !amq_application_bound_to_loopback (self) && (key == NULL) == amq_server_get_listening (self->server))
    restart_server (self);
}

static void
show_window (AmqApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window == NULL)
    window = GTK_WINDOW (amq_window_new (self));
  gtk_window_present (window);
}

/* Holds the app from startup until here: --background has no window to keep it running. */
static void
on_signin_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqApplication) self = user_data;

  amq_signin_load_finish (self->signin, result, NULL);
  self->loaded = TRUE;
  if (g_settings_get_boolean (self->settings, "proxy-enabled"))
    start_server (self);
  amq_accounts_update_credits (self->accounts, amq_signin_get_account (self->signin), TRUE);
  g_application_release (G_APPLICATION (self));
  /* first launch: nothing stored yet, so ask */
  if (amq_signin_get_origin (self->signin) == AMQ_ACCOUNT_ORIGIN_NONE && !self->background)
    g_action_group_activate_action (G_ACTION_GROUP (self), "credentials", NULL);
}

static void
on_accounts_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!amq_accounts_load_finish (AMQ_ACCOUNTS (source), result, &error))
    g_message ("no further accounts from the keyring: %s", error->message);
}

/* ---- actions ---- */

static void
activate_show_window (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  show_window (user_data);
}

static void
activate_credentials (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AmqApplication *self = user_data;
  AmqCredentialsDialog *dialog;

  show_window (self);
  dialog = amq_credentials_dialog_new (self);
  gtk_window_set_transient_for (GTK_WINDOW (dialog), gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
activate_preferences (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AmqApplication *self = user_data;
  GtkWidget *window;

  show_window (self);
  window = amq_preferences_window_new (self);
  gtk_window_set_transient_for (GTK_WINDOW (window), gtk_application_get_active_window (GTK_APPLICATION (self)));
  gtk_window_present (GTK_WINDOW (window));
}

static void
activate_about (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AmqApplication *self = user_data;
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about,
                "application-name", _("Amq2Api"),
                "application-icon", APP_ID,
                "version", PACKAGE_VERSION,
                "developer-name", _("The Amq2Api developers"),
                "license-type", GTK_LICENSE_GPL_3_0,
                "comments", _("Use Amazon Q Developer from any Anthropic API client, such as Claude Code."),
                "transient-for", gtk_application_get_active_window (GTK_APPLICATION (self)),
                NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_when_saved (AmqApplication *self)
{
  AmqAccountPool *pool = amq_accounts_get_pool (self->accounts);

  if (amq_account_pool_get_saving (pool))
    return;
  g_signal_handlers_disconnect_by_func (pool, quit_when_saved, self);
  g_application_quit (G_APPLICATION (self));
}

/* The windows go at once; the process stays until every rotated refresh token is written,
 * as the write may hold the only copy of the user's login. */
static void
activate_quit (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  AmqApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  stop_server (self);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_widget_set_visible (l->data, FALSE);
  g_signal_connect_swapped (amq_accounts_get_pool (self->accounts), "notify::saving",
                            G_CALLBACK (quit_when_saved), self);
  quit_when_saved (self);
}

static const GActionEntry app_actions[] = {
  { "show-window", activate_show_window },
  { "credentials", activate_credentials },
  { "preferences", activate_preferences },
  { "about", activate_about },
  { "quit", activate_quit },
};

/* ---- settings ---- */

static void
on_proxy_enabled_changed (AmqApplication *self)
{
  if (!self->loaded)
    return;  /* it starts once the sign-in is loaded */
  if (g_settings_get_boolean (self->settings, "proxy-enabled"))
    start_server (self);
  else
    stop_server (self);
}

static void
on_start_at_login_changed (AmqApplication *self)
{
  amq_autostart_set (g_settings_get_boolean (self->settings, "start-at-login"));
}

static void
follow_settings (AmqApplication *self)
{
  static const char * const engine_keys[] = { "default-model", "model-overrides", "api-endpoint", "token-endpoint" };
  g_autoptr(GAction) proxy_enabled = g_settings_create_action (self->settings, "proxy-enabled");

  g_action_map_add_action (G_ACTION_MAP (self), proxy_enabled);
  g_signal_connect_swapped (self->settings, "changed::proxy-enabled", G_CALLBACK (on_proxy_enabled_changed), self);
  g_signal_connect_swapped (self->settings, "changed::port", G_CALLBACK (restart_server), self);
  g_signal_connect_swapped (self->settings, "changed::bind-address", G_CALLBACK (restart_server), self);
  g_signal_connect_swapped (self->settings, "changed::start-at-login", G_CALLBACK (on_start_at_login_changed), self);
  g_signal_connect_swapped (self->settings, "changed::allowed-hosts", G_CALLBACK (apply_access_lists), self);
  g_signal_connect_swapped (self->settings, "changed::allowed-origins", G_CALLBACK (apply_access_lists), self);
  for (guint i = 0; i < G_N_ELEMENTS (engine_keys); i++)
    {
      g_autofree char *signal = g_strconcat ("changed::", engine_keys[i], NULL);

      g_signal_connect_swapped (self->settings, signal, G_CALLBACK (apply_settings), self);
    }
}

/* ---- GApplication ---- */

static void
amq_application_startup (GApplication *app)
{
  AmqApplication *self = AMQ_APPLICATION (app);
  const char *accels_quit[] = { "<Control>q", NULL };
  const char *accels_requests[] = { "<Alt>1", NULL };
  const char *accels_accounts[] = { "<Alt>2", NULL };

  G_APPLICATION_CLASS (amq_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", accels_quit);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.page::requests", accels_requests);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.page::accounts", accels_accounts);

  self->settings = g_settings_new (APP_ID);
  self->tokens = amq_token_manager_new (NULL);
  self->upstream = amq_upstream_new (NULL);
  self->models = amq_model_map_new ();
  /* a desktop app has no working directory of its own: the environment alone, no .env */
  self->environment = amq_environment_new (NULL);
  self->signin = amq_signin_new (self->tokens, self->settings, self->environment);
  self->accounts = amq_accounts_new (amq_signin_get_account (self->signin), self->upstream, self->settings);
  self->server = amq_server_new (amq_accounts_get_pool (self->accounts), self->upstream, self->models);
  g_signal_connect_swapped (self->signin, "changed", G_CALLBACK (follow_signin), self);
  g_signal_connect_swapped (self->server, "notify::listening", G_CALLBACK (on_listening_changed), self);
  /* outside Flatpak the autostart file is the truth; the switch shows it */
  if (!amq_autostart_in_flatpak () &&
      g_settings_get_boolean (self->settings, "start-at-login") != amq_autostart_is_enabled ())
    g_settings_set_boolean (self->settings, "start-at-login", amq_autostart_is_enabled ());
  follow_settings (self);
  apply_access_lists (self);

  follow_signin (self);
  /* listening starts once the keyring answered, also when no credentials exist */
  g_application_hold (G_APPLICATION (self));
  amq_signin_load_async (self->signin, on_signin_loaded, g_object_ref (self));
  amq_accounts_load_async (self->accounts, on_accounts_loaded, NULL);
  self->tray = amq_tray_new (self);
}

static void
amq_application_activate (GApplication *app)
{
  AmqApplication *self = AMQ_APPLICATION (app);

  if (self->background)
    {
      self->background = FALSE;  /* a later activation (desktop icon) shows the window */
      return;
    }
  show_window (self);
}

static gint
amq_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "quit"))
    {
      g_autoptr(GError) error = NULL;

      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      if (g_application_get_is_remote (app))
        g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
      return 0;
    }
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("amq2api %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static int
amq_application_command_line (GApplication *app, GApplicationCommandLine *command_line)
{
  AmqApplication *self = AMQ_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);

  if (g_variant_dict_contains (options, "background") && !g_application_command_line_get_is_remote (command_line))
    self->background = TRUE;
  g_application_activate (app);
  return 0;
}

static void
amq_application_shutdown (GApplication *app)
{
  AmqApplication *self = AMQ_APPLICATION (app);

  g_clear_object (&self->tray);
  if (self->server != NULL)
    amq_server_stop (self->server);
  G_APPLICATION_CLASS (amq_application_parent_class)->shutdown (app);
}

static void
amq_application_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqApplication *self = AMQ_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SERVER_ERROR: g_value_set_string (value, self->server_error); break;
    default:                G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_application_finalize (GObject *object)
{
  AmqApplication *self = AMQ_APPLICATION (object);

  g_clear_object (&self->server);
  g_clear_object (&self->upstream);
  g_clear_object (&self->models);
  g_clear_object (&self->tokens);
  g_clear_object (&self->settings);
  g_clear_object (&self->accounts);
  g_clear_object (&self->signin);
  g_clear_object (&self->environment);
  g_free (self->server_error);
  G_OBJECT_CLASS (amq_application_parent_class)->finalize (object);
}

static void
amq_application_class_init (AmqApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->get_property = amq_application_get_property;
  G_OBJECT_CLASS (klass)->finalize = amq_application_finalize;
  app_class->startup = amq_application_startup;
  app_class->activate = amq_application_activate;
  app_class->handle_local_options = amq_application_handle_local_options;
  app_class->command_line = amq_application_command_line;
  app_class->shutdown = amq_application_shutdown;
  properties[PROP_SERVER_ERROR] = g_param_spec_string ("server-error", NULL, NULL, NULL,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (G_OBJECT_CLASS (klass), N_PROPS, properties);
}

static void
amq_application_init (AmqApplication *self)
{
  const GOptionEntry entries[] = {
    { "background", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Start serving with no window"), NULL },
    { "quit", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Quit the running instance"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

AmqApplication *
amq_application_new (void)
{
  return g_object_new (AMQ_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/com/example/Amq2Api",
                       NULL);
}
