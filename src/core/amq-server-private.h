/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-private.h: what the files of AmqServer share (amq-server*.c) */
#pragma once

#include "amq-access-policy.h"
#include "amq-converter.h"
#include "amq-listener.h"
#include "amq-messages-request.h"
#include "amq-model-catalog.h"
#include "amq-request-guard.h"
#include "amq-server.h"

G_BEGIN_DECLS

struct _AmqServer
{
  GObject          parent_instance;
  SoupServer      *soup;
  AmqListener     *listener;      /* while listening */
  AmqAccessPolicy *policy;
  AmqRequestGuard *guard;
  AmqTokenManager *tokens;
  AmqUpstream     *upstream;
  AmqModelMap     *models;
  AmqModelCatalog *catalog;
  AmqRequestLog   *log;
  char            *api_key;
  char            *profile_arn;
  char            *address;
  char            *url;           /* while listening */
  guint            port;
  guint            max_connections;
  guint            ping_interval;
  gint64           started_at;
  guint64          requests_served;
  guint64          errors;
  guint            active_calls;
  guint            peak_calls;    /* since the server was last idle */
  gboolean         listening;
};

/* amq-server-routes.c: one handler per route */
void     amq_server_add_routes      (AmqServer          *self);
void     amq_server_respond_json    (SoupServerMessage  *msg,
                                     guint               status,
                                     const char         *json);
void     amq_server_respond_error   (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const char         *request_id,
                                     const GError       *error);

/* amq-server-info.c: GET /health and GET /v1/models[/{id}] */
void     amq_server_answer_health   (AmqServer          *self,
                                     SoupServerMessage  *msg);
void     amq_server_answer_models   (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const char         *path,
                                     GHashTable         *query,
                                     const char         *request_id,
                                     AmqRequestRecord   *record);

/* amq-server-call.c: one generation call, from the token to the last event; takes @request
 * and @conversion and answers @msg asynchronously */
void     amq_server_call_start      (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const char         *request_id,
                                     AmqRequestRecord   *record,
                                     AmqMessagesRequest *request,
                                     AmqConversion      *conversion);

G_END_DECLS
