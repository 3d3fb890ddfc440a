/* test-tray.c: amq2api as a separate process on the private test bus, driven like a panel
 * would: a fake StatusNotifierWatcher here, dbusmenu calls, D-Bus activation, --quit. */
#include <gio/gio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "test-util.h"

static GDBusConnection *bus;
static guint watcher_owner_id;
static char *item_owner;      /* unique name that registered */
static char *fake_url;
static guint port;
static GSubprocess *fake;

static const char watcher_xml[] =
  "<node><interface name='org.kde.StatusNotifierWatcher'>"
  "<method name='RegisterStatusNotifierItem'><arg name='service' type='s' direction='in'/></method>"
  "<property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "</interface></node>";

static void
on_watcher_call (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                 const char *method, GVariant *parameters, GDBusMethodInvocation *invocation, gpointer data)
{
  const char *service = NULL;

  g_variant_get (parameters, "(&s)", &service);
  g_free (item_owner);
  item_owner = g_strdup (service);
  g_assert_cmpstr (service, ==, sender);  /* registered by its unique name */
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
on_watcher_property (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                     const char *property, GError **error, gpointer data)
{
  return g_variant_new_boolean (TRUE);
}

static gboolean
spin_until (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
registered (gpointer data)
{
  return item_owner != NULL;
}

/* Calls are made from this process only: sync is safe (the app is another process). */
static GVariant *
call (const char *path, const char *interface, const char *method, GVariant *args, const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = g_dbus_connection_call_sync (bus, item_owner, path, interface, method, args,
                                                 reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                                                 G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);

  g_assert_no_error (error);
  return reply;
}

static GVariant *
item_property (const char *name)
{
  g_autoptr(GVariant) reply = call ("/StatusNotifierItem", "org.freedesktop.DBus.Properties", "Get",
                                    g_variant_new ("(ss)", "org.kde.StatusNotifierItem", name), "(v)");
  GVariant *value = NULL;

  g_variant_get (reply, "(v)", &value);
  return value;
}

/* label -> (id, toggle-state) of the menu's top level, and the revision */
static guint
layout (GHashTable *ids, GHashTable *toggles)
{
  g_autoptr(GVariant) reply = call ("/MenuBar", "com.canonical.dbusmenu", "GetLayout",
                                    g_variant_new ("(ii@as)", 0, -1, g_variant_new_strv (NULL, 0)), "(u(ia{sv}av))");
  g_autoptr(GVariant) children = NULL;
  guint revision;
  GVariantIter iter;
  GVariant *child;

  g_variant_get (reply, "(u(ia{sv}@av))", &revision, NULL, NULL, &children);
  g_variant_iter_init (&iter, children);
  while (g_variant_iter_next (&iter, "v", &child))
    {
      gint32 id;
      g_autoptr(GVariant) props = NULL;
      const char *label = NULL;
      gint32 toggle = -1;

      g_variant_get (child, "(i@a{sv}av)", &id, &props, NULL);
      g_variant_lookup (props, "label", "&s", &label);
      g_variant_lookup (props, "toggle-state", "i", &toggle);
      if (label != NULL)
        {
          g_hash_table_insert (ids, g_strdup (label), GINT_TO_POINTER (id));
          g_hash_table_insert (toggles, g_strdup (label), GINT_TO_POINTER (toggle));
        }
      g_variant_unref (child);
    }
  return revision;
}

static void
click (int id)
{
  g_autoptr(GVariant) reply = call ("/MenuBar", "com.canonical.dbusmenu", "Event",
                                    g_variant_new ("(isvu)", id, "clicked", g_variant_new_int32 (0), 0), NULL);
}

static gboolean
port_refuses (gpointer data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) c = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

  return (c == NULL) == GPOINTER_TO_INT (data);
}

static GSubprocessLauncher *
app_launcher (const char *refresh_token)
{
  GSubprocessLauncher *launcher = test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *token = g_strconcat (fake_url, "/token", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);

  g_subprocess_launcher_setenv (launcher, "AMAZONQ_REFRESH_TOKEN", refresh_token, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_ID", "tray-client", TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_SECRET", "tray-secret", TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_API_ENDPOINT", fake_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_TOKEN_ENDPOINT", token, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORT", port_text, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  return launcher;
}

static char *
app_path (void)
{
  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "src", "amq2api", NULL);
}

static guint
http_status (const char *path, const char *body)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", port, path);
  g_autoptr(SoupMessage) msg = soup_message_new (body ? "POST" : "GET", url);
  g_autoptr(GBytes) reply = NULL;

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  return soup_message_get_status (msg);
}

static gboolean
exited (gpointer data)
{
  /* the identifier (pid) is gone once the child was reaped */
  return g_subprocess_get_identifier (data) == NULL;
}

static char *
x_windows (void)
{
  g_autofree char *out = NULL;

  g_spawn_command_line_sync ("xwininfo -root -tree", &out, NULL, NULL, NULL);
  return g_steal_pointer (&out);
}

static gboolean
window_mapped (gpointer data)
{
  g_autofree char *windows = x_windows ();

  return strstr (windows, "\"Amq2Api\"") != NULL;
}

/* The item names an icon the app ships, in the theme path it advertises. */
static void
assert_icon_exists (void)
{
  g_autoptr(GVariant) icon = item_property ("IconName");
  g_autofree char *file = g_strconcat (g_variant_get_string (icon, NULL), ".svg", NULL);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data", "icons", "hicolor",
                                            "symbolic", "apps", file, NULL);

  g_test_message ("icon %s", file);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

static void
wait_check (GSubprocess *process)
{
  g_subprocess_wait_async (process, NULL, NULL, NULL);
  g_assert_true (spin_until (exited, process, 10000));
}

static void
test_tray (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher ("rt-ok");
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) toggles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GVariant) id = NULL;
  g_autoptr(GVariant) menu = NULL;
  g_autoptr(GVariant) status = NULL;
  g_autofree char *windows = NULL;
  guint revision, revision2;
  int toggle_id, quit_id;

  g_assert_nonnull (app);
  g_assert_true (spin_until (registered, NULL, 10000));
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 5000));
  id = item_property ("Id");
  menu = item_property ("Menu");
  g_assert_cmpstr (g_variant_get_string (id, NULL), ==, "com.example.Amq2Api");
  g_assert_cmpstr (g_variant_get_string (menu, NULL), ==, "/MenuBar");

  /* --background: serving, no window mapped */
  windows = x_windows ();
  g_assert_null (strstr (windows, "\"Amq2Api\""));
  assert_icon_exists ();

  /* a left click on the item shows the window */
  {
    g_autoptr(GVariant) reply = call ("/StatusNotifierItem", "org.kde.StatusNotifierItem", "Activate",
                                      g_variant_new ("(ii)", 0, 0), NULL);
    g_assert_true (spin_until (window_mapped, NULL, 5000));
  }

  revision = layout (ids, toggles);
  g_assert_true (g_hash_table_contains (ids, "Proxy enabled"));
  g_assert_true (g_hash_table_contains (ids, "Show Window"));
  g_assert_true (g_hash_table_contains (ids, "Credentials…"));
  g_assert_true (g_hash_table_contains (ids, "Quit"));
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (toggles, "Proxy enabled")), ==, 1);
  toggle_id = GPOINTER_TO_INT (g_hash_table_lookup (ids, "Proxy enabled"));
  quit_id = GPOINTER_TO_INT (g_hash_table_lookup (ids, "Quit"));

  click (toggle_id);
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (TRUE), 5000));
  revision2 = layout (ids, toggles);
  g_assert_cmpuint (revision2, >, revision);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (toggles, "Proxy enabled")), ==, 0);
  status = item_property ("Status");
  g_assert_cmpstr (g_variant_get_string (status, NULL), ==, "Passive");
  assert_icon_exists ();
  click (toggle_id);
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 5000));
  layout (ids, toggles);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (toggles, "Proxy enabled")), ==, 1);

  /* a second launch: one process, and it shows the window */
  {
    g_autoptr(GSubprocessLauncher) again = app_launcher ("rt-ok");
    g_autoptr(GSubprocess) second = g_subprocess_launcher_spawn (again, NULL, path, NULL);

    wait_check (second);
    g_assert_cmpint (g_subprocess_get_exit_status (second), ==, 0);
    g_assert_false (exited (app));
  }
  /* D-Bus activation */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, "com.example.Amq2Api", "/com/example/Amq2Api",
                                                             "org.freedesktop.Application", "Activate",
                                                             g_variant_new ("(a{sv})", NULL), NULL,
                                                             G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
    g_assert_no_error (error);
    /* now a window is mapped: the check above can see one */
    g_assert_true (spin_until (window_mapped, NULL, 5000));
  }

  /* the panel restarts: the item registers again with the new watcher */
  {
    g_clear_pointer (&item_owner, g_free);
    g_bus_unown_name (watcher_owner_id);
    watcher_owner_id = g_bus_own_name_on_connection (bus, "org.kde.StatusNotifierWatcher", G_BUS_NAME_OWNER_FLAGS_NONE,
                                                     NULL, NULL, NULL, NULL);
    g_assert_true (spin_until (registered, NULL, 10000));
  }

  click (quit_id);
  wait_check (app);
  g_assert_true (g_subprocess_get_if_exited (app));
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
}

static gboolean
needs_attention (gpointer data)
{
  g_autoptr(GVariant) status = item_property ("Status");

  return g_str_equal (g_variant_get_string (status, NULL), "NeedsAttention");
}

static void
test_sign_in_needed_and_quit_option (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher ("rt-invalid");
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) app = NULL;

  g_clear_pointer (&item_owner, g_free);
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_assert_true (spin_until (registered, NULL, 10000));
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 5000));
  g_assert_cmpuint (http_status ("/v1/messages", "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), ==, 401);
  g_assert_true (spin_until (needs_attention, NULL, 5000));
  assert_icon_exists ();
  {
    g_autoptr(GSubprocessLauncher) quitter = app_launcher ("rt-invalid");
    g_autoptr(GSubprocess) quit = g_subprocess_launcher_spawn (quitter, NULL, path, "--quit", NULL);

    wait_check (quit);
  }
  wait_check (app);
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
}

int
main (int argc, char **argv)
{
  g_autoptr(GDBusNodeInfo) info = NULL;
  GDBusInterfaceVTable vtable = { on_watcher_call, on_watcher_property, NULL };
  int status;

  g_test_init (&argc, &argv, NULL);
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  if (bus == NULL || g_getenv ("DISPLAY") == NULL)
    {
      g_test_skip ("needs the private session bus and Xvfb of build-aux/dev test");
      return g_test_run ();
    }
  info = g_dbus_node_info_new_for_xml (watcher_xml, NULL);
  g_dbus_connection_register_object (bus, "/StatusNotifierWatcher", info->interfaces[0], &vtable, NULL, NULL, NULL);
  watcher_owner_id = g_bus_own_name_on_connection (bus, "org.kde.StatusNotifierWatcher", G_BUS_NAME_OWNER_FLAGS_NONE,
                                                   NULL, NULL, NULL, NULL);

  fake = test_start_fake_upstream (&fake_url);
  port = test_free_port ();

  g_test_add_func ("/tray/menu-toggle-single-instance-quit", test_tray);
  g_test_add_func ("/tray/sign-in-needed-and-quit-option", test_sign_in_needed_and_quit_option);
  status = g_test_run ();
  g_subprocess_send_signal (fake, SIGTERM);
  return status;
}
