/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-signin-source.c: the other official clients' sign-ins, built here as they write them:
 * read with every kind and key, written back merged and atomically, never over a new sign-in. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-signin-source.h"
#include "test-util.h"

static char *tmpdir;

/* A client database named @name in the test's folder (see test_client_database_new). */
static char *
make_database (const char *name, const char * const *rows)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  test_client_database_new (path, rows);
  return path;
}

/* what the async call under way hands back */
static GAsyncResult *last_result;

static AmqCredentialSet *
read_source (AmqSigninSource *source, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  amq_signin_source_read_async (source, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  return amq_signin_source_read_finish (source, result, error);
}

static gboolean
write_source (AmqSigninSource *source, const char *previous, const char *refresh, GError **error)
{
  g_autoptr(AmqCredentialSet) tokens = amq_credential_set_new ();
  g_autoptr(GAsyncResult) result = NULL;

  tokens->refresh_token = g_strdup (refresh);
  tokens->access_token = g_strdup ("new-access");
  tokens->expires_at = 1893456000;  /* 2030-01-01 */
  amq_signin_source_write_async (source, previous, tokens, NULL, test_keep_result, &last_result);
  result = test_wait_result (&last_result);
  return amq_signin_source_write_finish (source, result, error);
}

static void
test_kiro_cli_builder_id (void)
{
  const char *rows[] = {
    "kirocli:odic:token", "{\"access_token\":\"a1\",\"refresh_token\":\"r1\",\"expires_at\":\"2030-01-01T00:00:00Z\","
                          "\"region\":\"us-east-1\",\"start_url\":\"https://view.awsapps.com/start\",\"scopes\":[\"x\"]}",
    "kirocli:odic:device-registration", "{\"client_id\":\"cid\",\"client_secret\":\"csecret\",\"region\":\"us-east-1\"}",
    NULL,
  };
  g_autofree char *path = make_database ("kiro-builder.sqlite3", rows);
  g_autoptr(AmqSigninSource) source = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, path);
  g_autoptr(AmqCredentialSet) set = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  set = read_source (source, &error);
  g_assert_no_error (error);
  g_assert_cmpint (set->kind, ==, AMQ_CREDENTIAL_BUILDER_ID);
  g_assert_cmpstr (set->refresh_token, ==, "r1");
  g_assert_cmpstr (set->access_token, ==, "a1");
  g_assert_cmpint (set->expires_at, ==, 1893456000);
  g_assert_cmpstr (set->client_id, ==, "cid");
  g_assert_cmpstr (set->client_secret, ==, "csecret");
  g_assert_cmpstr (amq_signin_source_get_name (source), ==, "Kiro CLI");

  g_assert_true (write_source (source, "r1", "r2", &error));
  g_assert_no_error (error);
  after = test_client_database_value (path, "kirocli:odic:token");
  g_assert_nonnull (strstr (after, "\"refresh_token\":\"r2\""));
  g_assert_nonnull (strstr (after, "\"access_token\":\"new-access\""));
  g_assert_nonnull (strstr (after, "\"expires_at\":\"2030-01-01T00:00:00Z\""));
  /* every other member kept */
  g_assert_nonnull (strstr (after, "\"start_url\":\"https://view.awsapps.com/start\""));
  g_assert_nonnull (strstr (after, "\"scopes\":[\"x\"]"));
  /* written twice (a retry) is fine */
  g_assert_true (write_source (source, "r1", "r2", NULL));
}

static void
test_kiro_cli_identity_center_profile (void)
{
  const char *rows[] = {
    "kirocli:odic:token", "{\"refresh_token\":\"r-idc\",\"region\":\"eu-central-1\","
                          "\"start_url\":\"https://example.awsapps.com/start\"}",
    "kirocli:odic:device-registration", "{\"client_id\":\"c\",\"client_secret\":\"s\"}",
    "state:api.codewhisperer.profile", "{\"arn\":\"arn:aws:codewhisperer:eu-central-1:111111111111:profile/X\","
                                       "\"profile_name\":\"QDefaultProfile\"}",
    NULL,
  };
  g_autofree char *path = make_database ("kiro-idc.sqlite3", rows);
  g_autoptr(AmqSigninSource) source = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, path);
  g_autoptr(AmqCredentialSet) set = read_source (source, NULL);

  g_assert_nonnull (set);
  g_assert_cmpint (set->kind, ==, AMQ_CREDENTIAL_IDENTITY_CENTER);
  g_assert_cmpstr (set->region, ==, "eu-central-1");
  g_assert_cmpstr (set->profile_arn, ==, "arn:aws:codewhisperer:eu-central-1:111111111111:profile/X");
}

static void
test_kiro_cli_social_and_legacy (void)
{
  const char *social_rows[] = {
    "kirocli:social:token", "{\"access_token\":\"sa\",\"refresh_token\":\"sr\",\"expires_at\":\"2030-01-01T00:00:00.5Z\","
                            "\"profile_arn\":\"arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK\"}",
    NULL,
  };
  const char *legacy_rows[] = {
    "codewhisperer:odic:token", "{\"refresh_token\":\"old-r\"}",
    "codewhisperer:odic:device-registration", "{\"client_id\":\"oc\",\"client_secret\":\"os\"}",
    NULL,
  };
  g_autofree char *social_path = make_database ("kiro-social.sqlite3", social_rows);
  g_autofree char *legacy_path = make_database ("kiro-legacy.sqlite3", legacy_rows);
  g_autoptr(AmqSigninSource) social = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, social_path);
  g_autoptr(AmqSigninSource) legacy = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, legacy_path);
  g_autoptr(AmqSigninSource) q = amq_signin_source_new (AMQ_SIGNIN_AMAZON_Q_CLI, legacy_path);
  g_autoptr(AmqCredentialSet) s = read_source (social, NULL);
  g_autoptr(AmqCredentialSet) l = read_source (legacy, NULL);
  g_autoptr(AmqCredentialSet) o = read_source (q, NULL);
  g_autofree char *after = NULL;

  g_assert_cmpint (s->kind, ==, AMQ_CREDENTIAL_SOCIAL);
  g_assert_cmpstr (s->refresh_token, ==, "sr");
  g_assert_null (s->client_id);
  g_assert_cmpstr (s->profile_arn, ==, "arn:aws:codewhisperer:us-east-1:699475941385:profile/EHGA3GRVQMUK");
  g_assert_cmpstr (l->refresh_token, ==, "old-r");
  g_assert_cmpstr (l->client_id, ==, "oc");
  g_assert_cmpstr (o->refresh_token, ==, "old-r");
  g_assert_true (write_source (q, "old-r", "old-r2", NULL));
  after = test_client_database_value (legacy_path, "codewhisperer:odic:token");
  g_assert_nonnull (strstr (after, "old-r2"));
}

/* The user signed in anew in the other client: our rotation must not undo that. */
static void
test_new_sign_in_is_kept (void)
{
  const char *rows[] = { "kirocli:odic:token", "{\"refresh_token\":\"theirs\"}", NULL };
  g_autofree char *path = make_database ("kiro-new.sqlite3", rows);
  g_autoptr(AmqSigninSource) source = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, path);
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;

  g_assert_false (write_source (source, "ours", "ours-2", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  after = test_client_database_value (path, "kirocli:odic:token");
  g_assert_nonnull (strstr (after, "\"theirs\""));
}

static void
test_not_signed_in (void)
{
  const char *rows[] = { NULL };
  g_autofree char *path = make_database ("kiro-empty.sqlite3", rows);
  g_autofree char *missing = g_build_filename (tmpdir, "nothing.sqlite3", NULL);
  g_autoptr(AmqSigninSource) empty = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, path);
  g_autoptr(AmqSigninSource) absent = amq_signin_source_new (AMQ_SIGNIN_KIRO_CLI, missing);
  g_autoptr(GError) error = NULL;

  g_assert_null (read_source (empty, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "kiro-cli login"));
  g_clear_error (&error);
  g_assert_null (read_source (absent, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static char *
write_file (const char *name, const char *contents, guint mode)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_true (g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, NULL));
  return path;
}

static void
test_kiro_ide (void)
{
  g_autofree char *social_path = write_file ("kiro-auth-token.json",
    "{\"accessToken\":\"ia\",\"refreshToken\":\"ir\",\"expiresAt\":\"2030-01-01T00:00:00.000Z\","
    "\"authMethod\":\"social\",\"provider\":\"Github\",\"profileArn\":\"arn:p\",\"extra\":{\"keep\":true}}", 0600);
  g_autofree char *hash_path = write_file ("0123abcd.json", "{\"clientId\":\"hid\",\"clientSecret\":\"hsecret\"}", 0600);
  g_autofree char *idc_path = write_file ("kiro-idc.json",
    "{\"refreshToken\":\"idc-r\",\"authMethod\":\"IdC\",\"provider\":\"Enterprise\",\"clientIdHash\":\"0123abcd\","
    "\"region\":\"us-west-2\"}", 0644);
  g_autoptr(AmqSigninSource) social = amq_signin_source_new (AMQ_SIGNIN_KIRO_IDE, social_path);
  g_autoptr(AmqSigninSource) idc = amq_signin_source_new (AMQ_SIGNIN_KIRO_IDE, idc_path);
  g_autoptr(AmqCredentialSet) s = read_source (social, NULL);
  g_autoptr(AmqCredentialSet) i = read_source (idc, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *after;
  GStatBuf info;

  g_assert_cmpint (s->kind, ==, AMQ_CREDENTIAL_SOCIAL);
  g_assert_cmpstr (s->refresh_token, ==, "ir");
  g_assert_cmpstr (s->profile_arn, ==, "arn:p");
  g_assert_cmpint (s->expires_at, ==, 1893456000);
  g_assert_cmpint (i->kind, ==, AMQ_CREDENTIAL_IDENTITY_CENTER);
  g_assert_cmpstr (i->client_id, ==, "hid");
  g_assert_cmpstr (i->client_secret, ==, "hsecret");
  g_assert_cmpstr (i->region, ==, "us-west-2");

  g_assert_true (write_source (social, "ir", "ir2", NULL));
  g_assert_true (json_parser_load_from_file (parser, social_path, NULL));
  after = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (after, "refreshToken"), ==, "ir2");
  g_assert_cmpstr (json_object_get_string_member (after, "accessToken"), ==, "new-access");
  g_assert_cmpstr (json_object_get_string_member (after, "provider"), ==, "Github");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (after, "extra"), "keep"));
  g_assert_cmpint (g_stat (social_path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  /* the file's own mode stays */
  g_assert_true (write_source (idc, "idc-r", "idc-r2", NULL));
  g_assert_cmpint (g_stat (idc_path, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0644);
}

int
main (int argc, char **argv)
{
  int status;

  tmpdir = g_dir_make_tmp ("amq2api-signin-XXXXXX", NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signin-source/kiro-cli-builder-id", test_kiro_cli_builder_id);
  g_test_add_func ("/signin-source/kiro-cli-identity-center-profile", test_kiro_cli_identity_center_profile);
  g_test_add_func ("/signin-source/kiro-cli-social-and-legacy", test_kiro_cli_social_and_legacy);
  g_test_add_func ("/signin-source/new-sign-in-is-kept", test_new_sign_in_is_kept);
  g_test_add_func ("/signin-source/not-signed-in", test_not_signed_in);
  g_test_add_func ("/signin-source/kiro-ide", test_kiro_ide);
  status = g_test_run ();
  {
    g_autofree char *command = g_strdup_printf ("rm -rf '%s'", tmpdir);
    g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  }
  return status;
}
