/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-error.c: GError -> Anthropic error body and HTTP status; Amazon Q's errors -> GError */
#include "config.h"

#include "amq-error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "amq-json.h"

/* What an AMQ_ERROR carries besides its code and message (copied with the error). */
typedef struct {
  gint64   retry_after;
  gboolean account_suspended;
  gboolean quota_used_up;
} AmqErrorPrivate;

static void
amq_error_private_init (AmqErrorPrivate *priv)
{
  priv->retry_after = 0;
  priv->account_suspended = FALSE;
  priv->quota_used_up = FALSE;
}

static void
amq_error_private_copy (const AmqErrorPrivate *source, AmqErrorPrivate *copy)
{
  *copy = *source;
}

static void
amq_error_private_clear (AmqErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (AmqError, amq_error)

/* Errors from other domains (I/O, frame decoding, TLS) happened between us and Amazon Q. */
static AmqErrorCode
effective_code (const GError *error)
{
  if (error->domain == AMQ_ERROR)
    return (AmqErrorCode) error->code;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return AMQ_ERROR_TIMEOUT;
  return AMQ_ERROR_UPSTREAM;
}

guint
amq_error_http_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 500);

  switch (effective_code (error))
    {
    case AMQ_ERROR_INVALID_REQUEST:    return 400;
    case AMQ_ERROR_AUTHENTICATION:     return 401;
    case AMQ_ERROR_PERMISSION:         return 403;
    case AMQ_ERROR_NOT_FOUND:          return 404;
    case AMQ_ERROR_METHOD_NOT_ALLOWED: return 405;
    case AMQ_ERROR_REQUEST_TIMEOUT:    return 408;
    case AMQ_ERROR_REQUEST_TOO_LARGE:  return 413;
    case AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE: return 415;
    case AMQ_ERROR_RATE_LIMIT:         return 429;
    case AMQ_ERROR_API:                return 500;
    case AMQ_ERROR_UPSTREAM:           return 502;
    case AMQ_ERROR_TIMEOUT:            return 504;
    case AMQ_ERROR_OVERLOADED:         return 529;
    default:                           return 500;
    }
}

const char *
amq_error_anthropic_type (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  switch (effective_code (error))
    {
    case AMQ_ERROR_INVALID_REQUEST:
    case AMQ_ERROR_METHOD_NOT_ALLOWED:
    case AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE: return "invalid_request_error";
    case AMQ_ERROR_AUTHENTICATION:     return "authentication_error";
    case AMQ_ERROR_PERMISSION:         return "permission_error";
    case AMQ_ERROR_NOT_FOUND:          return "not_found_error";
    case AMQ_ERROR_REQUEST_TOO_LARGE:  return "request_too_large";
    case AMQ_ERROR_RATE_LIMIT:         return "rate_limit_error";
    case AMQ_ERROR_REQUEST_TIMEOUT:
    case AMQ_ERROR_TIMEOUT:            return "timeout_error";
    case AMQ_ERROR_OVERLOADED:         return "overloaded_error";
    case AMQ_ERROR_API:
    case AMQ_ERROR_UPSTREAM:
    default:                           return "api_error";
    }
}

char *
amq_error_to_json (const GError *error,
                   const char   *request_id)
{
  GString *out;

  g_return_val_if_fail (error != NULL, NULL);

  out = g_string_new ("{\"type\":\"error\",\"error\":{\"type\":");
  amq_json_append_string (out, amq_error_anthropic_type (error), -1);
  g_string_append (out, ",\"message\":");
  amq_json_append_string (out, error->message, -1);
  g_string_append_c (out, '}');
  if (request_id != NULL)
    {
      g_string_append (out, ",\"request_id\":");
      amq_json_append_string (out, request_id, -1);
    }
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

gint64
amq_error_get_retry_after (const GError *error)
{
  g_return_val_if_fail (error != NULL, 0);

  return error->domain == AMQ_ERROR ? amq_error_get_private (error)->retry_after : 0;
}

void
amq_error_set_retry_after (GError *error, gint64 seconds)
{
  g_return_if_fail (error != NULL && error->domain == AMQ_ERROR);

  amq_error_get_private (error)->retry_after = MAX (seconds, 0);
}

gboolean
amq_error_is_quota_used_up (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  return error->domain == AMQ_ERROR && amq_error_get_private (error)->quota_used_up;
}

gboolean
amq_error_is_account_suspended (const GError *error)
{
  g_return_val_if_fail (error != NULL, FALSE);

  return error->domain == AMQ_ERROR && amq_error_get_private (error)->account_suspended;
}

/* Claude Code compacts the conversation on exactly this wording; the OpenAI shape reads the
 * numbers back from it. */
#define PROMPT_TOO_LONG_FORMAT "prompt is too long: %" G_GUINT64_FORMAT " tokens > %" G_GUINT64_FORMAT " maximum"

GError *
amq_error_new_prompt_too_long (guint64 input_tokens,
                               guint64 max_input_tokens)
{
  return g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, PROMPT_TOO_LONG_FORMAT,
                      MAX (input_tokens, max_input_tokens + 1), max_input_tokens);
}

GError *
amq_error_new_body_too_large (guint64 input_tokens,
                              gsize   body_bytes,
                              gsize   max_body_bytes)
{
  guint64 fitting = (guint64) ((double) input_tokens * max_body_bytes / body_bytes);

  g_return_val_if_fail (body_bytes > max_body_bytes, NULL);

  fitting = MIN (fitting, input_tokens > 0 ? input_tokens - 1 : 0);
  return g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                      "prompt is too long: %" G_GUINT64_FORMAT " tokens > %" G_GUINT64_FORMAT " maximum "
                      "(the request to Amazon Q would be %" G_GSIZE_FORMAT " bytes; it takes at most %" G_GSIZE_FORMAT ")",
                      MAX (input_tokens, fitting + 1), fitting, body_bytes, max_body_bytes);
}

/* ---- Amazon Q's errors ---- */

typedef enum {
  MEANS_UNKNOWN,
  MEANS_PROMPT_TOO_LONG,
  MEANS_OVERLOADED,
  MEANS_QUOTA_USED_UP,
  MEANS_SUSPENDED,
} Meaning;

typedef struct {
  const char *reason;
  Meaning     meaning;
  const char *quota;        /* MEANS_QUOTA_USED_UP: the quota, in words */
} Reason;

/* The reasons Amazon Q gives (PROTOCOL.md §1.4, §1.6) and what they mean for a client. */
static const Reason reasons[] = {
  { "CONTENT_LENGTH_EXCEEDS_THRESHOLD", MEANS_PROMPT_TOO_LONG, NULL },
  { "CONVERSATION_LIMIT_EXCEEDED",      MEANS_PROMPT_TOO_LONG, NULL },
  { "INSUFFICIENT_MODEL_CAPACITY",      MEANS_OVERLOADED, NULL },
  { "MODEL_TEMPORARILY_UNAVAILABLE",    MEANS_OVERLOADED, NULL },
  { "MONTHLY_REQUEST_COUNT",            MEANS_QUOTA_USED_UP, "monthly request quota" },
  { "DAILY_REQUEST_COUNT",              MEANS_QUOTA_USED_UP, "daily request quota" },
  { "OVERAGE_REQUEST_LIMIT_EXCEEDED",   MEANS_QUOTA_USED_UP, "overage request limit" },
  { "TEMPORARILY_SUSPENDED",            MEANS_SUSPENDED, NULL },
};

static const Reason *
find_reason (const char *reason)
{
  for (guint i = 0; reason != NULL && i < G_N_ELEMENTS (reasons); i++)
    if (g_str_equal (reason, reasons[i].reason))
      return &reasons[i];
  return NULL;
}

static gboolean
is_prompt_too_long (const GError *error, guint64 *input_tokens, guint64 *max_input_tokens)
{
  return g_error_matches (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST) &&
         sscanf (error->message, PROMPT_TOO_LONG_FORMAT, input_tokens, max_input_tokens) == 2;
}

const char *
amq_error_openai_type (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);
  switch (effective_code (error))
    {
    /* OpenAI answers a wrong key, a forbidden or unknown resource all as invalid requests */
    case AMQ_ERROR_INVALID_REQUEST:
    case AMQ_ERROR_AUTHENTICATION:
    case AMQ_ERROR_PERMISSION:
    case AMQ_ERROR_NOT_FOUND:
    case AMQ_ERROR_METHOD_NOT_ALLOWED:
    case AMQ_ERROR_REQUEST_TOO_LARGE:
    case AMQ_ERROR_REQUEST_TIMEOUT:
    case AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE: return "invalid_request_error";
    case AMQ_ERROR_RATE_LIMIT:         return "requests";
    case AMQ_ERROR_API:
    case AMQ_ERROR_UPSTREAM:
    case AMQ_ERROR_TIMEOUT:
    case AMQ_ERROR_OVERLOADED:
    default:                           return "server_error";
    }
}

const char *
amq_error_openai_code (const GError *error)
{
  guint64 input_tokens, max_input_tokens;

  g_return_val_if_fail (error != NULL, NULL);
  switch (effective_code (error))
    {
    case AMQ_ERROR_INVALID_REQUEST:
      return is_prompt_too_long (error, &input_tokens, &max_input_tokens) ? "context_length_exceeded" : NULL;
    case AMQ_ERROR_AUTHENTICATION:     return "invalid_api_key";
    case AMQ_ERROR_RATE_LIMIT:         return "rate_limit_exceeded";
    case AMQ_ERROR_OVERLOADED:         return "server_is_overloaded";
    case AMQ_ERROR_PERMISSION:
    case AMQ_ERROR_NOT_FOUND:
    case AMQ_ERROR_METHOD_NOT_ALLOWED:
    case AMQ_ERROR_REQUEST_TOO_LARGE:
    case AMQ_ERROR_REQUEST_TIMEOUT:
    case AMQ_ERROR_UNSUPPORTED_MEDIA_TYPE:
    case AMQ_ERROR_API:
    case AMQ_ERROR_UPSTREAM:
    case AMQ_ERROR_TIMEOUT:
    default:                           return NULL;
    }
}

char *
amq_error_dup_openai_message (const GError *error)
{
  guint64 input_tokens, max_input_tokens;

  g_return_val_if_fail (error != NULL, NULL);
  if (is_prompt_too_long (error, &input_tokens, &max_input_tokens))
    return g_strdup_printf ("This model's maximum context length is %" G_GUINT64_FORMAT " tokens. However, "
                            "your messages resulted in %" G_GUINT64_FORMAT " tokens. Please reduce the "
                            "length of the messages.", max_input_tokens, input_tokens);
  return g_strdup (error->message);
}

char *
amq_error_dup_openai_param (const GError *error)
{
  const char *end;

  g_return_val_if_fail (error != NULL, NULL);
  if (!g_error_matches (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST) ||
      !(g_ascii_isalpha (error->message[0]) || error->message[0] == '_'))
    return NULL;
  /* validation messages start with the field path: "messages[2].content: ..." */
  for (end = error->message; *end != '\0' && (g_ascii_isalnum (*end) || strchr ("_.[]", *end) != NULL); end++)
    ;
  if (end[0] != ':' || end[1] != ' ')
    return NULL;
  return g_strndup (error->message, end - error->message);
}

void
amq_error_append_openai_object (GString      *out,
                                const GError *error)
{
  g_autofree char *message = NULL;
  g_autofree char *param = NULL;
  const char *code;

  g_return_if_fail (out != NULL);
  g_return_if_fail (error != NULL);

  message = amq_error_dup_openai_message (error);
  param = amq_error_dup_openai_param (error);
  code = amq_error_openai_code (error);
  g_string_append (out, "{\"message\":");
  amq_json_append_string (out, message, -1);
  g_string_append (out, ",\"type\":");
  amq_json_append_string (out, amq_error_openai_type (error), -1);
  g_string_append (out, ",\"param\":");
  if (param != NULL)
    amq_json_append_string (out, param, -1);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"code\":");
  if (code != NULL)
    amq_json_append_string (out, code, -1);
  else
    g_string_append (out, "null");
  g_string_append_c (out, '}');
}

char *
amq_error_to_openai_json (const GError *error)
{
  GString *out;

  g_return_val_if_fail (error != NULL, NULL);

  out = g_string_new ("{\"error\":");
  amq_error_append_openai_object (out, error);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

static gboolean
contains (const char *haystack, const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

static gboolean
contains_ci (const char *haystack, const char *needle)
{
  g_autofree char *lower = NULL;

  if (haystack == NULL)
    return FALSE;
  lower = g_ascii_strdown (haystack, -1);
  return strstr (lower, needle) != NULL;
}

/* The code of an error whose reason the table does not know: from its type, status, words. */
static AmqErrorCode
code_from_type (const AmqAwsFault *fault, const char *text)
{
  const char *type = fault->type != NULL ? fault->type : "";
  guint status = fault->http_status;

  if (contains_ci (text, "unexpectedly high load") || contains (type, "ServiceUnavailable"))
    return AMQ_ERROR_OVERLOADED;
  if (status == 429 || contains (type, "Throttling"))
    return AMQ_ERROR_RATE_LIMIT;
  if (status == 401 || contains_ci (text, "bearer token") ||
      contains (type, "ExpiredToken") || contains (type, "UnrecognizedClient"))
    return AMQ_ERROR_AUTHENTICATION;
  if (status == 403 || contains (type, "AccessDenied"))
    return AMQ_ERROR_PERMISSION;
  if (status == 400 || contains (type, "Validation"))
    return AMQ_ERROR_INVALID_REQUEST;
  if (status == 404 || contains (type, "ResourceNotFound"))
    return AMQ_ERROR_NOT_FOUND;
  if (status == 504)
    return AMQ_ERROR_TIMEOUT;
  return AMQ_ERROR_UPSTREAM;
}

/* "…: the monthly request quota of this Amazon Q account is used up until 2025-12-01 00:00 UTC" */
static void
describe_quota (GString *out, const char *quota, gint64 reset)
{
  g_string_append_printf (out, ": the %s of this Amazon Q account is used up", quota);
  if (reset > 0)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (reset);
      g_autofree char *text = when ? g_date_time_format (when, "%Y-%m-%d %H:%M UTC") : NULL;

      if (text != NULL)
        g_string_append_printf (out, " until %s", text);
    }
}

GError *
amq_error_new_from_aws (const AmqAwsFault *fault)
{
  const char *text;
  const Reason *reason;
  Meaning meaning;
  const char *quota = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 reset;
  g_autoptr(GString) message = NULL;
  AmqErrorPrivate *priv;
  AmqErrorCode code;
  GError *error;

  g_return_val_if_fail (fault != NULL, NULL);

  text = fault->message != NULL && *fault->message != '\0' ? fault->message : "no message";
  reason = find_reason (fault->reason);
  meaning = reason != NULL ? reason->meaning : MEANS_UNKNOWN;
  /* a reset date already past says nothing about the next one */
  reset = fault->quota_reset > now ? fault->quota_reset : 0;
  if (meaning == MEANS_PROMPT_TOO_LONG || contains_ci (text, "input is too long"))
    return amq_error_new_prompt_too_long (fault->input_tokens, fault->max_input_tokens);
  if (meaning == MEANS_QUOTA_USED_UP)
    quota = reason->quota;
  else if (meaning == MEANS_UNKNOWN && (fault->http_status == 402 || contains (fault->type, "ServiceQuotaExceeded")))
    quota = "request quota";

  if (quota != NULL)
    code = AMQ_ERROR_RATE_LIMIT;
  else if (meaning == MEANS_OVERLOADED)
    code = AMQ_ERROR_OVERLOADED;
  else if (meaning == MEANS_SUSPENDED)
    code = AMQ_ERROR_PERMISSION;
  else
    code = code_from_type (fault, text);

  message = g_string_new ("Amazon Q: ");
  g_string_append (message, text);
  if (fault->reason != NULL && *fault->reason != '\0')
    g_string_append_printf (message, " (%s)", fault->reason);
  if (quota != NULL)
    describe_quota (message, quota, reset);
  error = g_error_new_literal (AMQ_ERROR, code, message->str);
  priv = amq_error_get_private (error);
  priv->account_suspended = meaning == MEANS_SUSPENDED;
  priv->quota_used_up = quota != NULL;
  priv->retry_after = MAX (fault->retry_after, 0);
  /* a used-up quota is worth retrying once it has been reset, not before */
  if (priv->retry_after == 0 && quota != NULL && reset > 0)
    priv->retry_after = reset - now;
  return error;
}
