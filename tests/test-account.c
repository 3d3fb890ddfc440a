/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-account.c: where credentials come from and where a rotated refresh token goes: the
 * state file for environment seeds, the keyring item merged (never another sign-in replaced).
 * libsecret's file backend stands in for the keyring. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "amq-account.h"
#include "amq-process.h"
#include "amq-token-state.h"
#include "test-util.h"

static char *tmpdir;

static char *
state_path (const char *name)
{
  return g_build_filename (tmpdir, name, "credentials.json", NULL);
}

static void
test_state_file (void)
{
  g_autofree char *path = state_path ("state-file");
  g_autofree char *text = NULL;
  g_autofree char *first = NULL;
  g_autofree char *other = NULL;
  g_autoptr(GError) error = NULL;
  GStatBuf info;

  g_assert_null (amq_token_state_lookup_successor (path, "seed-a"));
  g_assert_true (amq_token_state_record_successor (path, "seed-a", "next-a-1", &error));
  g_assert_no_error (error);
  g_assert_true (amq_token_state_record_successor (path, "seed-b", "next-b-1", NULL));
  g_assert_true (amq_token_state_record_successor (path, "seed-a", "next-a-2", NULL));
  first = amq_token_state_lookup_successor (path, "seed-a");
  other = amq_token_state_lookup_successor (path, "seed-b");
  g_assert_cmpstr (first, ==, "next-a-2");
  g_assert_cmpstr (other, ==, "next-b-1");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_null (strstr (text, "seed-a"));
  g_assert_null (strstr (text, "next-a-1"));
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
}

/* what the async call under way hands back */
static GAsyncResult *last_result;

static AmqAccount *
load_account (AmqTokenManager *tokens, const char *path)
{
  AmqAccount *account = amq_account_new (tokens, path);
  g_autoptr(AmqEnvironment) environment = amq_environment_new (NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  amq_account_load_async (account, environment, NULL, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  g_assert_true (amq_account_load_finish (account, result, &error));
  g_assert_no_error (error);
  return account;
}

static gboolean
save_rotation (AmqAccount *account, const char *previous, const char *next, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  g_autoptr(AmqCredentialSet) tokens = amq_credential_set_new ();

  tokens->refresh_token = g_strdup (next);
  amq_token_store_save_tokens_async (AMQ_TOKEN_STORE (account), previous, tokens, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  return amq_token_store_save_tokens_finish (AMQ_TOKEN_STORE (account), result, error);
}

static void
store_in_keyring (const AmqCredentialSet *set)
{
  g_autoptr(GAsyncResult) result = NULL;

  amq_credentials_store_async (NULL, set, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  g_assert_true (amq_credentials_store_finish (result, NULL));
}

static AmqCredentialSet *
keyring_now (void)
{
  g_autoptr(GAsyncResult) result = NULL;

  amq_credentials_lookup_async (NULL, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  return amq_credentials_lookup_finish (result, NULL);
}

static void
set_environment (const char *refresh_token)
{
  g_setenv ("AMAZONQ_REFRESH_TOKEN", refresh_token, TRUE);
  g_setenv ("AMAZONQ_CLIENT_ID", "env-client", TRUE);
  g_setenv ("AMAZONQ_CLIENT_SECRET", "env-secret", TRUE);
}

static void
clear_environment (void)
{
  g_unsetenv ("AMAZONQ_REFRESH_TOKEN");
  g_unsetenv ("AMAZONQ_CLIENT_ID");
  g_unsetenv ("AMAZONQ_CLIENT_SECRET");
}

/* An environment seed's successor goes to the state file, not the keyring, and the next start
 * with the same seed uses it. */
static void
test_environment_seed_successor (void)
{
  g_autofree char *path = state_path ("environment");
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  g_autoptr(AmqCredentialSet) keyring = amq_credential_set_new ();
  g_autoptr(AmqCredentialSet) after = NULL;
  g_autoptr(GError) error = NULL;
  AmqAccount *account;

  keyring->refresh_token = g_strdup ("app-refresh");
  keyring->client_id = g_strdup ("app-client");
  keyring->client_secret = g_strdup ("app-secret");
  store_in_keyring (keyring);
  set_environment ("env-seed");
  account = load_account (tokens, path);
  g_assert_cmpint (amq_account_get_origin (account), ==, AMQ_ACCOUNT_ORIGIN_ENVIRONMENT);
  g_assert_cmpstr (amq_account_get_credentials (account)->refresh_token, ==, "env-seed");
  g_assert_true (save_rotation (account, "env-seed", "env-next", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (amq_account_get_credentials (account)->refresh_token, ==, "env-next");
  g_object_unref (account);
  /* the app's sign-in is not the environment's: left alone */
  after = keyring_now ();
  g_assert_cmpstr (after->refresh_token, ==, "app-refresh");

  account = load_account (tokens, path);
  g_assert_cmpstr (amq_account_get_credentials (account)->refresh_token, ==, "env-next");
  g_object_unref (account);
  clear_environment ();
}

/* The keyring's own sign-in: a rotation replaces the refresh token and keeps every other field. */
static void
test_keyring_rotation_merges (void)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  g_autoptr(AmqCredentialSet) stored = amq_credential_set_new ();
  g_autoptr(AmqCredentialSet) after = NULL;
  g_autoptr(AmqAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  stored->refresh_token = g_strdup ("kr-refresh");
  stored->client_id = g_strdup ("kr-client");
  stored->client_secret = g_strdup ("kr-secret");
  stored->region = g_strdup ("eu-central-1");
  stored->local_api_key = g_strdup ("local-key");
  store_in_keyring (stored);
  account = load_account (tokens, NULL);
  g_assert_cmpint (amq_account_get_origin (account), ==, AMQ_ACCOUNT_ORIGIN_KEYRING);
  g_assert_true (save_rotation (account, "kr-refresh", "kr-next", &error));
  g_assert_no_error (error);
  after = keyring_now ();
  g_assert_cmpstr (after->refresh_token, ==, "kr-next");
  g_assert_cmpstr (after->client_id, ==, "kr-client");
  g_assert_cmpstr (after->region, ==, "eu-central-1");
  g_assert_cmpstr (after->local_api_key, ==, "local-key");
}

/* Someone signed in anew meanwhile: our rotation must not overwrite that sign-in. */
static void
test_keyring_other_sign_in_kept (void)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  g_autoptr(AmqCredentialSet) stored = amq_credential_set_new ();
  g_autoptr(AmqCredentialSet) after = NULL;
  g_autoptr(AmqAccount) account = NULL;
  g_autoptr(GError) error = NULL;

  stored->refresh_token = g_strdup ("first-refresh");
  stored->client_id = g_strdup ("c");
  stored->client_secret = g_strdup ("s");
  store_in_keyring (stored);
  account = load_account (tokens, NULL);
  g_free (stored->refresh_token);
  stored->refresh_token = g_strdup ("someone-else");
  store_in_keyring (stored);
  g_assert_false (save_rotation (account, "first-refresh", "first-next", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  after = keyring_now ();
  g_assert_cmpstr (after->refresh_token, ==, "someone-else");
}

/* Several accounts, an item each: listed, loaded and rotated by label, one cleared alone. */
static void
test_labelled_items (void)
{
  const char *labels[] = { "work", "zoo", "home", "attic", "garden" };
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  g_autoptr(AmqAccount) work = amq_account_new (tokens, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(AmqCredentialSet) home_after = NULL;
  g_auto(GStrv) listed = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
      g_autoptr(GAsyncResult) stored = NULL;

      set->refresh_token = g_strdup_printf ("%s-refresh", labels[i]);
      set->client_id = g_strdup ("c");
      set->client_secret = g_strdup ("s");
      amq_credentials_store_async (labels[i], set, NULL, test_keep_result, &last_result);
      stored = test_wait_result (&last_result);
      g_assert_true (amq_credentials_store_finish (stored, NULL));
    }
  amq_credentials_list_async (NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  listed = amq_credentials_list_finish (result, &error);
  g_assert_no_error (error);
  g_assert_true (g_strv_contains ((const char * const *) listed, "home"));
  g_assert_true (g_strv_contains ((const char * const *) listed, "work"));
  /* sorted: the app loads its accounts in this order */
  for (guint i = 1; listed[i] != NULL; i++)
    g_assert_cmpstr (listed[i - 1], <, listed[i]);

  amq_account_set_label (work, "work");
  g_clear_object (&result);
  amq_account_load_stored_async (work, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  g_assert_true (amq_account_load_finish (work, result, NULL));
  g_assert_cmpint (amq_account_get_origin (work), ==, AMQ_ACCOUNT_ORIGIN_KEYRING);
  g_assert_cmpstr (amq_account_get_credentials (work)->refresh_token, ==, "work-refresh");
  g_assert_true (save_rotation (work, "work-refresh", "work-next", &error));
  g_assert_no_error (error);
  {
    g_autoptr(GAsyncResult) looked = NULL;
    g_autoptr(AmqCredentialSet) work_after = NULL;

    amq_credentials_lookup_async ("work", NULL, test_keep_result, &last_result);
    looked = test_wait_result (&last_result);
    work_after = amq_credentials_lookup_finish (looked, NULL);
    g_assert_cmpstr (work_after->refresh_token, ==, "work-next");
  }
  g_clear_object (&result);
  amq_credentials_lookup_async ("home", NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  home_after = amq_credentials_lookup_finish (result, NULL);
  g_assert_cmpstr (home_after->refresh_token, ==, "home-refresh");

  g_clear_object (&result);
  amq_credentials_clear_async ("home", NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  g_assert_true (amq_credentials_clear_finish (result, NULL));
  g_clear_object (&result);
  g_clear_pointer (&listed, g_strfreev);
  amq_credentials_list_async (NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  listed = amq_credentials_list_finish (result, NULL);
  g_assert_false (g_strv_contains ((const char * const *) listed, "home"));
  g_assert_true (g_strv_contains ((const char * const *) listed, "work"));
}

/* Memory holds the sign-in: no core dump may write it out. */
static void
test_process_harden (void)
{
  struct rlimit core;

  amq_process_harden ();
  g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
  g_assert_cmpint (getrlimit (RLIMIT_CORE, &core), ==, 0);
  g_assert_cmpuint (core.rlim_cur, ==, 0);
}

int
main (int argc, char **argv)
{
  g_autofree char *keyring = NULL;
  int status;

  tmpdir = g_dir_make_tmp ("amq2api-account-XXXXXX", NULL);
  keyring = g_build_filename (tmpdir, "keyring", NULL);
  g_setenv ("SECRET_BACKEND", "file", TRUE);
  g_setenv ("SECRET_FILE_TEST_PATH", keyring, TRUE);
  g_setenv ("SECRET_FILE_TEST_PASSWORD", "test", TRUE);
  clear_environment ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/account/state-file", test_state_file);
  g_test_add_func ("/account/environment-seed-successor", test_environment_seed_successor);
  g_test_add_func ("/account/keyring-rotation-merges", test_keyring_rotation_merges);
  g_test_add_func ("/account/keyring-other-sign-in-kept", test_keyring_other_sign_in_kept);
  g_test_add_func ("/account/labelled-items", test_labelled_items);
  g_test_add_func ("/account/process-harden", test_process_harden);
  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);
    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  return status;
}
