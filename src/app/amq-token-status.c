/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-status.c */
#include "config.h"

#include "amq-token-status.h"

#include <glib/gi18n.h>

char *
amq_token_status_describe (AmqTokenManager *tokens)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), NULL);

  switch (amq_token_manager_get_state (tokens))
    {
    case AMQ_TOKEN_STATE_NO_CREDENTIALS:
      return g_strdup (_("No credentials — sign in to start"));
    case AMQ_TOKEN_STATE_EXPIRED:
      return g_strdup (_("Expired — refreshed on the next request"));
    case AMQ_TOKEN_STATE_REFRESHING:
      return g_strdup (_("Refreshing…"));
    case AMQ_TOKEN_STATE_VALID:
      {
        g_autoptr(GDateTime) until = g_date_time_new_from_unix_local (amq_token_manager_get_expires_at (tokens));
        g_autofree char *time = g_date_time_format (until, "%H:%M");

        /* TRANSLATORS: %s is a time of day */
        return g_strdup_printf (_("Valid until %s"), time);
      }
    case AMQ_TOKEN_STATE_SIGN_IN_NEEDED:
      return g_strdup (_("Sign-in needed — the refresh token was refused"));
    case AMQ_TOKEN_STATE_NOT_SAVED:
      return g_strdup_printf (_("Signed in, but the new refresh token was not saved: %s"),
                              amq_token_manager_get_last_error (tokens));
    case AMQ_TOKEN_STATE_FAILED:
    default:
      return g_strdup_printf (_("Refresh failed: %s"), amq_token_manager_get_last_error (tokens));
    }
}

gboolean
amq_token_status_needs_sign_in (AmqTokenManager *tokens)
{
  AmqTokenState state;

  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), FALSE);

  state = amq_token_manager_get_state (tokens);
  return state == AMQ_TOKEN_STATE_NO_CREDENTIALS || state == AMQ_TOKEN_STATE_SIGN_IN_NEEDED;
}

gboolean
amq_token_status_needs_attention (AmqTokenManager *tokens)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), FALSE);

  /* requests work, but the next start (or the other client) has a refresh token that is gone */
  return amq_token_status_needs_sign_in (tokens) || amq_token_manager_get_state (tokens) == AMQ_TOKEN_STATE_NOT_SAVED;
}
