/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-server-info.c: what the server tells about itself: GET /health and the model list */
#include "config.h"

#include <string.h>

#include "amq-json.h"
#include "amq-server-private.h"

/* The detailed /health body; the token fields are the first account's: with one account, the
 * whole story. */
static char *
detailed_health (AmqServer *self)
{
  g_autoptr(AmqAccount) first = g_list_model_get_item (G_LIST_MODEL (self->pool), 0);
  AmqTokenManager *tokens = first ? amq_account_get_tokens (first) : NULL;
  AmqTokenState state = tokens ? amq_token_manager_get_state (tokens) : AMQ_TOKEN_STATE_NO_CREDENTIALS;
  gint64 expires_at = tokens ? amq_token_manager_get_expires_at (tokens) : 0;
  gboolean has_token = expires_at > 0;
  gboolean expired = !has_token || expires_at <= g_get_real_time () / G_USEC_PER_SEC;
  guint accounts = g_list_model_get_n_items (G_LIST_MODEL (self->pool));

  return g_strdup_printf (
    "{\"status\":\"healthy\",\"has_token\":%s,\"token_expired\":%s,\"token_state\":\"%s\","
    "\"sign_in_needed\":%s,\"accounts\":%u,\"accounts_ready\":%u,\"version\":\"%s\","
    "\"uptime_seconds\":%" G_GINT64_FORMAT ",\"requests_served\":%" G_GUINT64_FORMAT ",\"errors\":%" G_GUINT64_FORMAT "}",
    has_token ? "true" : "false", expired ? "true" : "false",
    tokens ? amq_token_manager_get_state_text (tokens) : "no-credentials",
    state == AMQ_TOKEN_STATE_SIGN_IN_NEEDED || state == AMQ_TOKEN_STATE_NO_CREDENTIALS ? "true" : "false",
    accounts, amq_account_pool_count_ready (self->pool),
    PACKAGE_VERSION, (g_get_monotonic_time () - self->started_at) / G_USEC_PER_SEC,
    self->requests_served, self->errors);
}

void
amq_server_answer_health (AmqServer *self, SoupServerMessage *msg, gboolean detailed)
{
  g_autofree char *json = NULL;

  g_assert (AMQ_IS_SERVER (self));
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));

  if (!detailed)
    {
      /* a caller without the key learns that the server lives, nothing about its accounts */
      amq_server_respond_json (msg, SOUP_STATUS_OK, "{\"status\":\"healthy\"}");
      return;
    }
  json = detailed_health (self);
  amq_server_respond_json (msg, SOUP_STATUS_OK, json);
}

typedef struct {
  AmqServer         *server;
  SoupServerMessage *msg;
  char              *model_id;
  GHashTable        *query;
  AmqRequestRecord  *record;
  char              *request_id;
} ModelsAnswer;

static void
models_answer_free (ModelsAnswer *answer)
{
  g_object_unref (answer->server);
  g_object_unref (answer->msg);
  g_free (answer->model_id);
  g_clear_pointer (&answer->query, g_hash_table_unref);
  g_object_unref (answer->record);
  g_free (answer->request_id);
  g_free (answer);
}

static void
on_models (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ModelsAnswer *answer = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) models = amq_model_catalog_get_finish (AMQ_MODEL_CATALOG (source), result, &error);
  g_autofree char *json = models ? amq_model_catalog_render (models, answer->model_id, answer->query, &error) : NULL;

  if (json != NULL)
    amq_server_respond_json (answer->msg, SOUP_STATUS_OK, json);
  else
    amq_server_respond_error (answer->server, answer->msg, &amq_front_end_messages, answer->request_id, error);
  amq_request_record_complete (answer->record, soup_server_message_get_status (answer->msg),
                             error ? error->message : NULL, 0, 0, 0);
  soup_server_message_unpause (answer->msg);
  models_answer_free (answer);
}

static void
copy_query_entry (gpointer key, gpointer value, gpointer user_data)
{
  g_hash_table_insert (user_data, g_strdup (key), g_strdup (value));
}

/* GET /v1/models and /v1/models/{id}: answered once the catalog has its list. */
void
amq_server_answer_models (AmqServer *self, SoupServerMessage *msg, const char *path, GHashTable *query,
                          const char *request_id, AmqRequestRecord *record)
{
  ModelsAnswer *answer;

  g_assert (AMQ_IS_SERVER (self));
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));
  g_assert (path != NULL && AMQ_IS_REQUEST_RECORD (record));

  answer = g_new0 (ModelsAnswer, 1);
  answer->server = g_object_ref (self);
  answer->msg = g_object_ref (msg);
  answer->model_id = g_str_has_prefix (path, "/v1/models/") ? g_strdup (path + strlen ("/v1/models/")) : NULL;
  answer->request_id = g_strdup (request_id);
  answer->record = g_object_ref (record);
  if (query != NULL)
    {
      answer->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_foreach (query, copy_query_entry, answer->query);
    }
  soup_server_message_pause (msg);
  amq_model_catalog_get_async (self->catalog, NULL, on_models, answer);
}

static void
append_time (GString *out, gint64 seconds)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *text = NULL;

  if (seconds <= 0 || seconds == G_MAXINT64)
    {
      g_string_append (out, "null");
      return;
    }
  time = g_date_time_new_from_unix_utc (seconds);
  text = g_date_time_format_iso8601 (time);
  amq_json_append_string (out, text, -1);
}

static void
append_account (GString *out, AmqAccount *account)
{
  AmqAccountHealth *health = amq_account_get_health (account);
  const AmqCredits *credits = amq_account_health_get_credits (health);
  AmqAccountStatus status = amq_account_health_get_status (health);
  const char *last_error = amq_account_health_get_last_error (health);

  g_string_append (out, "{\"label\":");
  amq_json_append_string (out, amq_account_get_label (account), -1);
  g_string_append (out, ",\"kind\":");
  amq_json_append_string (out, amq_credential_kind_to_string (amq_account_get_credentials (account)->kind), -1);
  g_string_append_printf (out, ",\"status\":\"%s\",\"available_at\":", amq_account_status_to_string (status));
  append_time (out, amq_account_health_get_available_at (health));
  g_string_append (out, ",\"plan\":");
  if (credits != NULL && credits->plan != NULL)
    amq_json_append_string (out, credits->plan, -1);
  else
    g_string_append (out, "null");
  if (credits != NULL)
    {
      g_string_append_printf (out, ",\"credits\":{\"used\":%.2f,\"limit\":%.2f,\"resets_at\":",
                              credits->used, credits->limit);
      append_time (out, credits->resets_at);
      g_string_append_c (out, '}');
    }
  else
    g_string_append (out, ",\"credits\":null");
  g_string_append_printf (out, ",\"requests\":%" G_GUINT64_FORMAT ",\"last_error\":",
                          amq_account_health_get_requests (health));
  if (last_error != NULL)
    amq_json_append_string (out, last_error, -1);
  else
    g_string_append (out, "null");
  g_string_append_c (out, '}');
}

void
amq_server_answer_accounts (AmqServer *self, SoupServerMessage *msg, AmqAccount *one)
{
  GListModel *accounts;
  g_autoptr(GString) out = NULL;

  g_assert (AMQ_IS_SERVER (self));
  g_assert (SOUP_IS_SERVER_MESSAGE (msg));
  g_assert (one == NULL || AMQ_IS_ACCOUNT (one));

  accounts = G_LIST_MODEL (self->pool);
  out = g_string_new (NULL);
  if (one != NULL)
    append_account (out, one);
  else
    {
      g_string_append (out, "{\"accounts\":[");
      for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
        {
          g_autoptr(AmqAccount) account = g_list_model_get_item (accounts, i);

          if (i > 0)
            g_string_append_c (out, ',');
          append_account (out, account);
          /* someone looks: a good moment to learn what the credits are now */
          amq_account_update_credits (account, self->upstream, FALSE);
        }
      g_string_append_printf (out, "],\"strategy\":\"%s\"}",
                              amq_pool_strategy_to_string (amq_account_pool_get_strategy (self->pool)));
    }
  amq_server_respond_json (msg, SOUP_STATUS_OK, out->str);
}
