/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-store.h: where a sign-in's tokens are kept (keyring, state file, another client's
 * files...) */
#pragma once

#include <gio/gio.h>

#include "amq-credential-set.h"

G_BEGIN_DECLS

#define AMQ_TYPE_TOKEN_STORE (amq_token_store_get_type ())
G_DECLARE_INTERFACE (AmqTokenStore, amq_token_store, AMQ, TOKEN_STORE, GObject)

struct _AmqTokenStoreInterface
{
  GTypeInterface parent_iface;

  /* Amazon Q replaced @previous with @tokens' refresh token (its access token and expiry come
   * along): keep them durably; the new access token is used once this finishes. */
  void               (*save_tokens_async)  (AmqTokenStore          *self,
                                            const char             *previous,
                                            const AmqCredentialSet *tokens,
                                            GCancellable           *cancellable,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
  gboolean           (*save_tokens_finish) (AmqTokenStore          *self,
                                            GAsyncResult           *result,
                                            GError                **error);
  /* Optional: the sign-in as the store holds it now, read before each refresh, for stores that
   * another client rotates too. */
  void               (*reload_async)       (AmqTokenStore          *self,
                                            GCancellable           *cancellable,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
  AmqCredentialSet * (*reload_finish)      (AmqTokenStore          *self,
                                            GAsyncResult           *result,
                                            GError                **error);
};

void               amq_token_store_save_tokens_async  (AmqTokenStore          *self,
                                                       const char             *previous,
                                                       const AmqCredentialSet *tokens,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
gboolean           amq_token_store_save_tokens_finish (AmqTokenStore          *self,
                                                       GAsyncResult           *result,
                                                       GError                **error);
gboolean           amq_token_store_can_reload         (AmqTokenStore          *self);
void               amq_token_store_reload_async       (AmqTokenStore          *self,
                                                       GCancellable           *cancellable,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
AmqCredentialSet  *amq_token_store_reload_finish      (AmqTokenStore          *self,
                                                       GAsyncResult           *result,
                                                       GError                **error);

G_END_DECLS
