/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-access-policy.h: which requests a web browser could have sent on a page's behalf */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define AMQ_TYPE_ACCESS_POLICY (amq_access_policy_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccessPolicy, amq_access_policy, AMQ, ACCESS_POLICY, GObject)

AmqAccessPolicy *amq_access_policy_new                 (void);
/* The address (an IP literal) and port the server listens on: Host may name them. */
void             amq_access_policy_set_listening       (AmqAccessPolicy    *self,
                                                        const char         *address,
                                                        guint               port);
/* Names Host may carry besides the loopback ones and the listening address: "name" (any
 * port) or "name:port"; NULL or empty for none. FALSE, with nothing changed, on an entry
 * that is no host name. */
gboolean         amq_access_policy_set_allowed_hosts   (AmqAccessPolicy    *self,
                                                        const char * const *hosts,
                                                        GError            **error);
/* Exact origins ("https://app.example", "http://localhost:3000") whose pages may call the
 * server; NULL or empty for none. "*" and "null" are refused. */
gboolean         amq_access_policy_set_allowed_origins (AmqAccessPolicy    *self,
                                                        const char * const *origins,
                                                        GError            **error);
/* TRUE when a request with these headers may go on; else @error (AMQ_ERROR) says why and
 * how to allow it. @uri is the request's target as libsoup resolved it. */
gboolean         amq_access_policy_check               (AmqAccessPolicy    *self,
                                                        const char         *method,
                                                        GUri               *uri,
                                                        SoupMessageHeaders *headers,
                                                        GError            **error);
/* "a.example, b.example:8443" -> { "a.example", "b.example:8443" }; NULL for NULL or blank. */
char           **amq_access_policy_split_list          (const char         *comma_separated);

G_END_DECLS
