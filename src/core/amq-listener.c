/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-listener.c
 *
 * Connections are accepted here, whatever libsoup's version, and handed over to libsoup. That
 * bounds what clients can hold: at most max_connections at once (more wait in the backlog),
 * and when accept fails for want of descriptors the loop pauses instead of retrying at once
 * (GSocketService retries at once and logs each failure: 100 % CPU and megabytes of warnings a
 * second; libsoup's own listener stops accepting for good at the first failed accept).
 *
 * libsoup keeps a handed-over connection alive only while it has a listener of its own: for
 * keep-alive, it gets one on a Unix socket whose name is removed at once, which nobody can
 * reach. Keep-alive waits for libsoup 3.3: 3.2 never let go of an idle connection its client
 * closed (GNOME libsoup commit d20c6601), a descriptor each. */
#include "config.h"

#include "amq-listener.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* connections taken per wake-up: a burst is accepted quickly, and still lets others run */
#define ACCEPT_BATCH        32
/* after a failed accept (no descriptor left), the next try; a connection closing comes sooner */
#define ACCEPT_RETRY_MS     250
#define WARNING_INTERVAL_US (60 * G_USEC_PER_SEC)

struct _AmqListener
{
  GObject         parent_instance;
  SoupServer     *soup;
  gboolean        keep_alive;
  guint           max_connections;
  GSocket        *socket;          /* listening, until stopped */
  GSource        *accepting;       /* while accepting */
  guint           retry;           /* while paused after a failed accept */
  gint64          last_warning_us;
  GHashTable     *connections;     /* every ClientEntry, while libsoup holds its connection */
  GHashTable     *clients;         /* "address:port" -> the newest ClientEntry from there */
};

G_DEFINE_FINAL_TYPE (AmqListener, amq_listener, G_TYPE_OBJECT)

/* A connection handed to libsoup, until it lets the connection go. */
typedef struct {
  AmqListener *listener;  /* NULL once the listener is gone */
  char        *key;
  GSocket     *socket;
} ClientEntry;

static void start_accepting (AmqListener *self);

static char *
address_key (GSocketAddress *address)
{
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (address);
  g_autofree char *host = g_inet_address_to_string (g_inet_socket_address_get_address (inet));

  return g_strdup_printf ("%s:%u", host, g_inet_socket_address_get_port (inet));
}

static void
on_connection_gone (gpointer data, GObject *connection)
{
  ClientEntry *entry = data;
  AmqListener *self = entry->listener;

  if (self != NULL)
    {
      g_hash_table_remove (self->connections, entry);
      /* a newer connection from a reused client port may have taken the name */
      if (g_hash_table_lookup (self->clients, entry->key) == entry)
        g_hash_table_remove (self->clients, entry->key);
      if (self->accepting == NULL && self->socket != NULL)
        start_accepting (self);
    }
  g_free (entry->key);
  g_free (entry);
}

static void
forget_client (gpointer key, gpointer value, gpointer user_data)
{
  ((ClientEntry *) key)->listener = NULL;
}

/* events are small writes: without this, Nagle holds each one until the client's delayed
 * ACK, adding up to 40 ms to the first token */
static void
set_no_delay (GSocket *socket)
{
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static void
hand_over (AmqListener *self, GSocket *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  ClientEntry *entry;

  if (local == NULL || remote == NULL)
    return;  /* gone already */
  set_no_delay (socket);
  connection = g_socket_connection_factory_create_connection (socket);
  /* libsoup does not tell a message's socket for connections handed to it: remember it */
  entry = g_new0 (ClientEntry, 1);
  entry->listener = self;
  entry->key = address_key (remote);
  entry->socket = socket;
  g_hash_table_add (self->connections, entry);
  /* replace, not insert: insert would keep the old entry's key, freed with that entry */
  g_hash_table_replace (self->clients, entry->key, entry);
  g_object_weak_ref (G_OBJECT (connection), on_connection_gone, entry);
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (connection), local, remote, &error))
    g_info ("a connection was dropped: %s", error->message);
}

static void
stop_accepting (AmqListener *self)
{
  if (self->accepting != NULL)
    {
      g_source_destroy (self->accepting);
      g_clear_pointer (&self->accepting, g_source_unref);
    }
  g_clear_handle_id (&self->retry, g_source_remove);
}

static gboolean
on_retry (gpointer user_data)
{
  AmqListener *self = user_data;

  self->retry = 0;
  start_accepting (self);
  return G_SOURCE_REMOVE;
}

/* Out of descriptors (or another failure that would fail again at once): retrying at once
 * would spin the main loop and log without end. Pause, say so once a minute. */
static void
pause_accepting (AmqListener *self, const GError *error)
{
  gint64 now = g_get_monotonic_time ();

  stop_accepting (self);
  if (self->last_warning_us == 0 || now - self->last_warning_us >= WARNING_INTERVAL_US)
    {
      g_warning ("cannot accept connections (%u open): %s; retrying quietly until it passes",
                 g_hash_table_size (self->connections), error->message);
      self->last_warning_us = now;
    }
  self->retry = g_timeout_add (ACCEPT_RETRY_MS, on_retry, self);
}

static gboolean
on_acceptable (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  AmqListener *self = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = NULL;

      /* at the cap, new clients wait in the backlog until a connection closes */
      if (g_hash_table_size (self->connections) >= self->max_connections)
        {
          stop_accepting (self);
          return G_SOURCE_REMOVE;
        }
      client = g_socket_accept (socket, NULL, &error);
      if (client == NULL)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            return G_SOURCE_CONTINUE;
          pause_accepting (self, error);
          return G_SOURCE_REMOVE;
        }
      hand_over (self, client);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_accepting (AmqListener *self)
{
  g_assert (self->socket != NULL && self->accepting == NULL);

  g_clear_handle_id (&self->retry, g_source_remove);
  self->accepting = g_socket_create_source (self->socket, G_IO_IN, NULL);
  g_source_set_callback (self->accepting, (GSourceFunc) (void (*) (void)) on_acceptable, self, NULL);
  g_source_attach (self->accepting, g_main_context_get_thread_default ());
}

/* A listener libsoup counts as its own, so that it keeps handed-over connections alive; its
 * socket's name is gone before anyone could connect. */
static gboolean
add_keep_alive_anchor (AmqListener *self, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("amq2api-XXXXXX", error);
  g_autofree char *path = NULL;
  g_autoptr(GSocket) anchor = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  gboolean listening;

  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "anchor", NULL);
  address = g_unix_socket_address_new (path);
  anchor = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  listening = anchor != NULL && g_socket_bind (anchor, address, FALSE, error) && g_socket_listen (anchor, error);
  g_unlink (path);
  g_rmdir (dir);
  return listening && soup_server_listen_socket (self->soup, anchor, 0, error);
}

gboolean
amq_listener_listen (AmqListener *self, GSocket *socket, GError **error)
{
  g_return_val_if_fail (AMQ_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (self->socket == NULL, FALSE);

  if (self->keep_alive && !add_keep_alive_anchor (self, error))
    return FALSE;
  g_socket_set_blocking (socket, FALSE);
  self->socket = g_object_ref (socket);
  start_accepting (self);
  return TRUE;
}

void
amq_listener_close (AmqListener *self)
{
  g_return_if_fail (AMQ_IS_LISTENER (self));

  stop_accepting (self);
  if (self->socket != NULL)
    {
      g_socket_close (self->socket, NULL);
      g_clear_object (&self->socket);
    }
}

void
amq_listener_stop (AmqListener *self)
{
  g_return_if_fail (AMQ_IS_LISTENER (self));

  amq_listener_close (self);
  soup_server_disconnect (self->soup);
}

void
amq_listener_set_max_connections (AmqListener *self, guint max_connections)
{
  g_return_if_fail (AMQ_IS_LISTENER (self));

  self->max_connections = max_connections ? max_connections : AMQ_DEFAULT_MAX_CONNECTIONS;
}

GSocket *
amq_listener_get_client_socket (AmqListener *self, SoupServerMessage *message)
{
  g_autofree char *key = NULL;
  ClientEntry *entry;

  g_return_val_if_fail (AMQ_IS_LISTENER (self), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), NULL);

  key = address_key (soup_server_message_get_remote_address (message));
  entry = g_hash_table_lookup (self->clients, key);
  return entry ? entry->socket : NULL;
}

gboolean
amq_listener_get_keeps_alive (AmqListener *self)
{
  g_return_val_if_fail (AMQ_IS_LISTENER (self), FALSE);

  return self->keep_alive;
}

static void
amq_listener_finalize (GObject *object)
{
  AmqListener *self = AMQ_LISTENER (object);

  stop_accepting (self);
  g_clear_object (&self->socket);
  g_signal_handlers_disconnect_by_data (self->soup, self);
  g_hash_table_foreach (self->connections, forget_client, NULL);
  g_hash_table_unref (self->connections);
  g_hash_table_unref (self->clients);
  g_clear_object (&self->soup);
  G_OBJECT_CLASS (amq_listener_parent_class)->finalize (object);
}

static void
amq_listener_class_init (AmqListenerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_listener_finalize;
}

static void
amq_listener_init (AmqListener *self)
{
  self->max_connections = AMQ_DEFAULT_MAX_CONNECTIONS;
  self->connections = g_hash_table_new (NULL, NULL);
  self->clients = g_hash_table_new (g_str_hash, g_str_equal);
}

static gboolean
libsoup_releases_idle_connections (void)
{
  return soup_get_major_version () > 3 || (soup_get_major_version () == 3 && soup_get_minor_version () >= 3);
}

AmqListener *
amq_listener_new (SoupServer *soup, AmqAcceptMode mode)
{
  AmqListener *self;

  g_return_val_if_fail (SOUP_IS_SERVER (soup), NULL);

  self = g_object_new (AMQ_TYPE_LISTENER, NULL);
  self->soup = g_object_ref (soup);
  self->keep_alive = mode == AMQ_ACCEPT_KEEP_ALIVE || (mode == AMQ_ACCEPT_AUTO && libsoup_releases_idle_connections ());
  return self;
}
