/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-refresh.h: one refresh call: AWS SSO-OIDC for Builder ID and Identity Center,
 * Kiro's own endpoint for its social sign-in */
#pragma once

#include <libsoup/soup.h>

#include "amq-credential-set.h"

G_BEGIN_DECLS

#define AMQ_DEFAULT_TOKEN_ENDPOINT "https://oidc.us-east-1.amazonaws.com/token"

/* NULL endpoints: the sign-in's region's (https://oidc.{region}.amazonaws.com/token,
 * https://prod.{region}.auth.desktop.kiro.dev/refreshToken). */
void              amq_token_refresh_async  (SoupSession            *session,
                                            const AmqCredentialSet *credentials,
                                            const char             *oidc_endpoint,
                                            const char             *social_endpoint,
                                            GCancellable           *cancellable,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
/* The new access token and its expiry; the refresh token only when it was rotated; the
 * profile ARN when the endpoint tells one. AMQ_ERROR_AUTHENTICATION means the sign-in is over
 * (the refresh token was refused); other errors pass. */
AmqCredentialSet *amq_token_refresh_finish (GAsyncResult           *result,
                                            GError                **error);

G_END_DECLS
