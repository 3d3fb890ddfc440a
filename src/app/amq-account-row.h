/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-row.h: one account on the Accounts page: its status, plan and credits (a level
 * bar and the reset day), its last error, a switch, and remove (or, for the sign-in's, edit) */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ACCOUNT_ROW (amq_account_row_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccountRow, amq_account_row, AMQ, ACCOUNT_ROW, GtkListBoxRow)

GtkWidget  *amq_account_row_new         (AmqApplication *application,
                                         AmqAccount     *account);
AmqAccount *amq_account_row_get_account (AmqAccountRow  *self);

G_END_DECLS
