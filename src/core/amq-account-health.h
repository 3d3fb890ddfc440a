/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-health.h: whether an account can take requests now, and what it has left */
#pragma once

#include <gio/gio.h>

#include "amq-credits.h"
#include "amq-token-manager.h"

G_BEGIN_DECLS

typedef enum {
  AMQ_ACCOUNT_READY,
  AMQ_ACCOUNT_COOLING,         /* throttled or out of capacity: back at available-at */
  AMQ_ACCOUNT_EXHAUSTED,       /* quota or credits used up: back when they reset */
  AMQ_ACCOUNT_SUSPENDED,       /* Amazon Q suspended the account */
  AMQ_ACCOUNT_SIGNIN_NEEDED,   /* the refresh token was refused, or there is none */
  AMQ_ACCOUNT_DISABLED,        /* switched off by the user */
} AmqAccountStatus;

#define AMQ_TYPE_ACCOUNT_HEALTH (amq_account_health_get_type ())
G_DECLARE_FINAL_TYPE (AmqAccountHealth, amq_account_health, AMQ, ACCOUNT_HEALTH, GObject)

/* Follows @tokens for the sign-in part of the status. */
AmqAccountHealth *amq_account_health_new            (AmqTokenManager  *tokens);
/* The "status" property: as of now (cooling and exhausted end by themselves). */
AmqAccountStatus  amq_account_health_get_status     (AmqAccountHealth *self);
/* "ready", "cooling", "exhausted", "suspended", "signin-needed", "disabled" */
const char       *amq_account_status_to_string      (AmqAccountStatus  status);
/* When the account takes requests again: 0 now, G_MAXINT64 not by itself (Unix seconds). */
gint64            amq_account_health_get_available_at (AmqAccountHealth *self);
/* A request failed before anything reached the client: TRUE when the account is to rest
 * (quota, throttling, capacity, suspension, sign-in), FALSE for a failure of the request alone. */
gboolean          amq_account_health_report_failure (AmqAccountHealth *self,
                                                     const GError     *error);
void              amq_account_health_report_success (AmqAccountHealth *self);
gboolean          amq_account_health_get_enabled    (AmqAccountHealth *self);
void              amq_account_health_set_enabled    (AmqAccountHealth *self,
                                                     gboolean          enabled);
/* NULL until getUsageLimits answered. */
const AmqCredits *amq_account_health_get_credits    (AmqAccountHealth *self);
void              amq_account_health_set_credits    (AmqAccountHealth *self,
                                                     const AmqCredits *credits);
guint64           amq_account_health_get_requests   (AmqAccountHealth *self);
const char       *amq_account_health_get_last_error (AmqAccountHealth *self);

G_END_DECLS
