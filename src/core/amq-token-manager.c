/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-manager.c
 *
 * Waiters queue on the one refresh in flight. A one-shot timer refreshes five minutes ahead
 * of expiry; nothing polls. Before refreshing, the sign-in is read again from its store: a
 * client beside us (Kiro CLI, Kiro IDE) may have rotated it, or left a fresh access token. A
 * rotated refresh token goes to the store and is kept there before the new access token is
 * used and any waiter is woken: the old refresh token is dead by then, and the new one is the
 * user's login. A refused refresh token is final until new credentials arrive. */
#include "config.h"

#include "amq-token-manager.h"

#include <string.h>

#include "amq-error.h"

#define MAX_BACKOFF_SECONDS 300

struct _AmqTokenManager
{
  GObject           parent_instance;
  SoupSession      *session;
  char             *endpoint;         /* NULL: the region's */
  char             *social_endpoint;  /* NULL: the region's */
  AmqCredentialSet *credentials;      /* NULL without any; its access token is the one in use */
  char             *refused;          /* the access token Amazon Q refused last: never again */
  AmqTokenState     state;
  char             *last_error;
  GQueue            waiters;          /* GTask */
  GCancellable     *refresh;          /* the refresh in flight, from reading the store to saving */
  guint             timer_id;
  guint             backoff;
  AmqTokenStore    *store;            /* weak */
};

enum { PROP_0, PROP_STATE, PROP_EXPIRES_AT, PROP_LAST_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

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
usable (const char *access_token, gint64 expires_at)
{
  return access_token != NULL && g_get_real_time () / G_USEC_PER_SEC < expires_at - AMQ_REFRESH_AHEAD_SECONDS;
}

static gboolean
token_is_fresh (AmqTokenManager *self)
{
  return self->credentials != NULL && usable (self->credentials->access_token, self->credentials->expires_at);
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
schedule (AmqTokenManager *self, gint64 seconds)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  self->timer_id = g_timeout_add_seconds ((guint) CLAMP (seconds, 1, G_MAXINT), on_timer, self);
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
        g_task_return_pointer (task, g_strdup (self->credentials->access_token), g_free);
      g_object_unref (task);
    }
}

static void
forget_access_token (AmqTokenManager *self)
{
  amq_secret_replace (&self->credentials->access_token, NULL);
  self->credentials->expires_at = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
}

static void
refresh_failed (AmqTokenManager *self, const GError *error)
{
  /* a dead sign-in, or a refused endpoint, stays so until new credentials come */
  gboolean permanent = g_error_matches (error, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION);

  g_clear_object (&self->refresh);
  forget_access_token (self);
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

/* The refresh is over: @access_token is the one to use until @expires_at. */
static void
use_access_token (AmqTokenManager *self, const char *access_token, gint64 expires_at, const GError *save_error)
{
  g_clear_object (&self->refresh);
  amq_secret_replace (&self->credentials->access_token, access_token);
  self->credentials->expires_at = expires_at;
  self->backoff = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  if (save_error != NULL)
    set_state (self, AMQ_TOKEN_STATE_NOT_SAVED, save_error->message);
  else
    set_state (self, AMQ_TOKEN_STATE_VALID, NULL);
  schedule (self, MAX (expires_at - g_get_real_time () / G_USEC_PER_SEC - AMQ_REFRESH_AHEAD_SECONDS, 30));
  wake_waiters (self, NULL);
}

typedef struct {
  AmqTokenManager  *self;
  GCancellable     *refresh;  /* the refresh this step belongs to */
  AmqCredentialSet *tokens;
} Step;

static Step *
step_new (AmqTokenManager *self, AmqCredentialSet *tokens)
{
  Step *step = g_new0 (Step, 1);

  step->self = g_object_ref (self);
  step->refresh = g_object_ref (self->refresh);
  step->tokens = tokens;
  return step;
}

/* FALSE when new credentials replaced the refresh this step belongs to. */
static gboolean
step_current (Step *step)
{
  return step->refresh == step->self->refresh && !g_cancellable_is_cancelled (step->refresh);
}

static void
step_free (Step *step)
{
  g_object_unref (step->self);
  g_object_unref (step->refresh);
  amq_credential_set_free (step->tokens);
  g_free (step);
}

static void
on_saved (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Step *step = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) visible = NULL;

  if (!amq_token_store_save_tokens_finish (AMQ_TOKEN_STORE (source), result, &error))
    {
      visible = g_error_new (AMQ_ERROR, AMQ_ERROR_API,
                             "Amazon Q rotated the refresh token and it could not be saved (%s): "
                             "if Amq2Api stops now, sign in again", error->message);
      g_message ("%s", visible->message);
    }
  if (step_current (step))
    use_access_token (step->self, step->tokens->access_token, step->tokens->expires_at, visible);
  step_free (step);
}

static void
on_refreshed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Step *step = user_data;
  AmqTokenManager *self = step->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *previous = NULL;

  step->tokens = amq_token_refresh_finish (result, &error);
  if (!step_current (step))
    {
      step_free (step);
      return;
    }
  if (step->tokens == NULL)
    {
      refresh_failed (self, error);
      step_free (step);
      return;
    }
  if (step->tokens->refresh_token == NULL ||
      g_strcmp0 (step->tokens->refresh_token, self->credentials->refresh_token) == 0 || self->store == NULL)
    {
      if (step->tokens->refresh_token != NULL)
        amq_secret_replace (&self->credentials->refresh_token, step->tokens->refresh_token);
      use_access_token (self, step->tokens->access_token, step->tokens->expires_at, NULL);
      step_free (step);
      return;
    }
  /* rotated: the refresh stays in flight, waiters waiting, until the store has it; the write
   * is not cancellable: once started it is seen through, whatever happens meanwhile */
  previous = g_strdup (self->credentials->refresh_token);
  amq_secret_replace (&self->credentials->refresh_token, step->tokens->refresh_token);
  amq_token_store_save_tokens_async (self->store, previous, step->tokens, NULL, on_saved, step);
  amq_secret_replace (&previous, NULL);
}

static void
send_refresh (AmqTokenManager *self)
{
  amq_token_refresh_async (self->session, self->credentials, self->endpoint, self->social_endpoint, self->refresh,
                           on_refreshed, step_new (self, NULL));
}

/* What the store holds now: another client's rotation is adopted, its fresh access token used. */
static void
on_reloaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Step *step = user_data;
  AmqTokenManager *self = step->self;
  g_autoptr(GError) error = NULL;

  step->tokens = amq_token_store_reload_finish (AMQ_TOKEN_STORE (source), result, &error);
  if (!step_current (step))
    {
      step_free (step);
      return;
    }
  if (error != NULL)
    g_info ("the sign-in could not be read again, refreshing with the one held: %s", error->message);
  if (step->tokens != NULL && step->tokens->refresh_token != NULL &&
      g_strcmp0 (step->tokens->refresh_token, self->credentials->refresh_token) != 0)
    {
      g_info ("the sign-in was rotated beside us: going on with the new refresh token");
      amq_secret_replace (&self->credentials->refresh_token, step->tokens->refresh_token);
    }
  if (step->tokens != NULL && usable (step->tokens->access_token, step->tokens->expires_at) &&
      g_strcmp0 (step->tokens->access_token, self->refused) != 0)
    use_access_token (self, step->tokens->access_token, step->tokens->expires_at, NULL);
  else
    send_refresh (self);
  step_free (step);
}

static void
start_refresh (AmqTokenManager *self)
{
  if (self->refresh != NULL || self->credentials == NULL || self->credentials->refresh_token == NULL)
    return;
  self->refresh = g_cancellable_new ();
  set_state (self, AMQ_TOKEN_STATE_REFRESHING, self->last_error);
  if (self->store != NULL && amq_token_store_can_reload (self->store))
    amq_token_store_reload_async (self->store, self->refresh, on_reloaded, step_new (self, NULL));
  else
    send_refresh (self);
}

void
amq_token_manager_get_token_async (AmqTokenManager *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_token_manager_get_token_async);
  if (token_is_fresh (self))
    {
      g_task_return_pointer (task, g_strdup (self->credentials->access_token), g_free);
      return;
    }
  if (self->credentials == NULL || self->credentials->refresh_token == NULL)
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
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
amq_token_manager_invalidate (AmqTokenManager *self, const char *access_token)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  if (self->credentials == NULL || g_strcmp0 (access_token, self->credentials->access_token) != 0)
    return;  /* already replaced */
  /* the store may still hold it, as another client left it: not that one again */
  amq_secret_replace (&self->refused, access_token);
  forget_access_token (self);
  set_state (self, AMQ_TOKEN_STATE_EXPIRED, NULL);
}

static void
cancel_refresh (AmqTokenManager *self)
{
  if (self->refresh != NULL)
    g_cancellable_cancel (self->refresh);
  g_clear_object (&self->refresh);
  g_clear_handle_id (&self->timer_id, g_source_remove);
}

void
amq_token_manager_set_credentials (AmqTokenManager *self, const AmqCredentialSet *credentials)
{
  g_autoptr(GError) replaced = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "credentials replaced");
  gboolean has_refresh;

  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  cancel_refresh (self);
  g_clear_pointer (&self->credentials, amq_credential_set_free);
  has_refresh = credentials != NULL && credentials->refresh_token != NULL && *credentials->refresh_token != '\0';
  if (has_refresh)
    {
      self->credentials = amq_credential_set_copy (credentials);
      if (!usable (self->credentials->access_token, self->credentials->expires_at))
        amq_secret_replace (&self->credentials->access_token, NULL);
    }
  self->backoff = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
  if (token_is_fresh (self))
    {
      set_state (self, AMQ_TOKEN_STATE_VALID, NULL);
      schedule (self, self->credentials->expires_at - g_get_real_time () / G_USEC_PER_SEC - AMQ_REFRESH_AHEAD_SECONDS);
      wake_waiters (self, NULL);
      return;
    }
  set_state (self, has_refresh ? AMQ_TOKEN_STATE_EXPIRED : AMQ_TOKEN_STATE_NO_CREDENTIALS, NULL);
  if (!g_queue_is_empty (&self->waiters))
    {
      if (has_refresh)
        start_refresh (self);
      else
        wake_waiters (self, replaced);
    }
}

void
amq_token_manager_set_store (AmqTokenManager *self, AmqTokenStore *store)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));
  g_return_if_fail (store == NULL || AMQ_IS_TOKEN_STORE (store));

  g_set_weak_pointer (&self->store, store);
}

void
amq_token_manager_set_endpoint (AmqTokenManager *self, const char *token_endpoint)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  g_free (self->endpoint);
  self->endpoint = token_endpoint && *token_endpoint ? g_strdup (token_endpoint) : NULL;
}

void
amq_token_manager_set_social_endpoint (AmqTokenManager *self, const char *social_endpoint)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  g_free (self->social_endpoint);
  self->social_endpoint = social_endpoint && *social_endpoint ? g_strdup (social_endpoint) : NULL;
}

void
amq_token_manager_set_timeout (AmqTokenManager *self, guint seconds)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  g_object_set (self->session, "timeout", seconds, NULL);
}

void
amq_token_manager_set_proxy_resolver (AmqTokenManager *self, GProxyResolver *resolver)
{
  g_return_if_fail (AMQ_IS_TOKEN_MANAGER (self));

  soup_session_set_proxy_resolver (self->session, resolver);
}

gboolean
amq_token_manager_has_credentials (AmqTokenManager *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (self), FALSE);

  return self->credentials != NULL;
}

AmqTokenState
amq_token_manager_get_state (AmqTokenManager *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (self), AMQ_TOKEN_STATE_NO_CREDENTIALS);

  return self->state;
}

gint64
amq_token_manager_get_expires_at (AmqTokenManager *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (self), 0);

  return self->credentials && self->credentials->access_token ? self->credentials->expires_at : 0;
}

const char *
amq_token_manager_get_last_error (AmqTokenManager *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (self), NULL);

  return self->last_error;
}

const char *
amq_token_manager_get_state_text (AmqTokenManager *self)
{
  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (self), NULL);

  switch (self->state)
    {
    case AMQ_TOKEN_STATE_NO_CREDENTIALS: return "no-credentials";
    case AMQ_TOKEN_STATE_EXPIRED:        return "expired";
    case AMQ_TOKEN_STATE_REFRESHING:     return "refreshing";
    case AMQ_TOKEN_STATE_VALID:          return "valid";
    case AMQ_TOKEN_STATE_SIGN_IN_NEEDED: return "sign-in-needed";
    case AMQ_TOKEN_STATE_NOT_SAVED:      return "not-saved";
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
    case PROP_EXPIRES_AT: g_value_set_int64 (value, amq_token_manager_get_expires_at (self)); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default:              G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_token_manager_dispose (GObject *object)
{
  AmqTokenManager *self = AMQ_TOKEN_MANAGER (object);
  g_autoptr(GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, "token manager disposed");

  cancel_refresh (self);
  wake_waiters (self, error);
  G_OBJECT_CLASS (amq_token_manager_parent_class)->dispose (object);
}

static void
amq_token_manager_finalize (GObject *object)
{
  AmqTokenManager *self = AMQ_TOKEN_MANAGER (object);

  g_clear_weak_pointer (&self->store);
  g_clear_object (&self->session);
  g_free (self->endpoint);
  g_free (self->social_endpoint);
  g_clear_pointer (&self->credentials, amq_credential_set_free);
  amq_secret_replace (&self->refused, NULL);
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
