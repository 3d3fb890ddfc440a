/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-openai-errors.c: every error in OpenAI's shape, with the same HTTP status as on the Anthropic side */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "amq-error.h"

typedef struct {
  GError     *error;
  guint       status;
  const char *type;
  const char *code;
  const char *param;
  const char *message;
} Row;

static void
check (const Row *row)
{
  g_autofree char *json = amq_error_to_openai_json (row->error);
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  JsonObject *outer, *error;

  g_test_message ("%s", json);
  g_assert_nonnull (root);
  outer = json_node_get_object (root);
  g_assert_cmpuint (json_object_get_size (outer), ==, 1);
  error = json_object_get_object_member (outer, "error");
  g_assert_cmpuint (json_object_get_size (error), ==, 4);
  g_assert_cmpuint (amq_error_http_status (row->error), ==, row->status);
  g_assert_cmpstr (json_object_get_string_member (error, "type"), ==, row->type);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, row->code);
  g_assert_cmpstr (json_object_get_string_member (error, "param"), ==, row->param);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), ==, row->message);
}

static GError *
aws (guint status, const char *type, const char *message, const char *reason, guint64 input_tokens,
     guint64 max_input_tokens)
{
  AmqAwsFault fault = { .http_status = status, .type = type, .message = message, .reason = reason,
                        .input_tokens = input_tokens, .max_input_tokens = max_input_tokens };

  return amq_error_new_from_aws (&fault);
}

static void
test_table (void)
{
  Row rows[] = {
    { g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "messages[2].tool_calls[0].function.arguments: not valid JSON: x"),
      400, "invalid_request_error", NULL, "messages[2].tool_calls[0].function.arguments",
      "messages[2].tool_calls[0].function.arguments: not valid JSON: x" },
    { g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST, "request body is not valid JSON: eof"),
      400, "invalid_request_error", NULL, NULL, "request body is not valid JSON: eof" },
    { amq_error_new_prompt_too_long (210000, 200000),
      400, "invalid_request_error", "context_length_exceeded", NULL,
      "This model's maximum context length is 200000 tokens. However, your messages resulted in 210000 tokens. "
      "Please reduce the length of the messages." },
    { aws (400, "ValidationException", "Input is too long.", "CONTENT_LENGTH_EXCEEDS_THRESHOLD", 5, 100),
      400, "invalid_request_error", "context_length_exceeded", NULL,
      "This model's maximum context length is 100 tokens. However, your messages resulted in 101 tokens. "
      "Please reduce the length of the messages." },
    { g_error_new (AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, "invalid API key"),
      401, "invalid_request_error", "invalid_api_key", NULL, "invalid API key" },
    { aws (403, "AccessDeniedException", "suspended", "TEMPORARILY_SUSPENDED", 0, 0),
      403, "invalid_request_error", NULL, NULL, "Amazon Q: suspended (TEMPORARILY_SUSPENDED)" },
    { g_error_new (AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "no route POST /v1/nothing"),
      404, "invalid_request_error", NULL, NULL, "no route POST /v1/nothing" },
    { aws (429, "ThrottlingException", "Too many requests", "DAILY_REQUEST_COUNT", 0, 0),
      429, "requests", "rate_limit_exceeded", NULL,
      "Amazon Q: Too many requests (DAILY_REQUEST_COUNT): the daily request quota of this Amazon Q account is used up" },
    { aws (429, "ThrottlingException", "busy", "INSUFFICIENT_MODEL_CAPACITY", 0, 0),
      529, "server_error", "server_is_overloaded", NULL, "Amazon Q: busy (INSUFFICIENT_MODEL_CAPACITY)" },
    { g_error_new (AMQ_ERROR, AMQ_ERROR_API, "broken"), 500, "server_error", NULL, NULL, "broken" },
    { g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "reset"), 502, "server_error", NULL, NULL, "reset" },
    { g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "silent"), 504, "server_error", NULL, NULL, "silent" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      check (&rows[i]);
      g_error_free (rows[i].error);
    }
}

/* The Anthropic shape is what it was. */
static void
test_anthropic_unchanged (void)
{
  g_autoptr(GError) error = amq_error_new_prompt_too_long (210000, 200000);
  g_autofree char *json = amq_error_to_json (error, "req_1");

  g_assert_cmpstr (json, ==, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
                             "\"prompt is too long: 210000 tokens > 200000 maximum\"},\"request_id\":\"req_1\"}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/openai-errors/table", test_table);
  g_test_add_func ("/openai-errors/anthropic-unchanged", test_anthropic_unchanged);
  return g_test_run ();
}
