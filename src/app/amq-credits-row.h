/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credits-row.h: the window's Credits row: the plan and credits of the account with the
 * fewest left (a level bar at used / limit), and how many accounts are ready */
#pragma once

#include <adwaita.h>

#include "amq-accounts.h"

G_BEGIN_DECLS

#define AMQ_TYPE_CREDITS_ROW (amq_credits_row_get_type ())
G_DECLARE_FINAL_TYPE (AmqCreditsRow, amq_credits_row, AMQ, CREDITS_ROW, AdwActionRow)

/* Follows @accounts from now on. */
void amq_credits_row_set_accounts (AmqCreditsRow *self,
                                   AmqAccounts   *accounts);

G_END_DECLS
