/* amq-token-manager.c
 *
 * Waiters queue on the one refresh in flight. A one-shot timer refreshes five minutes ahead
 * of expiry; nothing polls. A rotated refresh token is announced with the
 * "refresh-token-rotated" signal before any waiter gets the new access token, so the owner
 * stores it first. invalid_grant is final until new credentials arrive. */
#include "amq-token-manager.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "amq-error.h"
#include "amq-json.h"
#include "config.h"

#include <string.h>

#define MAX_BACKOFF_SECONDS 300

struct _AmqTokenManager
{
  GObject        parent_instance;
  SoupSession   *session;
  char          *endpoint;
  char          *refresh_token;
  char          *client_id;
  char          *client_secret;
  char          *access_token;
  gint64         expires_at;      /* wall clock, seconds */
  AmqTokenState  state;
  char          *last_error;
  GQueue         waiters;         /* GTask */
  GCancellable  *refresh_cancellable;
  guint          timer_id;
  guint          backoff;
};

enum { PROP_0, PROP_STATE, PROP_EXPIRES_AT, PROP_LAST_ERROR, N_PROPS };
enum { SIGNAL_REFRESH_TOKEN_ROTATED, N_SIGNALS };
static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AmqTokenManager, amq_token_manager, G_TYPE_OBJECT)

static void start_refresh (AmqTokenManager *self);

static void
set_state (AmqTokenManager *self, AmqTokenState state, const char *error)
{
  gboolean error_changed = g_strcmp0 (error, self->last_error) != 0;

  if (error_changed)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (error_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static gboolean
token_is_fresh (AmqTokenManager *self)
{
  return self->access_token != NULL &&
         g_get_real_time () / G_USEC_PER_SEC < self->expires_at - AMQ_REFRESH_AHEAD_SECONDS;
}

static gboolean
on_timer (gpointer user_data)
{
  AmqTokenManager *self = user_data;

  self->timer_id = 0;
  start_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule (AmqTokenManager *self, guint seconds)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->timer_id = g_timeout_add_seconds (MAX (seconds, 1), on_timer, self);
}

static void
wake_waiters (AmqTokenManager *self, const GError *error)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->waiters)) != NULL)
    {
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_pointer (task, g_strdup (self->access_token), g_free);
      g_object_unref (task);
    }
}

static void
refresh_failed (AmqTokenManager *self, GError *error, gboolean permanent)
{
  g_autoptr(GError) owned = error;

  g_clear_pointer (&self->access_token, g_free);
  self->expires_at = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  if (permanent)
    {
      set_state (self, AMQ_TOKEN_STATE_SIGN_IN_NEEDED, error->message);
      g_clear_handle_id (&self->timer_id, g_source_remove);
    }
  else
    {
      set_state (self, AMQ_TOKEN_STATE_FAILED, error->message);
      self->backoff = self->backoff ? MIN (self->backoff * 2, MAX_BACKOFF_SECONDS) : 5;
      schedule (self, self->backoff);
    }
  wake_waiters (self, error);
}

static void
on_refresh_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(AmqTokenManager) self = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *reply = NULL;
  guint status;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* new credentials replaced this refresh */
  g_clear_object (&self->refresh_cancellable);
  if (body == NULL)
    {
      gboolean timed_out = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);

      refresh_failed (self, g_error_new (AMQ_ERROR, timed_out ? AMQ_ERROR_TIMEOUT : AMQ_ERROR_UPSTREAM,
                                         "token refresh failed: %s", error->message), FALSE);
      return;
    }
  status = soup_message_get_status (msg);
  reply = amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (status != 200)
    {
      const char *code = reply ? amq_json_get_string (reply, "error") : NULL;

      if (g_strcmp0 (code, "invalid_grant") == 0 || g_strcmp0 (code, "invalid_client") == 0 ||
          g_strcmp0 (code, "unauthorized_client") == 0)
        refresh_failed (self, g_error_new (AMQ_ERROR, AMQ_ERROR_AUTHENTICATION,
                                           "Amazon Q sign-in needed: the refresh token was refused (%s); "
                                           "sign in again in Amq2Api", code), TRUE);
      else
        refresh_failed (self, g_error_new (AMQ_ERROR, status == 429 ? AMQ_ERROR_RATE_LIMIT : AMQ_ERROR_UPSTREAM,
                                           "token refresh failed: HTTP %u%s%s", status,
                                           code ? " " : "", code ? code : ""), FALSE);
      return;
    }
  if (reply == NULL || amq_json_get_string (reply, "accessToken") == NULL)
    {
      refresh_failed (self, g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM,
                                         "token refresh failed: the token endpoint sent no access token"), FALSE);
      return;
    }
  {
    const char *rotated = amq_json_get_string (reply, "refreshToken");
    gint64 expires_in = amq_json_get_int (reply, "expiresIn", 3600);

    if (rotated != NULL && *rotated != '\0' && g_strcmp0 (rotated, self->refresh_token) != 0)
      {
        g_free (self->refresh_token);
        self->refresh_token = g_strdup (rotated);
        g_signal_emit (self, signals[SIGNAL_REFRESH_TOKEN_ROTATED], 0, self->refresh_token);
      }
    g_free (self->access_token);
    self->access_token = g_strdup (json_object_get_string_member (reply, "accessToken"));
    self->expires_at = g_get_real_time () / G_USEC_PER_SEC + MAX (expires_in, 60);
    self->backoff = 0;
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
    set_state (self, AMQ_TOKEN_STATE_VALID, NULL);
    schedule (self, MAX (expires_in - AMQ_REFRESH_AHEAD_SECONDS, 30));
    wake_waiters (self, NULL);
  }
}

static void
start_refresh (AmqTokenManager *self)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) body = NULL;

  if (self->refresh_cancellable != NULL || self->refresh_token == NULL)
    return;
  msg = soup_message_new ("POST", self->endpoint);
  if (msg == NULL)
    {
      refresh_failed (self, g_error_new (AMQ_ERROR, AMQ_ERROR_API, "token endpoint '%s' is not a valid URL",
                                         self->endpoint), TRUE);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "grantType");
  json_builder_add_string_value (b, "refresh_token");
  json_builder_set_member_name (b, "refreshToken");
  json_builder_add_string_value (b, self->refresh_token);
  json_builder_set_member_name (b, "clientId");
  json_builder_add_string_value (b, self->client_id ? self->client_id : "");
  json_builder_set_member_name (b, "clientSecret");
  json_builder_add_string_value (b, self->client_secret ? self->client_secret : "");
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json = json_to_string (root, FALSE);
  body = g_bytes_new (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  self->refresh_cancellable = g_cancellable_new ();
  set_state (self, AMQ_TOKEN_STATE_REFRESHING, self->last_error);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->refresh_cancellable,
                                    on_refresh_response, g_object_ref (self));
}

void
amq_token_manager_get_token_async (AmqTokenManager     *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, amq_token_manager_get_token_async);
  if (token_is_fresh (self))
    {
      g_task_return_pointer (task, g_strdup (self->access_token), g_free);
      return;
    }
  if (self->refresh_token == NULL)
    {
      g_task_return_new_error (task, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION,
                               "Amazon Q sign-in needed: no credentials are configured; "
                               "add them in Amq2Api or set AMAZONQ_REFRESH_TOKEN");
      return;
    }
  if (self->state == AMQ_TOKEN_STATE_SIGN_IN_NEEDED)
    {
      g_task_return_new_error (task, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, "%s", self->last_error);
      return;
    }
  g_queue_push_tail (&self->waiters, g_steal_pointer (&task));
  start_refresh (self);
}

char *
amq_token_manager_get_token_finish (AmqTokenManager *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
amq_token_manager_invalidate (AmqTokenManager *self, const char *access_token)
{
  if (g_strcmp0 (access_token, self->access_token) != 0)
    return;  /* already replaced */
  g_clear_pointer (&self->access_token, g_free);
  self->expires_at = 0;
  set_state (self, AMQ_TOKEN_STATE_EXPIRED, NULL);
}

void
amq_token_manager_set_credentials (AmqTokenManager *self, const char *refresh_token,
                                   const char *client_id, const char *client_secret)
{
  g_autoptr(GError) replaced = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "credentials replaced");

  if (self->refresh_cancellable != NULL)
    {
      g_cancellable_cancel (self->refresh_cancellable);
      g_clear_object (&self->refresh_cancellable);
    }
  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_free (self->refresh_token);
  g_free (self->client_id);
  g_free (self->client_secret);
  self->refresh_token = refresh_token && *refresh_token ? g_strdup (refresh_token) : NULL;
  self->client_id = g_strdup (client_id);
  self->client_secret = g_strdup (client_secret);
  g_clear_pointer (&self->access_token, g_free);
  self->expires_at = 0;
  self->backoff = 0;
  set_state (self, self->refresh_token ? AMQ_TOKEN_STATE_EXPIRED : AMQ_TOKEN_STATE_NO_CREDENTIALS, NULL);
  if (!g_queue_is_empty (&self->waiters))
    {
      if (self->refresh_token != NULL)
        start_refresh (self);
      else
        wake_waiters (self, replaced);
    }
}

void
amq_token_manager_set_endpoint (AmqTokenManager *self, const char *token_endpoint)
{
  g_free (self->endpoint);
  self->endpoint = g_strdup (token_endpoint && *token_endpoint ? token_endpoint : AMQ_DEFAULT_TOKEN_ENDPOINT);
}

void
amq_token_manager_set_timeout (AmqTokenManager *self, guint seconds)
{
  g_object_set (self->session, "timeout", seconds, NULL);
}

void
amq_token_manager_set_proxy_resolver (AmqTokenManager *self, GProxyResolver *resolver)
{
  soup_session_set_proxy_resolver (self->session, resolver);
}

gboolean amq_token_manager_has_credentials (AmqTokenManager *self) { return self->refresh_token != NULL; }
AmqTokenState amq_token_manager_get_state (AmqTokenManager *self) { return self->state; }
gint64 amq_token_manager_get_expires_at (AmqTokenManager *self) { return self->expires_at; }
const char *amq_token_manager_get_last_error (AmqTokenManager *self) { return self->last_error; }

const char *
amq_token_manager_get_state_text (AmqTokenManager *self)
{
  switch (self->state)
    {
    case AMQ_TOKEN_STATE_NO_CREDENTIALS: return "no-credentials";
    case AMQ_TOKEN_STATE_EXPIRED:        return "expired";
    case AMQ_TOKEN_STATE_REFRESHING:     return "refreshing";
    case AMQ_TOKEN_STATE_VALID:          return "valid";
    case AMQ_TOKEN_STATE_SIGN_IN_NEEDED: return "sign-in-needed";
    case AMQ_TOKEN_STATE_FAILED:
    default:                             return "refresh-failed";
    }
}

static void
amq_token_manager_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqTokenManager *self = AMQ_TOKEN_MANAGER (object);

  switch (prop_id)
    {
    case PROP_STATE:      g_value_set_enum (value, self->state); break;
    case PROP_EXPIRES_AT: g_value_set_int64 (value, self->expires_at); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default:              G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_token_manager_dispose (GObject *object)
{
  AmqTokenManager *self = AMQ_TOKEN_MANAGER (object);
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "token manager disposed");

  if (self->refresh_cancellable != NULL)
    g_cancellable_cancel (self->refresh_cancellable);
  g_clear_object (&self->refresh_cancellable);
  g_clear_handle_id (&self->timer_id, g_source_remove);
  wake_waiters (self, error);
  G_OBJECT_CLASS (amq_token_manager_parent_class)->dispose (object);
}

static void
amq_token_manager_finalize (GObject *object)
{
  AmqTokenManager *self = AMQ_TOKEN_MANAGER (object);

  g_clear_object (&self->session);
  g_free (self->endpoint);
  g_free (self->refresh_token);
  g_free (self->client_id);
  g_free (self->client_secret);
  g_free (self->access_token);
  g_free (self->last_error);
  G_OBJECT_CLASS (amq_token_manager_parent_class)->finalize (object);
}

static void
amq_token_manager_class_init (AmqTokenManagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_token_manager_get_property;
  object_class->dispose = amq_token_manager_dispose;
  object_class->finalize = amq_token_manager_finalize;
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, AMQ_TYPE_TOKEN_STATE, AMQ_TOKEN_STATE_NO_CREDENTIALS,
                                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_EXPIRES_AT] = g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[SIGNAL_REFRESH_TOKEN_ROTATED] =
    g_signal_new ("refresh-token-rotated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
amq_token_manager_init (AmqTokenManager *self)
{
  self->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60,
                                                 "user-agent", "amq2api/" PACKAGE_VERSION, NULL);
  g_queue_init (&self->waiters);
}

AmqTokenManager *
amq_token_manager_new (const char *token_endpoint)
{
  AmqTokenManager *self = g_object_new (AMQ_TYPE_TOKEN_MANAGER, NULL);

  amq_token_manager_set_endpoint (self, token_endpoint);
  return self;
}
