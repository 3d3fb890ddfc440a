/* amq-application.h: the desktop app; owns the engine and the actions everything drives */
#pragma once

#include <adwaita.h>

#include "amq-credentials.h"
#include "amq-server.h"

G_BEGIN_DECLS

#define AMQ_TYPE_APPLICATION (amq_application_get_type ())
G_DECLARE_FINAL_TYPE (AmqApplication, amq_application, AMQ, APPLICATION, AdwApplication)

AmqApplication  *amq_application_new               (void);
AmqServer       *amq_application_get_server        (AmqApplication *self);
AmqTokenManager *amq_application_get_tokens        (AmqApplication *self);
GSettings       *amq_application_get_settings      (AmqApplication *self);
/* Why the proxy does not listen (port in use...), or NULL: the "server-error" property. */
const char      *amq_application_get_server_error  (AmqApplication *self);
/* The token endpoint in use (settings, environment or the default). */
char            *amq_application_dup_token_endpoint (AmqApplication *self);
const AmqCredentialSet *amq_application_get_credentials (AmqApplication *self);
/* Uses @set from now on and stores it in the keyring. */
void             amq_application_save_credentials_async  (AmqApplication         *self,
                                                          const AmqCredentialSet *set,
                                                          GAsyncReadyCallback     callback,
                                                          gpointer                user_data);
gboolean         amq_application_save_credentials_finish (AmqApplication         *self,
                                                          GAsyncResult           *result,
                                                          GError                **error);

G_END_DECLS
