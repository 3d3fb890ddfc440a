/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-autostart.c */
#include "config.h"

#include "amq-autostart.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

gboolean
amq_autostart_in_flatpak (void)
{
  return g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS);
}

char *
amq_autostart_file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APP_ID ".desktop", NULL);
}

static void
request_background (gboolean enabled)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  GVariantBuilder options;
  const char *commandline[] = { "amq2api", "--background", NULL };

  if (bus == NULL)
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "reason", g_variant_new_string ("Serve the local Anthropic API"));
  g_variant_builder_add (&options, "{sv}", "autostart", g_variant_new_boolean (enabled));
  g_variant_builder_add (&options, "{sv}", "commandline", g_variant_new_strv (commandline, -1));
  g_dbus_connection_call (bus, "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop",
                          "org.freedesktop.portal.Background", "RequestBackground",
                          g_variant_new ("(sa{sv})", "", &options), NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                          NULL, NULL, NULL);
}

void
amq_autostart_set (gboolean enabled)
{
  g_autofree char *path = amq_autostart_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  const char *contents =
    "[Desktop Entry]\n"
    "Type=Application\n"
    "Name=Amq2Api\n"
    "Comment=Serve the local Anthropic API for Amazon Q\n"
    "Exec=amq2api --background\n"
    "Icon=" APP_ID "\n"
    "X-GNOME-Autostart-enabled=true\n";

  if (amq_autostart_in_flatpak ())
    {
      request_background (enabled);
      return;
    }
  if (!enabled)
    {
      g_unlink (path);
      return;
    }
  g_mkdir_with_parents (dir, 0700);
  if (!g_file_set_contents (path, contents, -1, &error))
    g_warning ("cannot write %s: %s", path, error->message);
}

gboolean
amq_autostart_is_enabled (void)
{
  g_autofree char *path = amq_autostart_file_path ();

  return g_file_test (path, G_FILE_TEST_EXISTS);
}
