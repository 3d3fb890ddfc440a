/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-error.h: the one error domain, mapped one-to-one to Anthropic error types */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AMQ_ERROR (amq_error_quark ())

typedef enum {
  AMQ_ERROR_INVALID_REQUEST,   /* 400 invalid_request_error */
  AMQ_ERROR_AUTHENTICATION,    /* 401 authentication_error */
  AMQ_ERROR_PERMISSION,        /* 403 permission_error */
  AMQ_ERROR_NOT_FOUND,         /* 404 not_found_error */
  AMQ_ERROR_METHOD_NOT_ALLOWED,/* 405 invalid_request_error */
  AMQ_ERROR_REQUEST_TOO_LARGE, /* 413 request_too_large */
  AMQ_ERROR_RATE_LIMIT,        /* 429 rate_limit_error */
  AMQ_ERROR_API,               /* 500 api_error */
  AMQ_ERROR_UPSTREAM,          /* 502 api_error: upstream failed or sent garbage */
  AMQ_ERROR_TIMEOUT,           /* 504 timeout_error */
  AMQ_ERROR_OVERLOADED,        /* 529 overloaded_error */
  /* added later: the values above are in golden files */
  AMQ_ERROR_REQUEST_TIMEOUT,   /* 408 timeout_error: the client stopped sending its request */
  AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE, /* 415 invalid_request_error */
} AmqErrorCode;

/* An error Amazon Q reported, in its HTTP answer or in a frame of its stream. */
typedef struct {
  guint       http_status;      /* 0 mid-stream */
  const char *type;             /* awsJson __type after '#', or the exception type */
  const char *message;
  const char *reason;
  gint64      retry_after;      /* seconds, from the answer's Retry-After; 0 without one */
  gint64      quota_reset;      /* when the account's quota resets, Unix seconds; 0 unknown */
  guint64     input_tokens;     /* the numbers of the "prompt is too long" wording */
  guint64     max_input_tokens;
} AmqAwsFault;

GQuark      amq_error_quark            (void);
guint       amq_error_http_status      (const GError *error);
const char *amq_error_anthropic_type   (const GError *error);
/* @fault mapped to the Anthropic error table of PROTOCOL.md §1.4 and §1.6. */
GError     *amq_error_new_from_aws     (const AmqAwsFault *fault);
GError     *amq_error_new_prompt_too_long (guint64    input_tokens,
                                        guint64       max_input_tokens);
/* The body for Amazon Q would be @body_bytes, over its @max_body_bytes: "prompt is too long"
 * with the token numbers scaled by the same ratio, so a client knows how much to drop. */
GError     *amq_error_new_body_too_large  (guint64    input_tokens,
                                        gsize         body_bytes,
                                        gsize         max_body_bytes);
char       *amq_error_to_json          (const GError *error,
                                        const char   *request_id);
/* Seconds the client should wait before trying again (its Retry-After), 0 when not known. */
gint64      amq_error_get_retry_after  (const GError *error);
/* For an AMQ_ERROR of ours: when to try again. */
void        amq_error_set_retry_after  (GError       *error,
                                        gint64        seconds);
/* TRUE when Amazon Q refused because the account's request quota or credits are used up. */
gboolean    amq_error_is_quota_used_up (const GError *error);
/* TRUE when Amazon Q refused because the account is suspended (TEMPORARILY_SUSPENDED). */
gboolean    amq_error_is_account_suspended (const GError *error);

/* The same error in OpenAI's shape: {"error":{"message","type","param","code"}}, with the
 * same HTTP status. A context overflow reads as OpenAI's "maximum context length" message with
 * code context_length_exceeded (clients trim the conversation on either); a validation error's
 * field path ("messages[2].content: ...") becomes param. */
const char *amq_error_openai_type      (const GError *error);
/* NULL when OpenAI gives no code for this kind of error. */
const char *amq_error_openai_code      (const GError *error);
char       *amq_error_dup_openai_message (const GError *error);
/* NULL when the message names no field. */
char       *amq_error_dup_openai_param (const GError *error);
/* Appends the inner object, {"message","type","param","code"}. */
void        amq_error_append_openai_object (GString  *out,
                                        const GError *error);
char       *amq_error_to_openai_json   (const GError *error);

G_END_DECLS
