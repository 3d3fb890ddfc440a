/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-manager.h: a valid Amazon Q access token, one refresh in flight at most */
#pragma once

#include <gio/gio.h>

#include "amq-enums.h"
#include "amq-token-refresh.h"
#include "amq-token-store.h"

G_BEGIN_DECLS

#define AMQ_REFRESH_AHEAD_SECONDS  300

typedef enum {
  AMQ_TOKEN_STATE_NO_CREDENTIALS,
  AMQ_TOKEN_STATE_EXPIRED,        /* credentials, no valid access token yet */
  AMQ_TOKEN_STATE_REFRESHING,
  AMQ_TOKEN_STATE_VALID,
  AMQ_TOKEN_STATE_SIGN_IN_NEEDED, /* the refresh token was refused: log in again */
  AMQ_TOKEN_STATE_FAILED,         /* the last refresh failed for a passing reason */
  AMQ_TOKEN_STATE_NOT_SAVED,      /* valid, but the rotated refresh token could not be saved */
} AmqTokenState;

#define AMQ_TYPE_TOKEN_MANAGER (amq_token_manager_get_type ())
G_DECLARE_FINAL_TYPE (AmqTokenManager, amq_token_manager, AMQ, TOKEN_MANAGER, GObject)

/* @token_endpoint: the SSO-OIDC token endpoint, NULL for the sign-in's region's. */
AmqTokenManager *amq_token_manager_new              (const char       *token_endpoint);
/* New credentials (NULL: none): start from them, and from their access token while it lasts. */
void             amq_token_manager_set_credentials  (AmqTokenManager  *self,
                                                     const AmqCredentialSet *credentials);
/* Where rotated tokens go before the new access token is used, and where the sign-in is read
 * again before each refresh; not referenced. */
void             amq_token_manager_set_store        (AmqTokenManager  *self,
                                                     AmqTokenStore    *store);
/* NULL: the sign-in's region's endpoint. */
void             amq_token_manager_set_endpoint     (AmqTokenManager  *self,
                                                     const char       *token_endpoint);
/* Kiro's refresh endpoint for its social sign-in; NULL: the region's. */
void             amq_token_manager_set_social_endpoint (AmqTokenManager *self,
                                                        const char      *social_endpoint);
/* Seconds to wait for the token endpoint (default 30). */
void             amq_token_manager_set_timeout      (AmqTokenManager  *self,
                                                     guint             seconds);
void             amq_token_manager_set_proxy_resolver (AmqTokenManager *self,
                                                       GProxyResolver  *resolver);
gboolean         amq_token_manager_has_credentials  (AmqTokenManager  *self);
/* Hands out a valid access token, refreshing first when needed. */
void             amq_token_manager_get_token_async  (AmqTokenManager  *self,
                                                     GCancellable     *cancellable,
                                                     GAsyncReadyCallback callback,
                                                     gpointer          user_data);
char            *amq_token_manager_get_token_finish (AmqTokenManager  *self,
                                                     GAsyncResult     *result,
                                                     GError          **error);
/* Upstream refused @access_token: forget it so the next get refreshes (once). */
void             amq_token_manager_invalidate       (AmqTokenManager  *self,
                                                     const char       *access_token);
AmqTokenState    amq_token_manager_get_state        (AmqTokenManager  *self);
const char      *amq_token_manager_get_state_text   (AmqTokenManager  *self);
/* Wall-clock seconds since the epoch, 0 when there is no token. */
gint64           amq_token_manager_get_expires_at   (AmqTokenManager  *self);
const char      *amq_token_manager_get_last_error   (AmqTokenManager  *self);

G_END_DECLS
