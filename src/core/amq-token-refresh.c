/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-refresh.c */
#include "config.h"

#include "amq-token-refresh.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-error.h"
#include "amq-json.h"

static char *
endpoint_for (const AmqCredentialSet *credentials, const char *oidc_endpoint, const char *social_endpoint)
{
  const char *region = credentials->region ? credentials->region : "us-east-1";

  if (credentials->kind == AMQ_CREDENTIAL_SOCIAL)
    return social_endpoint ? g_strdup (social_endpoint)
                           : g_strdup_printf ("https://prod.%s.auth.desktop.kiro.dev/refreshToken", region);
  return oidc_endpoint ? g_strdup (oidc_endpoint) : g_strdup_printf ("https://oidc.%s.amazonaws.com/token", region);
}

static char *
request_body (const AmqCredentialSet *credentials)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  if (credentials->kind != AMQ_CREDENTIAL_SOCIAL)
    {
      json_builder_set_member_name (b, "grantType");
      json_builder_add_string_value (b, "refresh_token");
      json_builder_set_member_name (b, "clientId");
      json_builder_add_string_value (b, credentials->client_id ? credentials->client_id : "");
      json_builder_set_member_name (b, "clientSecret");
      json_builder_add_string_value (b, credentials->client_secret ? credentials->client_secret : "");
    }
  json_builder_set_member_name (b, "refreshToken");
  json_builder_add_string_value (b, credentials->refresh_token);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

static GError *
refusal (guint status, JsonObject *reply, gboolean social)
{
  const char *code = reply ? amq_json_get_string (reply, "error") : NULL;
  const char *message = reply ? amq_json_get_string (reply, "message") : NULL;
  /* SSO-OIDC names a dead sign-in; Kiro's endpoint answers it with 400 or 401 */
  gboolean over = g_strcmp0 (code, "invalid_grant") == 0 || g_strcmp0 (code, "invalid_client") == 0 ||
                  g_strcmp0 (code, "unauthorized_client") == 0 ||
                  (social && (status == SOUP_STATUS_BAD_REQUEST || status == SOUP_STATUS_UNAUTHORIZED));

  if (over)
    return g_error_new (AMQ_ERROR, AMQ_ERROR_AUTHENTICATION,
                        "Amazon Q sign-in needed: the refresh token was refused (%s); sign in again",
                        code ? code : message ? message : soup_status_get_phrase (status));
  return g_error_new (AMQ_ERROR, status == 429 ? AMQ_ERROR_RATE_LIMIT : AMQ_ERROR_UPSTREAM,
                      "token refresh failed: HTTP %u%s%s", status, code ? " " : "", code ? code : "");
}

static void
on_response (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  gboolean social = GPOINTER_TO_INT (g_task_get_task_data (task));
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *reply;
  AmqCredentialSet *tokens;
  guint status;

  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, AMQ_ERROR,
                                 g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ? AMQ_ERROR_TIMEOUT
                                                                                          : AMQ_ERROR_UPSTREAM,
                                 "token refresh failed: %s", error->message);
      return;
    }
  status = soup_message_get_status (msg);
  reply = amq_json_parse_object (parser, g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  if (status != SOUP_STATUS_OK)
    {
      g_task_return_error (task, refusal (status, reply, social));
      return;
    }
  if (reply == NULL || amq_json_get_string (reply, "accessToken") == NULL)
    {
      g_task_return_new_error (task, AMQ_ERROR, AMQ_ERROR_UPSTREAM,
                               "token refresh failed: the token endpoint sent no access token");
      return;
    }
  tokens = amq_credential_set_new ();
  tokens->access_token = g_strdup (amq_json_get_string (reply, "accessToken"));
  tokens->expires_at = g_get_real_time () / G_USEC_PER_SEC + MAX (amq_json_get_int (reply, "expiresIn", 3600), 60);
  if (amq_json_get_string (reply, "refreshToken") != NULL && *amq_json_get_string (reply, "refreshToken") != '\0')
    tokens->refresh_token = g_strdup (amq_json_get_string (reply, "refreshToken"));
  tokens->profile_arn = g_strdup (amq_json_get_string (reply, "profileArn"));
  g_task_return_pointer (task, tokens, (GDestroyNotify) amq_credential_set_free);
}

void
amq_token_refresh_async (SoupSession *session, const AmqCredentialSet *credentials, const char *oidc_endpoint,
                         const char *social_endpoint, GCancellable *cancellable, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *endpoint = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupMessage) msg = NULL;

  g_return_if_fail (SOUP_IS_SESSION (session));
  g_return_if_fail (credentials != NULL && credentials->refresh_token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_token_refresh_async);
  g_task_set_task_data (task, GINT_TO_POINTER (credentials->kind == AMQ_CREDENTIAL_SOCIAL), NULL);
  endpoint = endpoint_for (credentials, oidc_endpoint, social_endpoint);
  msg = soup_message_new (SOUP_METHOD_POST, endpoint);
  if (msg == NULL)
    {
      g_task_return_new_error (task, AMQ_ERROR, AMQ_ERROR_AUTHENTICATION, "token endpoint '%s' is not a valid URL",
                               endpoint);
      return;
    }
  json = request_body (credentials);
  body = g_bytes_new (json, strlen (json));
  explicit_bzero (json, strlen (json));
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, cancellable, on_response,
                                    g_steal_pointer (&task));
}

AmqCredentialSet *
amq_token_refresh_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
