/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-upstream.h: the HTTP calls to Amazon Q (GenerateAssistantResponse, ListAvailableModels) */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "amq-dialect.h"

G_BEGIN_DECLS

#define AMQ_DEFAULT_API_ENDPOINT "https://q.us-east-1.amazonaws.com"
#define AMQ_DEFAULT_IDLE_TIMEOUT 120
/* Past ~615 KB the service answers "Improperly formed request.", which no client can act on */
#define AMQ_DEFAULT_MAX_REQUEST_BYTES 600000
#define AMQ_USER_AGENT "aws-sdk-rust/1.3.9 ua/2.1 api/codewhispererstreaming/0.1.11582 os/linux lang/rust/1.87.0 md/appVersion-1.19.3 app/AmazonQ-For-CLI"

#define AMQ_TYPE_UPSTREAM (amq_upstream_get_type ())
G_DECLARE_FINAL_TYPE (AmqUpstream, amq_upstream, AMQ, UPSTREAM, GObject)

AmqUpstream  *amq_upstream_new            (const char *endpoint);
void          amq_upstream_set_endpoint   (AmqUpstream *self,
                                           const char  *endpoint);
/* Seconds to wait for the response headers or between body bytes. */
void          amq_upstream_set_idle_timeout (AmqUpstream *self,
                                             guint        seconds);
guint         amq_upstream_get_idle_timeout (AmqUpstream *self);
/* Proxies for new connections, NULL for none; until this is called, the desktop's settings. */
void          amq_upstream_set_proxy_resolver (AmqUpstream    *self,
                                               GProxyResolver *resolver);
/* The origin every call names (userInputMessage.origin, ListAvailableModels); NULL or ""
 * for AMQ_DEFAULT_ORIGIN. */
void          amq_upstream_set_origin     (AmqUpstream *self,
                                           const char  *origin);
const char   *amq_upstream_get_origin     (AmqUpstream *self);
/* The largest GenerateAssistantResponse body to send (default AMQ_DEFAULT_MAX_REQUEST_BYTES);
 * 0 for no limit. */
void          amq_upstream_set_max_request_bytes (AmqUpstream *self,
                                                  gsize        bytes);
gsize         amq_upstream_get_max_request_bytes (AmqUpstream *self);
/* The endpoint for a profile ARN's region (eu-central-1 has its own), or the configured one. */
char         *amq_upstream_endpoint_for_profile (const char *profile_arn);
void          amq_upstream_send_async     (AmqUpstream         *self,
                                           const char          *body,
                                           const char          *access_token,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
/* The body stream once headers arrived; @message (out) tells the status and headers. */
GInputStream *amq_upstream_send_finish    (AmqUpstream   *self,
                                           GAsyncResult  *result,
                                           SoupMessage  **message,
                                           GError       **error);

/* ListAvailableModels: the "models" array of Amazon Q's answer. */
void          amq_upstream_list_models_async  (AmqUpstream         *self,
                                               const char          *access_token,
                                               const char          *profile_arn,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
JsonArray    *amq_upstream_list_models_finish (AmqUpstream         *self,
                                               GAsyncResult        *result,
                                               GError             **error);

/* getUsageLimits: the account's plan, credits and reset date (PROTOCOL.md §1.6). */
void          amq_upstream_get_usage_limits_async  (AmqUpstream         *self,
                                                    const char          *access_token,
                                                    const char          *profile_arn,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
JsonObject   *amq_upstream_get_usage_limits_finish (AmqUpstream         *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
