/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credits.c
 *
 * {nextDateReset (epoch s), subscriptionInfo {subscriptionTitle}, usageBreakdownList
 * [{resourceType ("CREDIT"), currentUsage, currentUsageWithPrecision, usageLimit,
 * usageLimitWithPrecision, nextDateReset}]} (PROTOCOL.md §1.6). */
#include "config.h"

#include "amq-credits.h"

#include "amq-json.h"

static gdouble
number (JsonObject *object, const char *precise, const char *rounded)
{
  JsonNode *node = json_object_get_member (object, precise);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) == G_TYPE_STRING)
    node = json_object_get_member (object, rounded);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return json_node_get_double (node);
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return (gdouble) json_node_get_int (node);
  return 0;
}

/* Epoch seconds, as a number (sometimes with a fraction). */
static gint64
seconds (JsonObject *object, const char *member)
{
  gdouble value = number (object, member, member);

  return value > 0 ? (gint64) value : 0;
}

static JsonObject *
credit_entry (JsonObject *usage_limits)
{
  JsonNode *list = json_object_get_member (usage_limits, "usageBreakdownList");
  JsonArray *array = list && JSON_NODE_HOLDS_ARRAY (list) ? json_node_get_array (list) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node) &&
          g_strcmp0 (amq_json_get_string (json_node_get_object (node), "resourceType"), "CREDIT") == 0)
        return json_node_get_object (node);
    }
  return NULL;
}

AmqCredits *
amq_credits_parse (JsonObject *usage_limits)
{
  JsonObject *entry;
  JsonNode *info;
  AmqCredits *credits;

  g_return_val_if_fail (usage_limits != NULL, NULL);

  entry = credit_entry (usage_limits);
  if (entry == NULL)
    return NULL;
  credits = g_new0 (AmqCredits, 1);
  credits->used = number (entry, "currentUsageWithPrecision", "currentUsage");
  credits->limit = number (entry, "usageLimitWithPrecision", "usageLimit");
  credits->resets_at = seconds (entry, "nextDateReset");
  if (credits->resets_at == 0)
    credits->resets_at = seconds (usage_limits, "nextDateReset");
  info = json_object_get_member (usage_limits, "subscriptionInfo");
  if (info != NULL && JSON_NODE_HOLDS_OBJECT (info))
    credits->plan = g_strdup (amq_json_get_string (json_node_get_object (info), "subscriptionTitle"));
  return credits;
}

AmqCredits *
amq_credits_copy (const AmqCredits *credits)
{
  AmqCredits *copy;

  g_return_val_if_fail (credits != NULL, NULL);

  copy = g_memdup2 (credits, sizeof *credits);
  copy->plan = g_strdup (credits->plan);
  return copy;
}

void
amq_credits_free (AmqCredits *credits)
{
  if (credits == NULL)
    return;
  g_free (credits->plan);
  g_free (credits);
}
