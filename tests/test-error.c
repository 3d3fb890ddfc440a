/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-error.c: Amazon Q's errors -> the Anthropic error table, with Retry-After and the
 * account's state carried by the GError */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "amq-error.h"

typedef struct {
  guint       http_status;
  const char *type;
  const char *message;
  const char *reason;
  gint64      retry_after;
  guint       expect_status;
  const char *expect_type;
  const char *expect_fragment;
  gint64      expect_retry_after;
  gboolean    expect_suspended;
} FaultRow;

/* PROTOCOL.md §1.4 and §1.6, read as a table */
static void
test_table (void)
{
  static const FaultRow rows[] = {
    { 402, "ServiceQuotaExceededException", "You have reached the limit.", "MONTHLY_REQUEST_COUNT", 0,
      429, "rate_limit_error", "(MONTHLY_REQUEST_COUNT): the monthly request quota of this Amazon Q account is used up", 0, FALSE },
    { 402, "ServiceQuotaExceededException", "You have reached the limit for overages.", "OVERAGE_REQUEST_LIMIT_EXCEEDED", 0,
      429, "rate_limit_error", "the overage request limit of this Amazon Q account is used up", 0, FALSE },
    { 402, "ServiceQuotaExceededException", "Some new quota.", NULL, 0,
      429, "rate_limit_error", "the request quota of this Amazon Q account is used up", 0, FALSE },
    { 402, "ServiceQuotaExceededException", "Conversation limit exceeded.", "CONVERSATION_LIMIT_EXCEEDED", 0,
      400, "invalid_request_error", "prompt is too long: 190001 tokens > 190000 maximum", 0, FALSE },
    { 400, "ValidationException", "Input is too long.", "CONTENT_LENGTH_EXCEEDS_THRESHOLD", 0,
      400, "invalid_request_error", "prompt is too long: ", 0, FALSE },
    { 429, "ThrottlingException", "Daily limit.", "DAILY_REQUEST_COUNT", 0,
      429, "rate_limit_error", "daily request quota", 0, FALSE },
    { 429, "ThrottlingException", "Too many requests.", NULL, 12,
      429, "rate_limit_error", "Amazon Q: Too many requests.", 12, FALSE },
    { 429, "ThrottlingException", "Too many requests.", NULL, 0,
      429, "rate_limit_error", "Amazon Q: Too many requests.", 0, FALSE },
    { 429, "ThrottlingException", "I am experiencing high traffic.", "INSUFFICIENT_MODEL_CAPACITY", 3,
      529, "overloaded_error", "high traffic", 3, FALSE },
    { 0, "ThrottlingException", "I am experiencing unexpectedly high load.", NULL, 0,
      529, "overloaded_error", "unexpectedly high load", 0, FALSE },
    { 503, "ServiceUnavailableException", "Unavailable.", NULL, 40,
      529, "overloaded_error", "Unavailable.", 40, FALSE },
    { 500, "InternalServerException", "Model unavailable.", "MODEL_TEMPORARILY_UNAVAILABLE", 0,
      529, "overloaded_error", "Model unavailable.", 0, FALSE },
    { 403, "AccessDeniedException", "Your account is temporarily suspended.", "TEMPORARILY_SUSPENDED", 0,
      403, "permission_error", "temporarily suspended. (TEMPORARILY_SUSPENDED)", 0, TRUE },
    { 403, "AccessDeniedException", "The bearer token included in the request is invalid.", NULL, 0,
      401, "authentication_error", "bearer token", 0, FALSE },
    { 400, NULL, "profileArn is required for this request.", NULL, 0,
      400, "invalid_request_error", "profileArn is required", 0, FALSE },
    { 500, "InternalServerException", "Encountered an unexpected error.", NULL, 0,
      502, "api_error", "unexpected error", 0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      AmqAwsFault fault = { rows[i].http_status, rows[i].type, rows[i].message, rows[i].reason,
                            rows[i].retry_after, 0, 190001, 190000 };
      g_autoptr(GError) error = amq_error_new_from_aws (&fault);
      g_autoptr(GError) copy = g_error_copy (error);

      g_test_message ("row %u: %s", i, error->message);
      g_assert_cmpuint (amq_error_http_status (error), ==, rows[i].expect_status);
      g_assert_cmpstr (amq_error_anthropic_type (error), ==, rows[i].expect_type);
      g_assert_nonnull (strstr (error->message, rows[i].expect_fragment));
      /* what the error carries survives a copy, as the stream's error event makes one */
      g_assert_cmpint (amq_error_get_retry_after (copy), ==, rows[i].expect_retry_after);
      g_assert_cmpint (amq_error_is_account_suspended (copy), ==, rows[i].expect_suspended);
    }
}

/* A used-up quota whose reset date is known names it, and Retry-After runs until then. */
static void
test_quota_reset (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GDateTime) reset = g_date_time_new_from_unix_utc (now + 3 * 86400);
  g_autofree char *date = g_date_time_format (reset, "until %Y-%m-%d %H:%M UTC");
  AmqAwsFault quota = { .http_status = 402, .type = "ServiceQuotaExceededException",
                        .message = "You have reached the limit.", .reason = "MONTHLY_REQUEST_COUNT",
                        .quota_reset = now + 3 * 86400 };
  AmqAwsFault throttled = { .http_status = 429, .type = "ThrottlingException", .message = "Slow down.",
                            .quota_reset = now + 3 * 86400 };
  AmqAwsFault told = quota;
  AmqAwsFault stale = quota;
  g_autoptr(GError) stale_error = NULL;
  g_autoptr(GError) error = amq_error_new_from_aws (&quota);
  g_autoptr(GError) not_quota = amq_error_new_from_aws (&throttled);
  g_autoptr(GError) upstream_said = NULL;

  told.retry_after = 60;
  upstream_said = amq_error_new_from_aws (&told);
  g_assert_cmpuint (amq_error_http_status (error), ==, 429);
  g_assert_true (g_str_has_suffix (error->message, date));
  g_assert_cmpint (amq_error_get_retry_after (error), <=, 3 * 86400);
  g_assert_cmpint (amq_error_get_retry_after (error), >=, 3 * 86400 - 5);
  /* a throttle is not the quota: the reset date says nothing about it */
  g_assert_null (strstr (not_quota->message, "until"));
  g_assert_cmpint (amq_error_get_retry_after (not_quota), ==, 0);
  /* the service's own Retry-After wins */
  g_assert_cmpint (amq_error_get_retry_after (upstream_said), ==, 60);
  /* a reset date already past is no date at all */
  stale.quota_reset = now - 60;
  stale_error = amq_error_new_from_aws (&stale);
  g_assert_null (strstr (stale_error->message, "until"));
  g_assert_cmpint (amq_error_get_retry_after (stale_error), ==, 0);
}

static void
test_other_errors (void)
{
  g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "slow");
  g_autoptr(GError) plain = g_error_new_literal (AMQ_ERROR, AMQ_ERROR_RATE_LIMIT, "local");
  g_autoptr(GError) too_large = amq_error_new_body_too_large (150000, 750000, 600000);

  g_assert_cmpint (amq_error_get_retry_after (io), ==, 0);
  g_assert_false (amq_error_is_account_suspended (io));
  g_assert_cmpint (amq_error_get_retry_after (plain), ==, 0);
  g_assert_cmpstr (too_large->message, ==, "prompt is too long: 150000 tokens > 120000 maximum "
                   "(the request to Amazon Q would be 750000 bytes; it takes at most 600000)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/error/table", test_table);
  g_test_add_func ("/error/quota-reset", test_quota_reset);
  g_test_add_func ("/error/other-errors", test_other_errors);
  return g_test_run ();
}
