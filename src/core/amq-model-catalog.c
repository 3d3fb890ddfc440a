/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-model-catalog.c */
#include "config.h"

#include "amq-model-catalog.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-error.h"
#include "amq-json.h"

struct _AmqModelCatalog
{
  GObject          parent_instance;
  AmqAccountPool  *pool;
  AmqUpstream     *upstream;
  GPtrArray       *cache;       /* char*[3] {id, display name, NULL} */
  gint64           cached_at;
};

G_DEFINE_FINAL_TYPE (AmqModelCatalog, amq_model_catalog, G_TYPE_OBJECT)

/* Offered when Amazon Q's own list cannot be had (no credentials yet, or it failed). */
static const char * const builtin_models[][3] = {
  { "claude-opus-4-5-20251101", "Claude Opus 4.5", NULL },
  { "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", NULL },
  { "claude-haiku-4-5-20251001", "Claude Haiku 4.5", NULL },
  { "claude-sonnet-4-20250514", "Claude Sonnet 4", NULL },
};

static GPtrArray *
builtin_model_list (void)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; i < G_N_ELEMENTS (builtin_models); i++)
    g_ptr_array_add (list, g_strdupv ((char **) builtin_models[i]));
  return list;
}

/* Amazon Q ids ("claude-sonnet-4.5") become Anthropic-style ids ("claude-sonnet-4-5"). */
static GPtrArray *
model_list_from_upstream (JsonArray *models)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; i < json_array_get_length (models); i++)
    {
      JsonNode *node = json_array_get_element (models, i);
      JsonObject *model = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *id = model ? amq_json_get_string (model, "modelId") : NULL;
      const char *name = model ? amq_json_get_string (model, "modelName") : NULL;
      char *entry[3] = { NULL, NULL, NULL };

      if (id == NULL || *id == '\0')
        continue;
      entry[0] = g_strdelimit (g_strdup (id), ".", '-');
      entry[1] = g_strdup (name && *name ? name : id);
      g_ptr_array_add (list, g_memdup2 (entry, sizeof entry));
    }
  if (list->len == 0)
    {
      g_ptr_array_unref (list);
      return builtin_model_list ();
    }
  return list;
}

/* Each item answers both ecosystems: Anthropic's type, display_name and created_at, OpenAI's
 * object, created (the same instant, in Unix seconds) and owned_by. */
static void
append_model (GString *out, char **model)
{
  g_string_append (out, "{\"type\":\"model\",\"id\":");
  amq_json_append_string (out, model[0], -1);
  g_string_append (out, ",\"display_name\":");
  amq_json_append_string (out, model[1], -1);
  g_string_append (out, ",\"created_at\":\"2025-01-01T00:00:00Z\""
                        ",\"object\":\"model\",\"created\":1735689600,\"owned_by\":\"anthropic\"}");
}

char *
amq_model_catalog_render (GPtrArray *models, const char *model_id, GHashTable *query, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n, first = 0, last;
  gint64 limit = 20;

  g_return_val_if_fail (models != NULL, NULL);

  n = last = models->len;
  if (model_id != NULL)
    {
      for (guint i = 0; i < n; i++)
        if (g_str_equal (((char **) g_ptr_array_index (models, i))[0], model_id))
          {
            append_model (out, g_ptr_array_index (models, i));
            return g_string_free (g_steal_pointer (&out), FALSE);
          }
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_NOT_FOUND, "model: %s", model_id);
      return NULL;
    }
  if (query != NULL)
    {
      const char *after = g_hash_table_lookup (query, "after_id");
      const char *before = g_hash_table_lookup (query, "before_id");
      const char *limit_text = g_hash_table_lookup (query, "limit");

      if (limit_text != NULL)
        limit = CLAMP (g_ascii_strtoll (limit_text, NULL, 10), 1, 1000);
      for (guint i = 0; i < n; i++)
        {
          const char *id = ((char **) g_ptr_array_index (models, i))[0];

          if (after != NULL && g_str_equal (after, id))
            first = i + 1;
          if (before != NULL && g_str_equal (before, id))
            last = i;
        }
      if (before != NULL && after == NULL && last - first > limit)
        first = last - limit;
    }
  last = MIN (last, first + (guint) limit);
  g_string_append (out, "{\"object\":\"list\",\"data\":[");
  for (guint i = first; i < last; i++)
    {
      if (i > first)
        g_string_append_c (out, ',');
      append_model (out, g_ptr_array_index (models, i));
    }
  g_string_append_printf (out, "],\"has_more\":%s,\"first_id\":", last < n ? "true" : "false");
  if (last > first)
    {
      amq_json_append_string (out, ((char **) g_ptr_array_index (models, first))[0], -1);
      g_string_append (out, ",\"last_id\":");
      amq_json_append_string (out, ((char **) g_ptr_array_index (models, last - 1))[0], -1);
    }
  else
    g_string_append (out, "null,\"last_id\":null");
  g_string_append_c (out, '}');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqModelCatalog *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) models = amq_upstream_list_models_finish (AMQ_UPSTREAM (source), result, &error);

  if (models == NULL)
    {
      g_info ("model list from Amazon Q unavailable: %s", error->message);
      g_task_return_pointer (task, builtin_model_list (), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  g_clear_pointer (&self->cache, g_ptr_array_unref);
  self->cache = model_list_from_upstream (models);
  self->cached_at = g_get_monotonic_time ();
  g_task_return_pointer (task, g_ptr_array_ref (self->cache), (GDestroyNotify) g_ptr_array_unref);
}

static void
on_token (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  AmqModelCatalog *self = g_task_get_source_object (task);
  AmqAccount *account = g_task_get_task_data (task);
  g_autofree char *token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, NULL);
  g_autofree char *profile_arn = amq_account_dup_profile_arn (account);
  GCancellable *cancellable = g_task_get_cancellable (task);
  AmqUpstream *upstream = amq_account_get_upstream (account) ? amq_account_get_upstream (account) : self->upstream;

  if (token == NULL)
    {
      g_task_return_pointer (task, builtin_model_list (), (GDestroyNotify) g_ptr_array_unref);
      return;
    }
  amq_upstream_list_models_async (upstream, token, profile_arn, cancellable, on_listed, g_steal_pointer (&task));
}

/* A ready account, else the first: a throttled account can still list models. */
static AmqAccount *
any_account (AmqModelCatalog *self)
{
  AmqAccount *ready = amq_account_pool_pick (self->pool, NULL, NULL, NULL);

  return ready ? g_object_ref (ready) : g_list_model_get_item (G_LIST_MODEL (self->pool), 0);
}

void
amq_model_catalog_get_async (AmqModelCatalog *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  AmqAccount *account;

  g_return_if_fail (AMQ_IS_MODEL_CATALOG (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_model_catalog_get_async);

  if (self->cache != NULL &&
      g_get_monotonic_time () - self->cached_at < AMQ_MODEL_CATALOG_CACHE_SECONDS * G_USEC_PER_SEC)
    g_task_return_pointer (task, g_ptr_array_ref (self->cache), (GDestroyNotify) g_ptr_array_unref);
  else if ((account = any_account (self)) == NULL)
    g_task_return_pointer (task, builtin_model_list (), (GDestroyNotify) g_ptr_array_unref);
  else
    {
      g_task_set_task_data (task, account, g_object_unref);
      amq_token_manager_get_token_async (amq_account_get_tokens (account), cancellable, on_token,
                                         g_steal_pointer (&task));
    }
}

GPtrArray *
amq_model_catalog_get_finish (AmqModelCatalog *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
amq_model_catalog_finalize (GObject *object)
{
  AmqModelCatalog *self = AMQ_MODEL_CATALOG (object);

  g_clear_object (&self->pool);
  g_clear_object (&self->upstream);
  g_clear_pointer (&self->cache, g_ptr_array_unref);
  G_OBJECT_CLASS (amq_model_catalog_parent_class)->finalize (object);
}

static void
amq_model_catalog_class_init (AmqModelCatalogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_model_catalog_finalize;
}

static void
amq_model_catalog_init (AmqModelCatalog *self)
{
}

AmqModelCatalog *
amq_model_catalog_new (AmqAccountPool *pool, AmqUpstream *upstream)
{
  AmqModelCatalog *self;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (pool), NULL);
  g_return_val_if_fail (AMQ_IS_UPSTREAM (upstream), NULL);

  self = g_object_new (AMQ_TYPE_MODEL_CATALOG, NULL);
  self->pool = g_object_ref (pool);
  self->upstream = g_object_ref (upstream);
  return self;
}
