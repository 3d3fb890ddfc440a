/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credentials-dialog.h: enter, test, import or sign in for the Amazon Q credentials, or
 * for a new account */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_CREDENTIALS_DIALOG (amq_credentials_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AmqCredentialsDialog, amq_credentials_dialog, AMQ, CREDENTIALS_DIALOG, AdwWindow)

/* Changes the app's sign-in (its first account). */
AmqCredentialsDialog *amq_credentials_dialog_new             (AmqApplication *application);
/* Adds an account of its own, under a name the user gives. */
AmqCredentialsDialog *amq_credentials_dialog_new_for_account (AmqApplication *application);

G_END_DECLS
