/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credentials.h: the user's Amazon Q credentials in the system keyring (libsecret) */
#pragma once

#include <gio/gio.h>

#include "amq-credential-set.h"

G_BEGIN_DECLS

/* One item per account, named by its label; NULL: the single account's ("default"). */
void              amq_credentials_store_async  (const char             *label,
                                                const AmqCredentialSet *set,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gboolean          amq_credentials_store_finish (GAsyncResult           *result,
                                                GError                **error);
/* The same, on @task's cancellable, for an operation of the caller's own: returns TRUE or the
 * error through @task, which it takes. */
void              amq_credentials_store_for_task (const char             *label,
                                                  const AmqCredentialSet *set,
                                                  GTask                  *task);
/* NULL without error when nothing is stored. */
void              amq_credentials_lookup_async (const char             *label,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
AmqCredentialSet *amq_credentials_lookup_finish (GAsyncResult          *result,
                                                GError                **error);
/* A rotated refresh token merged into the stored item: every other field stays. Fails,
 * leaving the item alone, when it no longer holds @previous (another sign-in replaced it). */
void              amq_credentials_replace_refresh_token_async  (const char          *label,
                                                                const char          *previous,
                                                                const char          *refresh_token,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean          amq_credentials_replace_refresh_token_finish (GAsyncResult        *result,
                                                                GError             **error);

/* The labels of every stored account, sorted. */
void              amq_credentials_list_async   (GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
GStrv             amq_credentials_list_finish  (GAsyncResult           *result,
                                                GError                **error);
void              amq_credentials_clear_async  (const char             *label,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gboolean          amq_credentials_clear_finish (GAsyncResult           *result,
                                                GError                **error);
/* Clears as amq_credentials_clear_async does, on @task's cancellable: returns TRUE or the
 * error through @task, which it takes. */
void              amq_credentials_clear_for_task (const char             *label,
                                                  GTask                  *task);

G_END_DECLS
