/* amq-error.c: GError -> Anthropic error body and HTTP status */
#include "amq-error.h"

#include <gio/gio.h>
#include <stdio.h>
#include <string.h>

#include "amq-json.h"

G_DEFINE_QUARK (amq-error-quark, amq_error)

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
  GString *out = g_string_new ("{\"type\":\"error\",\"error\":{\"type\":");

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
  g_autofree char *message = amq_error_dup_openai_message (error);
  g_autofree char *param = amq_error_dup_openai_param (error);
  const char *code = amq_error_openai_code (error);

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
  GString *out = g_string_new ("{\"error\":");

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

GError *
amq_error_new_from_aws (guint       http_status,
                        const char *aws_type,
                        const char *message,
                        const char *reason,
                        guint64     input_tokens,
                        guint64     max_input_tokens)
{
  const char *text = message != NULL && *message != '\0' ? message : "no message";
  const char *type = aws_type != NULL ? aws_type : "";
  AmqErrorCode code;

  if (g_strcmp0 (reason, "CONTENT_LENGTH_EXCEEDS_THRESHOLD") == 0 ||
      contains_ci (text, "input is too long"))
    return amq_error_new_prompt_too_long (input_tokens, max_input_tokens);

  if (g_strcmp0 (reason, "INSUFFICIENT_MODEL_CAPACITY") == 0 ||
      g_strcmp0 (reason, "MODEL_TEMPORARILY_UNAVAILABLE") == 0 ||
      contains_ci (text, "unexpectedly high load") || contains (type, "ServiceUnavailable"))
    code = AMQ_ERROR_OVERLOADED;
  else if (http_status == 429 || contains (type, "Throttling"))
    code = AMQ_ERROR_RATE_LIMIT;
  else if (http_status == 401 || contains_ci (text, "bearer token") ||
           contains (type, "ExpiredToken") || contains (type, "UnrecognizedClient"))
    code = AMQ_ERROR_AUTHENTICATION;
  else if (http_status == 403 || contains (type, "AccessDenied"))
    code = AMQ_ERROR_PERMISSION;
  else if (http_status == 400 || contains (type, "Validation"))
    code = AMQ_ERROR_INVALID_REQUEST;
  else if (http_status == 404 || contains (type, "ResourceNotFound"))
    code = AMQ_ERROR_NOT_FOUND;
  else if (http_status == 504)
    code = AMQ_ERROR_TIMEOUT;
  else
    code = AMQ_ERROR_UPSTREAM;

  if (reason != NULL && *reason != '\0')
    return g_error_new (AMQ_ERROR, code, "Amazon Q: %s (%s)", text, reason);
  return g_error_new (AMQ_ERROR, code, "Amazon Q: %s", text);
}
