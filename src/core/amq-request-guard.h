/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-guard.h: every request of a SoupServer checked before its body is read, and timed */
#pragma once

#include <libsoup/soup.h>

#include "amq-access-policy.h"
#include "amq-listener.h"
#include "amq-request-log.h"

G_BEGIN_DECLS

#define AMQ_DEFAULT_HEADER_TIMEOUT 10  /* seconds from the connection to the request's last header */
#define AMQ_DEFAULT_BODY_TIMEOUT   30  /* seconds a request body may stay silent */

#define AMQ_TYPE_REQUEST_GUARD (amq_request_guard_get_type ())
G_DECLARE_FINAL_TYPE (AmqRequestGuard, amq_request_guard, AMQ, REQUEST_GUARD, GObject)

/* Guards the requests of @soup from now on: @policy decides who may call, bodies over
 * @max_body_bytes are refused (413) as soon as that is known, and each refusal's reason
 * goes to @log once. */
AmqRequestGuard *amq_request_guard_new          (SoupServer      *soup,
                                                 AmqAccessPolicy *policy,
                                                 AmqRequestLog   *log,
                                                 gsize            max_body_bytes);
/* The listener accepting for @soup, or NULL: it names a refused request's socket. */
void             amq_request_guard_set_listener (AmqRequestGuard *self,
                                                 AmqListener     *listener);
/* A connection that has not sent its request headers after @header_seconds is closed; a
 * request body that stays silent for @body_seconds is answered 408. 0 keeps a default. */
void             amq_request_guard_set_timeouts (AmqRequestGuard *self,
                                                 guint            header_seconds,
                                                 guint            body_seconds);

G_END_DECLS
