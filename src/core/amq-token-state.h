/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-state.h: what amq2api-server keeps on disk when there is no keyring
 *
 * $XDG_STATE_HOME/amq2api/credentials.json (mode 0600, written atomically and durably):
 * - the newest successor of each refresh token given by the environment (a seed the user does
 *   not update when Amazon Q rotates it), keyed by a hash of the seed, so a restart with the
 *   same, now stale, seed goes on with the successor;
 * - the sign-in made with amq2api-server --login. */
#pragma once

#include "amq-credential-set.h"

G_BEGIN_DECLS

/* The state file's path: $XDG_STATE_HOME/amq2api/credentials.json. */
char             *amq_token_state_default_path      (void);
/* The newest successor of @seed, or NULL when none was recorded. */
char             *amq_token_state_lookup_successor  (const char              *path,
                                                     const char              *seed);
/* Records @successor for @seed; on return it is on disk. */
gboolean          amq_token_state_record_successor  (const char              *path,
                                                     const char              *seed,
                                                     const char              *successor,
                                                     GError                 **error);
/* The --login sign-in, or NULL. */
AmqCredentialSet *amq_token_state_read_login        (const char              *path);
/* Keeps @set (its refresh token, client registration, region, kind) as the --login sign-in. */
gboolean          amq_token_state_write_login       (const char              *path,
                                                     const AmqCredentialSet  *set,
                                                     GError                 **error);

G_END_DECLS
