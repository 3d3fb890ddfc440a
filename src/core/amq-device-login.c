/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-device-login.c: register a public client, ask for a device code, poll /token. */
#include "config.h"

#include "amq-device-login.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "amq-error.h"
#include "amq-json.h"

struct _AmqDeviceLogin
{
  GObject      parent_instance;
  SoupSession *session;
  char        *endpoint;
  GTask       *task;
  char        *client_id;
  char        *client_secret;
  char        *device_code;
  guint        interval;
  gint64       deadline;
  guint        poll_id;
};

enum { SIGNAL_CODE, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (AmqDeviceLogin, amq_device_login, G_TYPE_OBJECT)

typedef void (*ReplyFunc) (AmqDeviceLogin *self, guint status, JsonObject *reply);

typedef struct {
  AmqDeviceLogin *self;
  ReplyFunc       func;
} Call;

static void
fail (AmqDeviceLogin *self, GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  if (task != NULL)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  g_autoptr(AmqDeviceLogin) self = call->self;
  ReplyFunc func = call->func;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *reply;

  g_free (call);
  if (self->task == NULL)
    return;
  if (body == NULL)
    {
      fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM, "sign-in failed: %s", error->message));
      return;
    }
  reply = amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (reply == NULL)
    {
      fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM,
                               "sign-in failed: AWS answered HTTP %u with no JSON", soup_message_get_status (msg)));
      return;
    }
  func (self, soup_message_get_status (msg), reply);
}

static void
post (AmqDeviceLogin *self, const char *path, JsonBuilder *b, ReplyFunc func)
{
  g_autofree char *url = g_strconcat (self->endpoint, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(JsonNode) root = json_builder_get_root (b);
  g_autofree char *json = json_to_string (root, FALSE);
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  Call *call = g_new (Call, 1);

  if (msg == NULL)
    {
      g_free (call);
      fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_API, "'%s' is not a valid sign-in URL", url));
      return;
    }
  call->self = g_object_ref (self);
  call->func = func;
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (self->task), on_reply, call);
}

static void
add (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

static void poll_token (AmqDeviceLogin *self);

static void
on_token (AmqDeviceLogin *self, guint status, JsonObject *reply)
{
  const char *code = amq_json_get_string (reply, "error");

  if (status == 200 && amq_json_get_string (reply, "refreshToken") != NULL)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->task);
      AmqCredentialSet *set = amq_credential_set_new ();

      set->refresh_token = g_strdup (json_object_get_string_member (reply, "refreshToken"));
      set->client_id = g_strdup (self->client_id);
      set->client_secret = g_strdup (self->client_secret);
      g_task_return_pointer (task, set, (GDestroyNotify) amq_credential_set_free);
      return;
    }
  if (g_strcmp0 (code, "slow_down") == 0)
    self->interval += 5;
  if ((g_strcmp0 (code, "authorization_pending") == 0 || g_strcmp0 (code, "slow_down") == 0) &&
      g_get_monotonic_time () < self->deadline)
    {
      poll_token (self);
      return;
    }
  fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, "sign-in did not complete: %s",
                           code ? code : "the code expired"));
}

static gboolean
on_poll (gpointer user_data)
{
  AmqDeviceLogin *self = user_data;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  self->poll_id = 0;
  json_builder_begin_object (b);
  add (b, "clientId", self->client_id);
  add (b, "clientSecret", self->client_secret);
  add (b, "deviceCode", self->device_code);
  add (b, "grantType", "urn:ietf:params:oauth:grant-type:device_code");
  json_builder_end_object (b);
  post (self, "/token", b, on_token);
  return G_SOURCE_REMOVE;
}

static void
poll_token (AmqDeviceLogin *self)
{
  self->poll_id = g_timeout_add_seconds (MAX (self->interval, 1), on_poll, self);
}

static void
on_device_authorization (AmqDeviceLogin *self, guint status, JsonObject *reply)
{
  const char *user_code = amq_json_get_string (reply, "userCode");
  const char *uri = amq_json_get_string (reply, "verificationUriComplete");
  const char *device_code = amq_json_get_string (reply, "deviceCode");

  if (status != 200 || user_code == NULL || uri == NULL || device_code == NULL)
    {
      fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM, "sign-in failed: no device code (HTTP %u)", status));
      return;
    }
  self->device_code = g_strdup (device_code);
  self->interval = amq_json_get_int (reply, "interval", 5);
  self->deadline = g_get_monotonic_time () +
                   amq_json_get_int (reply, "expiresIn", 600) * G_USEC_PER_SEC;
  g_signal_emit (self, signals[SIGNAL_CODE], 0, user_code, uri);
  poll_token (self);
}

static void
on_registered (AmqDeviceLogin *self, guint status, JsonObject *reply)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  self->client_id = g_strdup (amq_json_get_string (reply, "clientId"));
  self->client_secret = g_strdup (amq_json_get_string (reply, "clientSecret"));
  if (status != 200 || self->client_id == NULL || self->client_secret == NULL)
    {
      fail (self, g_error_new (AMQ_ERROR, AMQ_ERROR_UPSTREAM, "sign-in failed: client registration refused (HTTP %u)", status));
      return;
    }
  json_builder_begin_object (b);
  add (b, "clientId", self->client_id);
  add (b, "clientSecret", self->client_secret);
  add (b, "startUrl", AMQ_BUILDER_ID_START_URL);
  json_builder_end_object (b);
  post (self, "/device_authorization", b, on_device_authorization);
}

void
amq_device_login_run_async (AmqDeviceLogin *self, GCancellable *cancellable,
                            GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_if_fail (AMQ_IS_DEVICE_LOGIN (self));
  g_return_if_fail (self->task == NULL);
  self->task = g_task_new (self, cancellable, callback, user_data);
  json_builder_begin_object (b);
  add (b, "clientName", "Amq2Api");
  add (b, "clientType", "public");
  json_builder_set_member_name (b, "scopes");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, "codewhisperer:completions");
  json_builder_add_string_value (b, "codewhisperer:analysis");
  json_builder_add_string_value (b, "codewhisperer:conversations");
  json_builder_end_array (b);
  json_builder_end_object (b);
  post (self, "/client/register", b, on_registered);
}

AmqCredentialSet *
amq_device_login_run_finish (AmqDeviceLogin *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (AMQ_IS_DEVICE_LOGIN (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
amq_device_login_finalize (GObject *object)
{
  AmqDeviceLogin *self = AMQ_DEVICE_LOGIN (object);

  g_clear_handle_id (&self->poll_id, g_source_remove);
  g_clear_object (&self->session);
  g_free (self->endpoint);
  g_free (self->client_id);
  g_free (self->client_secret);
  g_free (self->device_code);
  G_OBJECT_CLASS (amq_device_login_parent_class)->finalize (object);
}

static void
amq_device_login_class_init (AmqDeviceLoginClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_device_login_finalize;
  signals[SIGNAL_CODE] = g_signal_new ("code", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
amq_device_login_init (AmqDeviceLogin *self)
{
  self->session = soup_session_new_with_options ("timeout", 30, NULL);
}

AmqDeviceLogin *
amq_device_login_new (const char *oidc_endpoint)
{
  AmqDeviceLogin *self = g_object_new (AMQ_TYPE_DEVICE_LOGIN, NULL);

  self->endpoint = g_strdup (oidc_endpoint && *oidc_endpoint ? oidc_endpoint : AMQ_DEFAULT_OIDC_ENDPOINT);
  return self;
}
