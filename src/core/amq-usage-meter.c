/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-usage-meter.c
 *
 * Claude Code's auto-compaction reads usage: Amazon Q's own counts replace the estimates
 * whenever it sends them, in whatever order its events come. */
#include "config.h"

#include "amq-usage-meter.h"

#include <math.h>

#include "amq-json.h"

struct _AmqUsageMeter
{
  GObject  parent_instance;
  AmqUsage usage;
  gboolean upstream_input;   /* usage's input counts are Amazon Q's own */
  gboolean upstream_output;
  guint64  context_window;
  gdouble  credits;
  gdouble  context_usage;
};

G_DEFINE_FINAL_TYPE (AmqUsageMeter, amq_usage_meter, G_TYPE_OBJECT)

/* A count: a non-negative integer member, 0 for anything else. */
static guint64
member_count (JsonObject *object, const char *name)
{
  return (guint64) MAX (amq_json_get_int (object, name, 0), 0);
}

/* A number member, integer or not; 0 for anything else. */
static gdouble
member_number (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);
  GType type = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  gdouble value;

  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return 0;
  value = json_node_get_double (node);
  return isfinite (value) ? value : 0;
}

void
amq_usage_meter_set_input_estimate (AmqUsageMeter *self, guint64 input_tokens, guint64 context_window)
{
  g_return_if_fail (AMQ_IS_USAGE_METER (self));

  self->context_window = context_window;
  if (!self->upstream_input)
    self->usage.input_tokens = input_tokens;
}

void
amq_usage_meter_set_output_estimate (AmqUsageMeter *self, guint64 output_tokens)
{
  g_return_if_fail (AMQ_IS_USAGE_METER (self));

  if (!self->upstream_output)
    self->usage.output_tokens = output_tokens;
}

void
amq_usage_meter_read_metadata (AmqUsageMeter *self, JsonObject *event)
{
  JsonNode *node = json_object_get_member (event, "tokenUsage");
  JsonObject *counts;

  g_return_if_fail (AMQ_IS_USAGE_METER (self));

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  counts = json_node_get_object (node);
  if (json_object_has_member (counts, "uncachedInputTokens"))
    {
      self->usage.input_tokens = member_count (counts, "uncachedInputTokens");
      self->usage.cache_read_input_tokens = member_count (counts, "cacheReadInputTokens");
      self->usage.cache_creation_input_tokens = member_count (counts, "cacheWriteInputTokens");
      self->upstream_input = TRUE;
    }
  if (json_object_has_member (counts, "outputTokens"))
    {
      self->usage.output_tokens = member_count (counts, "outputTokens");
      self->upstream_output = TRUE;
    }
}

void
amq_usage_meter_read_context_usage (AmqUsageMeter *self, JsonObject *event)
{
  gdouble percent = member_number (event, "contextUsagePercentage");

  g_return_if_fail (AMQ_IS_USAGE_METER (self));

  if (!(percent > 0 && percent <= 100))
    return;
  self->context_usage = percent;
  /* without tokenUsage, the best input count there is */
  if (!self->upstream_input && self->context_window > 0)
    self->usage.input_tokens = (guint64) (percent / 100.0 * self->context_window + 0.5);
}

void
amq_usage_meter_read_metering (AmqUsageMeter *self, JsonObject *event)
{
  const char *unit = amq_json_get_string (event, "unit");
  gdouble usage = member_number (event, "usage");

  g_return_if_fail (AMQ_IS_USAGE_METER (self));

  if ((unit == NULL || g_str_equal (unit, "credit")) && usage > 0)
    self->credits += usage;
}

const AmqUsage *
amq_usage_meter_get_usage (AmqUsageMeter *self)
{
  g_return_val_if_fail (AMQ_IS_USAGE_METER (self), NULL);

  return &self->usage;
}

gdouble
amq_usage_meter_get_credits (AmqUsageMeter *self)
{
  g_return_val_if_fail (AMQ_IS_USAGE_METER (self), 0);

  return self->credits;
}

gdouble
amq_usage_meter_get_context_usage (AmqUsageMeter *self)
{
  g_return_val_if_fail (AMQ_IS_USAGE_METER (self), 0);

  return self->context_usage;
}

static void
amq_usage_meter_class_init (AmqUsageMeterClass *klass)
{
}

static void
amq_usage_meter_init (AmqUsageMeter *self)
{
}

AmqUsageMeter *
amq_usage_meter_new (void)
{
  return g_object_new (AMQ_TYPE_USAGE_METER, NULL);
}
