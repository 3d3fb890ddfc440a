/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-health.c
 *
 * A resting account comes back by itself once its time is up; nothing wakes to tell: the
 * status is worked out when asked, and "status" is notified when a report changes it. */
#include "config.h"

#include "amq-account-health.h"

#include "amq-enums.h"
#include "amq-error.h"

/* without a Retry-After: how long a throttled or overloaded account rests */
#define THROTTLE_REST_SECONDS  60
#define CAPACITY_REST_SECONDS  30
/* a used-up quota with no reset date known: try again after this */
#define QUOTA_REST_SECONDS     (6 * 3600)

struct _AmqAccountHealth
{
  GObject          parent_instance;
  AmqTokenManager *tokens;
  gboolean         enabled;
  gboolean         suspended;
  gboolean         exhausted;    /* else resting means cooling */
  gint64           rest_until;   /* Unix seconds; 0 not resting */
  AmqCredits      *credits;
  guint64          requests;
  char            *last_error;
};

enum { PROP_0, PROP_STATUS, PROP_ENABLED, PROP_CREDITS, PROP_REQUESTS, PROP_LAST_ERROR, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AmqAccountHealth, amq_account_health, G_TYPE_OBJECT)

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

AmqAccountStatus
amq_account_health_get_status (AmqAccountHealth *self)
{
  AmqTokenState state;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), AMQ_ACCOUNT_DISABLED);

  state = amq_token_manager_get_state (self->tokens);
  if (!self->enabled)
    return AMQ_ACCOUNT_DISABLED;
  if (state == AMQ_TOKEN_STATE_SIGN_IN_NEEDED || state == AMQ_TOKEN_STATE_NO_CREDENTIALS)
    return AMQ_ACCOUNT_SIGNIN_NEEDED;
  if (self->suspended)
    return AMQ_ACCOUNT_SUSPENDED;
  if (self->rest_until > now ())
    return self->exhausted ? AMQ_ACCOUNT_EXHAUSTED : AMQ_ACCOUNT_COOLING;
  return AMQ_ACCOUNT_READY;
}

const char *
amq_account_status_to_string (AmqAccountStatus status)
{
  switch (status)
    {
    case AMQ_ACCOUNT_READY:         return "ready";
    case AMQ_ACCOUNT_COOLING:       return "cooling";
    case AMQ_ACCOUNT_EXHAUSTED:     return "exhausted";
    case AMQ_ACCOUNT_SUSPENDED:     return "suspended";
    case AMQ_ACCOUNT_SIGNIN_NEEDED: return "signin-needed";
    case AMQ_ACCOUNT_DISABLED:
    default:                        return "disabled";
    }
}

gint64
amq_account_health_get_available_at (AmqAccountHealth *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), G_MAXINT64);

  switch (amq_account_health_get_status (self))
    {
    case AMQ_ACCOUNT_READY:
      return 0;
    case AMQ_ACCOUNT_COOLING:
    case AMQ_ACCOUNT_EXHAUSTED:
      return self->rest_until;
    case AMQ_ACCOUNT_SUSPENDED:
    case AMQ_ACCOUNT_SIGNIN_NEEDED:
    case AMQ_ACCOUNT_DISABLED:
    default:
      return G_MAXINT64;
    }
}

static void
set_last_error (AmqAccountHealth *self, const char *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;
  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

static void
rest (AmqAccountHealth *self, gboolean exhausted, gint64 seconds)
{
  self->exhausted = exhausted;
  self->rest_until = now () + MAX (seconds, 1);
}

gboolean
amq_account_health_report_failure (AmqAccountHealth *self, const GError *error)
{
  AmqAccountStatus before;
  gint64 retry_after;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), FALSE);
  g_return_val_if_fail (error != NULL, FALSE);

  before = amq_account_health_get_status (self);
  retry_after = amq_error_get_retry_after (error);
  set_last_error (self, error->message);
  if (amq_error_is_account_suspended (error))
    self->suspended = TRUE;
  else if (amq_error_is_quota_used_up (error))
    {
      gint64 reset = self->credits && self->credits->resets_at > now () ? self->credits->resets_at - now () : 0;

      rest (self, TRUE, retry_after > 0 ? retry_after : reset > 0 ? reset : QUOTA_REST_SECONDS);
    }
  else if (g_error_matches (error, AMQ_ERROR, AMQ_ERROR_RATE_LIMIT))
    rest (self, FALSE, retry_after > 0 ? retry_after : THROTTLE_REST_SECONDS);
  else if (g_error_matches (error, AMQ_ERROR, AMQ_ERROR_OVERLOADED))
    rest (self, FALSE, retry_after > 0 ? retry_after : CAPACITY_REST_SECONDS);
  else if (amq_account_health_get_status (self) != AMQ_ACCOUNT_SIGNIN_NEEDED)
    return FALSE;
  if (amq_account_health_get_status (self) != before)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  return TRUE;
}

void
amq_account_health_report_success (AmqAccountHealth *self)
{
  g_return_if_fail (AMQ_IS_ACCOUNT_HEALTH (self));

  self->requests++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REQUESTS]);
}

gboolean
amq_account_health_get_enabled (AmqAccountHealth *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), FALSE);

  return self->enabled;
}

/* Switching an account on again also gives it a fresh start: no rest, not suspended. */
void
amq_account_health_set_enabled (AmqAccountHealth *self, gboolean enabled)
{
  g_return_if_fail (AMQ_IS_ACCOUNT_HEALTH (self));

  if (self->enabled == !!enabled)
    return;
  self->enabled = !!enabled;
  if (enabled)
    {
      self->suspended = FALSE;
      self->rest_until = 0;
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

const AmqCredits *
amq_account_health_get_credits (AmqAccountHealth *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), NULL);

  return self->credits;
}

void
amq_account_health_set_credits (AmqAccountHealth *self, const AmqCredits *credits)
{
  g_return_if_fail (AMQ_IS_ACCOUNT_HEALTH (self));

  g_clear_pointer (&self->credits, amq_credits_free);
  self->credits = credits ? amq_credits_copy (credits) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREDITS]);
}

guint64
amq_account_health_get_requests (AmqAccountHealth *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), 0);

  return self->requests;
}

const char *
amq_account_health_get_last_error (AmqAccountHealth *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_HEALTH (self), NULL);

  return self->last_error;
}

static void
on_token_state (AmqAccountHealth *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
amq_account_health_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqAccountHealth *self = AMQ_ACCOUNT_HEALTH (object);

  switch (prop_id)
    {
    case PROP_STATUS:     g_value_set_enum (value, amq_account_health_get_status (self)); break;
    case PROP_ENABLED:    g_value_set_boolean (value, self->enabled); break;
    case PROP_CREDITS:    g_value_set_pointer (value, self->credits); break;
    case PROP_REQUESTS:   g_value_set_uint64 (value, self->requests); break;
    case PROP_LAST_ERROR: g_value_set_string (value, self->last_error); break;
    default:              G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_account_health_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  AmqAccountHealth *self = AMQ_ACCOUNT_HEALTH (object);

  switch (prop_id)
    {
    case PROP_ENABLED: amq_account_health_set_enabled (self, g_value_get_boolean (value)); break;
    default:           G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_account_health_finalize (GObject *object)
{
  AmqAccountHealth *self = AMQ_ACCOUNT_HEALTH (object);

  g_signal_handlers_disconnect_by_data (self->tokens, self);
  g_clear_object (&self->tokens);
  g_clear_pointer (&self->credits, amq_credits_free);
  g_free (self->last_error);
  G_OBJECT_CLASS (amq_account_health_parent_class)->finalize (object);
}

static void
amq_account_health_class_init (AmqAccountHealthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags read_only = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = amq_account_health_get_property;
  object_class->set_property = amq_account_health_set_property;
  object_class->finalize = amq_account_health_finalize;
  properties[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, AMQ_TYPE_ACCOUNT_STATUS, AMQ_ACCOUNT_READY,
                                               read_only);
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, TRUE,
                                                   G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* an AmqCredits, NULL until known */
  properties[PROP_CREDITS] = g_param_spec_pointer ("credits", NULL, NULL, read_only);
  properties[PROP_REQUESTS] = g_param_spec_uint64 ("requests", NULL, NULL, 0, G_MAXUINT64, 0, read_only);
  properties[PROP_LAST_ERROR] = g_param_spec_string ("last-error", NULL, NULL, NULL, read_only);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_account_health_init (AmqAccountHealth *self)
{
  self->enabled = TRUE;
}

AmqAccountHealth *
amq_account_health_new (AmqTokenManager *tokens)
{
  AmqAccountHealth *self;

  g_return_val_if_fail (AMQ_IS_TOKEN_MANAGER (tokens), NULL);

  self = g_object_new (AMQ_TYPE_ACCOUNT_HEALTH, NULL);
  self->tokens = g_object_ref (tokens);
  g_signal_connect_swapped (tokens, "notify::state", G_CALLBACK (on_token_state), self);
  return self;
}
