/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin-source-private.h: the two record formats behind AmqSigninSource, run in its worker thread */
#pragma once

#include "amq-signin-source.h"

G_BEGIN_DECLS

/* amq-signin-sqlite.c: Kiro CLI and Amazon Q CLI, table auth_kv(key, value) of JSON values.
 * @kiro: the Kiro CLI's keys first (kirocli:*), then the older codewhisperer:odic:* ones. */
AmqCredentialSet *amq_signin_sqlite_read  (const char              *path,
                                           gboolean                 kiro,
                                           GError                 **error);
gboolean          amq_signin_sqlite_write (const char              *path,
                                           gboolean                 kiro,
                                           const char              *previous,
                                           const AmqCredentialSet  *tokens,
                                           GError                 **error);

/* amq-signin-json.c: Kiro IDE's kiro-auth-token.json, and for Identity Center the client
 * registration {clientIdHash}.json beside it. */
AmqCredentialSet *amq_signin_json_read    (const char              *path,
                                           GError                 **error);
gboolean          amq_signin_json_write   (const char              *path,
                                           const char              *previous,
                                           const AmqCredentialSet  *tokens,
                                           GError                 **error);

/* Both: RFC 3339 times, as the clients write them. */
gint64            amq_signin_parse_time   (const char              *text);
char             *amq_signin_format_time  (gint64                   seconds);

G_END_DECLS
