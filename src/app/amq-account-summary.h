/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-summary.h: accounts, their status and credits in words, for the window and the
 * tray */
#pragma once

#include "amq-account-pool.h"

G_BEGIN_DECLS

/* "Ready", "Cooling down until 14:05"…: as of now (a rest ends without notice: ask again when
 * drawing). */
char       *amq_account_summary_status          (AmqAccountHealth *health);
/* "12.5 of 50 credits used · resets Aug 1"; NULL while not known. */
char       *amq_account_summary_credits         (const AmqCredits *credits);
/* The plan, then the credits: "KIRO FREE · 12.5 of 50 credits used · resets Aug 1"; NULL while
 * not known. */
char       *amq_account_summary_plan_credits    (const AmqCredits *credits);
/* Credits used of the limit, 0 to 1; -1 while not known. */
gdouble     amq_account_summary_used_fraction   (const AmqCredits *credits);
/* When a rest (cooling, used up) ends by itself, Unix seconds; 0 when not resting. */
gint64      amq_account_summary_rest_end        (AmqAccountHealth *health);
/* When the first resting account (cooling, used up) comes back by itself, Unix seconds; 0 when
 * none rests. */
gint64      amq_account_summary_next_return     (AmqAccountPool   *pool);
/* A timeout calling @callback a second after @back (Unix seconds), once a rest is over; 0, and
 * nothing scheduled, when @back is 0. */
guint       amq_account_summary_wake_after      (gint64            back,
                                                 GSourceFunc       callback,
                                                 gpointer          user_data);
/* "2 of 3 accounts ready" */
char       *amq_account_summary_ready           (AmqAccountPool   *pool);
/* The switched-on account with the fewest credits left, of those whose credits are known;
 * NULL when none. */
AmqAccount *amq_account_summary_fewest_left     (AmqAccountPool   *pool);
/* The plan and credits of the account with the fewest left, named when there are several:
 * "work: KIRO PRO · 45 of 50 credits used · resets Aug 1"; "Credits not known yet" before
 * Amazon Q said. */
char       *amq_account_summary_lowest_credits  (AmqAccountPool   *pool);

G_END_DECLS
