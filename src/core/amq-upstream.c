/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-upstream.c: the HTTP calls to Amazon Q */
#include "config.h"

#include "amq-upstream.h"

#include <string.h>

#include "amq-json.h"

/* libsoup 3.2 walks a session's whole queue on every step of every message: one session
 * carrying 1,000 streams spent 17 s of CPU where sessions of two spent 10 s. So: sessions at
 * libsoup's default of two connections, as many as the concurrent requests need, each
 * request on the least busy one. */
#define REQUESTS_PER_SESSION 2
#define MAX_SESSIONS 1024
/* After a burst, idle sessions beyond these go with their connections and memory. */
#define IDLE_SESSIONS_KEPT 4

typedef struct {
  AmqUpstream *owner;    /* NULL once the upstream is going away */
  SoupSession *session;
  guint        in_flight;
} Lane;

struct _AmqUpstream
{
  GObject         parent_instance;
  GPtrArray      *lanes;          /* Lane */
  char           *endpoint;
  char           *origin;
  gsize           max_request_bytes;
  guint           idle_timeout;
  gboolean        proxy_set;      /* FALSE: the desktop's settings */
  GProxyResolver *proxy_resolver; /* NULL once set: direct connections */
};

G_DEFINE_FINAL_TYPE (AmqUpstream, amq_upstream, G_TYPE_OBJECT)

static void
lane_free (gpointer data)
{
  Lane *lane = data;

  g_object_unref (lane->session);
  g_free (lane);
}

static gboolean
free_lane (gpointer data)
{
  lane_free (data);
  return G_SOURCE_REMOVE;
}

static guint
count_idle_lanes (AmqUpstream *self)
{
  guint idle = 0;

  for (guint i = 0; i < self->lanes->len; i++)
    idle += ((Lane *) g_ptr_array_index (self->lanes, i))->in_flight == 0;
  return idle;
}

static void
configure_session (AmqUpstream *self, SoupSession *session)
{
  g_object_set (session, "timeout", self->idle_timeout, NULL);
  if (self->proxy_set)
    soup_session_set_proxy_resolver (session, self->proxy_resolver);
}

/* The least busy lane, a new one when all are full. */
static Lane *
pick_lane (AmqUpstream *self)
{
  Lane *best = NULL;

  for (guint i = 0; i < self->lanes->len; i++)
    {
      Lane *lane = g_ptr_array_index (self->lanes, i);

      if (best == NULL || lane->in_flight < best->in_flight)
        best = lane;
    }
  if (best == NULL || (best->in_flight >= REQUESTS_PER_SESSION && self->lanes->len < MAX_SESSIONS))
    {
      best = g_new0 (Lane, 1);
      best->owner = self;
      best->session = soup_session_new_with_options ("idle-timeout", 60, NULL);
      configure_session (self, best->session);
      g_ptr_array_add (self->lanes, best);
    }
  return best;
}

static void
on_message_finished (SoupMessage *msg, gpointer user_data)
{
  Lane *lane = user_data;

  lane->in_flight--;
  g_signal_handlers_disconnect_by_func (msg, on_message_finished, user_data);
  if (lane->in_flight == 0 && lane->owner != NULL && count_idle_lanes (lane->owner) > IDLE_SESSIONS_KEPT)
    {
      guint index;

      g_ptr_array_find (lane->owner->lanes, lane, &index);
      g_ptr_array_steal_index_fast (lane->owner->lanes, index);
      /* libsoup is still inside this session: let it return first */
      g_idle_add (free_lane, lane);
    }
}

/* Sends @msg on a lane; the lane counts it until libsoup is done with it. */
static SoupSession *
session_for (AmqUpstream *self, SoupMessage *msg)
{
  Lane *lane = pick_lane (self);

  lane->in_flight++;
  g_signal_connect (msg, "finished", G_CALLBACK (on_message_finished), lane);
  return lane->session;
}

char *
amq_upstream_endpoint_for_profile (const char *profile_arn)
{
  g_auto(GStrv) fields = NULL;

  if (profile_arn == NULL)
    return NULL;
  fields = g_strsplit (profile_arn, ":", 6);
  if (g_strv_length (fields) >= 4 && g_str_equal (fields[3], "eu-central-1"))
    return g_strdup ("https://q.eu-central-1.amazonaws.com");
  return NULL;
}

static SoupMessage *
new_call (AmqUpstream *self, const char *target, const char *access_token, const char *body)
{
  g_autofree char *url = g_strconcat (self->endpoint, g_str_has_suffix (self->endpoint, "/") ? "" : "/", NULL);
  SoupMessage *msg = soup_message_new ("POST", url);
  g_autofree char *auth = NULL;
  g_autofree char *invocation = NULL;
  g_autoptr(GBytes) bytes = NULL;
  SoupMessageHeaders *headers;

  if (msg == NULL)
    return NULL;
  auth = g_strconcat ("Bearer ", access_token, NULL);
  invocation = g_uuid_string_random ();
  bytes = g_bytes_new (body, strlen (body));
  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Authorization", auth);
  soup_message_headers_replace (headers, "X-Amz-Target", target);
  soup_message_headers_replace (headers, "User-Agent", AMQ_USER_AGENT);
  soup_message_headers_replace (headers, "X-Amz-User-Agent", AMQ_USER_AGENT);
  soup_message_headers_replace (headers, "X-Amzn-Codewhisperer-Optout", "true");
  soup_message_headers_replace (headers, "Amz-Sdk-Request", "attempt=1; max=3");
  soup_message_headers_replace (headers, "Amz-Sdk-Invocation-Id", invocation);
  soup_message_set_request_body_from_bytes (msg, "application/x-amz-json-1.0", bytes);
  /* libsoup sends a POST on a new connection unless the message is flagged idempotent, and a
   * reused connection saves a TLS handshake. The flag chooses the connection and nothing else:
   * libsoup 3.2 resends after a dropped connection only for methods idempotent by name. Amazon
   * Q never redirects, and following a redirect would send the call, token and all, again. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT | SOUP_MESSAGE_NO_REDIRECT);
  return msg;
}

/* ---- a generation call goes out once ---- */

/* Amazon Q may bill every GenerateAssistantResponse it receives, so none is sent twice:
 * libsoup would send one again after a 421 Misdirected Request (and after whatever a later
 * version adds), and every such resend passes the message's "restarted" signal, which
 * cancels it instead. The cancellable libsoup sees is this one, cancelled by the caller's
 * too, for as long as the message lives. */
typedef struct {
  GCancellable *cancellable;
  GCancellable *caller;
  gulong        caller_handler;
  gboolean      resend_refused;
  char         *refused_answer;  /* the answer libsoup wanted to send it again after, if any */
} SendOnce;

static GQuark
send_once_quark (void)
{
  return g_quark_from_static_string ("amq-upstream-send-once");
}

static void
send_once_free (gpointer data)
{
  SendOnce *once = data;

  if (once->caller != NULL)
    {
      g_cancellable_disconnect (once->caller, once->caller_handler);
      g_object_unref (once->caller);
    }
  g_object_unref (once->cancellable);
  g_free (once->refused_answer);
  g_free (once);
}

static void
on_caller_cancelled (GCancellable *caller, gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
on_restarted (SoupMessage *msg, gpointer user_data)
{
  SendOnce *once = user_data;

  /* this runs before libsoup clears the answer that made it restart */
  once->resend_refused = TRUE;
  if (soup_message_get_status (msg) != 0)
    once->refused_answer = g_strdup_printf ("Amazon Q answered HTTP %u %s", soup_message_get_status (msg),
                                            soup_message_get_reason_phrase (msg));
  g_cancellable_cancel (once->cancellable);
}

/* The cancellable to send @msg with: cancelled by @caller, and before any second send. */
static GCancellable *
send_once (SoupMessage *msg, GCancellable *caller)
{
  SendOnce *once = g_new0 (SendOnce, 1);

  once->cancellable = g_cancellable_new ();
  if (caller != NULL)
    {
      once->caller = g_object_ref (caller);
      once->caller_handler = g_cancellable_connect (caller, G_CALLBACK (on_caller_cancelled), once->cancellable, NULL);
    }
  g_signal_connect (msg, "restarted", G_CALLBACK (on_restarted), once);
  g_object_set_qdata_full (G_OBJECT (msg), send_once_quark (), once, send_once_free);
  return once->cancellable;
}

/* The error for a send that failed: a refused resend says what happened. */
static GError *
send_error (SoupMessage *msg, GError *error)
{
  SendOnce *once = g_object_get_qdata (G_OBJECT (msg), send_once_quark ());
  GError *refusal;

  if (!once->resend_refused || (once->caller != NULL && g_cancellable_is_cancelled (once->caller)))
    return error;
  refusal = g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED, "%s, and the request was not sent a second time "
                         "(Amazon Q may bill each one)",
                         once->refused_answer != NULL ? once->refused_answer : error->message);
  g_error_free (error);
  return refusal;
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GInputStream *stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);

  if (stream == NULL)
    {
      g_task_return_error (task, send_error (g_task_get_task_data (task), error));
      return;
    }
  /* answered: the message would otherwise hold the whole conversation until the stream ends */
  soup_message_set_request_body_from_bytes (g_task_get_task_data (task), NULL, NULL);
  g_task_return_pointer (task, stream, g_object_unref);
}

/* FALSE when no message could be made of the endpoint: then @task, which it takes, has failed. */
static gboolean
have_message (AmqUpstream *self, SoupMessage *msg, GTask *task)
{
  if (msg != NULL)
    return TRUE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "the Amazon Q endpoint '%s' is not a valid URL", self->endpoint);
  g_object_unref (task);
  return FALSE;
}

void
amq_upstream_send_async (AmqUpstream         *self,
                         const char          *body,
                         const char          *access_token,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(SoupMessage) msg = NULL;
  GTask *task;

  g_return_if_fail (AMQ_IS_UPSTREAM (self));
  g_return_if_fail (body != NULL && access_token != NULL);

  msg = new_call (self, "AmazonCodeWhispererStreamingService.GenerateAssistantResponse", access_token, body);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_upstream_send_async);
  if (!have_message (self, msg, task))
    return;
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);
  soup_session_send_async (session_for (self, msg), msg, G_PRIORITY_DEFAULT, send_once (msg, cancellable),
                           on_sent, task);
}

GInputStream *
amq_upstream_send_finish (AmqUpstream   *self,
                          GAsyncResult  *result,
                          SoupMessage  **message,
                          GError       **error)
{
  g_return_val_if_fail (AMQ_IS_UPSTREAM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  if (message != NULL)
    *message = g_object_ref (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* What a JSON call (every call but the stream) must answer: an object, or with @list, the array
 * that member of it holds. Anything else fails the call as "@name answered HTTP N@lacking". */
typedef struct {
  const char *name;
  const char *list;
  const char *lacking;
} JsonAnswer;

static const JsonAnswer model_list = { "ListAvailableModels", "models", " without a model list" };
static const JsonAnswer usage_limits = { "getUsageLimits", NULL, "" };

/* For a send_and_read whose task data is its JsonAnswer. */
static void
on_json_answer (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const JsonAnswer *wanted = g_task_get_task_data (task);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  GError *error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonNode *list;

  if (body == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  root = amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  list = root != NULL && wanted->list != NULL ? json_object_get_member (root, wanted->list) : NULL;
  if (soup_message_get_status (msg) != SOUP_STATUS_OK || root == NULL ||
      (wanted->list != NULL && (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s answered HTTP %u%s", wanted->name,
                             soup_message_get_status (msg), wanted->lacking);
  else if (wanted->list != NULL)
    g_task_return_pointer (task, json_array_ref (json_node_get_array (list)), (GDestroyNotify) json_array_unref);
  else
    g_task_return_pointer (task, json_object_ref (root), (GDestroyNotify) json_object_unref);
}

void
amq_upstream_list_models_async (AmqUpstream *self, const char *access_token, const char *profile_arn,
                                GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  g_autofree char *origin = NULL;
  g_autofree char *body = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  g_return_if_fail (AMQ_IS_UPSTREAM (self));
  g_return_if_fail (access_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  origin = amq_json_quote (self->origin);
  if (profile_arn != NULL)
    {
      g_autofree char *quoted = amq_json_quote (profile_arn);
      body = g_strdup_printf ("{\"origin\":%s,\"profileArn\":%s}", origin, quoted);
    }
  else
    body = g_strdup_printf ("{\"origin\":%s}", origin);
  msg = new_call (self, "AmazonCodeWhispererService.ListAvailableModels", access_token, body);
  if (!have_message (self, msg, task))
    return;
  g_task_set_task_data (task, (gpointer) &model_list, NULL);
  soup_session_send_and_read_async (session_for (self, msg), msg, G_PRIORITY_DEFAULT, cancellable, on_json_answer,
                                    task);
}

JsonArray *
amq_upstream_list_models_finish (AmqUpstream *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (AMQ_IS_UPSTREAM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
amq_upstream_set_endpoint (AmqUpstream *self, const char *endpoint)
{
  g_return_if_fail (AMQ_IS_UPSTREAM (self));

  g_free (self->endpoint);
  self->endpoint = g_strdup (endpoint && *endpoint ? endpoint : AMQ_DEFAULT_API_ENDPOINT);
}

void
amq_upstream_set_origin (AmqUpstream *self, const char *origin)
{
  g_return_if_fail (AMQ_IS_UPSTREAM (self));

  g_free (self->origin);
  self->origin = g_strdup (origin && *origin ? origin : AMQ_DEFAULT_ORIGIN);
}

const char *
amq_upstream_get_origin (AmqUpstream *self)
{
  g_return_val_if_fail (AMQ_IS_UPSTREAM (self), NULL);

  return self->origin;
}

void
amq_upstream_set_max_request_bytes (AmqUpstream *self, gsize bytes)
{
  g_return_if_fail (AMQ_IS_UPSTREAM (self));

  self->max_request_bytes = bytes;
}

gsize
amq_upstream_get_max_request_bytes (AmqUpstream *self)
{
  g_return_val_if_fail (AMQ_IS_UPSTREAM (self), 0);

  return self->max_request_bytes;
}


void
amq_upstream_set_idle_timeout (AmqUpstream *self, guint seconds)
{
  g_return_if_fail (AMQ_IS_UPSTREAM (self));

  self->idle_timeout = seconds;
  for (guint i = 0; i < self->lanes->len; i++)
    configure_session (self, ((Lane *) g_ptr_array_index (self->lanes, i))->session);
}

void
amq_upstream_set_proxy_resolver (AmqUpstream *self, GProxyResolver *resolver)
{
  g_return_if_fail (AMQ_IS_UPSTREAM (self));
  g_return_if_fail (resolver == NULL || G_IS_PROXY_RESOLVER (resolver));

  self->proxy_set = TRUE;
  g_set_object (&self->proxy_resolver, resolver);
  for (guint i = 0; i < self->lanes->len; i++)
    configure_session (self, ((Lane *) g_ptr_array_index (self->lanes, i))->session);
}

guint
amq_upstream_get_idle_timeout (AmqUpstream *self)
{
  g_return_val_if_fail (AMQ_IS_UPSTREAM (self), 0);

  return self->idle_timeout;
}

static void
amq_upstream_finalize (GObject *object)
{
  AmqUpstream *self = AMQ_UPSTREAM (object);

  /* finish every message while its lane still exists to count it */
  for (guint i = 0; i < self->lanes->len; i++)
    ((Lane *) g_ptr_array_index (self->lanes, i))->owner = NULL;
  for (guint i = 0; i < self->lanes->len; i++)
    soup_session_abort (((Lane *) g_ptr_array_index (self->lanes, i))->session);
  g_ptr_array_unref (self->lanes);
  g_clear_object (&self->proxy_resolver);
  g_free (self->endpoint);
  g_free (self->origin);
  G_OBJECT_CLASS (amq_upstream_parent_class)->finalize (object);
}

static void
amq_upstream_class_init (AmqUpstreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_upstream_finalize;
}

static void
amq_upstream_init (AmqUpstream *self)
{
  self->lanes = g_ptr_array_new_with_free_func (lane_free);
  self->origin = g_strdup (AMQ_DEFAULT_ORIGIN);
  self->max_request_bytes = AMQ_DEFAULT_MAX_REQUEST_BYTES;
  amq_upstream_set_idle_timeout (self, AMQ_DEFAULT_IDLE_TIMEOUT);
}

AmqUpstream *
amq_upstream_new (const char *endpoint)
{
  AmqUpstream *self = g_object_new (AMQ_TYPE_UPSTREAM, NULL);

  amq_upstream_set_endpoint (self, endpoint);
  return self;
}

void
amq_upstream_get_usage_limits_async (AmqUpstream *self, const char *access_token, const char *profile_arn,
                                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  g_autoptr(GString) url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *profile = NULL;
  g_autofree char *auth = NULL;

  g_return_if_fail (AMQ_IS_UPSTREAM (self));
  g_return_if_fail (access_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_upstream_get_usage_limits_async);
  origin = g_uri_escape_string (self->origin, NULL, FALSE);
  url = g_string_new (self->endpoint);
  if (!g_str_has_suffix (url->str, "/"))
    g_string_append_c (url, '/');
  g_string_append_printf (url, "getUsageLimits?origin=%s&resourceType=AGENTIC_REQUEST", origin);
  if (profile_arn != NULL)
    {
      profile = g_uri_escape_string (profile_arn, NULL, FALSE);
      g_string_append_printf (url, "&profileArn=%s", profile);
    }
  msg = soup_message_new (SOUP_METHOD_GET, url->str);
  if (!have_message (self, msg, task))
    return;
  auth = g_strconcat ("Bearer ", access_token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "User-Agent", AMQ_USER_AGENT);
  g_task_set_task_data (task, (gpointer) &usage_limits, NULL);
  soup_session_send_and_read_async (session_for (self, msg), msg, G_PRIORITY_DEFAULT, cancellable, on_json_answer,
                                    task);
}

JsonObject *
amq_upstream_get_usage_limits_finish (AmqUpstream *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
