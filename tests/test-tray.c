/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-tray.c: amq2api as a separate process on the private test bus, driven like a panel
 * would: a fake StatusNotifierWatcher here, dbusmenu calls, D-Bus activation, --quit. */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
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

/* The app against the fake, with @refresh_token in the environment (NULL: none, the keyring's
 * or a linked client's is used). */
static GSubprocessLauncher *
app_launcher (const char *refresh_token)
{
  GSubprocessLauncher *launcher = test_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *token = g_strconcat (fake_url, "/token", NULL);
  g_autofree char *port_text = g_strdup_printf ("%u", port);

  if (refresh_token != NULL)
    {
      g_subprocess_launcher_setenv (launcher, "AMAZONQ_REFRESH_TOKEN", refresh_token, TRUE);
      g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_ID", "tray-client", TRUE);
      g_subprocess_launcher_setenv (launcher, "AMAZONQ_CLIENT_SECRET", "tray-secret", TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_API_ENDPOINT", fake_url, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_TOKEN_ENDPOINT", token, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_SOCIAL_TOKEN_ENDPOINT", token, TRUE);
  g_subprocess_launcher_setenv (launcher, "PORT", port_text, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  return launcher;
}

static char *
app_path (void)
{
  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "src", "amq2api", NULL);
}

static const char hello[] = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

/* With @api_key as x-api-key unless it is NULL. */
static guint
http_status_with_key (const char *path, const char *body, const char *api_key)
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
  if (api_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", api_key);
  reply = soup_session_send_and_read (session, msg, NULL, NULL);
  return soup_message_get_status (msg);
}

static guint
http_status (const char *path, const char *body)
{
  return http_status_with_key (path, body, NULL);
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
  g_assert_cmpuint (http_status ("/v1/messages", hello), ==, 401);
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

/* ---- the sign-in at start ---- */

/* A folder of the build tree for this test's files, rewritten by each run. */
static char *
test_folder (const char *name)
{
  return g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "tray", g_test_get_path (), name, NULL);
}

/* A folder for XDG_CONFIG_HOME whose keyfile settings backend holds @lines. */
static char *
settings_folder (const char *lines)
{
  char *config = test_folder ("config");
  g_autofree char *dir = g_build_filename (config, "glib-2.0", "settings", NULL);
  g_autofree char *file = g_build_filename (dir, "keyfile", NULL);
  g_autofree char *contents = g_strconcat ("[com/example/Amq2Api]\n", lines, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, contents, -1, NULL));
  return config;
}

/* The app with no credentials in its environment, and settings as a user left them. */
static GSubprocessLauncher *
app_launcher_with_settings (const char *lines)
{
  GSubprocessLauncher *launcher = app_launcher (NULL);
  g_autofree char *config = settings_folder (lines);

  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "keyfile", TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
  return launcher;
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_credentials_store_finish (result, NULL));
  *(gboolean *) data = TRUE;
}

/* The keyring item @label (NULL: the sign-in's, "default"). */
static void
store_account (const char *label, const char *refresh_token, const char *local_api_key)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  gboolean stored = FALSE;

  set->refresh_token = g_strdup (refresh_token);
  set->client_id = g_strdup ("tray-client");
  set->client_secret = g_strdup ("tray-secret");
  set->local_api_key = g_strdup (local_api_key);
  amq_credentials_store_async (label, set, NULL, on_stored, &stored);
  g_assert_true (spin_until (flag_set, &stored, 10000));
}

static void
store_in_keyring (const char *refresh_token, const char *local_api_key)
{
  store_account (NULL, refresh_token, local_api_key);
}

static void
quit_app (GSubprocess *app)
{
  g_autoptr(GSubprocessLauncher) quitter = app_launcher (NULL);
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) quit = g_subprocess_launcher_spawn (quitter, NULL, path, "--quit", NULL);

  wait_check (quit);
  wait_check (app);
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
}

/* Start at login with a key in the keyring and a listen address beyond loopback: the server
 * starts once the keyring answered, and --background keeps serving. */
static void
test_background_serves_off_loopback (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher_with_settings ("bind-address='0.0.0.0'\n");
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) app = NULL;

  store_in_keyring ("rt-ok", "tray-key");
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 10000));
  g_assert_false (exited (app));
  g_assert_cmpuint (http_status ("/v1/messages", hello), ==, 401);
  g_assert_cmpuint (http_status_with_key ("/v1/messages", hello, "tray-key"), ==, 200);
  quit_app (app);
}

/* A sign-in linked to Kiro IDE is the one used at the next start, before the keyring's, and
 * its rotation goes back to Kiro IDE's file. */
static void
test_linked_signin_used_at_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher_with_settings ("signin-source='kiro-ide'\n");
  g_autofree char *home = test_folder ("home");
  g_autofree char *cache = g_build_filename (home, ".aws", "sso", "cache", NULL);
  g_autofree char *token_file = g_build_filename (cache, "kiro-auth-token.json", NULL);
  g_autofree char *path = app_path ();
  g_autofree char *after = NULL;
  g_autoptr(GSubprocess) app = NULL;

  g_assert_cmpint (g_mkdir_with_parents (cache, 0700), ==, 0);
  g_assert_true (g_file_set_contents (token_file, "{\"refreshToken\":\"rt-rotate-tray-link\",\"authMethod\":\"social\","
                                                  "\"provider\":\"Google\"}", -1, NULL));
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  store_in_keyring ("rt-invalid", NULL);
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 10000));
  g_assert_cmpuint (http_status ("/v1/messages", hello), ==, 200);
  g_assert_true (g_file_get_contents (token_file, &after, NULL, NULL));
  g_assert_nonnull (strstr (after, "rt-rotated-"));
  g_assert_null (strstr (after, "rt-rotate-tray-link"));
  quit_app (app);
}

/* A rotated refresh token that could not be saved puts the item in NeedsAttention, and the
 * menu says why; requests still work. (The first rotation comes at start: the app asks the
 * account for its credits then.) */
static void
test_not_saved_needs_attention (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher ("rt-rotate-tray");
  g_autofree char *path = app_path ();
  g_autofree char *blocker = test_folder ("not-a-folder");
  g_autofree char *state = g_build_filename (blocker, "state", NULL);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) toggles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GSubprocess) app = NULL;
  GHashTableIter iter;
  const char *label;
  gboolean said = FALSE;
  g_autofree char *parent = g_path_get_dirname (blocker);

  /* the state file would be under a plain file: no successor can be written */
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state, TRUE);
  g_clear_pointer (&item_owner, g_free);
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_assert_true (spin_until (registered, NULL, 10000));
  g_assert_true (spin_until (port_refuses, GINT_TO_POINTER (FALSE), 10000));
  g_assert_true (spin_until (needs_attention, NULL, 5000));
  g_assert_cmpuint (http_status ("/v1/messages", hello), ==, 200);
  layout (ids, toggles);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, (gpointer *) &label, NULL))
    said |= strstr (label, "not saved") != NULL;
  g_assert_true (said);
  quit_app (app);
}

/* The fake's last refresh token asked for is @data. */
static gboolean
refresh_asked (gpointer data)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake_url);

  return g_strcmp0 (json_object_get_string_member (stats, "last_refresh_token"), data) == 0;
}

/* The process that keeps the secrets on the test bus. */
static GPid
keyring_pid (void)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                                           G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                                           NULL, NULL);
  guint32 pid = 0;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(u)", &pid);
  return pid;
}

/* Quit while a rotated refresh token is still on its way into the keyring (the keyring
 * stopped for the while): the app goes only once it is written, so the next start has the
 * live token, not the one Amazon Q retired. */
static void
test_quit_waits_for_token_write (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher (NULL);
  g_autoptr(GSubprocessLauncher) quitter = app_launcher (NULL);
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GSubprocess) quit = NULL;
  g_autoptr(AmqCredentialSet) kept = NULL;
  g_autoptr(GSubprocess) continuer = NULL;
  g_autofree char *watchdog = NULL;
  GPid keyring;

  store_in_keyring ("rt-rotate-slow", NULL);
  keyring = keyring_pid ();
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  /* the sign-in's first refresh (for the credits) is answered 300 ms after it is asked */
  g_assert_true (spin_until (refresh_asked, (gpointer) "rt-rotate-slow", 10000));
  g_assert_cmpint (kill (keyring, SIGSTOP), ==, 0);
  /* should this test fail while the keyring is stopped, the suites beside it go on */
  watchdog = g_strdup_printf ("sleep 6; kill -CONT %d", keyring);
  continuer = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, NULL, "sh", "-c", watchdog, NULL);
  g_usleep (800 * 1000);
  quit = g_subprocess_launcher_spawn (quitter, NULL, path, "--quit", NULL);
  wait_check (quit);
  g_usleep (500 * 1000);
  g_assert_false (exited (app));
  g_assert_true (port_refuses (GINT_TO_POINTER (TRUE)));
  g_assert_cmpint (kill (keyring, SIGCONT), ==, 0);
  wait_check (app);
  g_assert_cmpint (g_subprocess_get_exit_status (app), ==, 0);
  kept = test_keyring_lookup ();
  g_assert_true (g_str_has_prefix (kept->refresh_token, "rt-rotated-"));
}

typedef struct { const char *prefix; const char *also; } MenuLine;

/* The menu has a label starting with @prefix (and holding @also unless NULL). */
static gboolean
menu_says (gpointer data)
{
  MenuLine *line = data;
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) toggles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  const char *label;

  layout (ids, toggles);
  g_hash_table_iter_init (&iter, ids);
  while (g_hash_table_iter_next (&iter, (gpointer *) &label, NULL))
    if (g_str_has_prefix (label, line->prefix) && (line->also == NULL || strstr (label, line->also) != NULL))
      return TRUE;
  return FALSE;
}

/* The app from @launcher, in the background: its menu says @ready and @credits. */
static void
assert_menu_lines (GSubprocessLauncher *launcher, MenuLine *ready, MenuLine *credits)
{
  g_autofree char *path = app_path ();
  g_autoptr(GSubprocess) app = NULL;

  g_clear_pointer (&item_owner, g_free);
  app = g_subprocess_launcher_spawn (launcher, NULL, path, "--background", NULL);
  g_assert_true (spin_until (registered, NULL, 10000));
  g_assert_true (spin_until (menu_says, ready, 10000));
  g_assert_true (spin_until (menu_says, credits, 10000));
  quit_app (app);
}

/* Every keyring item is an account from the start, each asked for its credits: the menu says
 * how many are ready (one's refresh token is refused) and the credits of the one with the
 * fewest left, named among several. */
static void
test_accounts_loaded_at_start (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher_with_settings ("");
  MenuLine ready = { "2 of 3 accounts ready", NULL };
  MenuLine credits = { "default: KIRO FREE · ", " of 50 credits used · resets " };

  store_in_keyring ("rt-ok", NULL);
  store_account ("spare", "rt-tray-spare", NULL);
  store_account ("broken", "rt-invalid", NULL);
  assert_menu_lines (launcher, &ready, &credits);
  test_keyring_clear_accounts ();
}

/* One account: the ready line counts it, the credits line is its plan and credits. */
static void
test_one_account_lines (void)
{
  g_autoptr(GSubprocessLauncher) launcher = app_launcher ("rt-ok");
  MenuLine ready = { "1 of 1 account ready", NULL };
  MenuLine credits = { "KIRO FREE · ", " of 50 credits used · resets " };

  assert_menu_lines (launcher, &ready, &credits);
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
  test_keyring_clear_accounts ();

  g_test_add_func ("/tray/menu-toggle-single-instance-quit", test_tray);
  g_test_add_func ("/tray/sign-in-needed-and-quit-option", test_sign_in_needed_and_quit_option);
  g_test_add_func ("/tray/background-serves-off-loopback", test_background_serves_off_loopback);
  g_test_add_func ("/tray/linked-signin-used-at-start", test_linked_signin_used_at_start);
  g_test_add_func ("/tray/not-saved-needs-attention", test_not_saved_needs_attention);
  g_test_add_func ("/tray/accounts-loaded-at-start", test_accounts_loaded_at_start);
  g_test_add_func ("/tray/one-account-lines", test_one_account_lines);
  g_test_add_func ("/tray/quit-waits-for-token-write", test_quit_waits_for_token_write);
  status = g_test_run ();
  g_subprocess_send_signal (fake, SIGTERM);
  return status;
}
