/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-pool.h: the accounts requests are served by, and which one takes a request */
#pragma once

#include <gio/gio.h>

#include "amq-account.h"
#include "amq-accounts-file.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ACCOUNT_POOL (amq_account_pool_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccountPool, amq_account_pool, AMQ, ACCOUNT_POOL, GObject)

/* A GListModel of AmqAccount, in order of priority. */
AmqAccountPool  *amq_account_pool_new             (AmqPoolStrategy  strategy);
void             amq_account_pool_add             (AmqAccountPool  *self,
                                                   AmqAccount      *account);
/* Takes @account out: no longer listed nor picked (calls under way keep their own reference).
 * Nothing happens when it is not in the pool. */
void             amq_account_pool_remove          (AmqAccountPool  *self,
                                                   AmqAccount      *account);
AmqAccount      *amq_account_pool_lookup          (AmqAccountPool  *self,
                                                   const char      *label);
AmqPoolStrategy  amq_account_pool_get_strategy    (AmqAccountPool  *self);
/* The account for a request of the conversation @conversation_key (NULL: none known): the one
 * it had while that one is ready, else one by the strategy, skipping @tried (accounts that
 * failed this request already; may be NULL). NULL when none is ready: @available_at then says
 * when the first comes back (Unix seconds; G_MAXINT64 when none does by itself). */
AmqAccount      *amq_account_pool_pick            (AmqAccountPool  *self,
                                                   const char      *conversation_key,
                                                   GPtrArray       *tried,
                                                   gint64          *available_at);
/* How many accounts are ready, of how many. */
guint            amq_account_pool_count_ready     (AmqAccountPool  *self);
/* TRUE while an account of the pool is writing rotated tokens (notify::saving): what must
 * finish before the process ends, or the user's login is lost. */
gboolean         amq_account_pool_get_saving      (AmqAccountPool  *self);

G_END_DECLS
