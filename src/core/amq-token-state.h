/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-state.h: the successors of refresh tokens given by the environment, kept on disk
 *
 * A refresh token from AMAZONQ_REFRESH_TOKEN (or .env) is a seed the user does not update when
 * Amazon Q rotates it. Its newest successor is kept in $XDG_STATE_HOME/amq2api/credentials.json
 * (mode 0600, written atomically and durably), keyed by a hash of the seed, so a restart with
 * the same, now stale, seed goes on with the successor. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The state file's path: $XDG_STATE_HOME/amq2api/credentials.json. */
char     *amq_token_state_default_path      (void);
/* The newest successor of @seed, or NULL when none was recorded. */
char     *amq_token_state_lookup_successor  (const char  *path,
                                             const char  *seed);
/* Records @successor for @seed; on return it is on disk. */
gboolean  amq_token_state_record_successor  (const char  *path,
                                             const char  *seed,
                                             const char  *successor,
                                             GError     **error);

G_END_DECLS
