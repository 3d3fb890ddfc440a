/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-private.h: what the files of AmqServer share (amq-server*.c) */
#pragma once

#include "amq-access-policy.h"
#include "amq-converter.h"
#include "amq-listener.h"
#include "amq-message-builder.h"
#include "amq-messages-request.h"
#include "amq-model-catalog.h"
#include "amq-request-guard.h"
#include "amq-server.h"
#include "amq-sse-channel.h"

G_BEGIN_DECLS

/* What one request's answer needs beyond the Messages request it became. */
typedef struct {
  gint64    created;        /* Unix seconds: OpenAI's objects carry it */
  gboolean  include_usage;  /* Chat Completions: stream_options.include_usage */
  char     *echo;           /* Responses: the request fields the response object repeats */
} AmqAnswerForm;

void amq_answer_form_clear (AmqAnswerForm *form);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AmqAnswerForm, amq_answer_form_clear)

/* An API the server answers in (amq-server-front-ends.c): how its body becomes a Messages
 * request, and how its answer, streamed or collected, and its errors are written. */
typedef struct {
  AmqRequestApi        api;
  const char          *path;                /* its route */
  const char          *conversation_field;  /* "messages" or "input": what errors name */
  const char          *id_prefix;           /* of the message id */
  const char          *ping_text;           /* a stream's keep-alive */
  const char          *bad_key_message;
  const char          *request_id_header;   /* one more header naming the request, or NULL */
  AmqMessagesRequest *(*parse)      (GBytes              *body,
                                     AmqAnswerForm       *form,
                                     GError             **error);
  AmqEventSink       *(*stream_new) (AmqSseChannel       *channel,
                                     const AmqAnswerForm *form);
  char               *(*render)     (AmqMessageBuilder   *builder,
                                     const AmqAnswerForm *form,
                                     GError             **error);
  char               *(*error_json) (const GError        *error,
                                     const char          *request_id);
} AmqFrontEnd;

extern const AmqFrontEnd amq_front_end_messages;
extern const AmqFrontEnd amq_front_end_chat;
extern const AmqFrontEnd amq_front_end_responses;

struct _AmqServer
{
  GObject          parent_instance;
  SoupServer      *soup;
  AmqListener     *listener;      /* while listening */
  AmqAccessPolicy *policy;
  AmqRequestGuard *guard;
  AmqAccountPool  *pool;
  AmqUpstream     *upstream;      /* for accounts without one of their own */
  AmqModelMap     *models;
  AmqModelCatalog *catalog;
  AmqRequestLog   *log;
  char            *api_key;
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
  guint            answering;     /* generation answers not yet written out */
  GPtrArray       *drains;        /* GTasks waiting for the last of them */
  gboolean         listening;
};

/* amq-server-routes.c: one handler per route */
void     amq_server_add_routes      (AmqServer          *self);
void     amq_server_respond_json    (SoupServerMessage  *msg,
                                     guint               status,
                                     const char         *json);
/* @error in @front_end's shape, with its status and Retry-After. */
void     amq_server_respond_error   (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const AmqFrontEnd  *front_end,
                                     const char         *request_id,
                                     const GError       *error);

/* amq-server-info.c: GET /health and GET /v1/models[/{id}] */
/* with @detailed FALSE (a key is set and the caller lacks it), liveness only */
void     amq_server_answer_health   (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     gboolean            detailed);
void     amq_server_answer_models   (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const char         *path,
                                     GHashTable         *query,
                                     const char         *request_id,
                                     AmqRequestRecord   *record);

/* GET /admin/accounts: every account's status, plan and credits; with @one, that account's */
void     amq_server_answer_accounts (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     AmqAccount         *one);

/* amq-server.c: a drain waits until @msg's answer is written out (or its client gone) */
void     amq_server_track_answer    (AmqServer          *self,
                                     SoupServerMessage  *msg);

/* amq-server-call.c: one generation call, from the token to the last event, on @account (or
 * another of the pool's); takes @request, @conversion and what @form holds, and answers @msg
 * asynchronously in @front_end's API */
void     amq_server_call_start      (AmqServer          *self,
                                     SoupServerMessage  *msg,
                                     const AmqFrontEnd  *front_end,
                                     AmqAnswerForm      *form,
                                     const char         *request_id,
                                     AmqRequestRecord   *record,
                                     AmqMessagesRequest *request,
                                     AmqConversion      *conversion,
                                     AmqAccount         *account,
                                     const char         *conversation_key);

G_END_DECLS
