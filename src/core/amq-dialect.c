/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-dialect.c: what today's Amazon Q expects a caller to name */
#include "config.h"

#include "amq-dialect.h"

const char *
amq_profile_arn_default (AmqCredentialKind kind)
{
  switch (kind)
    {
    case AMQ_CREDENTIAL_BUILDER_ID:
      return AMQ_PROFILE_ARN_BUILDER_ID;
    case AMQ_CREDENTIAL_SOCIAL:
      return AMQ_PROFILE_ARN_KIRO_SOCIAL;
    case AMQ_CREDENTIAL_IDENTITY_CENTER:
    default:
      return NULL;
    }
}
