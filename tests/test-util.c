/* test-util.c */
#include "test-util.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GSubprocessLauncher *
test_launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

char *
test_read_listening_url (GSubprocess *process)
{
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_autofree char *line = g_data_input_stream_read_line (lines, NULL, NULL, NULL);

  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on "));
  /* the data stream reads ahead: keep it for the rest of the output */
  g_object_set_data_full (G_OBJECT (process), "lines", g_object_ref (lines), g_object_unref);
  return g_strdup (line + strlen ("listening on "));
}

char *
test_read_remaining_output (GSubprocess *process)
{
  GDataInputStream *lines = g_object_get_data (G_OBJECT (process), "lines");
  GString *output = g_string_new (NULL);
  char *line;

  while (lines != NULL && (line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL)
    {
      g_string_append_printf (output, "%s\n", line);
      g_free (line);
    }
  return g_string_free (output, FALSE);
}

GSubprocess *
test_start_fake_upstream (char **url)
{
  g_autoptr(GSubprocessLauncher) launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "fake-upstream", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *fake = g_subprocess_launcher_spawn (launcher, &error, path, "--port=0", NULL);

  g_assert_no_error (error);
  *url = test_read_listening_url (fake);
  return fake;
}

guint
test_free_port (void)
{
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (probe, any, TRUE, NULL));
  bound = g_socket_get_local_address (probe, NULL);
  g_socket_close (probe, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

gboolean
test_secrets_service_present (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) owner = NULL;

  if (bus == NULL)
    return FALSE;
  owner = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetNameOwner", g_variant_new ("(s)", "org.freedesktop.secrets"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  return owner != NULL;
}

typedef struct {
  gboolean          done;
  AmqCredentialSet *set;
} Lookup;

static void
on_lookup (GObject *source, GAsyncResult *result, gpointer data)
{
  Lookup *lookup = data;

  lookup->set = amq_credentials_lookup_finish (result, NULL);
  lookup->done = TRUE;
}

AmqCredentialSet *
test_keyring_lookup (void)
{
  Lookup lookup = { 0 };

  amq_credentials_lookup_async (NULL, on_lookup, &lookup);
  while (!lookup.done)
    g_main_context_iteration (NULL, TRUE);
  return lookup.set;
}
