/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-pool.c: amq2api-server --accounts against the C fake, whose accounts fare as their refresh
 * tokens say (rt-quota*, rt-suspended*, rt-throttled*, rt-invalid): spreading, a conversation
 * kept on its account, failover clients never see, resting accounts left alone until due,
 * every account down, /admin/accounts, rotated tokens written back, the file's own checks. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "test-util.h"

static char *fake_url;
static char *tmpdir;

/* An accounts file of @strategy with one account per refresh token, labelled by the token. */
static char *
write_accounts (const char *name, const char *strategy, const char * const *refresh_tokens, guint mode)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char *path = g_build_filename (tmpdir, name, NULL);

  g_string_append_printf (text, "{\n  \"strategy\": \"%s\",\n  \"accounts\": [\n", strategy);
  for (guint i = 0; refresh_tokens[i] != NULL; i++)
    g_string_append_printf (text, "    {\"label\": \"%s\", \"refreshToken\": \"%s\", \"clientId\": \"c\", "
                            "\"clientSecret\": \"s\"}%s\n", refresh_tokens[i], refresh_tokens[i],
                            refresh_tokens[i + 1] ? "," : "");
  g_string_append (text, "  ]\n}\n");
  g_assert_true (g_file_set_contents_full (path, text->str, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, NULL));
  return path;
}

static TestProc
start_pool (const char *accounts_path)
{
  g_autoptr(GSubprocessLauncher) launcher = test_bare_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE, fake_url);
  g_autofree char *accounts = g_strdup_printf ("--accounts=%s", accounts_path);
  const char *options[] = { "--port=0", accounts, NULL };

  return test_server_start (launcher, options, NULL);
}

static TestReply
http (const char *method, const char *url, const char *body)
{
  g_autoptr(SoupMessage) msg = test_message_new (method, url, body ? "application/json" : NULL, body,
                                                 body ? strlen (body) : 0);

  return test_send (msg);
}

/* A request of its own conversation (@conversation picks it) for @scenario. */
static TestReply
ask (TestProc *server, const char *conversation, const char *scenario, gboolean stream)
{
  g_autofree char *url = g_strconcat (server->url, "/v1/messages", NULL);
  g_autofree char *body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":100,\"stream\":%s,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"%s SCENARIO:%s\"}]}",
                                           stream ? "true" : "false", conversation, scenario);

  return http ("POST", url, body);
}

/* How many generation calls the fake answered for @refresh_token. */
static gint64
served (const char *refresh_token)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake_url);
  JsonObject *counts = json_object_get_object_member (stats, "served");

  return json_object_has_member (counts, refresh_token) ? json_object_get_int_member (counts, refresh_token) : 0;
}

static gint64
fake_requests (void)
{
  g_autoptr(JsonObject) stats = test_fake_stats (fake_url);

  return json_object_get_int_member (stats, "requests");
}

/* /admin/accounts' entry for @label. */
static JsonObject *
account_status (TestProc *server, const char *label)
{
  g_autofree char *url = g_strconcat (server->url, "/admin/accounts", NULL);
  g_auto(TestReply) r = http ("GET", url, NULL);
  g_autoptr(JsonObject) all = test_parse_object (r.body);
  JsonArray *accounts = json_object_get_array_member (all, "accounts");

  g_assert_cmpuint (r.status, ==, 200);
  for (guint i = 0; i < json_array_get_length (accounts); i++)
    {
      JsonObject *account = json_array_get_object_element (accounts, i);

      if (g_str_equal (json_object_get_string_member (account, "label"), label))
        return json_object_ref (account);
    }
  g_assert_not_reached ();
}

static void
assert_status (TestProc *server, const char *label, const char *status)
{
  g_autoptr(JsonObject) account = account_status (server, label);

  g_test_message ("%s: %s (%s)", label, json_object_get_string_member (account, "status"),
                  json_object_get_null_member (account, "last_error") ? "-"
                  : json_object_get_string_member (account, "last_error"));
  g_assert_cmpstr (json_object_get_string_member (account, "status"), ==, status);
}

/* Round-robin spreads new conversations; a conversation stays on its account. */
static void
test_spread_and_stay (void)
{
  const char *tokens[] = { "rt-pool-a", "rt-pool-b", "rt-pool-c", NULL };
  g_autofree char *path = write_accounts ("spread.json", "round-robin", tokens, 0600);
  TestProc server = start_pool (path);
  gint64 before[3];

  for (guint i = 0; i < 3; i++)
    before[i] = served (tokens[i]);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *conversation = g_strdup_printf ("conversation %u", i);
      g_auto(TestReply) r = ask (&server, conversation, "text", i % 2);

      g_assert_cmpuint (r.status, ==, 200);
    }
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (served (tokens[i]) - before[i], ==, 2);
  /* conversation 1 went to the second account: its next turns too */
  for (guint i = 0; i < 3; i++)
    {
      g_auto(TestReply) r = ask (&server, "conversation 1", "text", FALSE);
      g_assert_cmpuint (r.status, ==, 200);
    }
  g_assert_cmpint (served ("rt-pool-b") - before[1], ==, 5);
  test_proc_stop (&server, NULL);
}

/* Each way an account fails before anything reached the client moves the request on, unseen,
 * and rests the account in the right status; the next request does not try it again. */
static void
test_failover_unseen (void)
{
  static const struct { const char *token, *status; } rows[] = {
    { "rt-quota-f", "exhausted" },
    { "rt-suspended-f", "suspended" },
    { "rt-throttled-f", "cooling" },
    { "rt-invalid", "signin-needed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      const char *tokens[] = { rows[i].token, "rt-pool-healthy", NULL };
      g_autofree char *path = write_accounts ("failover.json", "priority", tokens, 0600);
      TestProc server = start_pool (path);
      gint64 healthy = served ("rt-pool-healthy");
      gint64 requests;

      for (guint stream = 0; stream < 2; stream++)
        {
          g_auto(TestReply) r = ask (&server, "failover", "text", stream);

          g_assert_cmpuint (r.status, ==, 200);
          g_assert_nonnull (strstr (r.body, "Hello"));
        }
      g_assert_cmpint (served ("rt-pool-healthy") - healthy, ==, 2);
      assert_status (&server, rows[i].token, rows[i].status);
      /* resting: not tried again */
      requests = fake_requests ();
      {
        g_auto(TestReply) r = ask (&server, "another", "text", FALSE);
        g_assert_cmpuint (r.status, ==, 200);
      }
      g_assert_cmpint (fake_requests () - requests, ==, 1);
      test_proc_stop (&server, NULL);
    }
}

/* Every account down: a 429 with the earliest return, never a 5xx; due again, an account is
 * tried again. */
static void
test_all_down (void)
{
  const char *tokens[] = { "rt-throttled-x", "rt-quota-y", NULL };
  g_autofree char *path = write_accounts ("down.json", "priority", tokens, 0600);
  TestProc server = start_pool (path);
  gint64 requests;

  {
    g_auto(TestReply) r = ask (&server, "down", "text", FALSE);

    g_test_message ("%u retry-after %s: %s", r.status, r.retry_after, r.body);
    g_assert_cmpuint (r.status, ==, 429);
    g_assert_nonnull (strstr (r.body, "rate_limit_error"));
    g_assert_nonnull (r.retry_after);
    g_assert_cmpint (g_ascii_strtoll (r.retry_after, NULL, 10), <=, 2);
  }
  {
    g_auto(TestReply) r = ask (&server, "down", "text", TRUE);
    g_assert_cmpuint (r.status, ==, 429);
  }
  /* the throttled account is due after its Retry-After (2 s): tried again, not before */
  requests = fake_requests ();
  g_usleep (2100 * 1000);
  {
    g_auto(TestReply) r = ask (&server, "down", "text", FALSE);
    g_assert_cmpuint (r.status, ==, 429);
  }
  g_assert_cmpint (fake_requests () - requests, ==, 1);
  test_proc_stop (&server, NULL);
}

/* Once the answer has begun, nothing is retried: a stream that fails mid-way fails. */
static void
test_nothing_retried_mid_stream (void)
{
  const char *tokens[] = { "rt-pool-m1", "rt-pool-m2", NULL };
  g_autofree char *path = write_accounts ("mid.json", "priority", tokens, 0600);
  TestProc server = start_pool (path);
  gint64 requests = fake_requests ();

  {
    g_auto(TestReply) r = ask (&server, "mid", "exception", TRUE);

    g_assert_cmpuint (r.status, ==, 200);
    g_assert_nonnull (strstr (r.body, "event: error"));
  }
  g_assert_cmpint (fake_requests () - requests, ==, 1);
  assert_status (&server, "rt-pool-m1", "ready");
  test_proc_stop (&server, NULL);
}

/* /admin/accounts lists every account; enable and disable switch one; same key as /v1. */
static void
test_admin_accounts (void)
{
  const char *tokens[] = { "rt-pool-p", "rt-pool-q", NULL };
  g_autofree char *path = write_accounts ("admin.json", "priority", tokens, 0600);
  g_autoptr(GSubprocessLauncher) launcher = test_bare_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE, fake_url);
  g_autofree char *accounts = g_strdup_printf ("--accounts=%s", path);
  const char *options[] = { "--port=0", accounts, "--api-key=admin-key", NULL };
  TestProc server = test_server_start (launcher, options, NULL);
  g_autofree char *list = g_strconcat (server.url, "/admin/accounts", NULL);
  g_autofree char *disable = g_strconcat (server.url, "/admin/accounts/rt-pool-p/disable", NULL);
  g_autofree char *enable = g_strconcat (server.url, "/admin/accounts/rt-pool-p/enable", NULL);
  g_autofree char *unknown = g_strconcat (server.url, "/admin/accounts/nobody/enable", NULL);
  gint64 q = served ("rt-pool-q");

  {
    g_auto(TestReply) r = http ("GET", list, NULL);
    g_assert_cmpuint (r.status, ==, 401);
  }
  {
    g_autoptr(SoupMessage) msg = test_message_new ("GET", list, NULL, NULL, 0);
    g_auto(TestReply) r = { 0 };
    g_autoptr(JsonObject) all = NULL;
    JsonObject *first;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", "admin-key");
    r = test_send (msg);
    g_test_message ("%s", r.body);
    g_assert_cmpuint (r.status, ==, 200);
    all = test_parse_object (r.body);
    first = json_array_get_object_element (json_object_get_array_member (all, "accounts"), 0);
    g_assert_cmpstr (json_object_get_string_member (first, "label"), ==, "rt-pool-p");
    g_assert_cmpstr (json_object_get_string_member (first, "kind"), ==, "builder-id");
    g_assert_cmpstr (json_object_get_string_member (first, "status"), ==, "ready");
    g_assert_true (json_object_has_member (first, "plan"));
    g_assert_true (json_object_has_member (first, "credits"));
    g_assert_true (json_object_has_member (first, "requests"));
    g_assert_true (json_object_has_member (first, "last_error"));
    g_assert_null (strstr (r.body, "rt-pool-p\"refresh") );
    g_assert_null (strstr (r.body, "clientSecret"));
  }
  {
    g_autoptr(SoupMessage) msg = test_message_new ("POST", disable, NULL, NULL, 0);
    g_auto(TestReply) r = { 0 };

    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", "admin-key");
    r = test_send (msg);
    g_assert_cmpuint (r.status, ==, 200);
    g_assert_nonnull (strstr (r.body, "\"status\":\"disabled\""));
  }
  {
    g_autofree char *url = g_strconcat (server.url, "/v1/messages", NULL);
    g_autofree char *body = test_messages_body ("text", FALSE);
    g_autoptr(SoupMessage) msg = test_message_new ("POST", url, "application/json", body, strlen (body));
    g_auto(TestReply) r = { 0 };

    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-api-key", "admin-key");
    r = test_send (msg);
    g_assert_cmpuint (r.status, ==, 200);
    g_assert_cmpint (served ("rt-pool-q") - q, ==, 1);
  }
  {
    g_autoptr(SoupMessage) again = test_message_new ("POST", enable, NULL, NULL, 0);
    g_autoptr(SoupMessage) nobody = test_message_new ("POST", unknown, NULL, NULL, 0);
    g_autoptr(SoupMessage) get = test_message_new ("GET", enable, NULL, NULL, 0);
    g_auto(TestReply) a = { 0 };
    g_auto(TestReply) b = { 0 };
    g_auto(TestReply) c = { 0 };

    soup_message_headers_replace (soup_message_get_request_headers (again), "x-api-key", "admin-key");
    soup_message_headers_replace (soup_message_get_request_headers (nobody), "x-api-key", "admin-key");
    soup_message_headers_replace (soup_message_get_request_headers (get), "x-api-key", "admin-key");
    a = test_send (again);
    b = test_send (nobody);
    c = test_send (get);
    g_assert_nonnull (strstr (a.body, "\"status\":\"ready\""));
    g_assert_cmpuint (b.status, ==, 404);
    g_assert_cmpuint (c.status, ==, 405);
  }
  test_proc_stop (&server, NULL);
}

/* A rotated refresh token goes back into the accounts file, which stays private. */
static void
test_rotation_written_back (void)
{
  const char *tokens[] = { "rt-rotate-pool", "rt-pool-r", NULL };
  g_autofree char *path = write_accounts ("rotate.json", "priority", tokens, 0600);
  g_autofree char *text = NULL;
  TestProc server = start_pool (path);
  GStatBuf info;

  {
    g_auto(TestReply) r = ask (&server, "rotate", "text", FALSE);
    g_assert_cmpuint (r.status, ==, 200);
  }
  test_proc_stop (&server, NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "rt-rotated-"));
  g_assert_nonnull (strstr (text, "rt-pool-r"));
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  /* the restart starts from the new token, which the fake still takes */
  server = start_pool (path);
  {
    g_auto(TestReply) r = ask (&server, "rotate", "text", FALSE);
    g_assert_cmpuint (r.status, ==, 200);
  }
  assert_status (&server, "rt-rotate-pool", "ready");
  test_proc_stop (&server, NULL);
}

static char *
refused_start (const char *path)
{
  g_autoptr(GSubprocessLauncher) launcher = test_bare_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE, fake_url);
  g_autofree char *server = test_server_path ();
  g_autofree char *accounts = g_strdup_printf ("--accounts=%s", path);
  g_autoptr(GSubprocess) p = g_subprocess_launcher_spawn (launcher, NULL, server, "--port=0", accounts, NULL);
  char *err = NULL;

  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
  return err;
}

/* A file others may read, or a malformed one, is refused at start with the place to look. */
static void
test_file_checks (void)
{
  const char *tokens[] = { "rt-pool-s", NULL };
  g_autofree char *open_path = write_accounts ("open.json", "priority", tokens, 0644);
  g_autofree char *bad_path = g_build_filename (tmpdir, "bad.json", NULL);
  g_autofree char *open_error = refused_start (open_path);
  g_autofree char *bad_error = NULL;

  g_assert_nonnull (strstr (open_error, "chmod 600"));
  g_assert_true (g_file_set_contents_full (bad_path, "{\"accounts\": [\n  {\"label\": \"x\",\n   \"refreshToken\": 7}]}", -1,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  bad_error = refused_start (bad_path);
  g_assert_nonnull (strstr (bad_error, ":3: accounts[0].refreshToken"));
}

int
main (int argc, char **argv)
{
  g_autoptr(GSubprocess) fake = NULL;
  int status;

  tmpdir = g_dir_make_tmp ("amq2api-pool-XXXXXX", NULL);
  g_test_init (&argc, &argv, NULL);
  fake = test_start_fake_upstream (&fake_url);
  g_test_add_func ("/pool/spread-and-stay", test_spread_and_stay);
  g_test_add_func ("/pool/failover-unseen", test_failover_unseen);
  g_test_add_func ("/pool/all-down", test_all_down);
  g_test_add_func ("/pool/nothing-retried-mid-stream", test_nothing_retried_mid_stream);
  g_test_add_func ("/pool/admin-accounts", test_admin_accounts);
  g_test_add_func ("/pool/rotation-written-back", test_rotation_written_back);
  g_test_add_func ("/pool/file-checks", test_file_checks);
  status = g_test_run ();
  g_subprocess_send_signal (fake, SIGTERM);
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);
    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  return status;
}
