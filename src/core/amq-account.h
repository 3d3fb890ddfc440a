/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account.h: the user's Amazon Q sign-in: where its credentials come from, and where
 * rotated tokens go */
#pragma once

#include <gio/gio.h>

#include "amq-account-health.h"
#include "amq-accounts-file.h"
#include "amq-credentials.h"
#include "amq-environment.h"
#include "amq-signin-source.h"
#include "amq-token-manager.h"
#include "amq-upstream.h"

G_BEGIN_DECLS

typedef enum {
  AMQ_ACCOUNT_ORIGIN_NONE,
  AMQ_ACCOUNT_ORIGIN_ENVIRONMENT, /* AMAZONQ_* variables or .env: successors go to the state file */
  AMQ_ACCOUNT_ORIGIN_KEYRING,     /* the app's keyring item: successors are merged into it */
  AMQ_ACCOUNT_ORIGIN_STATE_FILE,  /* amq2api-server --login without a keyring */
  AMQ_ACCOUNT_ORIGIN_SOURCE,      /* linked to another client's sign-in: read before each
                                     refresh, successors written back there */
  AMQ_ACCOUNT_ORIGIN_ACCOUNTS_FILE, /* an entry of amq2api-server --accounts: successors written
                                       back into that file */
} AmqAccountOrigin;

#define AMQ_TYPE_ACCOUNT (amq_account_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccount, amq_account, AMQ, ACCOUNT, GObject)

/* Hands its credentials to @tokens and keeps what @tokens rotates. @state_path: the state
 * file, NULL for $XDG_STATE_HOME/amq2api/credentials.json. */
AmqAccount             *amq_account_new             (AmqTokenManager     *tokens,
                                                     const char          *state_path);
/* First that has a sign-in: the environment's credentials (with the successor recorded for
 * their refresh token, the keyring filling what they leave unset), the linked source, the
 * keyring's, the state file's (--login), then the first other client signed in. */
void                    amq_account_load_async      (AmqAccount          *self,
                                                     AmqEnvironment      *environment,
                                                     AmqSigninSource     *linked,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean                amq_account_load_finish     (AmqAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* The keyring item of its label (one of several accounts the app keeps); finish with
 * amq_account_load_finish. */
void                    amq_account_load_stored_async (AmqAccount        *self,
                                                       GCancellable      *cancellable,
                                                       GAsyncReadyCallback callback,
                                                       gpointer           user_data);
/* Credentials the user entered or copied: used at once, kept in the keyring (the item of its
 * label). */
void                    amq_account_save_async      (AmqAccount          *self,
                                                     const AmqCredentialSet *set,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean                amq_account_save_finish     (AmqAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
/* Credentials from amq2api-server --login: kept where the next start finds them (the keyring
 * when there is one, else the state file). */
void                    amq_account_keep_login_async  (AmqAccount          *self,
                                                       const AmqCredentialSet *set,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean                amq_account_keep_login_finish (AmqAccount          *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
const AmqCredentialSet *amq_account_get_credentials (AmqAccount          *self);
AmqAccountOrigin        amq_account_get_origin      (AmqAccount          *self);
/* Where the sign-in comes from, for people: "Kiro CLI (/home/u/.local/share/kiro-cli/...)". */
const char             *amq_account_get_description (AmqAccount          *self);
/* The entry @entry of @file, labelled and enabled as it says. */
void                    amq_account_use_file_entry  (AmqAccount          *self,
                                                     AmqAccountsFile     *file,
                                                     const AmqAccountEntry *entry);
/* Its name among several: "default" for the one sign-in of a single-account setup. */
const char             *amq_account_get_label       (AmqAccount          *self);
void                    amq_account_set_label       (AmqAccount          *self,
                                                     const char          *label);
AmqTokenManager        *amq_account_get_tokens      (AmqAccount          *self);
AmqAccountHealth       *amq_account_get_health      (AmqAccount          *self);
/* Its own Amazon Q connection (an egress proxy of its own), or NULL: the shared one. */
AmqUpstream            *amq_account_get_upstream    (AmqAccount          *self);
void                    amq_account_set_upstream    (AmqAccount          *self,
                                                     AmqUpstream         *upstream);
/* The profile ARN to send: its own, else the default for its kind (NULL for Identity Center
 * without one). */
char                   *amq_account_dup_profile_arn (AmqAccount          *self);
/* Asks Amazon Q for the account's plan and credits (its health's "credits"), through its own
 * upstream or @shared; at most every few minutes unless @now. */
void                    amq_account_update_credits  (AmqAccount          *self,
                                                     AmqUpstream         *shared,
                                                     gboolean             now);
/* TRUE while rotated tokens are being written: wait before exiting. */
gboolean                amq_account_get_saving      (AmqAccount          *self);

G_END_DECLS
