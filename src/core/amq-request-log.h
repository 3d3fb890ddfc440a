/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-log.h: the last requests, newest first, as a GListModel of AmqRequestRecord */
#pragma once

#include <gio/gio.h>

#include "amq-request-record.h"

G_BEGIN_DECLS

#define AMQ_REQUEST_LOG_DEFAULT_LIMIT 1000

#define AMQ_TYPE_REQUEST_LOG (amq_request_log_get_type ())
G_DECLARE_FINAL_TYPE (AmqRequestLog, amq_request_log, AMQ, REQUEST_LOG, GObject)

AmqRequestLog *amq_request_log_new        (guint             limit);
void           amq_request_log_add        (AmqRequestLog    *self,
                                           AmqRequestRecord *record);
/* Counters since start: requests, errors, tokens in and out (finished requests only). */
guint64        amq_request_log_get_total  (AmqRequestLog    *self);
guint64        amq_request_log_get_errors (AmqRequestLog    *self);
guint64        amq_request_log_get_input_tokens  (AmqRequestLog *self);
guint64        amq_request_log_get_output_tokens (AmqRequestLog *self);
/* Credits Amazon Q metered since start (the "credits" property, notified as it grows). */
gdouble        amq_request_log_get_credits       (AmqRequestLog *self);

G_END_DECLS
