/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts-file.h: amq2api-server --accounts FILE: several Amazon Q sign-ins in one JSON
 * file, rotated refresh tokens written back into it */
#pragma once

#include <gio/gio.h>

#include "amq-credential-set.h"

G_BEGIN_DECLS

typedef enum {
  AMQ_POOL_PRIORITY,     /* the first ready account, in the file's order */
  AMQ_POOL_ROUND_ROBIN,  /* new conversations in turn */
  AMQ_POOL_LEAST_USED,   /* new conversations to the account with the fewest requests */
} AmqPoolStrategy;

typedef struct {
  char             *label;
  AmqCredentialSet *credentials;
  gboolean          enabled;
  char             *proxy;        /* http, https or socks5 URL; NULL: the system's */
} AmqAccountEntry;

#define AMQ_TYPE_ACCOUNTS_FILE (amq_accounts_file_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccountsFile, amq_accounts_file, AMQ, ACCOUNTS_FILE, GObject)

/* {"strategy": "priority|round-robin|least-used", "accounts": [{"label", "refreshToken",
 * "clientId", "clientSecret", "profileArn"?, "region"?, "kind"?, "enabled"?, "proxy"?}]}.
 * Refused when others may read it, and when malformed: the message names the line and field. */
AmqAccountsFile *amq_accounts_file_load                (const char       *path,
                                                        GError          **error);
const char      *amq_accounts_file_get_path            (AmqAccountsFile  *self);
AmqPoolStrategy  amq_accounts_file_get_strategy        (AmqAccountsFile  *self);
/* AmqAccountEntry, in the file's order. */
GPtrArray       *amq_accounts_file_get_entries         (AmqAccountsFile  *self);
/* The account @label's refresh token, @previous in the file, becomes @refresh_token: the file is
 * read again, changed there only, and replaced atomically (mode 0600). Fails, writing nothing,
 * when the file holds another token for @label by now. */
gboolean         amq_accounts_file_save_refresh_token  (AmqAccountsFile  *self,
                                                        const char       *label,
                                                        const char       *previous,
                                                        const char       *refresh_token,
                                                        GError          **error);
const char      *amq_pool_strategy_to_string           (AmqPoolStrategy   strategy);

G_END_DECLS
