/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-team.c: the team setup of docs/scaling.md, real processes end to end: two
 * amq2api-server instances, each owning its own account, behind HAProxy (the Debian package)
 * health-checking /health. Requests spread over both, a Claude Code session stays on one, a
 * killed instance costs no request (neither before the health check has noticed, its refused
 * connections going to the other, nor after), and an instance drained before it stops loses
 * no stream. A plain SIGTERM should lose nothing either: marked incomplete until the server
 * drains on it. The fake Amazon Q counts answered calls per refresh token, which tells which
 * instance served what. */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "amq-json.h"
#include "test-util.h"

#define HAPROXY "/usr/sbin/haproxy"
#define INSTANCES 2
/* short health checks keep the test quick: every 200 ms, down after 2 failures */
#define CHECK_INTERVAL_MS 200
#define CHECK_FALL 2
#define WAIT_LIMIT_US (20 * G_USEC_PER_SEC)
/* what Claude Code sends with every call of one session; HAProxy hashes it */
#define SESSION_HEADER "X-Claude-Code-Session-Id"
#define SESSION "0b8a6f52-1f0e-4c1e-9d55-3c41c7d1e2a7"
#define STREAM_END "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

/* instance i is HAProxy's server names[i] and owns refresh_tokens[i], nobody else */
static const char * const names[INSTANCES] = { "a", "b" };
static const char * const refresh_tokens[INSTANCES] = { "rt-team-a", "rt-team-b" };

typedef struct {
  GSubprocess *fake;
  char        *fake_url;
  TestProc     instances[INSTANCES];
  GSubprocess *haproxy;
  char        *dir;           /* HAProxy's config, runtime socket and log; each instance's state */
  char        *admin_socket;  /* HAProxy's runtime API */
  char        *url;           /* the team's address: HAProxy's */
} Team;

/* ---- HAProxy ---- */

/* The example of docs/scaling.md, with the test's addresses and quicker health checks, and
 * without its log lines. */
static char *
haproxy_config (Team *team, guint port)
{
  GString *config = g_string_new (NULL);

  g_string_append_printf (config,
                          "global\n"
                          "  stats socket %s mode 600 level admin\n"
                          "defaults\n"
                          "  mode http\n"
                          "  timeout connect 5s\n"
                          "  timeout http-request 10s\n"
                          "  timeout http-keep-alive 60s\n"
                          "  timeout client 10m\n"
                          "  timeout server 10m\n"
                          "  timeout tunnel 10m\n"
                          "  retries 2\n"
                          "  option redispatch 1\n"
                          "frontend team\n"
                          "  bind 127.0.0.1:%u\n"
                          "  default_backend amq2api\n"
                          "backend amq2api\n"
                          "  balance hdr(" SESSION_HEADER ")\n"
                          "  hash-type consistent\n"
                          "  option httpchk\n"
                          "  http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1\n"
                          "  http-check expect status 200\n"
                          "  default-server check inter %ums fall %u rise 1\n",
                          team->admin_socket, port, CHECK_INTERVAL_MS, CHECK_FALL);
  for (guint i = 0; i < INSTANCES; i++)
    g_string_append_printf (config, "  server %s 127.0.0.1:%u\n", names[i], team->instances[i].port);
  return g_string_free (config, FALSE);
}

/* One command to HAProxy's runtime API and its answer; NULL while HAProxy is not up yet. */
static char *
haproxy_command (Team *team, const char *command)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (team->admin_socket);
  g_autoptr(GSocketConnection) connection = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  g_autofree char *line = g_strconcat (command, "\n", NULL);
  g_autoptr(GString) answer = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  char buffer[4096];
  gssize got;

  if (connection == NULL)
    return NULL;
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), line, strlen (line), NULL,
                             NULL, &error);
  g_assert_no_error (error);
  /* it answers one command and closes */
  while ((got = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (connection)), buffer,
                                     sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (answer, buffer, got);
  g_assert_no_error (error);
  return g_string_free (g_steal_pointer (&answer), FALSE);
}

/* A column of HAProxy's "show stat" for instance @name: "status" (UP, DOWN, MAINT...),
 * "check_status" (L7OK, L4CON...) or "scur" (its requests now). NULL while HAProxy is not up. */
static char *
instance_stat (Team *team, const char *name, const char *column)
{
  g_autofree char *csv = haproxy_command (team, "show stat");
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  guint index = 0;

  if (csv == NULL || !g_str_has_prefix (csv, "# "))
    return NULL;
  lines = g_strsplit (csv, "\n", -1);
  header = g_strsplit (lines[0] + strlen ("# "), ",", -1);
  while (header[index] != NULL && !g_str_equal (header[index], column))
    index++;
  g_assert_nonnull (header[index]);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], ",", -1);

      if (g_strv_length (fields) > index && g_str_equal (fields[0], "amq2api") && g_str_equal (fields[1], name))
        return g_strdup (fields[index]);
    }
  return NULL;
}

/* Waits until HAProxy's @column for instance @name reads @value, keeping requests in flight
 * moving meanwhile; returns how long that took, in ms. */
static gint64
wait_for_stat (Team *team, const char *name, const char *column, const char *value)
{
  gint64 start = g_get_monotonic_time ();

  for (;;)
    {
      g_autofree char *now = instance_stat (team, name, column);

      if (g_strcmp0 (now, value) == 0)
        return (g_get_monotonic_time () - start) / 1000;
      if (g_get_monotonic_time () - start > WAIT_LIMIT_US)
        {
          g_autofree char *log_path = g_build_filename (team->dir, "haproxy.log", NULL);
          g_autofree char *log = NULL;

          g_file_get_contents (log_path, &log, NULL, NULL);
          g_test_message ("HAProxy said: %s", log ? log : "(nothing)");
          g_assert_cmpstr (now, ==, value);
        }
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10 * 1000);
    }
}

/* A runtime API command that answers nothing when it worked, such as "set server
 * amq2api/a state maint". */
static void
haproxy_order (Team *team, const char *command)
{
  g_autofree char *answer = haproxy_command (team, command);

  g_assert_cmpstr (answer, ==, "\n");
}

/* ---- the team ---- */

static TestProc
start_instance (Team *team, guint i, guint team_port)
{
  g_autofree char *token_endpoint = g_strconcat (team->fake_url, "/token", NULL);
  g_autofree char *state_home = g_build_filename (team->dir, names[i], NULL);
  /* clients name HAProxy's address in Host */
  g_autofree char *allow_host = g_strdup_printf ("--allow-host=127.0.0.1:%u", team_port);
  const char * const options[] = { "--port=0", allow_host, NULL };
  g_autoptr(GSubprocessLauncher) launcher =
    test_server_launcher_new (G_SUBPROCESS_FLAGS_NONE, refresh_tokens[i], team->fake_url, token_endpoint);

  /* a state directory of its own: no two instances ever write one file */
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state_home, TRUE);
  return test_server_start (launcher, options, NULL);
}

/* The fake, the instances, then HAProxy, once its health checks passed for every instance. */
static gboolean
team_start (Team *team)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *log_path = NULL;
  g_autoptr(GError) error = NULL;
  guint port;

  if (!g_file_test (HAPROXY, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip (HAPROXY " is not installed (Debian's haproxy package; build-aux/dev installs it)");
      return FALSE;
    }
  team->dir = g_dir_make_tmp ("amq2api-team-XXXXXX", &error);
  g_assert_no_error (error);
  team->admin_socket = g_build_filename (team->dir, "admin.sock", NULL);
  team->fake = test_start_fake_upstream (&team->fake_url);
  port = test_free_port ();
  team->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  for (guint i = 0; i < INSTANCES; i++)
    team->instances[i] = start_instance (team, i, port);
  config = haproxy_config (team, port);
  config_path = g_build_filename (team->dir, "haproxy.cfg", NULL);
  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  /* what HAProxy says goes to a file, away from the TAP output */
  launcher = test_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  log_path = g_build_filename (team->dir, "haproxy.log", NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  team->haproxy = g_subprocess_launcher_spawn (launcher, &error, HAPROXY, "-f", config_path, "-db", NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < INSTANCES; i++)
    wait_for_stat (team, names[i], "check_status", "L7OK");
  return TRUE;
}

static void
end_process (GSubprocess **process)
{
  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, SIGTERM);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* Every instance still running must exit cleanly on SIGTERM. */
static void
team_stop (Team *team)
{
  for (guint i = 0; i < INSTANCES; i++)
    test_proc_stop (&team->instances[i], NULL);
  end_process (&team->haproxy);
  end_process (&team->fake);
  remove_tree (team->dir);
  g_free (team->dir);
  g_free (team->admin_socket);
  g_free (team->fake_url);
  g_free (team->url);
}

static void
kill_instance (Team *team, guint i)
{
  g_subprocess_send_signal (team->instances[i].process, SIGKILL);
  g_subprocess_wait (team->instances[i].process, NULL, NULL);
  g_clear_object (&team->instances[i].process);
  g_clear_pointer (&team->instances[i].url, g_free);
}

/* ---- requests ---- */

static SoupMessage *
team_message_new (Team *team, const char *scenario, gboolean stream, const char *session)
{
  g_autofree char *url = g_strconcat (team->url, "/v1/messages?beta=true", NULL);
  g_autofree char *body = test_messages_body (scenario, stream);
  SoupMessage *message = test_message_new ("POST", url, "application/json", body, strlen (body));

  if (session != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (message), SESSION_HEADER, session);
  return message;
}

/* The whole answer came: the message as JSON, or a stream through to its end. The body
 * tells, not the exchange: libsoup's client takes a chunked body cut short for a whole one. */
static gboolean
answered_in_full (guint status, const char *body, gboolean stream)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *message;

  if (status != 200)
    return FALSE;
  if (stream)
    return g_str_has_suffix (body, STREAM_END);
  message = amq_json_parse_object (parser, body, -1);
  return message != NULL && g_strcmp0 (amq_json_get_string (message, "type"), "message") == 0 &&
         g_strcmp0 (amq_json_get_string (message, "stop_reason"), "end_turn") == 0;
}

/* Generation calls the fake answered so far for each instance's account. */
static void
served_so_far (Team *team, guint served[INSTANCES])
{
  g_autofree char *url = g_strconcat (team->fake_url, "/stats", NULL);
  g_autoptr(SoupMessage) message = test_message_new ("GET", url, NULL, NULL, 0);
  g_auto(TestReply) reply = test_send (message);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *stats = amq_json_parse_object (parser, reply.body, -1);
  JsonObject *by_token;

  g_assert_nonnull (stats);
  by_token = json_object_get_object_member (stats, "served");
  for (guint i = 0; i < INSTANCES; i++)
    served[i] = amq_json_get_int (by_token, refresh_tokens[i], 0);
}

/* @count requests through HAProxy (every other one streamed), each answered in full; @served
 * gets how many of them each instance answered. */
static void
send_through_team (Team *team, guint count, const char *session, guint served[INSTANCES])
{
  guint before[INSTANCES], after[INSTANCES];

  served_so_far (team, before);
  for (guint n = 0; n < count; n++)
    {
      g_autoptr(SoupMessage) message = team_message_new (team, "text", n % 2 == 1, session);
      g_auto(TestReply) reply = test_send (message);

      g_assert_cmpuint (reply.status, ==, 200);
      g_assert_true (answered_in_full (reply.status, reply.body, n % 2 == 1));
    }
  served_so_far (team, after);
  for (guint i = 0; i < INSTANCES; i++)
    served[i] = after[i] - before[i];
  g_assert_cmpuint (served[0] + served[1], ==, count);
}

/* The instance HAProxy sends @session to. */
static guint
owner_of_session (Team *team, const char *session)
{
  guint served[INSTANCES];

  send_through_team (team, 1, session, served);
  return served[0] == 1 ? 0 : 1;
}

/* A request left running while the test does something else. */
typedef struct {
  SoupSession *session;
  SoupMessage *message;
  gboolean     stream;
  GBytes      *body;
  GError      *error;
  gboolean     done;
} InFlight;

static void
on_in_flight_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InFlight *flight = user_data;

  flight->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &flight->error);
  flight->done = TRUE;
}

/* Starts a slow request of @session and returns once the instance @owner is answering it. */
static void
in_flight_start (InFlight *flight, Team *team, const char *session, guint owner, gboolean stream)
{
  guint before[INSTANCES], now[INSTANCES];
  gint64 start = g_get_monotonic_time ();

  served_so_far (team, before);
  flight->session = soup_session_new_with_options ("timeout", 60, NULL);
  flight->stream = stream;
  flight->message = team_message_new (team, "slow", stream, session);
  soup_session_send_and_read_async (flight->session, flight->message, G_PRIORITY_DEFAULT, NULL, on_in_flight_done,
                                    flight);
  do
    {
      g_assert_cmpint (g_get_monotonic_time () - start, <, WAIT_LIMIT_US);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (10 * 1000);
      served_so_far (team, now);
    }
  while (now[owner] == before[owner]);
}

/* Waits for its end: was it answered in full? */
static gboolean
in_flight_finish (InFlight *flight)
{
  g_autofree char *body = NULL;

  while (!flight->done)
    g_main_context_iteration (NULL, TRUE);
  if (flight->error != NULL)
    return FALSE;
  body = g_strndup (g_bytes_get_data (flight->body, NULL), g_bytes_get_size (flight->body));
  return answered_in_full (soup_message_get_status (flight->message), body, flight->stream);
}

static void
in_flight_clear (InFlight *flight)
{
  g_clear_object (&flight->session);
  g_clear_object (&flight->message);
  g_clear_pointer (&flight->body, g_bytes_unref);
  g_clear_error (&flight->error);
}

/* ---- the cases ---- */

/* Without a session, HAProxy takes turns: both instances, each with its own account, answer. */
static void
test_requests_spread (void)
{
  Team team = { 0 };
  guint served[INSTANCES];

  if (!team_start (&team))
    return;
  send_through_team (&team, 20, NULL, served);
  g_test_message ("served: a %u, b %u", served[0], served[1]);
  g_assert_cmpuint (served[0], >, 0);
  g_assert_cmpuint (served[1], >, 0);
  team_stop (&team);
}

/* Every call of one Claude Code session goes to the same instance, hence the same account,
 * whose prompt cache keeps serving it. */
static void
test_session_stays_on_one_instance (void)
{
  Team team = { 0 };
  guint served[INSTANCES];

  if (!team_start (&team))
    return;
  send_through_team (&team, 10, SESSION, served);
  g_assert_true ((served[0] == 10 && served[1] == 0) || (served[0] == 0 && served[1] == 10));
  team_stop (&team);
}

/* Before the health check notices a dead instance, HAProxy still sends it requests: the
 * refused connections are tried again on the other one (retries, option redispatch), so
 * nothing fails in that window either. The health check is paused to hold the window open
 * however slow the machine. */
static void
test_refused_connection_goes_to_the_other (void)
{
  Team team = { 0 };
  guint served[INSTANCES];
  g_autofree char *redispatched = NULL;

  if (!team_start (&team))
    return;
  haproxy_order (&team, "disable health amq2api/a");
  kill_instance (&team, 0);
  send_through_team (&team, 10, NULL, served);
  g_assert_cmpuint (served[1], ==, 10);
  redispatched = instance_stat (&team, names[0], "wredis");
  g_assert_cmpuint (g_ascii_strtoull (redispatched, NULL, 10), >, 0);
  team_stop (&team);
}

/* An instance dies: once the health check has noticed, the other answers everything, the
 * sessions the dead one had included. */
static void
test_killed_instance_costs_nothing (void)
{
  Team team = { 0 };
  guint served[INSTANCES];
  gint64 noticed_ms;

  if (!team_start (&team))
    return;
  send_through_team (&team, 4, NULL, served);
  kill_instance (&team, 0);
  noticed_ms = wait_for_stat (&team, names[0], "status", "DOWN");
  g_test_message ("HAProxy marked the killed instance down after %" G_GINT64_FORMAT " ms", noticed_ms);
  send_through_team (&team, 20, NULL, served);
  g_assert_cmpuint (served[1], ==, 20);
  send_through_team (&team, 10, SESSION, served);
  g_assert_cmpuint (served[1], ==, 10);
  team_stop (&team);
}

/* docs/scaling.md's restart: put the instance in maintenance, let its streams finish, then
 * stop it. The stream in flight ends whole; new calls of its session go to the other. */
static void
test_drained_instance_stops_without_loss (void)
{
  Team team = { 0 };
  InFlight flight = { 0 };
  g_autofree char *command = NULL;
  guint served[INSTANCES];
  guint owner;

  if (!team_start (&team))
    return;
  owner = owner_of_session (&team, SESSION);
  in_flight_start (&flight, &team, SESSION, owner, TRUE);
  command = g_strdup_printf ("set server amq2api/%s state maint", names[owner]);
  haproxy_order (&team, command);
  send_through_team (&team, 6, SESSION, served);
  g_assert_cmpuint (served[1 - owner], ==, 6);
  wait_for_stat (&team, names[owner], "scur", "0");
  test_proc_stop (&team.instances[owner], NULL);
  g_assert_true (in_flight_finish (&flight));
  in_flight_clear (&flight);
  team_stop (&team);
}

/* A plain restart: SIGTERM stops taking requests and finishes those in flight before the
 * instance exits, so a stream ends whole and a whole answer comes. */
static void
test_sigterm_finishes_requests_in_flight (void)
{
  Team team = { 0 };
  InFlight stream = { 0 }, whole = { 0 };
  gboolean stream_answered, whole_answered;
  guint owner;

  if (!team_start (&team))
    return;
  owner = owner_of_session (&team, SESSION);
  in_flight_start (&stream, &team, SESSION, owner, TRUE);
  in_flight_start (&whole, &team, SESSION, owner, FALSE);
  test_proc_stop (&team.instances[owner], NULL);
  stream_answered = in_flight_finish (&stream);
  whole_answered = in_flight_finish (&whole);
  g_test_message ("after SIGTERM: the stream %s, the whole answer %s (status %u)",
                  stream_answered ? "ended whole" : "was cut short", whole_answered ? "came" : "was lost",
                  soup_message_get_status (whole.message));
  g_assert_true (stream_answered);
  g_assert_true (whole_answered);
  in_flight_clear (&stream);
  in_flight_clear (&whole);
  team_stop (&team);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/team/requests-spread", test_requests_spread);
  g_test_add_func ("/team/session-stays-on-one-instance", test_session_stays_on_one_instance);
  g_test_add_func ("/team/refused-connection-goes-to-the-other", test_refused_connection_goes_to_the_other);
  g_test_add_func ("/team/killed-instance-costs-nothing", test_killed_instance_costs_nothing);
  g_test_add_func ("/team/drained-instance-stops-without-loss", test_drained_instance_stops_without_loss);
  g_test_add_func ("/team/sigterm-finishes-requests-in-flight", test_sigterm_finishes_requests_in_flight);
  return g_test_run ();
}
