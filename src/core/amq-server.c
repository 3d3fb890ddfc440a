/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server.c
 *
 * The local Anthropic Messages API (and OpenAI's Chat Completions and Responses): the object,
 * its settings and its listening state. The routes are in amq-server-routes.c, how each API
 * reads and writes in amq-server-front-ends.c, the generation call in amq-server-call.c, health and
 * models in amq-server-info.c, accepting connections in AmqListener; what a request must
 * be before its body is read is AmqRequestGuard's, after AmqAccessPolicy. */
#include "config.h"

#include <string.h>

#include "amq-server-private.h"
#include "amq-sse-writer.h"

G_DEFINE_FINAL_TYPE (AmqServer, amq_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_LISTENING,
  PROP_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A listening socket: GSocket's default backlog (10) resets connections when an agent opens
 * many at once. */
static GSocket *
listening_socket (GInetAddress *inet, guint port, GError **error)
{
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (inet, port);
  g_autoptr(GSocket) socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, error);

  if (socket == NULL)
    return NULL;
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_bind (socket, address, TRUE, error) || !g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static char *
url_for (GInetAddress *inet, guint port)
{
  g_autofree char *host = g_inet_address_to_string (inet);

  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("http://[%s]:%u", host, port);
  return g_strdup_printf ("http://%s:%u", host, port);
}

gboolean
amq_server_start (AmqServer *self, const char *address, guint port, GError **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(AmqListener) listener = NULL;

  g_return_val_if_fail (AMQ_IS_SERVER (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->listening)
    return TRUE;
  inet = g_inet_address_new_from_string (address ? address : "127.0.0.1");
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "'%s' is not an IP address", address);
      return FALSE;
    }
  if (!g_inet_address_get_is_loopback (inet) && self->api_key == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "listening on %s exposes your Amazon Q subscription: set a local API key first", address);
      return FALSE;
    }
  socket = listening_socket (inet, port, error);
  if (socket == NULL || (bound = g_socket_get_local_address (socket, error)) == NULL)
    return FALSE;
  listener = amq_listener_new (self->soup, AMQ_ACCEPT_AUTO);
  amq_listener_set_max_connections (listener, self->max_connections);
  if (!amq_listener_listen (listener, socket, error))
    return FALSE;
  self->listener = g_steal_pointer (&listener);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_free (self->address);
  self->address = g_inet_address_to_string (inet);
  amq_access_policy_set_listening (self->policy, self->address, self->port);
  amq_request_guard_set_listener (self->guard, self->listener);
  self->url = url_for (inet, self->port);
  self->listening = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  return TRUE;
}

void
amq_server_stop (AmqServer *self)
{
  g_return_if_fail (AMQ_IS_SERVER (self));

  if (!self->listening)
    return;
  amq_listener_stop (self->listener);
  amq_request_guard_set_listener (self->guard, NULL);
  g_clear_object (&self->listener);
  self->listening = FALSE;
  g_clear_pointer (&self->url, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
}

static void
on_answer_done (SoupServerMessage *msg, AmqServer *self)
{
  g_autoptr(GPtrArray) drains = NULL;

  /* "finished" and "disconnected" may both come: the answer counts once */
  if (g_object_steal_data (G_OBJECT (msg), "amq-answering") == NULL)
    return;
  g_signal_handlers_disconnect_by_func (msg, on_answer_done, self);
  if (--self->answering > 0)
    return;
  drains = g_steal_pointer (&self->drains);
  for (guint i = 0; drains != NULL && i < drains->len; i++)
    g_task_return_boolean (g_ptr_array_index (drains, i), TRUE);
}

void
amq_server_track_answer (AmqServer *self, SoupServerMessage *msg)
{
  g_assert (AMQ_IS_SERVER (self));
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));

  self->answering++;
  g_object_set_data (G_OBJECT (msg), "amq-answering", GINT_TO_POINTER (TRUE));
  g_signal_connect_object (msg, "finished", G_CALLBACK (on_answer_done), self, 0);
  g_signal_connect_object (msg, "disconnected", G_CALLBACK (on_answer_done), self, 0);
}

void
amq_server_drain_async (AmqServer *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AMQ_IS_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_server_drain_async);
  if (self->listener != NULL)
    amq_listener_close (self->listener);
  if (self->answering == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (self->drains == NULL)
    self->drains = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (self->drains, g_steal_pointer (&task));
}

gboolean
amq_server_drain_finish (AmqServer *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
amq_server_get_listening (AmqServer *self)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), FALSE);

  return self->listening;
}

const char *
amq_server_get_url (AmqServer *self)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), NULL);

  return self->url;
}

guint
amq_server_get_port (AmqServer *self)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), 0);

  return self->port;
}

AmqAccountPool *
amq_server_get_pool (AmqServer *self)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), NULL);

  return self->pool;
}

AmqRequestLog *
amq_server_get_request_log (AmqServer *self)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), NULL);

  return self->log;
}

void
amq_server_set_api_key (AmqServer *self, const char *api_key)
{
  g_return_if_fail (AMQ_IS_SERVER (self));

  g_free (self->api_key);
  self->api_key = api_key && *api_key ? g_strdup (api_key) : NULL;
}

void
amq_server_set_ping_interval (AmqServer *self, guint seconds)
{
  g_return_if_fail (AMQ_IS_SERVER (self));

  self->ping_interval = seconds;
}

gboolean
amq_server_set_allowed_hosts (AmqServer *self, const char * const *hosts, GError **error)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), FALSE);

  return amq_access_policy_set_allowed_hosts (self->policy, hosts, error);
}

gboolean
amq_server_set_allowed_origins (AmqServer *self, const char * const *origins, GError **error)
{
  g_return_val_if_fail (AMQ_IS_SERVER (self), FALSE);

  return amq_access_policy_set_allowed_origins (self->policy, origins, error);
}

void
amq_server_set_request_timeouts (AmqServer *self, guint header_seconds, guint body_seconds)
{
  g_return_if_fail (AMQ_IS_SERVER (self));

  amq_request_guard_set_timeouts (self->guard, header_seconds, body_seconds);
}

void
amq_server_set_max_connections (AmqServer *self, guint max_connections)
{
  g_return_if_fail (AMQ_IS_SERVER (self));

  self->max_connections = max_connections;
}

static void
amq_server_finalize (GObject *object)
{
  AmqServer *self = AMQ_SERVER (object);

  if (self->listener != NULL)
    amq_listener_stop (self->listener);
  g_clear_object (&self->listener);
  /* requests still in flight hold the guard: it lets go of the listener now */
  amq_request_guard_set_listener (self->guard, NULL);
  g_clear_object (&self->guard);
  g_clear_object (&self->policy);
  g_clear_object (&self->soup);
  g_clear_object (&self->pool);
  g_clear_pointer (&self->drains, g_ptr_array_unref);
  g_clear_object (&self->upstream);
  g_clear_object (&self->models);
  g_clear_object (&self->log);
  g_clear_object (&self->catalog);
  g_free (self->api_key);
  g_free (self->address);
  g_free (self->url);
  G_OBJECT_CLASS (amq_server_parent_class)->finalize (object);
}

static void
amq_server_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqServer *self = AMQ_SERVER (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      g_value_set_boolean (value, self->listening);
      break;
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_server_class_init (AmqServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = amq_server_finalize;
  object_class->get_property = amq_server_get_property;
  properties[PROP_LISTENING] = g_param_spec_boolean ("listening", NULL, NULL, FALSE,
                                                     G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* "http://127.0.0.1:8080" while listening, NULL when stopped */
  properties[PROP_URL] = g_param_spec_string ("url", NULL, NULL, NULL,
                                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_server_init (AmqServer *self)
{
  self->soup = soup_server_new ("server-header", "amq2api/" PACKAGE_VERSION, NULL);
  self->ping_interval = AMQ_SSE_PING_INTERVAL;
  self->started_at = g_get_monotonic_time ();
  self->log = amq_request_log_new (AMQ_REQUEST_LOG_DEFAULT_LIMIT);
  self->policy = amq_access_policy_new ();
  self->guard = amq_request_guard_new (self->soup, self->policy, self->log, AMQ_MAX_BODY_BYTES);
  amq_server_add_routes (self);
}

AmqServer *
amq_server_new (AmqAccountPool *pool, AmqUpstream *upstream, AmqModelMap *models)
{
  AmqServer *self;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), NULL);
  g_return_val_if_fail (AMQ_IS_UPSTREAM (upstream), NULL);
  g_return_val_if_fail (AMQ_IS_MODEL_MAP (models), NULL);

  self = g_object_new (AMQ_TYPE_SERVER, NULL);
  self->pool = g_object_ref (pool);
  self->upstream = g_object_ref (upstream);
  self->models = g_object_ref (models);
  self->catalog = amq_model_catalog_new (pool, upstream);
  return self;
}
