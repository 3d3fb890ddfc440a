/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-request-log.c: bounded, newest first, counters follow finished records */
#include "config.h"

#include <string.h>

#include "amq-request-log.h"

typedef struct { guint position, removed, added, calls; } Change;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, Change *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->calls++;
}

static void
test_bounded_newest_first (void)
{
  g_autoptr(AmqRequestLog) log = amq_request_log_new (3);
  Change change = { 0 };

  g_signal_connect (log, "items-changed", G_CALLBACK (on_items_changed), &change);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("req_%u", i);
      g_autoptr(AmqRequestRecord) record = amq_request_record_new (id, "POST", "/v1/messages");

      amq_request_log_add (log, record);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (log)), ==, 3);
  {
    g_autoptr(AmqRequestRecord) newest = g_list_model_get_item (G_LIST_MODEL (log), 0);
    g_autoptr(AmqRequestRecord) oldest = g_list_model_get_item (G_LIST_MODEL (log), 2);

    g_assert_cmpstr (amq_request_record_get_request_id (newest), ==, "req_4");
    g_assert_cmpstr (amq_request_record_get_request_id (oldest), ==, "req_2");
  }
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (log), 3));
  g_assert_cmpuint (amq_request_log_get_total (log), ==, 5);
  /* the last change dropped the oldest at the end */
  g_assert_cmpuint (change.position, ==, 3);
  g_assert_cmpuint (change.removed, ==, 1);
}

static void
test_counters_follow_finish (void)
{
  g_autoptr(AmqRequestLog) log = amq_request_log_new (10);
  g_autoptr(AmqRequestRecord) ok = amq_request_record_new ("req_ok", "POST", "/v1/messages");
  g_autoptr(AmqRequestRecord) failed = amq_request_record_new ("req_bad", "POST", "/v1/messages");
  g_autoptr(AmqRequestRecord) stream_failed = amq_request_record_new ("req_stream", "POST", "/v1/messages");

  amq_request_log_add (log, ok);
  amq_request_log_add (log, failed);
  amq_request_log_add (log, stream_failed);
  g_assert_cmpuint (amq_request_log_get_errors (log), ==, 0);
  amq_request_record_set_models (ok, "claude-opus-4-5", "claude-opus-4.5", TRUE);
  amq_request_record_complete (ok, 200, NULL, g_get_monotonic_time (), 100, 20);
  amq_request_record_complete (failed, 429, "Amazon Q: throttled", 0, 5, 0);
  amq_request_record_complete (stream_failed, 200, "event-stream message CRC mismatch", 0, 5, 3);
  amq_request_record_complete (ok, 500, "ignored: finished once", 0, 999, 999);
  g_assert_cmpuint (amq_request_log_get_errors (log), ==, 2);
  g_assert_cmpuint (amq_request_log_get_input_tokens (log), ==, 110);
  g_assert_cmpuint (amq_request_log_get_output_tokens (log), ==, 23);
  g_assert_cmpuint (amq_request_record_get_status (ok), ==, 200);
  g_assert_true (amq_request_record_is_error (stream_failed));
  g_assert_false (amq_request_record_is_error (ok));
  g_assert_cmpstr (amq_request_record_get_model_used (ok), ==, "claude-opus-4.5");
  g_assert_cmpint (amq_request_record_get_first_token_ms (ok), >=, 0);
  g_assert_cmpint (amq_request_record_get_first_token_ms (failed), ==, -1);
}

static void
test_headers_elide_credentials (void)
{
  g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_h", "POST", "/v1/messages");
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  soup_message_headers_append (headers, "User-Agent", "claude-cli/2.1");
  soup_message_headers_append (headers, "anthropic-beta", "a");
  soup_message_headers_append (headers, "anthropic-beta", "b");
  soup_message_headers_append (headers, "x-api-key", "sk-very-secret");
  soup_message_headers_append (headers, "Authorization", "Bearer sk-very-secret");
  amq_request_record_set_headers (record, headers);
  g_assert_nonnull (strstr (amq_request_record_get_headers (record), "User-Agent: claude-cli/2.1"));
  g_assert_nonnull (strstr (amq_request_record_get_headers (record), "anthropic-beta: a, b"));
  g_assert_nonnull (strstr (amq_request_record_get_headers (record), "x-api-key: (elided)"));
  g_assert_null (strstr (amq_request_record_get_headers (record), "secret"));
  soup_message_headers_unref (headers);
}

/* A record says which API its request came in by, Anthropic's unless told. */
static void
test_api (void)
{
  g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_api", "POST", "/v1/chat/completions");

  g_assert_cmpint (amq_request_record_get_api (record), ==, AMQ_REQUEST_API_ANTHROPIC);
  amq_request_record_set_api (record, AMQ_REQUEST_API_OPENAI_CHAT);
  g_assert_cmpint (amq_request_record_get_api (record), ==, AMQ_REQUEST_API_OPENAI_CHAT);
  g_assert_cmpstr (amq_request_api_get_label (AMQ_REQUEST_API_ANTHROPIC), ==, "Anthropic");
  g_assert_cmpstr (amq_request_api_get_label (AMQ_REQUEST_API_OPENAI_CHAT), ==, "OpenAI");
  g_assert_cmpstr (amq_request_api_get_label (AMQ_REQUEST_API_OPENAI_RESPONSES), ==, "Responses");
}

/* The account a record names stays, whatever is set after it, and goes with the record (the
 * sanitized run tells a leak or a use after free). */
static void
test_account_kept (void)
{
  g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_account", "POST", "/v1/messages");
  SoupMessageHeaders *headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);

  g_assert_null (amq_request_record_get_account (record));
  amq_request_record_set_account (record, "work");
  soup_message_headers_append (headers, "User-Agent", "claude-cli/2.1");
  amq_request_record_set_headers (record, headers);
  g_assert_cmpstr (amq_request_record_get_account (record), ==, "work");
  soup_message_headers_unref (headers);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/request-log/bounded-newest-first", test_bounded_newest_first);
  g_test_add_func ("/request-log/counters-follow-finish", test_counters_follow_finish);
  g_test_add_func ("/request-log/headers-elide-credentials", test_headers_elide_credentials);
  g_test_add_func ("/request-log/api", test_api);
  g_test_add_func ("/request-log/account-kept", test_account_kept);
  return g_test_run ();
}
