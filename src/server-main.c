/* server-main.c: amq2api-server, the engine with no GUI
 *
 * Configuration, highest priority first: command-line options, environment variables (those
 * of the Python amq2api), a .env file in the working directory, then the credentials the
 * desktop app stored in the keyring. */
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "amq-credentials.h"
#include "amq-server.h"
#include "config.h"

typedef struct {
  GMainLoop        *loop;
  AmqServer        *server;
  AmqTokenManager  *tokens;
  AmqCredentialSet *credentials;
  int               exit_code;
} App;

static GHashTable *dotenv;

/* One socket per client and one per upstream stream: the default 1024 descriptors cap an
 * agent swarm at about 500 streams. Take what the hard limit allows. */
static void
raise_open_files_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* KEY=VALUE lines; quotes around a value are dropped; # starts a comment. */
static GHashTable *
read_dotenv (const char *path)
{
  GHashTable *values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return values;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      char *eq = strchr (line, '=');
      char *value;
      gsize len;

      if (*line == '#' || eq == NULL)
        continue;
      *eq = '\0';
      if (g_str_has_prefix (line, "export "))
        line += 7;
      value = g_strstrip (eq + 1);
      len = strlen (value);
      if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0])
        {
          value[len - 1] = '\0';
          value++;
        }
      g_hash_table_insert (values, g_strdup (g_strstrip (line)), g_strdup (value));
    }
  return values;
}

static const char *
setting (const char *name)
{
  const char *value = g_getenv (name);

  if (value != NULL && *value != '\0')
    return value;
  value = g_hash_table_lookup (dotenv, name);
  return value != NULL && *value != '\0' ? value : NULL;
}

static void
on_rotated_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  if (!amq_credentials_store_finish (result, &error))
    g_warning ("could not store the rotated refresh token in the keyring: %s", error->message);
}

static void
on_refresh_token_rotated (AmqTokenManager *tokens, const char *refresh_token, App *app)
{
  g_free (app->credentials->refresh_token);
  app->credentials->refresh_token = g_strdup (refresh_token);
  amq_credentials_store_async (app->credentials, NULL, on_rotated_stored, NULL);
}

/* AMQ2API_MEASURE_LOOP=1 (benchmarks only): how late a 5 ms timer ever fired, i.e. the
 * longest the main loop was busy. Off by default: it would wake the process 200 times a second. */
static gint64 loop_expected_us;
static gint64 loop_worst_us;

static gboolean
on_loop_probe (gpointer user_data)
{
  gint64 now = g_get_monotonic_time ();

  if (loop_expected_us != 0)
    loop_worst_us = MAX (loop_worst_us, now - loop_expected_us);
  loop_expected_us = now + 5000;
  return G_SOURCE_CONTINUE;
}

/* Headless: proxies come from the environment (https_proxy, all_proxy, no_proxy), as curl
 * reads them; NULL without one. Connections without a resolver never ask GIO for its default,
 * which loads every proxy module (libproxy and the C++ runtime: 1.5 MB a server does not need). */
static GProxyResolver *
environment_proxy_resolver (void)
{
  const char *names[] = { "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", NULL };
  const char *proxy = NULL;
  const char *no_proxy = g_getenv ("no_proxy") ? g_getenv ("no_proxy") : g_getenv ("NO_PROXY");
  g_auto(GStrv) ignore = no_proxy ? g_strsplit (no_proxy, ",", -1) : NULL;

  for (guint i = 0; names[i] != NULL && proxy == NULL; i++)
    if (g_getenv (names[i]) != NULL && *g_getenv (names[i]) != '\0')
      proxy = g_getenv (names[i]);
  if (proxy == NULL)
    return NULL;
  for (guint i = 0; ignore != NULL && ignore[i] != NULL; i++)
    g_strstrip (ignore[i]);
  return g_simple_proxy_resolver_new (proxy, ignore);
}

static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  g_main_loop_quit (app->loop);
  return G_SOURCE_CONTINUE;
}

static void
start_serving (App *app, const char *bind, guint port)
{
  g_autoptr(GError) error = NULL;
  const char *names[] = { "AMAZONQ_REFRESH_TOKEN", "AMAZONQ_CLIENT_ID", "AMAZONQ_CLIENT_SECRET" };
  g_autofree char *missing = amq_credential_set_missing (app->credentials, names);

  if (missing != NULL)
    {
      g_printerr ("amq2api-server: missing credentials: %s (set them in the environment or .env, "
                  "or save them in the Amq2Api app)\n", missing);
      app->exit_code = 2;
      g_main_loop_quit (app->loop);
      return;
    }
  amq_token_manager_set_credentials (app->tokens, app->credentials->refresh_token,
                                     app->credentials->client_id, app->credentials->client_secret);
  amq_server_set_profile_arn (app->server, app->credentials->profile_arn);
  if (!amq_server_start (app->server, bind, port, &error))
    {
      g_printerr ("amq2api-server: cannot listen on %s:%u: %s\n", bind, port, error->message);
      app->exit_code = 1;
      g_main_loop_quit (app->loop);
      return;
    }
  printf ("listening on %s\n", amq_server_get_url (app->server));
  fflush (stdout);
}

typedef struct {
  App   *app;
  char  *bind;
  guint  port;
} StartData;

static void
on_keyring (GObject *source, GAsyncResult *result, gpointer user_data)
{
  StartData *start = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);
  AmqCredentialSet *set = start->app->credentials;

  if (error != NULL)
    g_debug ("keyring not available: %s", error->message);
  if (stored != NULL)
    {
      /* fill only what the environment and .env left unset */
      if (set->refresh_token == NULL) set->refresh_token = g_strdup (stored->refresh_token);
      if (set->client_id == NULL) set->client_id = g_strdup (stored->client_id);
      if (set->client_secret == NULL) set->client_secret = g_strdup (stored->client_secret);
      if (set->profile_arn == NULL) set->profile_arn = g_strdup (stored->profile_arn);
    }
  start_serving (start->app, start->bind, start->port);
  g_free (start->bind);
  g_free (start);
}

int
main (int argc, char **argv)
{
  gint port = -1;
  gint ping_interval = -1;
  gint idle_timeout = -1;
  g_autofree char *bind = NULL;
  g_autofree char *api_endpoint = NULL;
  g_autofree char *token_endpoint = NULL;
  g_autofree char *api_key = NULL;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port to listen on (default 8080; 0 picks a free one)", "PORT" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &bind, "Address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "api-endpoint", 0, 0, G_OPTION_ARG_STRING, &api_endpoint, "Amazon Q endpoint", "URL" },
    { "token-endpoint", 0, 0, G_OPTION_ARG_STRING, &token_endpoint, "AWS SSO-OIDC token endpoint", "URL" },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &api_key, "Key clients must send (required off loopback)", "KEY" },
    { "ping-interval", 0, 0, G_OPTION_ARG_INT, &ping_interval, "Seconds of silence before a stream ping (default 10)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, "Seconds to wait on a silent Amazon Q (default 120)", "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log every request", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— an Anthropic Messages API for Amazon Q Developer");
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqUpstream) upstream = NULL;
  g_autoptr(AmqModelMap) models = NULL;
  App app = { 0 };
  const char *value;
  StartData *start;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Environment: AMAZONQ_REFRESH_TOKEN, AMAZONQ_CLIENT_ID, AMAZONQ_CLIENT_SECRET, AMAZONQ_PROFILE_ARN,\n"
    "PORT, AMAZONQ_API_ENDPOINT, AMAZONQ_TOKEN_ENDPOINT, AMAZONQ_DEFAULT_MODEL, AMAZONQ_MODEL_MAP,\n"
    "AMQ2API_API_KEY; also read from a .env file in the working directory.");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("amq2api-server: %s\n", error->message);
      return 2;
    }
  raise_open_files_limit ();
  /* with a proxy from the environment, GLib 2.74 still asks for its default resolver on every
   * connection: let that be the built-in one rather than libproxy's, which reads the desktop's
   * settings */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  dotenv = read_dotenv (".env");
  if (port < 0 && (value = setting ("PORT")) != NULL)
    {
      char *end = NULL;
      gint64 parsed = g_ascii_strtoll (value, &end, 10);

      if (end == value || *end != '\0' || parsed < 0 || parsed > 65535)
        {
          g_printerr ("amq2api-server: PORT '%s' is not a port number\n", value);
          return 2;
        }
      port = (gint) parsed;
    }
  if (port > 65535)
    {
      g_printerr ("amq2api-server: --port %d is not a port number\n", port);
      return 2;
    }
  if (port < 0)
    port = AMQ_DEFAULT_PORT;
  /* stdout carries exactly the listening line; logs go to stderr, ours only when verbose */
  g_log_writer_default_set_use_stderr (TRUE);
  if (verbose)
    g_setenv ("G_MESSAGES_DEBUG", "amq2api", TRUE);

  models = amq_model_map_new ();
  amq_model_map_set_default (models, setting ("AMAZONQ_DEFAULT_MODEL"));
  if (!amq_model_map_parse_overrides (models, setting ("AMAZONQ_MODEL_MAP"), &error))
    {
      g_printerr ("amq2api-server: AMAZONQ_MODEL_MAP: %s\n", error->message);
      return 2;
    }
  app.credentials = amq_credential_set_new ();
  app.credentials->refresh_token = g_strdup (setting ("AMAZONQ_REFRESH_TOKEN"));
  app.credentials->client_id = g_strdup (setting ("AMAZONQ_CLIENT_ID"));
  app.credentials->client_secret = g_strdup (setting ("AMAZONQ_CLIENT_SECRET"));
  app.credentials->profile_arn = g_strdup (setting ("AMAZONQ_PROFILE_ARN"));

  if (api_endpoint == NULL)
    api_endpoint = g_strdup (setting ("AMAZONQ_API_ENDPOINT"));
  if (api_endpoint == NULL)
    api_endpoint = amq_upstream_endpoint_for_profile (app.credentials->profile_arn);
  if (token_endpoint == NULL)
    token_endpoint = g_strdup (setting ("AMAZONQ_TOKEN_ENDPOINT"));
  if (api_key == NULL)
    api_key = g_strdup (setting ("AMQ2API_API_KEY"));

  upstream = amq_upstream_new (api_endpoint);
  if (idle_timeout > 0)
    amq_upstream_set_idle_timeout (upstream, idle_timeout);
  app.tokens = amq_token_manager_new (token_endpoint);
  if (idle_timeout > 0)
    amq_token_manager_set_timeout (app.tokens, idle_timeout);
  {
    g_autoptr(GProxyResolver) resolver = environment_proxy_resolver ();

    amq_upstream_set_proxy_resolver (upstream, resolver);
    amq_token_manager_set_proxy_resolver (app.tokens, resolver);
  }
  app.server = amq_server_new (app.tokens, upstream, models);
  amq_server_set_api_key (app.server, api_key);
  if (ping_interval >= 0)
    amq_server_set_ping_interval (app.server, ping_interval);
  g_signal_connect (app.tokens, "refresh-token-rotated", G_CALLBACK (on_refresh_token_rotated), &app);
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);

  start = g_new0 (StartData, 1);
  start->app = &app;
  start->bind = g_strdup (bind ? bind : "127.0.0.1");
  start->port = port;
  if (app.credentials->refresh_token == NULL || app.credentials->client_id == NULL ||
      app.credentials->client_secret == NULL)
    amq_credentials_lookup_async (NULL, on_keyring, start);
  else
    {
      start_serving (&app, start->bind, start->port);
      g_free (start->bind);
      g_free (start);
    }
  if (g_getenv ("AMQ2API_MEASURE_LOOP") != NULL)
    g_timeout_add (5, on_loop_probe, NULL);
  if (app.exit_code == 0)
    g_main_loop_run (app.loop);
  if (g_getenv ("AMQ2API_MEASURE_LOOP") != NULL)
    g_printerr ("main loop worst stall: %.1f ms\n", loop_worst_us / 1000.0);

  amq_server_stop (app.server);
  g_clear_object (&app.server);
  g_clear_object (&app.tokens);
  amq_credential_set_free (app.credentials);
  g_main_loop_unref (app.loop);
  g_hash_table_unref (dotenv);
  return app.exit_code;
}
