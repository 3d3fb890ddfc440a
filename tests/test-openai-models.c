/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-openai-models.c: GET /v1/models items carry what Anthropic's and OpenAI's clients both read */
#include "config.h"

#include <json-glib/json-glib.h>

#include "amq-error.h"
#include "amq-model-catalog.h"

static GPtrArray *
models (void)
{
  static const char * const ids[][2] = {
    { "claude-sonnet-4-5", "Claude Sonnet 4.5" }, { "claude-opus-4-5", "Claude Opus 4.5" },
    { "claude-haiku-4-5", "Claude Haiku 4.5" },
  };
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      char *entry[3] = { g_strdup (ids[i][0]), g_strdup (ids[i][1]), NULL };

      g_ptr_array_add (list, g_memdup2 (entry, sizeof entry));
    }
  return list;
}

static void
assert_both_shapes (JsonObject *model)
{
  g_autoptr(GDateTime) created_at = g_date_time_new_from_iso8601 (json_object_get_string_member (model, "created_at"), NULL);

  g_assert_cmpstr (json_object_get_string_member (model, "type"), ==, "model");
  g_assert_nonnull (json_object_get_string_member (model, "display_name"));
  g_assert_cmpstr (json_object_get_string_member (model, "object"), ==, "model");
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (model, "created")), ==, G_TYPE_INT64);
  g_assert_cmpint (json_object_get_int_member (model, "created"), ==, g_date_time_to_unix (created_at));
  g_assert_cmpstr (json_object_get_string_member (model, "owned_by"), ==, "anthropic");
}

static void
test_list (void)
{
  g_autoptr(GPtrArray) list = models ();
  g_autoptr(GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *page;
  JsonArray *data;

  g_hash_table_insert (query, (gpointer) "limit", (gpointer) "2");
  json = amq_model_catalog_render (list, NULL, query, &error);
  g_assert_no_error (error);
  root = json_from_string (json, NULL);
  page = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (page, "object"), ==, "list");
  data = json_object_get_array_member (page, "data");
  g_assert_cmpuint (json_array_get_length (data), ==, 2);
  for (guint i = 0; i < json_array_get_length (data); i++)
    assert_both_shapes (json_array_get_object_element (data, i));
  /* Anthropic's paging stays */
  g_assert_true (json_object_get_boolean_member (page, "has_more"));
  g_assert_cmpstr (json_object_get_string_member (page, "first_id"), ==, "claude-sonnet-4-5");
  g_assert_cmpstr (json_object_get_string_member (page, "last_id"), ==, "claude-opus-4-5");
}

static void
test_one (void)
{
  g_autoptr(GPtrArray) list = models ();
  g_autoptr(GError) error = NULL;
  g_autofree char *json = amq_model_catalog_render (list, "claude-haiku-4-5", NULL, &error);
  g_autofree char *missing = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_assert_no_error (error);
  root = json_from_string (json, NULL);
  assert_both_shapes (json_node_get_object (root));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "id"), ==, "claude-haiku-4-5");
  missing = amq_model_catalog_render (list, "gpt-4o", NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, AMQ_ERROR, AMQ_ERROR_NOT_FOUND);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/openai-models/list", test_list);
  g_test_add_func ("/openai-models/one", test_one);
  return g_test_run ();
}
