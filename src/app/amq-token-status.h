/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-status.h: the token manager's state in words, for the window and the tray */
#pragma once

#include "amq-token-manager.h"

G_BEGIN_DECLS

char     *amq_token_status_describe       (AmqTokenManager *tokens);
/* The user must act (sign in, enter credentials) before requests can work. */
gboolean  amq_token_status_needs_sign_in  (AmqTokenManager *tokens);
/* Something is wrong that the user must see: sign-in needed, or a rotated token not saved. */
gboolean  amq_token_status_needs_attention (AmqTokenManager *tokens);

G_END_DECLS
