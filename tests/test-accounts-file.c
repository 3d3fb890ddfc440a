/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-accounts-file.c: several sign-ins in one file: read, refused when others may read it or
 * when malformed (naming the line and field), rotated tokens written back in place. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "amq-accounts-file.h"

static char *tmpdir;

static char *
write_file (const char *name, const char *contents, guint mode)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, NULL));
  return path;
}

static const char good[] =
  "{\n"
  "  \"strategy\": \"round-robin\",\n"
  "  \"accounts\": [\n"
  "    {\"label\": \"work\", \"refreshToken\": \"r-work\", \"clientId\": \"c1\", \"clientSecret\": \"s1\",\n"
  "     \"profileArn\": \"arn:aws:codewhisperer:us-east-1:1:profile/W\", \"region\": \"us-east-1\"},\n"
  "    {\"label\": \"home\", \"refreshToken\": \"r-home\", \"kind\": \"social\", \"enabled\": false,\n"
  "     \"proxy\": \"socks5://127.0.0.1:1080\"},\n"
  "    {\"label\": \"spare\", \"refreshToken\": \"r-spare\", \"clientId\": \"c3\", \"clientSecret\": \"s3\"}\n"
  "  ]\n"
  "}\n";

static void
test_read (void)
{
  g_autofree char *path = write_file ("good.json", good, 0600);
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqAccountsFile) file = amq_accounts_file_load (path, &error);
  GPtrArray *entries;
  AmqAccountEntry *work, *home;

  g_assert_no_error (error);
  g_assert_cmpint (amq_accounts_file_get_strategy (file), ==, AMQ_POOL_ROUND_ROBIN);
  entries = amq_accounts_file_get_entries (file);
  g_assert_cmpuint (entries->len, ==, 3);
  work = g_ptr_array_index (entries, 0);
  home = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (work->label, ==, "work");
  g_assert_cmpstr (work->credentials->refresh_token, ==, "r-work");
  g_assert_cmpstr (work->credentials->client_secret, ==, "s1");
  g_assert_cmpstr (work->credentials->profile_arn, ==, "arn:aws:codewhisperer:us-east-1:1:profile/W");
  g_assert_true (work->enabled);
  g_assert_null (work->proxy);
  g_assert_cmpint (home->credentials->kind, ==, AMQ_CREDENTIAL_SOCIAL);
  g_assert_false (home->enabled);
  g_assert_cmpstr (home->proxy, ==, "socks5://127.0.0.1:1080");
}

static void
test_readable_by_others (void)
{
  g_autofree char *path = write_file ("open.json", good, 0644);
  g_autoptr(GError) error = NULL;

  g_assert_null (amq_accounts_file_load (path, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM);
  g_assert_nonnull (strstr (error->message, "chmod 600"));
}

/* Each bad file, and what the message must say: the line, then the field. */
static void
test_malformed (void)
{
  static const struct { const char *text, *expected; } rows[] = {
    { "{\n  \"accounts\": [\n    {\"label\": \"a\",\n     \"refreshToken\": 5}\n  ]\n}", ":4: accounts[0].refreshToken: must be a non-empty string" },
    { "{\n  \"accounts\": [\n    {\"label\": \"a\", \"refreshToken\": \"r\", \"clientId\": \"c\", \"clientSecret\": \"s\"},\n"
      "    {\"label\": \"b\", \"refreshToken\": \"r\"}\n  ]\n}", ":4: accounts[1]: clientId and clientSecret are needed" },
    { "{\"accounts\": [{\"label\": \"a\", \"refreshtoken\": \"r\"}]}", ":1: accounts[0].refreshtoken: unknown field" },
    { "{\n\"accounts\": [\n{\"label\": \"a\", \"refreshToken\": \"r\", \"kind\": \"social\"},\n"
      "{\"label\": \"a\", \"refreshToken\": \"r\", \"kind\": \"social\"}]}", ":4: accounts[1].label: \"a\" names another account" },
    { "{\"strategy\": \"fastest\", \"accounts\": []}", ":1: strategy: must be priority, round-robin or least-used" },
    { "{\"accounts\": []}", ":1: accounts: must be a list of at least one account" },
    { "{\"accounts\": [{\"label\": \"a\", \"refreshToken\": \"r\", \"kind\": \"social\",\n \"proxy\": \"ftp://x\"}]}",
      ":2: accounts[0].proxy: must be an http://, https:// or socks5:// URL" },
    { "{\"accounts\": [{\"label\": \"a\", \"refreshToken\": \"r\", \"kind\": \"ldap\"}]}", "accounts[0].kind: must be builder-id" },
    { "{\"accounts\": [{\"label\": \"a\", \"refreshToken\": \"r\", \"kind\": \"social\", \"enabled\": \"yes\"}]}",
      "accounts[0].enabled: must be true or false" },
    /* the parser's own words would quote the token */
    { "{\"accounts\": [\n  {\"label\": \"a\",\n  \"refreshToken\": \"r\" \"secret-token\"}]}", ":3:21: not valid JSON here" },
    { "[1, 2]", "must be a JSON object" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = write_file ("bad.json", rows[i].text, 0600);
      g_autoptr(GError) error = NULL;

      g_assert_null (amq_accounts_file_load (path, &error));
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, path));
      g_assert_nonnull (strstr (error->message, rows[i].expected));
      g_assert_null (strstr (error->message, "secret-token"));
    }
}

static void
test_write_back (void)
{
  g_autofree char *path = write_file ("rotate.json", good, 0600);
  g_autoptr(AmqAccountsFile) file = amq_accounts_file_load (path, NULL);
  g_autoptr(AmqAccountsFile) again = NULL;
  g_autoptr(GError) error = NULL;
  AmqAccountEntry *home;
  GStatBuf info;

  g_assert_true (amq_accounts_file_save_refresh_token (file, "home", "r-home", "r-home-2", &error));
  g_assert_no_error (error);
  /* a retry of the same write changes nothing */
  g_assert_true (amq_accounts_file_save_refresh_token (file, "home", "r-home", "r-home-2", NULL));
  again = amq_accounts_file_load (path, &error);
  g_assert_no_error (error);
  home = g_ptr_array_index (amq_accounts_file_get_entries (again), 1);
  g_assert_cmpstr (home->credentials->refresh_token, ==, "r-home-2");
  g_assert_cmpstr (home->proxy, ==, "socks5://127.0.0.1:1080");
  g_assert_false (home->enabled);
  g_assert_cmpstr (((AmqAccountEntry *) g_ptr_array_index (amq_accounts_file_get_entries (again), 0))->credentials->refresh_token,
                   ==, "r-work");
  g_assert_cmpint (g_stat (path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  /* the user changed the token by hand meanwhile: theirs stays */
  g_assert_false (amq_accounts_file_save_refresh_token (file, "work", "r-old", "r-work-2", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
}

int
main (int argc, char **argv)
{
  int status;

  tmpdir = g_dir_make_tmp ("amq2api-accounts-XXXXXX", NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/accounts-file/read", test_read);
  g_test_add_func ("/accounts-file/readable-by-others", test_readable_by_others);
  g_test_add_func ("/accounts-file/malformed", test_malformed);
  g_test_add_func ("/accounts-file/write-back", test_write_back);
  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);
    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  return status;
}
