/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-store.c */
#include "config.h"

#include "amq-token-store.h"

G_DEFINE_INTERFACE (AmqTokenStore, amq_token_store, G_TYPE_OBJECT)

static void
amq_token_store_default_init (AmqTokenStoreInterface *iface)
{
}

void
amq_token_store_save_refresh_token_async (AmqTokenStore *self, const char *previous, const char *refresh_token,
                                          GCancellable *cancellable, GAsyncReadyCallback callback,
                                          gpointer user_data)
{
  g_return_if_fail (AMQ_IS_TOKEN_STORE (self));
  g_return_if_fail (refresh_token != NULL);

  AMQ_TOKEN_STORE_GET_IFACE (self)->save_refresh_token_async (self, previous, refresh_token, cancellable,
                                                              callback, user_data);
}

gboolean
amq_token_store_save_refresh_token_finish (AmqTokenStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_STORE (self), FALSE);

  return AMQ_TOKEN_STORE_GET_IFACE (self)->save_refresh_token_finish (self, result, error);
}
