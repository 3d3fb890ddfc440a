/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts.h: the app's Amazon Q accounts: the sign-in's first, then those kept as keyring
 * items of their own; loaded, added, removed, switched on and off */
#pragma once

#include <gio/gio.h>

#include "amq-account-pool.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ACCOUNTS (amq_accounts_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccounts, amq_accounts, AMQ, ACCOUNTS, GObject)

/* "changed" is emitted when an account comes or goes, or its status, switch, credits or last
 * error change. A pool whose first account is @first (the sign-in's, "default"). @upstream asks for credits;
 * @settings' "disabled-accounts" remembers which are switched off. */
AmqAccounts    *amq_accounts_new                 (AmqAccount          *first,
                                                  AmqUpstream         *upstream,
                                                  GSettings           *settings);
AmqAccountPool *amq_accounts_get_pool            (AmqAccounts         *self);
/* Every keyring item but the first account's becomes an account of its own, in the order of
 * their labels, and is asked for its credits. */
void            amq_accounts_load_async          (AmqAccounts         *self,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        amq_accounts_load_finish         (AmqAccounts         *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* For every account, those added later too; NULL: the default (the sign-in's region). */
void            amq_accounts_set_token_endpoints (AmqAccounts         *self,
                                                  const char          *token_endpoint,
                                                  const char          *social_token_endpoint);
/* FALSE, saying why, when a new account cannot be named @label. */
gboolean        amq_accounts_check_label         (AmqAccounts         *self,
                                                  const char          *label,
                                                  GError             **error);
/* A new account @label signed in with @set: stored in its own keyring item, then served by the
 * pool and asked for its credits. Fails, adding nothing, for a bad label, incomplete
 * credentials, or a sign-in another account has already. */
void            amq_accounts_add_async           (AmqAccounts            *self,
                                                  const char             *label,
                                                  const AmqCredentialSet *set,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
AmqAccount     *amq_accounts_add_finish          (AmqAccounts         *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* Takes @account (not the first) out of the pool and clears its keyring item. */
void            amq_accounts_remove_async        (AmqAccounts         *self,
                                                  AmqAccount          *account,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        amq_accounts_remove_finish       (AmqAccounts         *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* TRUE for the sign-in's account, which is changed in the credentials dialog, never removed. */
gboolean        amq_accounts_is_first            (AmqAccounts         *self,
                                                  AmqAccount          *account);
/* Asks @account (NULL: every account) for its plan and credits; at most every few minutes
 * unless @now. */
void            amq_accounts_update_credits      (AmqAccounts         *self,
                                                  AmqAccount          *account,
                                                  gboolean             now);

G_END_DECLS
