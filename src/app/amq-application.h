/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-application.h: the desktop app; owns the engine and the actions everything drives */
#pragma once

#include <adwaita.h>

#include "amq-accounts.h"
#include "amq-server.h"
#include "amq-signin.h"

G_BEGIN_DECLS

#define AMQ_TYPE_APPLICATION (amq_application_get_type ())
G_DECLARE_FINAL_TYPE (AmqApplication, amq_application, AMQ, APPLICATION, AdwApplication)

AmqApplication  *amq_application_new               (void);
AmqServer       *amq_application_get_server        (AmqApplication *self);
AmqTokenManager *amq_application_get_tokens        (AmqApplication *self);
GSettings       *amq_application_get_settings      (AmqApplication *self);
/* Why the proxy does not listen (port in use...), or NULL: the "server-error" property. */
const char      *amq_application_get_server_error  (AmqApplication *self);
/* The "bind-address" setting is a loopback address: no key is needed to listen there. */
gboolean         amq_application_bound_to_loopback (AmqApplication *self);
/* The sign-in in use: where it comes from, linking, copying, the local API key. */
AmqSignin       *amq_application_get_signin        (AmqApplication *self);
/* Every account the server uses: the sign-in's first, then those added on the Accounts page. */
AmqAccounts     *amq_application_get_accounts      (AmqApplication *self);

G_END_DECLS
