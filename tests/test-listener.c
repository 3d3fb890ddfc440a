/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-listener.c: both ways of accepting connections: one answer per connection, or keep-alive */
#include "config.h"

#include <libsoup/soup.h>

#include "amq-listener.h"

typedef struct {
  AmqListener *listener;
  GHashTable  *ports;       /* client ports seen: one per connection */
  guint        with_socket; /* requests whose socket the listener could name */
} Served;

static void
handle (SoupServer *soup, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer user_data)
{
  Served *served = user_data;
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote));

  g_hash_table_add (served->ports, GUINT_TO_POINTER (port));
  if (amq_listener_get_client_socket (served->listener, msg) != NULL)
    served->with_socket++;
  if (!amq_listener_get_keeps_alive (served->listener))
    soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok", 2);
}

static GSocket *
loopback_socket (guint *port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  g_assert_true (g_socket_listen (socket, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

typedef struct {
  GBytes  *body;
  char    *connection;
  gboolean done;
} Fetch;

static void
on_fetched (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fetch *fetch = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);

  fetch->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  fetch->connection = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Connection"));
  fetch->done = TRUE;
}

/* Three requests in a row over one session; returns how many connections the server saw. */
static guint
serve_three (AmqAcceptMode mode, gboolean *said_close)
{
  g_autoptr(SoupServer) soup = soup_server_new (NULL, NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GSocket) socket = NULL;
  Served served = { 0 };
  guint port, connections;

  served.listener = amq_listener_new (soup, mode);
  served.ports = g_hash_table_new (NULL, NULL);
  soup_server_add_handler (soup, NULL, handle, &served, NULL);
  socket = loopback_socket (&port);
  g_assert_true (amq_listener_listen (served.listener, socket, NULL));
  *said_close = FALSE;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", port);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      Fetch fetch = { 0 };

      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_fetched, &fetch);
      while (!fetch.done)
        g_main_context_iteration (NULL, TRUE);
      g_assert_nonnull (fetch.body);
      g_assert_cmpmem (g_bytes_get_data (fetch.body, NULL), g_bytes_get_size (fetch.body), "ok", 2);
      *said_close |= g_strcmp0 (fetch.connection, "close") == 0;
      g_bytes_unref (fetch.body);
      g_free (fetch.connection);
    }
  g_assert_cmpuint (served.with_socket, ==, 3);
  connections = g_hash_table_size (served.ports);
  amq_listener_stop (served.listener);
  g_object_unref (served.listener);
  g_hash_table_unref (served.ports);
  return connections;
}

static void
test_own_accept_answers_once (void)
{
  gboolean said_close;

  g_assert_cmpuint (serve_three (AMQ_ACCEPT_ONE_ANSWER, &said_close), ==, 3);
  g_assert_true (said_close);
}

static void
test_keep_alive (void)
{
  gboolean said_close;

  g_assert_cmpuint (serve_three (AMQ_ACCEPT_KEEP_ALIVE, &said_close), ==, 1);
  g_assert_false (said_close);
}

/* libsoup 3.2 never lets go of an idle connection its client closed: keep-alive from 3.3 on. */
static void
test_auto_follows_libsoup_version (void)
{
  g_autoptr(SoupServer) soup = soup_server_new (NULL, NULL);
  g_autoptr(AmqListener) listener = amq_listener_new (soup, AMQ_ACCEPT_AUTO);
  gboolean fixed = soup_get_major_version () > 3 || soup_get_minor_version () >= 3;

  g_assert_cmpint (amq_listener_get_keeps_alive (listener), ==, fixed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/listener/own-accept-answers-once", test_own_accept_answers_once);
  g_test_add_func ("/listener/keep-alive", test_keep_alive);
  g_test_add_func ("/listener/auto-follows-libsoup-version", test_auto_follows_libsoup_version);
  return g_test_run ();
}
