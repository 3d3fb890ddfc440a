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
amq_token_store_save_tokens_async (AmqTokenStore *self, const char *previous, const AmqCredentialSet *tokens,
                                   GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (AMQ_IS_TOKEN_STORE (self));
  g_return_if_fail (tokens != NULL && tokens->refresh_token != NULL);

  AMQ_TOKEN_STORE_GET_IFACE (self)->save_tokens_async (self, previous, tokens, cancellable, callback, user_data);
}

gboolean
amq_token_store_save_tokens_finish (AmqTokenStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_STORE (self), FALSE);

  return AMQ_TOKEN_STORE_GET_IFACE (self)->save_tokens_finish (self, result, error);
}

gboolean
amq_token_store_can_reload (AmqTokenStore *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_STORE (self), FALSE);

  return AMQ_TOKEN_STORE_GET_IFACE (self)->reload_async != NULL;
}

void
amq_token_store_reload_async (AmqTokenStore *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_return_if_fail (amq_token_store_can_reload (self));

  AMQ_TOKEN_STORE_GET_IFACE (self)->reload_async (self, cancellable, callback, user_data);
}

AmqCredentialSet *
amq_token_store_reload_finish (AmqTokenStore *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (amq_token_store_can_reload (self), NULL);

  return AMQ_TOKEN_STORE_GET_IFACE (self)->reload_finish (self, result, error);
}
