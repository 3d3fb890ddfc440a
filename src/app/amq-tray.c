/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-tray.c
 *
 * GTK 4 has no status icon: the item speaks StatusNotifierItem and com.canonical.dbusmenu
 * itself. It registers with org.kde.StatusNotifierWatcher by the connection's unique name
 * (it owns no org.kde.* name) and again whenever a watcher appears. Every menu entry goes
 * through an application action. The accounts' lines say how many are ready and the credits
 * of the one with the fewest left; a rest ends without a notification, so the count is read
 * again when the menu is about to show. */
#include "config.h"

#include "amq-tray.h"

#include <glib/gi18n.h>

#include "amq-account-summary.h"
#include "amq-dbusmenu-generated.h"
#include "amq-sni-generated.h"
#include "amq-token-status.h"

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/MenuBar"
#define WATCHER   "org.kde.StatusNotifierWatcher"

enum {
  ITEM_ROOT,
  ITEM_TOGGLE,
  ITEM_URL,
  ITEM_TOKEN,
  ITEM_ACCOUNTS,
  ITEM_CREDITS,
  ITEM_SEPARATOR_1,
  ITEM_SHOW,
  ITEM_CREDENTIALS,
  ITEM_SEPARATOR_2,
  ITEM_QUIT,
  N_ITEMS
};

struct _AmqTray
{
  GObject             parent_instance;
  AmqApplication     *application;
  GDBusConnection    *connection;
  StatusNotifierItem *item;
  DbusMenu           *menu;
  guint               watch_id;
  guint               revision;
  guint               ready_shown;    /* the ready count the menu has */
  gboolean            registered;
};

G_DEFINE_FINAL_TYPE (AmqTray, amq_tray, G_TYPE_OBJECT)

static gboolean
proxy_enabled (AmqTray *self)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (self->application), "proxy-enabled");

  return state != NULL && g_variant_get_boolean (state);
}

static GVariant *
item_properties (AmqTray *self, int id)
{
  GVariantBuilder b;
  AmqServer *server = amq_application_get_server (self->application);

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  switch (id)
    {
    case ITEM_ROOT:
      g_variant_builder_add (&b, "{sv}", "children-display", g_variant_new_string ("submenu"));
      break;
    case ITEM_TOGGLE:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("Proxy enabled")));
      g_variant_builder_add (&b, "{sv}", "toggle-type", g_variant_new_string ("checkmark"));
      g_variant_builder_add (&b, "{sv}", "toggle-state", g_variant_new_int32 (proxy_enabled (self)));
      break;
    case ITEM_URL:
      {
        const char *url = amq_server_get_url (server);
        g_autofree char *label = url ? g_strdup_printf (_("Copy %s"), url) : g_strdup (_("Not serving"));

        g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (label));
        g_variant_builder_add (&b, "{sv}", "enabled", g_variant_new_boolean (url != NULL));
      }
      break;
    case ITEM_TOKEN:
      {
        g_autofree char *status = amq_token_status_describe (amq_application_get_tokens (self->application));

        g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (status));
        g_variant_builder_add (&b, "{sv}", "enabled", g_variant_new_boolean (FALSE));
      }
      break;
    case ITEM_ACCOUNTS:
    case ITEM_CREDITS:
      {
        AmqAccountPool *pool = amq_accounts_get_pool (amq_application_get_accounts (self->application));
        g_autofree char *line = id == ITEM_ACCOUNTS ? amq_account_summary_ready (pool)
                                                    : amq_account_summary_lowest_credits (pool);

        g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (line));
        g_variant_builder_add (&b, "{sv}", "enabled", g_variant_new_boolean (FALSE));
      }
      break;
    case ITEM_SEPARATOR_1:
    case ITEM_SEPARATOR_2:
      g_variant_builder_add (&b, "{sv}", "type", g_variant_new_string ("separator"));
      break;
    case ITEM_SHOW:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("Show Window")));
      break;
    case ITEM_CREDENTIALS:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("Credentials…")));
      break;
    case ITEM_QUIT:
    default:
      g_variant_builder_add (&b, "{sv}", "label", g_variant_new_string (_("Quit")));
      break;
    }
  return g_variant_builder_end (&b);
}

static GVariant *
layout_of (AmqTray *self, int id)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));
  if (id == ITEM_ROOT)
    for (int child = ITEM_TOGGLE; child < N_ITEMS; child++)
      g_variant_builder_add (&children, "v", layout_of (self, child));
  return g_variant_new ("(i@a{sv}av)", id, item_properties (self, id), &children);
}

static gboolean
on_get_layout (DbusMenu *menu, GDBusMethodInvocation *invocation, int parent, int depth,
               const char * const *names, AmqTray *self)
{
  if (parent < 0 || parent >= N_ITEMS)
    parent = ITEM_ROOT;
  dbus_menu_complete_get_layout (menu, invocation, self->revision, layout_of (self, parent));
  return TRUE;
}

static gboolean
on_get_group_properties (DbusMenu *menu, GDBusMethodInvocation *invocation, GVariant *ids,
                         const char * const *names, AmqTray *self)
{
  GVariantBuilder b;
  gsize n = 0;
  const gint32 *list = g_variant_get_fixed_array (ids, &n, sizeof (gint32));

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(ia{sv})"));
  for (gsize i = 0; i < n; i++)
    if (list[i] >= 0 && list[i] < N_ITEMS)
      g_variant_builder_add (&b, "(i@a{sv})", list[i], item_properties (self, list[i]));
  dbus_menu_complete_get_group_properties (menu, invocation, g_variant_builder_end (&b));
  return TRUE;
}

static void
activate_item (AmqTray *self, int id)
{
  GActionGroup *actions = G_ACTION_GROUP (self->application);

  switch (id)
    {
    case ITEM_TOGGLE:
      g_action_group_change_action_state (actions, "proxy-enabled", g_variant_new_boolean (!proxy_enabled (self)));
      break;
    case ITEM_URL:
      {
        const char *url = amq_server_get_url (amq_application_get_server (self->application));
        GdkDisplay *display = gdk_display_get_default ();

        if (url != NULL && display != NULL)
          gdk_clipboard_set_text (gdk_display_get_clipboard (display), url);
      }
      break;
    case ITEM_SHOW:
      g_action_group_activate_action (actions, "show-window", NULL);
      break;
    case ITEM_CREDENTIALS:
      g_action_group_activate_action (actions, "credentials", NULL);
      break;
    case ITEM_QUIT:
      g_action_group_activate_action (actions, "quit", NULL);
      break;
    default:
      break;
    }
}

static gboolean
on_event (DbusMenu *menu, GDBusMethodInvocation *invocation, int id, const char *event, GVariant *data,
          guint timestamp, AmqTray *self)
{
  /* answer first: the quit item ends the process */
  dbus_menu_complete_event (menu, invocation);
  if (g_str_equal (event, "clicked"))
    activate_item (self, id);
  return TRUE;
}

static gboolean
on_event_group (DbusMenu *menu, GDBusMethodInvocation *invocation, GVariant *events, AmqTray *self)
{
  GVariantIter iter;
  int id;
  const char *event;

  dbus_menu_complete_event_group (menu, invocation, g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0));
  g_variant_iter_init (&iter, events);
  while (g_variant_iter_next (&iter, "(i&svu)", &id, &event, NULL, NULL))
    if (g_str_equal (event, "clicked"))
      activate_item (self, id);
  return TRUE;
}

static AmqAccountPool *
pool (AmqTray *self)
{
  return amq_accounts_get_pool (amq_application_get_accounts (self->application));
}

static void update (AmqTray *self);

/* A rest that ended changed the ready count unannounced: the menu is told before it shows. */
static gboolean
refresh_before_showing (AmqTray *self)
{
  if (amq_account_pool_count_ready (pool (self)) == self->ready_shown)
    return FALSE;
  update (self);
  return TRUE;
}

static gboolean
on_about_to_show (DbusMenu *menu, GDBusMethodInvocation *invocation, int id, AmqTray *self)
{
  dbus_menu_complete_about_to_show (menu, invocation, refresh_before_showing (self));
  return TRUE;
}

static gboolean
on_about_to_show_group (DbusMenu *menu, GDBusMethodInvocation *invocation, GVariant *ids, AmqTray *self)
{
  gint32 root = ITEM_ROOT;

  dbus_menu_complete_about_to_show_group (menu, invocation,
                                          refresh_before_showing (self)
                                            ? g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, &root, 1, sizeof (gint32))
                                            : g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0),
                                          g_variant_new_array (G_VARIANT_TYPE_INT32, NULL, 0));
  return TRUE;
}

static gboolean
on_item_activate (StatusNotifierItem *item, GDBusMethodInvocation *invocation, int x, int y, AmqTray *self)
{
  status_notifier_item_complete_activate (item, invocation);
  g_action_group_activate_action (G_ACTION_GROUP (self->application), "show-window", NULL);
  return TRUE;
}

static gboolean
on_item_noop (StatusNotifierItem *item, GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
  return TRUE;
}

/* Icon, tooltip, status and menu follow the server, the proxy setting and the token. */
static void
update (AmqTray *self)
{
  AmqTokenManager *tokens = amq_application_get_tokens (self->application);
  gboolean serving = amq_server_get_listening (amq_application_get_server (self->application));
  gboolean attention = amq_token_status_needs_attention (tokens);
  const char *status = attention ? "NeedsAttention" : serving ? "Active" : "Passive";
  const char *icon = attention ? APP_ID "-attention-symbolic" : serving ? APP_ID "-symbolic" : APP_ID "-stopped-symbolic";
  g_autofree char *token_text = amq_token_status_describe (tokens);
  const char *url = amq_server_get_url (amq_application_get_server (self->application));
  g_autofree char *ready = amq_account_summary_ready (pool (self));
  g_autofree char *tip = g_strdup_printf ("%s\n%s\n%s", url ? url : _("Not serving"), token_text, ready);

  if (g_strcmp0 (status, status_notifier_item_get_status (self->item)) != 0)
    {
      status_notifier_item_set_status (self->item, status);
      status_notifier_item_emit_new_status (self->item, status);
    }
  if (g_strcmp0 (icon, status_notifier_item_get_icon_name (self->item)) != 0)
    {
      status_notifier_item_set_icon_name (self->item, icon);
      status_notifier_item_emit_new_icon (self->item);
    }
  status_notifier_item_set_tool_tip (self->item, g_variant_new ("(s@a(iiay)ss)", "", g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0), _("Amq2Api"), tip));
  status_notifier_item_emit_new_tool_tip (self->item);
  self->ready_shown = amq_account_pool_count_ready (pool (self));
  self->revision++;
  dbus_menu_emit_layout_updated (self->menu, self->revision, 0);
}

/* While the item is in a panel the app stays alive, even with the proxy off and no window:
 * the tray is how the user turns it back on. */
static void
set_registered (AmqTray *self, gboolean registered)
{
  if (registered == self->registered)
    return;
  self->registered = registered;
  if (registered)
    g_application_hold (G_APPLICATION (self->application));
  else
    g_application_release (G_APPLICATION (self->application));
}

static void
on_registered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqTray) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (error != NULL)
    g_debug ("tray registration failed: %s", error->message);
  set_registered (self, reply != NULL);
}

static void
on_watcher_appeared (GDBusConnection *connection, const char *name, const char *owner, gpointer user_data)
{
  AmqTray *self = user_data;

  g_dbus_connection_call (connection, WATCHER, "/StatusNotifierWatcher", WATCHER, "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)),
                          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_registered, g_object_ref (self));
}

static void
on_watcher_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  set_registered (AMQ_TRAY (user_data), FALSE);
}

static void
amq_tray_dispose (GObject *object)
{
  AmqTray *self = AMQ_TRAY (object);

  if (self->watch_id != 0)
    g_bus_unwatch_name (self->watch_id);
  self->watch_id = 0;
  set_registered (self, FALSE);
  if (self->item != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->item));
  if (self->menu != NULL)
    g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->menu));
  g_clear_object (&self->item);
  g_clear_object (&self->menu);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (amq_tray_parent_class)->dispose (object);
}

static void
amq_tray_class_init (AmqTrayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = amq_tray_dispose;
}

static void
amq_tray_init (AmqTray *self)
{
}

AmqTray *
amq_tray_new (AmqApplication *application)
{
  AmqTray *self;
  GDBusConnection *connection;
  g_autoptr(GError) error = NULL;
  g_autofree char *icon_path = g_build_filename (DATADIR, "icons", NULL);

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);

  self = g_object_new (AMQ_TYPE_TRAY, NULL);
  connection = g_application_get_dbus_connection (G_APPLICATION (application));
  self->application = application;
  if (connection == NULL)
    return self;
  self->connection = g_object_ref (connection);
  self->item = status_notifier_item_skeleton_new ();
  status_notifier_item_set_category (self->item, "ApplicationStatus");
  status_notifier_item_set_id (self->item, APP_ID);
  status_notifier_item_set_title (self->item, _("Amq2Api"));
  status_notifier_item_set_icon_theme_path (self->item, icon_path);
  status_notifier_item_set_item_is_menu (self->item, FALSE);
  status_notifier_item_set_menu (self->item, MENU_PATH);
  g_signal_connect (self->item, "handle-activate", G_CALLBACK (on_item_activate), self);
  g_signal_connect (self->item, "handle-secondary-activate", G_CALLBACK (on_item_noop), NULL);
  g_signal_connect (self->item, "handle-context-menu", G_CALLBACK (on_item_noop), NULL);
  g_signal_connect (self->item, "handle-scroll", G_CALLBACK (on_item_noop), NULL);
  self->menu = dbus_menu_skeleton_new ();
  dbus_menu_set_version (self->menu, 3);
  dbus_menu_set_status (self->menu, "normal");
  dbus_menu_set_text_direction (self->menu, "ltr");
  g_signal_connect (self->menu, "handle-get-layout", G_CALLBACK (on_get_layout), self);
  g_signal_connect (self->menu, "handle-get-group-properties", G_CALLBACK (on_get_group_properties), self);
  g_signal_connect (self->menu, "handle-event", G_CALLBACK (on_event), self);
  g_signal_connect (self->menu, "handle-event-group", G_CALLBACK (on_event_group), self);
  g_signal_connect (self->menu, "handle-about-to-show", G_CALLBACK (on_about_to_show), self);
  g_signal_connect (self->menu, "handle-about-to-show-group", G_CALLBACK (on_about_to_show_group), self);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->item), connection, ITEM_PATH, &error) ||
      !g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->menu), connection, MENU_PATH, &error))
    {
      g_warning ("cannot export the tray item: %s", error->message);
      return self;
    }
  /* the server has a URL exactly while it listens: one notification covers both */
  g_signal_connect_object (amq_application_get_server (application), "notify::url", G_CALLBACK (update),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (amq_application_get_tokens (application), "notify::state", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "action-state-changed::proxy-enabled", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (amq_application_get_accounts (application), "changed", G_CALLBACK (update), self,
                           G_CONNECT_SWAPPED);
  update (self);
  self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_watcher_appeared, on_watcher_vanished, self, NULL);
  return self;
}
