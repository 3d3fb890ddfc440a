/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-record.h: one request as the log shows it (no secrets, no message contents) */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* The API a request came in by. */
typedef enum {
  AMQ_REQUEST_API_ANTHROPIC,         /* Messages, count_tokens, models */
  AMQ_REQUEST_API_OPENAI_CHAT,       /* POST /v1/chat/completions */
  AMQ_REQUEST_API_OPENAI_RESPONSES,  /* POST /v1/responses */
} AmqRequestApi;

/* How the log marks @api: "Anthropic", "OpenAI" or "Responses". */
const char *amq_request_api_get_label (AmqRequestApi api);

#define AMQ_TYPE_REQUEST_RECORD (amq_request_record_get_type ())
G_DECLARE_FINAL_TYPE (AmqRequestRecord, amq_request_record, AMQ, REQUEST_RECORD, GObject)

AmqRequestRecord *amq_request_record_new (const char *request_id,
                                          const char *method,
                                          const char *path);
/* Request headers worth showing; credentials appear only as "(elided)". */
void amq_request_record_set_headers  (AmqRequestRecord   *self,
                                      SoupMessageHeaders *headers);
const char *amq_request_record_get_headers (AmqRequestRecord *self);
/* A new record says AMQ_REQUEST_API_ANTHROPIC. */
void amq_request_record_set_api      (AmqRequestRecord *self,
                                      AmqRequestApi     api);
AmqRequestApi amq_request_record_get_api (AmqRequestRecord *self);
/* The account that answered, by its label; NULL until one did. */
void amq_request_record_set_account  (AmqRequestRecord *self,
                                      const char       *label);
const char *amq_request_record_get_account (AmqRequestRecord *self);
/* Fills what the parsed request says. */
void amq_request_record_set_models   (AmqRequestRecord *self,
                                      const char       *model_asked,
                                      const char       *model_used,
                                      gboolean          stream);
/* What Amazon Q metered: credits (meteringEvent) and the percent of the context window in
 * use (contextUsageEvent), 0 for what it did not say. Set before finishing. */
void amq_request_record_set_metering (AmqRequestRecord *self,
                                      gdouble           credits,
                                      gdouble           context_usage);
/* The request is over: @status is the HTTP status (200 for a stream that then failed, with
 * @error set), @error a one-line summary or NULL. */
void amq_request_record_complete       (AmqRequestRecord *self,
                                      guint             status,
                                      const char       *error,
                                      gint64            first_token_us,
                                      guint64           input_tokens,
                                      guint64           output_tokens);

const char *amq_request_record_get_request_id   (AmqRequestRecord *self);
GDateTime  *amq_request_record_get_time         (AmqRequestRecord *self);
const char *amq_request_record_get_method       (AmqRequestRecord *self);
const char *amq_request_record_get_path         (AmqRequestRecord *self);
const char *amq_request_record_get_model_asked  (AmqRequestRecord *self);
const char *amq_request_record_get_model_used   (AmqRequestRecord *self);
gboolean    amq_request_record_get_stream       (AmqRequestRecord *self);
guint       amq_request_record_get_status       (AmqRequestRecord *self);
gboolean    amq_request_record_get_finished     (AmqRequestRecord *self);
gboolean    amq_request_record_is_error         (AmqRequestRecord *self);
const char *amq_request_record_get_error        (AmqRequestRecord *self);
gint64      amq_request_record_get_duration_ms  (AmqRequestRecord *self);
gint64      amq_request_record_get_first_token_ms (AmqRequestRecord *self);
guint64     amq_request_record_get_input_tokens (AmqRequestRecord *self);
guint64     amq_request_record_get_output_tokens (AmqRequestRecord *self);
gdouble     amq_request_record_get_credits      (AmqRequestRecord *self);
gdouble     amq_request_record_get_context_usage (AmqRequestRecord *self);

G_END_DECLS
