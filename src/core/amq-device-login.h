/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-device-login.h: "Sign in with AWS Builder ID" (the OIDC device authorization flow) */
#pragma once

#include <gio/gio.h>

#include "amq-credentials.h"

G_BEGIN_DECLS

#define AMQ_DEFAULT_OIDC_ENDPOINT "https://oidc.us-east-1.amazonaws.com"
#define AMQ_BUILDER_ID_START_URL  "https://view.awsapps.com/start"

#define AMQ_TYPE_DEVICE_LOGIN (amq_device_login_get_type ())
G_DECLARE_FINAL_TYPE (AmqDeviceLogin, amq_device_login, AMQ, DEVICE_LOGIN, GObject)

/* Emits "code" (user_code, verification_uri) once the user can act, then polls. */
AmqDeviceLogin   *amq_device_login_new        (const char          *oidc_endpoint);
void              amq_device_login_run_async  (AmqDeviceLogin      *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
AmqCredentialSet *amq_device_login_run_finish (AmqDeviceLogin      *self,
                                               GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
