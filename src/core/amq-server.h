/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server.h: the local Anthropic Messages API, and OpenAI's Chat Completions and Responses */
#pragma once

#include <gio/gio.h>

#include "amq-model-map.h"
#include "amq-request-log.h"
#include "amq-account-pool.h"
#include "amq-upstream.h"

G_BEGIN_DECLS

#define AMQ_DEFAULT_PORT     8080
#define AMQ_MAX_BODY_BYTES   (32 * 1024 * 1024)

#define AMQ_TYPE_SERVER (amq_server_get_type ())
G_DECLARE_FINAL_TYPE (AmqServer, amq_server, AMQ, SERVER, GObject)

/* Requests are served by @pool's accounts, over @upstream unless an account has its own. */
AmqServer       *amq_server_new               (AmqAccountPool  *pool,
                                               AmqUpstream     *upstream,
                                               AmqModelMap     *models);
/* Listens on @address:@port (0 picks a free port). Any address but loopback needs an API key. */
gboolean         amq_server_start             (AmqServer   *self,
                                               const char  *address,
                                               guint        port,
                                               GError     **error);
void             amq_server_stop              (AmqServer   *self);
/* Takes no more connections, and finishes once the generation calls under way have answered
 * (a restart loses nothing); amq_server_stop then ends what is left. */
void             amq_server_drain_async       (AmqServer           *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean         amq_server_drain_finish      (AmqServer           *self,
                                               GAsyncResult        *result,
                                               GError             **error);
/* The "listening" and "url" properties, notified when they change. */
gboolean         amq_server_get_listening     (AmqServer   *self);
/* "http://127.0.0.1:8080", or NULL when stopped. */
const char      *amq_server_get_url           (AmqServer   *self);
guint            amq_server_get_port          (AmqServer   *self);
/* Clients must send this key (x-api-key or Authorization: Bearer); NULL accepts any. */
void             amq_server_set_api_key       (AmqServer   *self,
                                               const char  *api_key);
void             amq_server_set_ping_interval (AmqServer   *self,
                                               guint        seconds);
/* Host names (with :port or without) and exact origins accepted besides the loopback ones
 * (AmqAccessPolicy); FALSE, with nothing changed, on an entry that is not one. */
gboolean         amq_server_set_allowed_hosts (AmqServer          *self,
                                               const char * const *hosts,
                                               GError            **error);
gboolean         amq_server_set_allowed_origins (AmqServer          *self,
                                                 const char * const *origins,
                                                 GError            **error);
/* Seconds a client may take to send its request headers, and to go silent within a request
 * body; 0 keeps a default (AmqRequestGuard). */
void             amq_server_set_request_timeouts (AmqServer *self,
                                                  guint      header_seconds,
                                                  guint      body_seconds);
/* Client connections held at once; 0 for the default. Takes effect at the next start. */
void             amq_server_set_max_connections (AmqServer *self,
                                                 guint      max_connections);
AmqAccountPool  *amq_server_get_pool          (AmqServer   *self);
AmqRequestLog   *amq_server_get_request_log   (AmqServer   *self);

G_END_DECLS
