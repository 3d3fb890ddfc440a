/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-main.c: amq2api-server, the engine with no GUI
 *
 * Configuration, highest priority first: command-line options, environment variables (those
 * of the Python amq2api), a .env file in the working directory, then the credentials the
 * desktop app stored in the keyring. */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "amq-access-policy.h"
#include "amq-account.h"
#include "amq-device-login.h"
#include "amq-endpoint.h"
#include "amq-environment.h"
#include "amq-process.h"
#include "amq-server.h"

typedef struct {
  gint      port;
  gint      ping_interval;
  gint      idle_timeout;
  gint      header_timeout;
  gint      body_timeout;
  gint      max_connections;
  gint      drain_timeout;
  char    **allowed_hosts;
  char    **allowed_origins;
  char     *bind;
  char     *api_endpoint;
  char     *token_endpoint;
  char     *social_token_endpoint;
  char     *api_key;
  char     *origin;
  char     *accounts_file;
  gint64    max_request_bytes;
  gboolean  verbose;
  gboolean  login;
} Options;

typedef struct {
  GMainLoop       *loop;
  AmqEnvironment  *environment;
  AmqServer       *server;
  AmqUpstream     *upstream;
  GProxyResolver  *resolver;
  AmqAccountPool  *pool;
  AmqAccount      *account;        /* without --accounts: the one sign-in found */
  Options         *options;
  gboolean         quitting;
  guint            drain_timeout;
  int              exit_code;
} App;

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

static void
quit_when_saved (App *app)
{
  if (app->quitting && !amq_account_pool_get_saving (app->pool))
    g_main_loop_quit (app->loop);
}

static void
stop_now (App *app)
{
  g_clear_handle_id (&app->drain_timeout, g_source_remove);
  amq_server_stop (app->server);
  quit_when_saved (app);
}

static void
on_drained (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;

  if (amq_server_drain_finish (AMQ_SERVER (source), result, NULL))
    stop_now (app);
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  App *app = user_data;

  app->drain_timeout = 0;
  g_message ("requests still under way after %d s: ending them", app->options->drain_timeout);
  stop_now (app);
  return G_SOURCE_REMOVE;
}

/* SIGINT, SIGTERM: take no more requests, answer those under way (a restart loses nothing),
 * then exit once a refresh token being written is on disk. A second signal stops at once. */
static gboolean
on_signal (gpointer user_data)
{
  App *app = user_data;

  if (app->quitting)
    {
      stop_now (app);
      return G_SOURCE_CONTINUE;
    }
  app->quitting = TRUE;
  app->drain_timeout = g_timeout_add_seconds (MAX (app->options->drain_timeout, 0), on_drain_timeout, app);
  amq_server_drain_async (app->server, NULL, on_drained, app);
  return G_SOURCE_CONTINUE;
}

static void
fail (App *app, int exit_code, const char *message)
{
  g_printerr ("amq2api-server: %s\n", message);
  app->exit_code = exit_code;
  g_main_loop_quit (app->loop);
}

/* An endpoint from the command line, else the environment, else .env; but a .env lying in
 * the working directory does not redirect a sign-in it did not bring (the keyring's, another
 * client's). Plain http only to this machine. */
static gboolean
endpoint_setting (App *app, const char *option, const char *variable, const char **value, GError **error)
{
  gboolean trusted = app->account == NULL || amq_account_get_origin (app->account) == AMQ_ACCOUNT_ORIGIN_ENVIRONMENT;

  *value = option ? option : amq_environment_get (app->environment, variable);
  if (option == NULL && !trusted && amq_environment_is_from_dotenv (app->environment, variable))
    {
      g_message ("%s from .env is not used: the sign-in comes from %s, not from .env", variable,
                 amq_account_get_description (app->account));
      *value = NULL;
    }
  return *value == NULL || amq_endpoint_check (variable, *value, error);
}

static gboolean
apply_endpoints (App *app, GError **error)
{
  Options *options = app->options;
  const char *api, *token, *social;
  g_autofree char *region_api = NULL;
  GListModel *accounts = G_LIST_MODEL (app->pool);

  if (!endpoint_setting (app, options->api_endpoint, "AMAZONQ_API_ENDPOINT", &api, error) ||
      !endpoint_setting (app, options->token_endpoint, "AMAZONQ_TOKEN_ENDPOINT", &token, error) ||
      !endpoint_setting (app, options->social_token_endpoint, "AMAZONQ_SOCIAL_TOKEN_ENDPOINT", &social, error))
    return FALSE;
  if (api == NULL && app->account != NULL)
    api = region_api = amq_upstream_endpoint_for_profile (amq_account_get_credentials (app->account)->profile_arn);
  amq_upstream_set_endpoint (app->upstream, api);
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (accounts, i);
      AmqUpstream *own = amq_account_get_upstream (account);

      if (own != NULL)
        amq_upstream_set_endpoint (own, api);
      amq_token_manager_set_endpoint (amq_account_get_tokens (account), token);
      amq_token_manager_set_social_endpoint (amq_account_get_tokens (account), social);
    }
  return TRUE;
}

static void
serve (App *app)
{
  g_autoptr(GError) error = NULL;

  if (!apply_endpoints (app, &error))
    {
      fail (app, 2, error->message);
      return;
    }
  if (!amq_server_start (app->server, app->options->bind, app->options->port, &error))
    {
      g_autofree char *message = g_strdup_printf ("cannot listen on %s:%d: %s", app->options->bind,
                                                  app->options->port, error->message);
      fail (app, 1, message);
      return;
    }
  printf ("listening on %s\n", amq_server_get_url (app->server));
  fflush (stdout);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (app->pool)); i++)
    {
      g_autoptr(AmqAccount) account = g_list_model_get_item (G_LIST_MODEL (app->pool), i);

      g_message ("Amazon Q sign-in from %s", amq_account_get_description (account));
      amq_account_update_credits (account, app->upstream, TRUE);
    }
}

static void
on_account_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  const AmqCredentialSet *credentials = amq_account_get_credentials (app->account);
  const char *names[] = { "AMAZONQ_REFRESH_TOKEN", "AMAZONQ_CLIENT_ID", "AMAZONQ_CLIENT_SECRET" };
  g_autofree char *missing = NULL;

  amq_account_load_finish (app->account, result, NULL);
  missing = amq_credential_set_missing (credentials, names);
  if (missing != NULL)
    {
      g_autofree char *message = g_strdup_printf ("no Amazon Q sign-in: %s missing. Set them in the environment or "
                                                  ".env, sign in with amq2api-server --login, in the Amq2Api app, "
                                                  "or with the Kiro CLI (kiro-cli login); or give --accounts",
                                                  missing);
      fail (app, 2, message);
      return;
    }
  serve (app);
}

static gboolean
parse_options (int *argc, char ***argv, Options *options, GError **error)
{
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &options->port, "Port to listen on (default 8080; 0 picks a free one)", "PORT" },
    { "bind", 'b', 0, G_OPTION_ARG_STRING, &options->bind, "Address to listen on (default 127.0.0.1)", "ADDRESS" },
    { "api-endpoint", 0, 0, G_OPTION_ARG_STRING, &options->api_endpoint, "Amazon Q endpoint", "URL" },
    { "token-endpoint", 0, 0, G_OPTION_ARG_STRING, &options->token_endpoint, "AWS SSO-OIDC token endpoint", "URL" },
    { "social-token-endpoint", 0, 0, G_OPTION_ARG_STRING, &options->social_token_endpoint,
      "Kiro's refresh endpoint for Google and GitHub sign-ins", "URL" },
    { "drain-timeout", 0, 0, G_OPTION_ARG_INT, &options->drain_timeout,
      "Seconds to finish requests under way on SIGTERM before exiting (default 60)", "SECONDS" },
    { "accounts", 0, 0, G_OPTION_ARG_FILENAME, &options->accounts_file,
      "Serve several Amazon Q accounts, from this JSON file (mode 0600)", "FILE" },
    { "origin", 0, 0, G_OPTION_ARG_STRING, &options->origin,
      "The origin Amazon Q is told (default KIRO_CLI; CLI for accounts that still need it)", "ORIGIN" },
    { "max-request-bytes", 0, 0, G_OPTION_ARG_INT64, &options->max_request_bytes,
      "Largest request sent to Amazon Q; a larger one is \"prompt is too long\" (default 600000)", "BYTES" },
    { "login", 0, 0, G_OPTION_ARG_NONE, &options->login,
      "Sign in with AWS Builder ID here in the terminal, keep the sign-in and exit", NULL },
    { "api-key", 0, 0, G_OPTION_ARG_STRING, &options->api_key, "Key clients must send (required off loopback)", "KEY" },
    { "ping-interval", 0, 0, G_OPTION_ARG_INT, &options->ping_interval, "Seconds of silence before a stream ping (default 10)", "SECONDS" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &options->idle_timeout, "Seconds to wait on a silent Amazon Q (default 120)", "SECONDS" },
    { "allow-host", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->allowed_hosts, "Also answer requests for this Host name (repeatable; a reverse proxy's name)", "NAME[:PORT]" },
    { "allow-origin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->allowed_origins, "Let web pages of this exact origin call the server (repeatable)", "ORIGIN" },
    { "header-timeout", 0, 0, G_OPTION_ARG_INT, &options->header_timeout, "Seconds a client may take to send its request headers (default 10)", "SECONDS" },
    { "body-timeout", 0, 0, G_OPTION_ARG_INT, &options->body_timeout, "Seconds a request body may stay silent (default 30)", "SECONDS" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &options->max_connections, "Client connections held at once (default 4096)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose, "Log every request", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— an Anthropic Messages API for Amazon Q Developer");

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_description (context,
    "Environment: AMAZONQ_REFRESH_TOKEN, AMAZONQ_CLIENT_ID, AMAZONQ_CLIENT_SECRET, AMAZONQ_PROFILE_ARN,\n"
    "PORT, AMAZONQ_API_ENDPOINT, AMAZONQ_TOKEN_ENDPOINT, AMAZONQ_SOCIAL_TOKEN_ENDPOINT, AMAZONQ_DEFAULT_MODEL,\n"
    "AMAZONQ_MODEL_MAP, AMAZONQ_ORIGIN, AMAZONQ_MAX_REQUEST_BYTES, AMQ2API_API_KEY, AMQ2API_ALLOWED_HOSTS, AMQ2API_ALLOWED_ORIGINS (comma-separated\n"
    "lists); also read from a .env file in the working directory.\n"
    "Without credentials there, the sign-in kept by the Amq2Api app or by --login, else that of a\n"
    "signed-in Kiro CLI, Amazon Q CLI or Kiro IDE.");
  return g_option_context_parse (context, argc, argv, error);
}

/* Fills what the command line left unset from the environment and .env. */
static gboolean
complete_options (Options *options, AmqEnvironment *environment, GError **error)
{
  const char *port = amq_environment_get (environment, "PORT");

  if (options->port < 0 && port != NULL)
    {
      char *end = NULL;
      gint64 parsed = g_ascii_strtoll (port, &end, 10);

      if (end == port || *end != '\0' || parsed < 0 || parsed > 65535)
        return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "PORT '%s' is not a port number", port),
               FALSE;
      options->port = (gint) parsed;
    }
  if (options->port > 65535)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "--port %d is not a port number",
                        options->port), FALSE;
  if (options->port < 0)
    options->port = AMQ_DEFAULT_PORT;
  if (options->bind == NULL)
    options->bind = g_strdup ("127.0.0.1");
  if (options->api_key == NULL)
    options->api_key = g_strdup (amq_environment_get (environment, "AMQ2API_API_KEY"));
  if (options->origin == NULL)
    options->origin = g_strdup (amq_environment_get (environment, "AMAZONQ_ORIGIN"));
  if (options->accounts_file == NULL)
    options->accounts_file = g_strdup (amq_environment_get (environment, "AMQ2API_ACCOUNTS_FILE"));
  if (options->max_request_bytes == 0 && amq_environment_get (environment, "AMAZONQ_MAX_REQUEST_BYTES") != NULL)
    {
      const char *text = amq_environment_get (environment, "AMAZONQ_MAX_REQUEST_BYTES");
      char *end = NULL;

      options->max_request_bytes = g_ascii_strtoll (text, &end, 10);
      if (end == text || *end != '\0')
        options->max_request_bytes = -1;
    }
  if (options->max_request_bytes < 0 || options->max_request_bytes > AMQ_MAX_BODY_BYTES)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "the largest request to Amazon Q must be a number of bytes up to %d", AMQ_MAX_BODY_BYTES), FALSE;
  if (options->allowed_hosts == NULL)
    options->allowed_hosts = amq_access_policy_split_list (amq_environment_get (environment, "AMQ2API_ALLOWED_HOSTS"));
  if (options->allowed_origins == NULL)
    options->allowed_origins = amq_access_policy_split_list (amq_environment_get (environment, "AMQ2API_ALLOWED_ORIGINS"));
  return TRUE;
}

/* An account's own token manager (its refresh in flight, its rotations), reaching out through
 * @resolver. */
static AmqAccount *
account_new (App *app, GProxyResolver *resolver)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  AmqAccount *account;

  if (app->options->idle_timeout > 0)
    amq_token_manager_set_timeout (tokens, app->options->idle_timeout);
  amq_token_manager_set_proxy_resolver (tokens, resolver);
  account = amq_account_new (tokens, NULL);
  return account;
}

/* --accounts: each entry an account of the pool; one with a proxy of its own gets its own
 * Amazon Q connection through it. */
static gboolean
add_file_accounts (App *app, GError **error)
{
  g_autoptr(AmqAccountsFile) file = amq_accounts_file_load (app->options->accounts_file, error);
  GPtrArray *entries;

  if (file == NULL)
    return FALSE;
  entries = amq_accounts_file_get_entries (file);
  app->pool = amq_account_pool_new (amq_accounts_file_get_strategy (file));
  for (guint i = 0; i < entries->len; i++)
    {
      const AmqAccountEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr(GProxyResolver) proxy = entry->proxy ? g_simple_proxy_resolver_new (entry->proxy, NULL) : NULL;
      g_autoptr(AmqAccount) account = account_new (app, proxy ? proxy : app->resolver);

      amq_account_use_file_entry (account, file, entry);
      if (proxy != NULL)
        {
          g_autoptr(AmqUpstream) own = amq_upstream_new (NULL);

          amq_upstream_set_origin (own, app->options->origin);
          amq_upstream_set_proxy_resolver (own, proxy);
          if (app->options->idle_timeout > 0)
            amq_upstream_set_idle_timeout (own, app->options->idle_timeout);
          amq_account_set_upstream (account, own);
        }
      amq_account_pool_add (app->pool, account);
    }
  return TRUE;
}

/* The engine's objects, wired as the options say. */
static gboolean
build (App *app, GError **error)
{
  Options *options = app->options;
  g_autoptr(AmqModelMap) models = amq_model_map_new ();

  amq_model_map_set_default (models, amq_environment_get (app->environment, "AMAZONQ_DEFAULT_MODEL"));
  if (!amq_model_map_parse_overrides (models, amq_environment_get (app->environment, "AMAZONQ_MODEL_MAP"), error))
    {
      g_prefix_error (error, "AMAZONQ_MODEL_MAP: ");
      return FALSE;
    }
  app->resolver = amq_environment_dup_proxy_resolver (app->environment);
  app->upstream = amq_upstream_new (NULL);
  amq_upstream_set_origin (app->upstream, options->origin);
  if (options->max_request_bytes > 0)
    amq_upstream_set_max_request_bytes (app->upstream, options->max_request_bytes);
  if (options->idle_timeout > 0)
    amq_upstream_set_idle_timeout (app->upstream, options->idle_timeout);
  amq_upstream_set_proxy_resolver (app->upstream, app->resolver);
  if (options->accounts_file != NULL)
    {
      if (!add_file_accounts (app, error))
        return FALSE;
    }
  else
    {
      app->account = account_new (app, app->resolver);
      app->pool = amq_account_pool_new (AMQ_POOL_PRIORITY);
      amq_account_pool_add (app->pool, app->account);
    }
  g_signal_connect_swapped (app->pool, "notify::saving", G_CALLBACK (quit_when_saved), app);
  app->server = amq_server_new (app->pool, app->upstream, models);
  amq_server_set_api_key (app->server, options->api_key);
  if (!amq_server_set_allowed_hosts (app->server, (const char * const *) options->allowed_hosts, error) ||
      !amq_server_set_allowed_origins (app->server, (const char * const *) options->allowed_origins, error))
    return FALSE;
  amq_server_set_request_timeouts (app->server, MAX (options->header_timeout, 0), MAX (options->body_timeout, 0));
  amq_server_set_max_connections (app->server, MAX (options->max_connections, 0));
  if (options->ping_interval >= 0)
    amq_server_set_ping_interval (app->server, options->ping_interval);
  return TRUE;
}

/* ---- --login ---- */

static void
on_code (AmqDeviceLogin *login, const char *user_code, const char *verification_uri, gpointer user_data)
{
  printf ("To sign in, open %s\nand confirm the code %s there. Waiting...\n", verification_uri, user_code);
  fflush (stdout);
}

static void
on_login_kept (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!amq_account_keep_login_finish (AMQ_ACCOUNT (source), result, &error))
    {
      g_autofree char *message = g_strdup_printf ("signed in, but the sign-in could not be kept: %s", error->message);
      fail (app, 1, message);
      return;
    }
  printf ("Signed in. amq2api-server uses this sign-in from now on (kept in %s).\n",
          amq_account_get_description (app->account));
  g_main_loop_quit (app->loop);
}

static void
on_logged_in (GObject *source, GAsyncResult *result, gpointer user_data)
{
  App *app = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqCredentialSet) set = amq_device_login_run_finish (AMQ_DEVICE_LOGIN (source), result, &error);

  if (set == NULL)
    {
      g_autofree char *message = g_strdup_printf ("sign-in failed: %s", error->message);
      fail (app, 1, message);
      return;
    }
  amq_account_keep_login_async (app->account, set, NULL, on_login_kept, app);
}

/* The device flow talks to the SSO-OIDC service whose token endpoint is configured: the same
 * host, without "/token". */
static char *
oidc_service_for (App *app)
{
  const char *token_endpoint = app->options->token_endpoint ? app->options->token_endpoint
                                                             : amq_environment_get (app->environment,
                                                                                    "AMAZONQ_TOKEN_ENDPOINT");

  if (token_endpoint == NULL)
    return g_strdup (AMQ_DEFAULT_OIDC_ENDPOINT);
  if (g_str_has_suffix (token_endpoint, "/token"))
    return g_strndup (token_endpoint, strlen (token_endpoint) - strlen ("/token"));
  return g_strdup (token_endpoint);
}

static void
start_login (App *app)
{
  g_autofree char *service = oidc_service_for (app);
  g_autoptr(AmqDeviceLogin) login = NULL;
  g_autoptr(GError) error = NULL;

  if (!amq_endpoint_check ("the sign-in service", service, &error))
    {
      fail (app, 2, error->message);
      return;
    }
  login = amq_device_login_new (service);
  g_signal_connect (login, "code", G_CALLBACK (on_code), app);
  amq_device_login_run_async (login, NULL, on_logged_in, app);
}

static void
app_clear (App *app)
{
  g_clear_object (&app->server);
  g_clear_object (&app->account);
  g_clear_object (&app->pool);
  g_clear_object (&app->upstream);
  g_clear_object (&app->resolver);
  g_clear_object (&app->environment);
  g_clear_pointer (&app->loop, g_main_loop_unref);
}

static void
options_clear (Options *options)
{
  g_free (options->bind);
  g_free (options->api_endpoint);
  g_free (options->token_endpoint);
  g_free (options->social_token_endpoint);
  g_free (options->api_key);
  g_free (options->origin);
  g_free (options->accounts_file);
  g_strfreev (options->allowed_hosts);
  g_strfreev (options->allowed_origins);
}

int
main (int argc, char **argv)
{
  Options options = { .port = -1, .ping_interval = -1, .idle_timeout = -1, .drain_timeout = 60 };
  App app = { .options = &options };
  g_autoptr(GError) error = NULL;

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("amq2api-server: %s\n", error->message);
      return 2;
    }
  amq_process_harden ();
  amq_process_raise_open_files ();
  /* with a proxy from the environment, GLib 2.74 still asks for its default resolver on every
   * connection: let that be the built-in one rather than libproxy's, which reads the desktop's
   * settings and loads the C++ runtime */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
  /* stdout carries exactly the listening line; logs go to stderr, ours only when verbose */
  g_log_writer_default_set_use_stderr (TRUE);
  if (options.verbose)
    g_setenv ("G_MESSAGES_DEBUG", "amq2api", TRUE);
  app.environment = amq_environment_new (".env");
  if (!complete_options (&options, app.environment, &error) || !build (&app, &error))
    {
      g_printerr ("amq2api-server: %s\n", error->message);
      app_clear (&app);
      options_clear (&options);
      return 2;
    }
  app.loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, &app);
  g_unix_signal_add (SIGTERM, on_signal, &app);
  if (options.login)
    start_login (&app);
  else if (app.account != NULL)
    amq_account_load_async (app.account, app.environment, NULL, NULL, on_account_loaded, &app);
  else
    serve (&app);
  if (g_getenv ("AMQ2API_MEASURE_LOOP") != NULL)
    g_timeout_add (5, on_loop_probe, NULL);
  g_main_loop_run (app.loop);
  if (g_getenv ("AMQ2API_MEASURE_LOOP") != NULL)
    g_printerr ("main loop worst stall: %.1f ms\n", loop_worst_us / 1000.0);
  amq_server_stop (app.server);
  app_clear (&app);
  options_clear (&options);
  return app.exit_code;
}
