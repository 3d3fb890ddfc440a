/* amq-credentials-dialog.h: enter, test, import or sign in for the Amazon Q credentials */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_CREDENTIALS_DIALOG (amq_credentials_dialog_get_type ())
G_DECLARE_FINAL_TYPE (AmqCredentialsDialog, amq_credentials_dialog, AMQ, CREDENTIALS_DIALOG, AdwWindow)

AmqCredentialsDialog *amq_credentials_dialog_new (AmqApplication *application);

G_END_DECLS
