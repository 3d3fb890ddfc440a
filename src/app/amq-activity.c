/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-activity.c
 *
 * A ring of one bucket per minute, each knowing which minute it counts: a bucket from an hour
 * ago is simply reused, so nothing has to run as time passes, and the counts do not depend on
 * how many records the request log keeps. */
#include "config.h"

#include "amq-activity.h"

typedef struct {
  gint64            minute;  /* Unix minutes; -1 unused */
  AmqActivityMinute counts;
} Bucket;

struct _AmqActivity
{
  Bucket buckets[AMQ_ACTIVITY_MINUTES];
};

AmqActivity *
amq_activity_new (void)
{
  AmqActivity *self = g_new0 (AmqActivity, 1);

  for (guint i = 0; i < AMQ_ACTIVITY_MINUTES; i++)
    self->buckets[i].minute = -1;
  return self;
}

void
amq_activity_free (AmqActivity *self)
{
  g_free (self);
}

static Bucket *
bucket_of (AmqActivity *self, gint64 minute)
{
  return &self->buckets[minute % AMQ_ACTIVITY_MINUTES];
}

void
amq_activity_add (AmqActivity *self, gint64 time, guint64 tokens, gboolean error)
{
  gint64 minute = time / 60;
  Bucket *bucket;

  g_return_if_fail (self != NULL);
  g_return_if_fail (time >= 0);

  bucket = bucket_of (self, minute);
  if (bucket->minute > minute)
    return;  /* its place counts a minute an hour later already */
  if (bucket->minute < minute)
    *bucket = (Bucket) { .minute = minute };
  bucket->counts.requests++;
  bucket->counts.errors += !!error;
  bucket->counts.tokens += tokens;
}

AmqActivityMinute
amq_activity_get (AmqActivity *self, gint64 now, guint minutes_ago)
{
  gint64 minute = now / 60 - minutes_ago;
  Bucket *bucket;

  g_return_val_if_fail (self != NULL, (AmqActivityMinute) { 0 });
  g_return_val_if_fail (minutes_ago < AMQ_ACTIVITY_MINUTES && minute >= 0, (AmqActivityMinute) { 0 });

  bucket = bucket_of (self, minute);
  return bucket->minute == minute ? bucket->counts : (AmqActivityMinute) { 0 };
}
