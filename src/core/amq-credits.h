/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credits.h: an account's plan and credits, as Amazon Q's getUsageLimits tells them */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct {
  char   *plan;        /* subscriptionTitle, e.g. "KIRO PRO" */
  gdouble used;        /* credits used this period */
  gdouble limit;       /* credits of the period, 0 when unknown */
  gint64  resets_at;   /* Unix seconds, 0 when unknown */
} AmqCredits;

/* NULL when @usage_limits says nothing about credits. */
AmqCredits *amq_credits_parse (JsonObject       *usage_limits);
AmqCredits *amq_credits_copy  (const AmqCredits *credits);
void        amq_credits_free  (AmqCredits       *credits);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqCredits, amq_credits_free)

G_END_DECLS
