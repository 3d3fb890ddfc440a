/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-listener.c
 *
 * libsoup 3.2's own listener keeps a reference to every socket it accepts: a connection its
 * client closed while idle kept its descriptor, and each one leaked about 500 bytes even when
 * the server closed it (fixed in libsoup 3.3, GNOME libsoup commit d20c6601). Before 3.3 the
 * listener accepts connections itself and hands them over, which leaks neither; libsoup then
 * ends each such connection after one answer (it keeps a connection alive only for its own
 * listeners), so keep-alive is for libsoup 3.3 and later. */
#include "config.h"

#include "amq-listener.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

struct _AmqListener
{
  GObject         parent_instance;
  SoupServer     *soup;
  gboolean        own_accept;
  GSocketService *service;   /* own_accept only */
  GHashTable     *clients;   /* "address:port" -> ClientEntry, while libsoup holds it */
};

G_DEFINE_FINAL_TYPE (AmqListener, amq_listener, G_TYPE_OBJECT)

/* A connection handed to libsoup, until it lets the connection go. */
typedef struct {
  AmqListener *listener;  /* NULL once the listener (or a newer connection from that port) took over */
  char        *key;
  GSocket     *socket;
} ClientEntry;

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

  if (entry->listener != NULL)
    g_hash_table_remove (entry->listener->clients, entry->key);
  g_free (entry->key);
  g_free (entry);
}

static void
forget_client (gpointer key, gpointer value, gpointer user_data)
{
  ((ClientEntry *) value)->listener = NULL;
}

/* events are small writes: without this, Nagle holds each one until the client's delayed
 * ACK, adding up to 40 ms to the first token */
static void
set_no_delay (GSocket *socket)
{
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}

static gboolean
on_incoming (GSocketService *service, GSocketConnection *connection, GObject *source, gpointer user_data)
{
  AmqListener *self = user_data;
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GError) error = NULL;
  ClientEntry *entry;

  if (local == NULL || remote == NULL)
    return TRUE;  /* gone already */
  set_no_delay (socket);
  /* libsoup does not tell a message's socket for connections handed to it: remember it */
  entry = g_new0 (ClientEntry, 1);
  entry->listener = self;
  entry->key = address_key (remote);
  entry->socket = socket;
  if (g_hash_table_contains (self->clients, entry->key))
    forget_client (NULL, g_hash_table_lookup (self->clients, entry->key), NULL);
  /* replace, not insert: insert would keep the old entry's key, freed with that entry */
  g_hash_table_replace (self->clients, entry->key, entry);
  g_object_weak_ref (G_OBJECT (connection), on_connection_gone, entry);
  if (!soup_server_accept_iostream (self->soup, G_IO_STREAM (connection), local, remote, &error))
    g_info ("a connection was dropped: %s", error->message);
  return TRUE;
}

static void
on_request_started (SoupServer *soup, SoupServerMessage *message, gpointer user_data)
{
  GSocket *socket = soup_server_message_get_socket (message);

  if (socket != NULL)
    set_no_delay (socket);
}

gboolean
amq_listener_listen (AmqListener *self, GSocket *socket, GError **error)
{
  g_return_val_if_fail (AMQ_IS_LISTENER (self), FALSE);
  g_return_val_if_fail (G_IS_SOCKET (socket), FALSE);
  g_return_val_if_fail (self->service == NULL, FALSE);

  if (!self->own_accept)
    return soup_server_listen_socket (self->soup, socket, 0, error);
  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (self->service), socket, NULL, error))
    {
      g_clear_object (&self->service);
      return FALSE;
    }
  g_socket_service_start (self->service);
  return TRUE;
}

static void
stop_accepting (AmqListener *self)
{
  if (self->service == NULL)
    return;
  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_object (&self->service);
}

void
amq_listener_stop (AmqListener *self)
{
  g_return_if_fail (AMQ_IS_LISTENER (self));

  stop_accepting (self);
  soup_server_disconnect (self->soup);
}

GSocket *
amq_listener_get_client_socket (AmqListener *self, SoupServerMessage *message)
{
  g_autofree char *key = NULL;
  ClientEntry *entry;

  g_return_val_if_fail (AMQ_IS_LISTENER (self), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), NULL);

  if (!self->own_accept)
    return soup_server_message_get_socket (message);
  key = address_key (soup_server_message_get_remote_address (message));
  entry = g_hash_table_lookup (self->clients, key);
  return entry ? entry->socket : NULL;
}

gboolean
amq_listener_get_keeps_alive (AmqListener *self)
{
  g_return_val_if_fail (AMQ_IS_LISTENER (self), FALSE);

  return !self->own_accept;
}

static void
amq_listener_finalize (GObject *object)
{
  AmqListener *self = AMQ_LISTENER (object);

  stop_accepting (self);
  g_signal_handlers_disconnect_by_data (self->soup, self);
  g_hash_table_foreach (self->clients, forget_client, NULL);
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
  self->clients = g_hash_table_new (g_str_hash, g_str_equal);
}

static gboolean
libsoup_listener_is_sound (void)
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
  self->own_accept = mode == AMQ_ACCEPT_OWN || (mode == AMQ_ACCEPT_AUTO && !libsoup_listener_is_sound ());
  if (!self->own_accept)
    g_signal_connect (soup, "request-started", G_CALLBACK (on_request_started), self);
  return self;
}
