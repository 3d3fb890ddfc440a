/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-private.h: what the files of AmqAccount share (amq-account*.c) */
#pragma once

#include "amq-account.h"

G_BEGIN_DECLS

struct _AmqAccount
{
  GObject           parent_instance;
  AmqTokenManager  *tokens;
  AmqAccountHealth *health;
  AmqUpstream      *upstream;      /* its own (an egress proxy), or NULL: the server's */
  char             *label;
  char             *state_path;
  AmqCredentialSet *credentials;
  AmqAccountOrigin  origin;
  AmqSigninSource  *source;        /* ORIGIN_SOURCE */
  AmqAccountsFile  *file;          /* ORIGIN_ACCOUNTS_FILE */
  char             *description;
  char             *seed;          /* ORIGIN_ENVIRONMENT: the refresh token as given */
  char             *saved;         /* the refresh token the store holds, as far as we know */
  guint             saving;
  gint64            credits_asked_at;  /* monotonic µs of the last getUsageLimits, 0 never */
  gboolean          asking_credits;
};

/* amq-account.c: takes @set (NULL: none) as the sign-in from @origin (@source for a linked one) */
void amq_account_use_credentials             (AmqAccount             *self,
                                              AmqCredentialSet       *set,
                                              AmqAccountOrigin        origin,
                                              AmqSigninSource        *source);
/* an environment refresh token is a seed: goes on with its newest recorded successor */
void amq_account_use_environment_credentials (AmqAccount             *self,
                                              AmqCredentialSet       *set);
/* a write of rotated tokens starts (TRUE) or ends: "saving" follows */
void amq_account_count_save                  (AmqAccount             *self,
                                              gboolean                started);

/* amq-account-store.c */
void amq_account_token_store_init            (AmqTokenStoreInterface *iface);

G_END_DECLS
