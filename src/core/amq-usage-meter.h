/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-usage-meter.h: what one request used and cost, as Amazon Q's events tell it */
#pragma once

#include <json-glib/json-glib.h>

#include "amq-event-sink.h"

G_BEGIN_DECLS

#define AMQ_TYPE_USAGE_METER (amq_usage_meter_get_type ())
G_DECLARE_FINAL_TYPE (AmqUsageMeter, amq_usage_meter, AMQ, USAGE_METER, GObject)

AmqUsageMeter  *amq_usage_meter_new                 (void);
/* The converter's estimate, the input count until Amazon Q tells better, and the model's
 * context window, which turns a contextUsageEvent percentage into tokens. */
void            amq_usage_meter_set_input_estimate  (AmqUsageMeter *self,
                                                     guint64        input_tokens,
                                                     guint64        context_window);
/* The output count when Amazon Q sends none. */
void            amq_usage_meter_set_output_estimate (AmqUsageMeter *self,
                                                     guint64        output_tokens);
/* metadataEvent: {"tokenUsage": {uncachedInputTokens, outputTokens, cacheReadInputTokens,
 * cacheWriteInputTokens, ...}}, the real counts. */
void            amq_usage_meter_read_metadata       (AmqUsageMeter *self,
                                                     JsonObject    *event);
/* contextUsageEvent: {"contextUsagePercentage": 3.43}. */
void            amq_usage_meter_read_context_usage  (AmqUsageMeter *self,
                                                     JsonObject    *event);
/* meteringEvent: {"unit": "credit", "usage": 0.34}. */
void            amq_usage_meter_read_metering       (AmqUsageMeter *self,
                                                     JsonObject    *event);

/* Anthropic's usage: Amazon Q's counts where it sent them, else the estimates. */
const AmqUsage *amq_usage_meter_get_usage           (AmqUsageMeter *self);
/* Credits metered, 0 when Amazon Q said nothing. */
gdouble         amq_usage_meter_get_credits         (AmqUsageMeter *self);
/* Percent of the context window in use, 0 when Amazon Q said nothing. */
gdouble         amq_usage_meter_get_context_usage   (AmqUsageMeter *self);

G_END_DECLS
