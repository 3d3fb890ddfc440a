/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-account-pool.c: which account takes a request: strategies, a conversation kept on its
 * account, resting accounts skipped until due, the earliest return when all rest. */
#include "config.h"

#include "amq-account-pool.h"
#include "amq-account-private.h"
#include "amq-error.h"

static AmqAccount *
account_new (const char *label)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  AmqAccount *account = amq_account_new (tokens, "/nonexistent/state.json");

  set->refresh_token = g_strdup ("r");
  set->client_id = g_strdup ("c");
  set->client_secret = g_strdup ("s");
  amq_token_manager_set_credentials (tokens, set);
  amq_account_set_label (account, label);
  return account;
}

static AmqAccountPool *
pool_new (AmqPoolStrategy strategy)
{
  AmqAccountPool *pool = amq_account_pool_new (strategy);
  const char *labels[] = { "a", "b", "c" };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      g_autoptr(AmqAccount) account = account_new (labels[i]);
      amq_account_pool_add (pool, account);
    }
  return pool;
}

static const char *
pick (AmqAccountPool *pool, const char *key)
{
  AmqAccount *account = amq_account_pool_pick (pool, key, NULL, NULL);

  return account ? amq_account_get_label (account) : NULL;
}

static AmqAccountHealth *
health (AmqAccountPool *pool, const char *label)
{
  return amq_account_get_health (amq_account_pool_lookup (pool, label));
}

static GError *
fault (guint status, const char *type, const char *reason, gint64 retry_after)
{
  AmqAwsFault fault = { .http_status = status, .type = type, .message = "no", .reason = reason,
                        .retry_after = retry_after };

  return amq_error_new_from_aws (&fault);
}

static void
test_priority_and_rest (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_PRIORITY);
  g_autoptr(GError) throttled = fault (429, "ThrottlingException", NULL, 30);
  g_autoptr(GError) capacity = fault (429, "ThrottlingException", "INSUFFICIENT_MODEL_CAPACITY", 0);
  g_autoptr(GError) suspended = fault (403, "AccessDeniedException", "TEMPORARILY_SUSPENDED", 0);
  g_autoptr(GError) bad_request = fault (400, "ValidationException", NULL, 0);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 back = 0;

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool)), ==, 3);
  g_assert_cmpstr (pick (pool, NULL), ==, "a");
  /* a request's own fault does not rest the account */
  g_assert_false (amq_account_health_report_failure (health (pool, "a"), bad_request));
  g_assert_cmpstr (pick (pool, NULL), ==, "a");
  g_assert_true (amq_account_health_report_failure (health (pool, "a"), throttled));
  g_assert_cmpint (amq_account_health_get_status (health (pool, "a")), ==, AMQ_ACCOUNT_COOLING);
  g_assert_cmpstr (pick (pool, NULL), ==, "b");
  g_assert_true (amq_account_health_report_failure (health (pool, "b"), suspended));
  g_assert_cmpint (amq_account_health_get_status (health (pool, "b")), ==, AMQ_ACCOUNT_SUSPENDED);
  g_assert_true (amq_account_health_report_failure (health (pool, "c"), capacity));
  g_assert_cmpuint (amq_account_pool_count_ready (pool), ==, 0);
  g_assert_null (amq_account_pool_pick (pool, NULL, NULL, &back));
  /* c rests 30 s (capacity, no Retry-After), a rests 30 s: the earliest of the two */
  g_assert_cmpint (back, >=, now + 29);
  g_assert_cmpint (back, <=, now + 31);
  g_assert_cmpstr (amq_account_health_get_last_error (health (pool, "b")), ==,
                   "Amazon Q: no (TEMPORARILY_SUSPENDED)");
  /* switched off and on again: a fresh start */
  amq_account_health_set_enabled (health (pool, "b"), FALSE);
  g_assert_cmpint (amq_account_health_get_status (health (pool, "b")), ==, AMQ_ACCOUNT_DISABLED);
  amq_account_health_set_enabled (health (pool, "b"), TRUE);
  g_assert_cmpstr (pick (pool, NULL), ==, "b");
}

/* A used-up quota rests until the credits reset; without a date, hours. */
static void
test_quota_rests_until_reset (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_PRIORITY);
  g_autoptr(GError) quota = fault (402, "ServiceQuotaExceededException", "MONTHLY_REQUEST_COUNT", 0);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  AmqCredits credits = { .plan = (char *) "KIRO PRO", .used = 1000, .limit = 1000, .resets_at = now + 86400 };

  amq_account_health_set_credits (health (pool, "a"), &credits);
  g_assert_true (amq_account_health_report_failure (health (pool, "a"), quota));
  g_assert_cmpint (amq_account_health_get_status (health (pool, "a")), ==, AMQ_ACCOUNT_EXHAUSTED);
  g_assert_cmpint (amq_account_health_get_available_at (health (pool, "a")), ==, now + 86400);
  g_assert_true (amq_account_health_report_failure (health (pool, "b"), quota));
  g_assert_cmpint (amq_account_health_get_available_at (health (pool, "b")), >=, now + 3600);
  g_assert_cmpstr (pick (pool, NULL), ==, "c");
}

static void
test_round_robin_keeps_conversations (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_ROUND_ROBIN);
  g_autoptr(GError) throttled = fault (429, "ThrottlingException", NULL, 60);

  g_assert_cmpstr (pick (pool, "one"), ==, "a");
  g_assert_cmpstr (pick (pool, "two"), ==, "b");
  g_assert_cmpstr (pick (pool, "three"), ==, "c");
  g_assert_cmpstr (pick (pool, "four"), ==, "a");
  /* the same conversation, the same account: Amazon Q's prompt cache keeps working */
  g_assert_cmpstr (pick (pool, "two"), ==, "b");
  g_assert_cmpstr (pick (pool, "two"), ==, "b");
  /* its account rests: the conversation moves, and stays where it moved */
  amq_account_health_report_failure (health (pool, "b"), throttled);
  g_assert_cmpstr (pick (pool, "two"), ==, "c");
  g_assert_cmpstr (pick (pool, "two"), ==, "c");
}

static void
test_least_used (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_LEAST_USED);

  amq_account_health_report_success (health (pool, "a"));
  amq_account_health_report_success (health (pool, "b"));
  g_assert_cmpstr (pick (pool, NULL), ==, "c");
  amq_account_health_report_success (health (pool, "c"));
  amq_account_health_report_success (health (pool, "c"));
  g_assert_cmpstr (pick (pool, NULL), ==, "a");
}

/* Failover skips the accounts that failed this request already. */
static void
test_tried_are_skipped (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_PRIORITY);
  g_autoptr(GPtrArray) tried = g_ptr_array_new ();
  gint64 back = -1;

  g_ptr_array_add (tried, amq_account_pool_lookup (pool, "a"));
  g_assert_cmpstr (amq_account_get_label (amq_account_pool_pick (pool, "k", tried, NULL)), ==, "b");
  g_ptr_array_add (tried, amq_account_pool_lookup (pool, "b"));
  g_ptr_array_add (tried, amq_account_pool_lookup (pool, "c"));
  g_assert_null (amq_account_pool_pick (pool, "k", tried, &back));
  g_assert_cmpint (back, ==, 0);
}

/* Conversations remembered are bounded: a long-running server forgets the oldest. */
static void
test_conversations_bounded (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_ROUND_ROBIN);
  const char *first;

  first = pick (pool, "conversation-0");
  for (guint i = 1; i <= 4096; i++)
    {
      g_autofree char *key = g_strdup_printf ("conversation-%u", i);
      pick (pool, key);
    }
  /* forgotten: it gets the next account in turn (4,097 turns so far), not its old one */
  g_assert_cmpstr (first, ==, "a");
  g_assert_cmpstr (pick (pool, "conversation-0"), ==, "c");
  g_assert_cmpstr (pick (pool, "conversation-4096"), ==, "b");
}

typedef struct { guint position, removed, added, calls; } Change;

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, Change *change)
{
  *change = (Change) { position, removed, added, change->calls + 1 };
}

/* An account taken out is neither listed nor picked; round robin goes on in turn among the
 * rest, and a conversation it had moves on. */
static void
test_remove (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_ROUND_ROBIN);
  g_autoptr(AmqAccount) b = g_object_ref (amq_account_pool_lookup (pool, "b"));
  g_autoptr(AmqAccount) stranger = account_new ("stranger");
  Change change = { 0 };

  g_signal_connect (pool, "items-changed", G_CALLBACK (on_items_changed), &change);
  g_assert_cmpstr (pick (pool, "k-a"), ==, "a");
  g_assert_cmpstr (pick (pool, "k-b"), ==, "b");
  amq_account_pool_remove (pool, b);
  g_assert_cmpuint (change.calls, ==, 1);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool)), ==, 2);
  g_assert_null (amq_account_pool_lookup (pool, "b"));
  g_assert_cmpuint (amq_account_pool_count_ready (pool), ==, 2);
  /* c was next in turn, and still is */
  g_assert_cmpstr (pick (pool, NULL), ==, "c");
  g_assert_cmpstr (pick (pool, NULL), ==, "a");
  g_assert_cmpstr (pick (pool, "k-b"), !=, "b");
  /* one not in the pool changes nothing */
  amq_account_pool_remove (pool, stranger);
  g_assert_cmpuint (change.calls, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool)), ==, 2);
}

static void
count_notify (guint *count)
{
  (*count)++;
}

/* The pool is saving while any account of it writes rotated tokens: what the processes wait
 * for before they end. An account taken out no longer counts. */
static void
test_saving (void)
{
  g_autoptr(AmqAccountPool) pool = pool_new (AMQ_POOL_PRIORITY);
  g_autoptr(AmqAccount) a = g_object_ref (amq_account_pool_lookup (pool, "a"));  /* outlives its removal */
  AmqAccount *b = amq_account_pool_lookup (pool, "b");
  AmqAccount *c = amq_account_pool_lookup (pool, "c");
  guint notified = 0;

  g_signal_connect_swapped (pool, "notify::saving", G_CALLBACK (count_notify), &notified);
  g_assert_false (amq_account_pool_get_saving (pool));
  amq_account_count_save (b, TRUE);
  g_assert_true (amq_account_pool_get_saving (pool));
  amq_account_count_save (c, TRUE);
  amq_account_count_save (b, FALSE);
  g_assert_true (amq_account_pool_get_saving (pool));
  g_assert_cmpuint (notified, ==, 1);
  amq_account_count_save (c, FALSE);
  g_assert_false (amq_account_pool_get_saving (pool));
  g_assert_cmpuint (notified, ==, 2);

  amq_account_count_save (a, TRUE);
  g_assert_true (amq_account_pool_get_saving (pool));
  amq_account_pool_remove (pool, a);
  g_assert_false (amq_account_pool_get_saving (pool));
  amq_account_count_save (a, FALSE);
  g_assert_cmpuint (notified, ==, 4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/account-pool/priority-and-rest", test_priority_and_rest);
  g_test_add_func ("/account-pool/quota-rests-until-reset", test_quota_rests_until_reset);
  g_test_add_func ("/account-pool/round-robin-keeps-conversations", test_round_robin_keeps_conversations);
  g_test_add_func ("/account-pool/least-used", test_least_used);
  g_test_add_func ("/account-pool/tried-are-skipped", test_tried_are_skipped);
  g_test_add_func ("/account-pool/conversations-bounded", test_conversations_bounded);
  g_test_add_func ("/account-pool/remove", test_remove);
  g_test_add_func ("/account-pool/saving", test_saving);
  return g_test_run ();
}
