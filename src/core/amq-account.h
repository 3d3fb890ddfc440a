/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account.h: the user's Amazon Q sign-in: where its credentials come from, and where a
 * rotated refresh token goes */
#pragma once

#include <gio/gio.h>

#include "amq-credentials.h"
#include "amq-environment.h"
#include "amq-token-manager.h"

G_BEGIN_DECLS

typedef enum {
  AMQ_ACCOUNT_ORIGIN_NONE,
  AMQ_ACCOUNT_ORIGIN_ENVIRONMENT, /* AMAZONQ_* variables or .env: successors go to the state file */
  AMQ_ACCOUNT_ORIGIN_KEYRING,     /* the app's keyring item: successors are merged into it */
} AmqAccountOrigin;

#define AMQ_TYPE_ACCOUNT (amq_account_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccount, amq_account, AMQ, ACCOUNT, GObject)

/* Hands its credentials to @tokens and keeps what @tokens rotates. @state_path: the state
 * file for environment credentials, NULL for $XDG_STATE_HOME/amq2api/credentials.json. */
AmqAccount             *amq_account_new             (AmqTokenManager     *tokens,
                                                     const char          *state_path);
/* The environment's credentials (with the successor recorded for their refresh token), the
 * keyring's for whatever the environment leaves unset. */
void                    amq_account_load_async      (AmqAccount          *self,
                                                     AmqEnvironment      *environment,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean                amq_account_load_finish     (AmqAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* Credentials the user entered: used at once, kept in the keyring. */
void                    amq_account_save_async      (AmqAccount          *self,
                                                     const AmqCredentialSet *set,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean                amq_account_save_finish     (AmqAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
const AmqCredentialSet *amq_account_get_credentials (AmqAccount          *self);
AmqAccountOrigin        amq_account_get_origin      (AmqAccount          *self);
/* TRUE while a rotated refresh token is being written: wait before exiting. */
gboolean                amq_account_get_saving      (AmqAccount          *self);

G_END_DECLS
