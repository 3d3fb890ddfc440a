/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-activity-chart.h: requests (bars, errors in red) and tokens (a line) per minute over the
 * last hour, from the request log */
#pragma once

#include <gtk/gtk.h>

#include "amq-request-log.h"

G_BEGIN_DECLS

#define AMQ_TYPE_ACTIVITY_CHART (amq_activity_chart_get_type ())
G_DECLARE_FINAL_TYPE (AmqActivityChart, amq_activity_chart, AMQ, ACTIVITY_CHART, GtkWidget)

/* Counts what @log holds of the last hour, then each request as it finishes. */
void        amq_activity_chart_set_log     (AmqActivityChart *self,
                                            AmqRequestLog    *log);
/* The "summary" property, in words: "42 requests · 120,000 tokens · 2 errors" in the last hour. */
const char *amq_activity_chart_get_summary (AmqActivityChart *self);

G_END_DECLS
