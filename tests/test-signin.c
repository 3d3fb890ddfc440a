/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-signin.c: amq2api-server finds a sign-in on its own and keeps it alive: another
 * client's (built here as that client writes it), rotation written back while the fake
 * refuses the old refresh token, and --login in the terminal. Real processes, the C fake. */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "test-util.h"

static char *fake_url;

/* A home of its own for one test: XDG dirs inside, no keyring (no session bus). */
typedef struct {
  char *root;
  char *data;    /* XDG_DATA_HOME */
  char *state;   /* XDG_STATE_HOME */
} Home;

static Home
home_new (void)
{
  Home home;

  home.root = g_dir_make_tmp ("amq2api-home-XXXXXX", NULL);
  home.data = g_build_filename (home.root, ".local", "share", NULL);
  home.state = g_build_filename (home.root, ".local", "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (home.data, 0700), ==, 0);
  return home;
}

static void
home_clear (Home *home)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", home->root);

  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (home->root);
  g_free (home->data);
  g_free (home->state);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Home, home_clear)

/* A launcher for amq2api-server with nothing configured but where Amazon Q is, at home in @home. */
static GSubprocessLauncher *
bare_launcher (const Home *home, GSubprocessFlags flags)
{
  g_autofree char *social = g_strconcat (fake_url, "/refreshToken", NULL);
  GSubprocessLauncher *launcher = test_bare_launcher_new (flags, fake_url);

  g_subprocess_launcher_setenv (launcher, "HOME", home->root, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", home->data, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", home->state, TRUE);
  g_subprocess_launcher_setenv (launcher, "AMAZONQ_SOCIAL_TOKEN_ENDPOINT", social, TRUE);
  g_subprocess_launcher_set_cwd (launcher, home->root);
  return launcher;
}

static TestProc
start_bare (const Home *home)
{
  g_autoptr(GSubprocessLauncher) launcher = bare_launcher (home, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  const char *options[] = { "--port=0", NULL };

  return test_server_start (launcher, options, NULL);
}

static TestReply
post_scenario (TestProc *server, const char *scenario)
{
  g_autofree char *url = g_strconcat (server->url, "/v1/messages", NULL);
  g_autofree char *body = test_messages_body (scenario, FALSE);
  g_autoptr(SoupMessage) msg = test_message_new ("POST", url, "application/json", body, strlen (body));

  return test_send (msg);
}

/* The database of the client whose data folder is @folder (see test_client_database_new). */
static char *
make_kiro_database (const Home *home, const char *folder, const char * const *rows)
{
  g_autofree char *dir = g_build_filename (home->data, folder, NULL);
  char *path = g_build_filename (dir, "data.sqlite3", NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  test_client_database_new (path, rows);
  return path;
}

static void
assert_serves (TestProc *server)
{
  g_auto(TestReply) r = post_scenario (server, "text");

  g_test_message ("%u %s", r.status, r.body);
  g_assert_cmpuint (r.status, ==, 200);
  g_assert_nonnull (strstr (r.body, "Hello"));
}

/* A signed-in Kiro CLI and nothing else: the server uses it, says so, writes the rotated
 * token back (the fake refuses the old one from then on), and a restart finds the new one. */
static void
test_kiro_cli_rotation_written_back (void)
{
  g_auto(Home) home = home_new ();
  const char *rows[] = {
    "kirocli:odic:token", "{\"refresh_token\":\"rt-rotate-kiro-cli\",\"region\":\"us-east-1\","
                          "\"start_url\":\"https://view.awsapps.com/start\",\"oauth_flow\":\"DeviceCode\"}",
    "kirocli:odic:device-registration", "{\"client_id\":\"kc\",\"client_secret\":\"ks\",\"region\":\"us-east-1\"}",
    NULL,
  };
  g_autofree char *path = make_kiro_database (&home, "kiro-cli", rows);
  g_autofree char *output = NULL;
  g_autofree char *after = NULL;
  TestProc server = start_bare (&home);

  assert_serves (&server);
  test_proc_stop (&server, &output);
  g_assert_nonnull (strstr (output, "Kiro CLI"));
  after = test_client_database_value (path, "kirocli:odic:token");
  g_assert_nonnull (strstr (after, "rt-rotated-"));
  g_assert_nonnull (strstr (after, "\"oauth_flow\":\"DeviceCode\""));

  server = start_bare (&home);
  assert_serves (&server);
  test_proc_stop (&server, NULL);
}

/* Does what the Kiro CLI does when it refreshes on its own: trades the database's refresh
 * token at the token endpoint and writes the rotated one back, with its new access token. */
static void
rotate_like_kiro (const char *path)
{
  g_autofree char *value = test_client_database_value (path, "kirocli:odic:token");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *url = g_strconcat (fake_url, "/token", NULL);
  g_autofree char *request = NULL;
  g_autofree char *updated = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_auto(TestReply) reply = { 0 };
  JsonObject *token;
  JsonObject *answer;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_true (json_parser_load_from_data (parser, value, -1, NULL));
  token = json_node_get_object (json_parser_get_root (parser));
  request = g_strdup_printf ("{\"grantType\":\"refresh_token\",\"refreshToken\":\"%s\",\"clientId\":\"kc\","
                             "\"clientSecret\":\"ks\"}", json_object_get_string_member (token, "refresh_token"));
  msg = test_message_new ("POST", url, "application/json", request, strlen (request));
  reply = test_send (msg);
  g_assert_cmpuint (reply.status, ==, 200);
  g_assert_true (json_parser_load_from_data (parser, reply.body, -1, NULL));
  answer = json_node_get_object (json_parser_get_root (parser));
  updated = g_strdup_printf ("{\"refresh_token\":\"%s\",\"access_token\":\"%s\",\"expires_at\":\"2099-01-01T00:00:00Z\"}",
                             json_object_get_string_member (answer, "refreshToken"),
                             json_object_get_string_member (answer, "accessToken"));
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE auth_kv SET value = ? WHERE key = 'kirocli:odic:token'", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, updated, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}


/* The Kiro CLI refreshes on its own while the server runs, rotating the shared refresh token:
 * when the server next needs a token, it reads the database first and goes on with Kiro's;
 * refreshing with the one it held, refused by now, would end the sign-in. */
static void
test_kiro_cli_rotation_beside_us (void)
{
  g_auto(Home) home = home_new ();
  const char *rows[] = {
    "kirocli:odic:token", "{\"refresh_token\":\"rt-rotate-shared\"}",
    "kirocli:odic:device-registration", "{\"client_id\":\"kc\",\"client_secret\":\"ks\"}",
    NULL,
  };
  g_autofree char *path = make_kiro_database (&home, "kiro-cli", rows);
  TestProc server = start_bare (&home);

  assert_serves (&server);
  rotate_like_kiro (path);
  {
    /* the service refuses the server's access token: the server must get another */
    g_auto(TestReply) refused = post_scenario (&server, "revoke_token");
    g_assert_cmpuint (refused.status, ==, 401);
  }
  assert_serves (&server);
  test_proc_stop (&server, NULL);
}

/* Kiro IDE signed in with GitHub: refreshed at Kiro's social endpoint (no client
 * registration), the rotated token written back into its file, every other field kept. */
static void
test_kiro_ide_social (void)
{
  g_auto(Home) home = home_new ();
  g_autofree char *dir = g_build_filename (home.root, ".aws", "sso", "cache", NULL);
  g_autofree char *path = g_build_filename (dir, "kiro-auth-token.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *output = NULL;
  JsonObject *after;
  TestProc server;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents_full (path, "{\"accessToken\":\"old\",\"refreshToken\":\"rt-rotate-ide\","
                                           "\"expiresAt\":\"2020-01-01T00:00:00.000Z\",\"authMethod\":\"social\","
                                           "\"provider\":\"Github\"}", -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  server = start_bare (&home);
  assert_serves (&server);
  test_proc_stop (&server, &output);
  g_assert_nonnull (strstr (output, "Kiro IDE"));
  g_assert_true (json_parser_load_from_file (parser, path, NULL));
  after = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (after, "refreshToken"), "rt-rotated-"));
  g_assert_cmpstr (json_object_get_string_member (after, "provider"), ==, "Github");
  g_assert_cmpstr (json_object_get_string_member (after, "authMethod"), ==, "social");
  /* a restart reads the new token back */
  server = start_bare (&home);
  assert_serves (&server);
  test_proc_stop (&server, NULL);
}

/* The Amazon Q CLI, when it is the only one signed in. */
static void
test_amazon_q_cli (void)
{
  g_auto(Home) home = home_new ();
  const char *rows[] = {
    "codewhisperer:odic:token", "{\"refresh_token\":\"rt-rotate-q\",\"region\":\"us-east-1\"}",
    "codewhisperer:odic:device-registration", "{\"client_id\":\"qc\",\"client_secret\":\"qs\"}",
    NULL,
  };
  g_autofree char *path = make_kiro_database (&home, "amazon-q", rows);
  g_autofree char *output = NULL;
  g_autofree char *after = NULL;
  TestProc server = start_bare (&home);

  assert_serves (&server);
  test_proc_stop (&server, &output);
  g_assert_nonnull (strstr (output, "Amazon Q CLI"));
  after = test_client_database_value (path, "codewhisperer:odic:token");
  g_assert_nonnull (strstr (after, "rt-rotated-"));
}

/* amq2api-server --login on a machine without a keyring: the device flow in the terminal, the
 * sign-in kept in the state file, and the next start serves with it. */
static void
test_login_in_the_terminal (void)
{
  g_auto(Home) home = home_new ();
  g_autoptr(GSubprocessLauncher) launcher = bare_launcher (&home, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *server_path = test_server_path ();
  g_autofree char *out = NULL;
  g_autofree char *state = g_build_filename (home.state, "amq2api", "credentials.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GSubprocess) login = NULL;
  g_autoptr(GError) error = NULL;
  TestProc server;

  login = g_subprocess_launcher_spawn (launcher, &error, server_path, "--login", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (login, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (login), ==, 0);
  g_assert_nonnull (strstr (out, "confirm the code"));
  g_assert_nonnull (strstr (out, "Signed in"));
  g_assert_null (strstr (out, "rt-from-device-login"));
  g_assert_true (g_file_get_contents (state, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "rt-from-device-login"));

  server = start_bare (&home);
  assert_serves (&server);
  test_proc_stop (&server, NULL);
}

/* A .env in the working directory does not redirect a sign-in it did not bring: its endpoint
 * is ignored (and said so) for the Kiro CLI's sign-in. */
static void
test_dotenv_does_not_redirect_other_sign_ins (void)
{
  g_auto(Home) home = home_new ();
  const char *rows[] = {
    "kirocli:odic:token", "{\"refresh_token\":\"rt-ok\"}",
    "kirocli:odic:device-registration", "{\"client_id\":\"kc\",\"client_secret\":\"ks\"}",
    NULL,
  };
  g_autofree char *db = make_kiro_database (&home, "kiro-cli", rows);
  g_autofree char *dotenv = g_build_filename (home.root, ".env", NULL);
  g_autoptr(GSubprocessLauncher) launcher = bare_launcher (&home, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  const char *options[] = { "--port=0", NULL };
  g_autofree char *output = NULL;
  TestProc server;

  /* where a hostile .env would send the refresh token: a port on this machine nothing serves */
  g_assert_true (g_file_set_contents_full (dotenv, "AMAZONQ_TOKEN_ENDPOINT=http://127.0.0.1:9/token\n", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_subprocess_launcher_unsetenv (launcher, "AMAZONQ_TOKEN_ENDPOINT");
  server = test_server_start (launcher, options, NULL);
  test_proc_stop (&server, &output);
  g_assert_nonnull (strstr (output, "AMAZONQ_TOKEN_ENDPOINT from .env is not used"));
}

/* Nothing anywhere: the missing-credentials message names every way to sign in. */
static void
test_nothing_found (void)
{
  g_auto(Home) home = home_new ();
  g_autoptr(GSubprocessLauncher) launcher = bare_launcher (&home, G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *server_path = test_server_path ();
  g_autofree char *err = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_launcher_spawn (launcher, NULL, server_path, "--port=0", NULL);

  g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
  g_assert_nonnull (strstr (err, "AMAZONQ_REFRESH_TOKEN"));
  g_assert_nonnull (strstr (err, "--login"));
}

int
main (int argc, char **argv)
{
  g_autoptr(GSubprocess) fake = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  fake = test_start_fake_upstream (&fake_url);
  g_test_add_func ("/signin/kiro-cli-rotation-written-back", test_kiro_cli_rotation_written_back);
  g_test_add_func ("/signin/kiro-cli-rotation-beside-us", test_kiro_cli_rotation_beside_us);
  g_test_add_func ("/signin/kiro-ide-social", test_kiro_ide_social);
  g_test_add_func ("/signin/amazon-q-cli", test_amazon_q_cli);
  g_test_add_func ("/signin/login-in-the-terminal", test_login_in_the_terminal);
  g_test_add_func ("/signin/dotenv-does-not-redirect-other-sign-ins", test_dotenv_does_not_redirect_other_sign_ins);
  g_test_add_func ("/signin/nothing-found", test_nothing_found);
  status = g_test_run ();
  g_subprocess_send_signal (fake, SIGTERM);
  g_free (fake_url);
  return status;
}
