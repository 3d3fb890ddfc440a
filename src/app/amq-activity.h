/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-activity.h: requests, errors and tokens per minute over the last hour */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AMQ_ACTIVITY_MINUTES 60

typedef struct {
  guint   requests;
  guint   errors;
  guint64 tokens;   /* in and out */
} AmqActivityMinute;

typedef struct _AmqActivity AmqActivity;

AmqActivity       *amq_activity_new  (void);
void               amq_activity_free (AmqActivity *self);
/* A finished request that came in at @time (Unix seconds), counted in that minute; left out
 * once that minute is over an hour old. */
void               amq_activity_add  (AmqActivity *self,
                                      gint64       time,
                                      guint64      tokens,
                                      gboolean     error);
/* The minute @minutes_ago (below AMQ_ACTIVITY_MINUTES) before the one @now (Unix seconds) is
 * in: 0 is the current minute. */
AmqActivityMinute  amq_activity_get  (AmqActivity *self,
                                      gint64       now,
                                      guint        minutes_ago);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqActivity, amq_activity_free)

G_END_DECLS
