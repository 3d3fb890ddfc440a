/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-dialect.h: what today's Amazon Q (the service Kiro talks to) expects a caller to name */
#pragma once

#include "amq-credential-set.h"

G_BEGIN_DECLS

/* Kiro CLI's origin; accounts that still need the Amazon Q CLI's set "CLI" */
#define AMQ_DEFAULT_ORIGIN  "KIRO_CLI"
#define AMQ_AGENT_TASK_TYPE "vibe"

/* The service refuses calls without a profileArn (PROTOCOL.md §1.6); these are the profiles
 * Kiro uses for sign-ins that come without one. */
#define AMQ_PROFILE_ARN_BUILDER_ID  "arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX"
#define AMQ_PROFILE_ARN_KIRO_SOCIAL "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK"

/* The profile ARN for @kind when neither the configuration nor the imported sign-in names
 * one; NULL for Identity Center, whose profile comes from the import or ListAvailableProfiles. */
const char *amq_profile_arn_default (AmqCredentialKind kind);

G_END_DECLS
