/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-environment.h: settings from environment variables and a .env file (the Python amq2api's names) */
#pragma once

#include <gio/gio.h>

#include "amq-credentials.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ENVIRONMENT (amq_environment_get_type ())
G_DECLARE_FINAL_TYPE (AmqEnvironment, amq_environment, AMQ, ENVIRONMENT, GObject)

/* @dotenv_path: KEY=VALUE lines read once, or NULL for the process environment alone. */
AmqEnvironment   *amq_environment_new                 (const char     *dotenv_path);
/* The variable's value from the environment, else from the .env file; NULL when unset or empty. */
const char       *amq_environment_get                 (AmqEnvironment *self,
                                                       const char     *name);
/* TRUE when @name's value comes from the .env file, not the process environment. */
gboolean          amq_environment_is_from_dotenv      (AmqEnvironment *self,
                                                       const char     *name);
/* AMAZONQ_REFRESH_TOKEN, _CLIENT_ID, _CLIENT_SECRET, _PROFILE_ARN and AMQ2API_API_KEY; NULL
 * when no Amazon Q credential is given at all. */
AmqCredentialSet *amq_environment_dup_credentials     (AmqEnvironment *self);
/* https_proxy (or all_proxy) with no_proxy, as curl reads them; NULL without one. */
GProxyResolver   *amq_environment_dup_proxy_resolver  (AmqEnvironment *self);

G_END_DECLS
