/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-store.h: where a rotated refresh token is kept (keyring, state file, ...) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define AMQ_TYPE_TOKEN_STORE (amq_token_store_get_type ())
G_DECLARE_INTERFACE (AmqTokenStore, amq_token_store, AMQ, TOKEN_STORE, GObject)

struct _AmqTokenStoreInterface
{
  GTypeInterface parent_iface;

  /* Amazon Q replaced @previous with @refresh_token: keep it durably; the new access token is
   * used once this finishes. */
  void     (*save_refresh_token_async)  (AmqTokenStore       *self,
                                         const char          *previous,
                                         const char          *refresh_token,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
  gboolean (*save_refresh_token_finish) (AmqTokenStore       *self,
                                         GAsyncResult        *result,
                                         GError             **error);
};

void     amq_token_store_save_refresh_token_async  (AmqTokenStore       *self,
                                                    const char          *previous,
                                                    const char          *refresh_token,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean amq_token_store_save_refresh_token_finish (AmqTokenStore       *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
