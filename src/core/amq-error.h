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

GQuark      amq_error_quark            (void);
guint       amq_error_http_status      (const GError *error);
const char *amq_error_anthropic_type   (const GError *error);
/* An Amazon Q error (HTTP status or 0 mid-stream, awsJson __type or exception type, message,
 * reason) mapped to the Anthropic error table of PROTOCOL.md §1.4. @input_tokens and
 * @max_input_tokens fill the "prompt is too long" wording Claude Code compacts on. */
GError     *amq_error_new_from_aws     (guint         http_status,
                                        const char   *aws_type,
                                        const char   *message,
                                        const char   *reason,
                                        guint64       input_tokens,
                                        guint64       max_input_tokens);
GError     *amq_error_new_prompt_too_long (guint64    input_tokens,
                                        guint64       max_input_tokens);
char       *amq_error_to_json          (const GError *error,
                                        const char   *request_id);

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
