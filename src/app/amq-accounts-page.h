/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts-page.h: the window's Accounts page: every account of the pool, add, remove */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ACCOUNTS_PAGE (amq_accounts_page_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccountsPage, amq_accounts_page, AMQ, ACCOUNTS_PAGE, AdwBin)

/* Lists @application's accounts, following its pool. */
void amq_accounts_page_set_application (AmqAccountsPage *self,
                                        AmqApplication  *application);

G_END_DECLS
