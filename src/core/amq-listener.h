/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-listener.h: accepts client connections for a SoupServer */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum {
  AMQ_ACCEPT_AUTO,        /* keep-alive where libsoup releases idle connections (3.3+) */
  AMQ_ACCEPT_ONE_ANSWER,  /* each connection ends after one answer */
  AMQ_ACCEPT_KEEP_ALIVE,  /* connections stay open between answers */
} AmqAcceptMode;

/* connections at once; more wait in the listening backlog */
#define AMQ_DEFAULT_MAX_CONNECTIONS 4096

#define AMQ_TYPE_LISTENER (amq_listener_get_type ())
G_DECLARE_FINAL_TYPE (AmqListener, amq_listener, AMQ, LISTENER, GObject)

AmqListener *amq_listener_new               (SoupServer        *soup,
                                             AmqAcceptMode      mode);
/* Starts accepting on @socket, which is bound and listening. */
gboolean     amq_listener_listen            (AmqListener       *self,
                                             GSocket           *socket,
                                             GError           **error);
/* Connections held at once; 0 for the default. */
void         amq_listener_set_max_connections (AmqListener       *self,
                                               guint              max_connections);
/* Stops accepting (new clients are refused), keeping the connections it has. */
void         amq_listener_close             (AmqListener       *self);
/* Stops accepting and drops every connection. */
void         amq_listener_stop              (AmqListener       *self);
/* The socket @message arrived on, NULL once its connection is gone. */
GSocket     *amq_listener_get_client_socket (AmqListener       *self,
                                             SoupServerMessage *message);
/* FALSE when every connection ends after one answer (responses must say Connection: close). */
gboolean     amq_listener_get_keeps_alive   (AmqListener       *self);

G_END_DECLS
