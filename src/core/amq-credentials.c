/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credentials.c
 *
 * One item under one static schema; the secret is a small JSON object so the set is stored
 * and read atomically. Attributes hold no secrets. */
#include "config.h"

#include "amq-credentials.h"

#include "amq-json.h"

#include <json-glib/json-glib.h>
#include <libsecret/secret.h>
#include <string.h>

static const SecretSchema schema = {
  "com.example.Amq2Api.Credentials", SECRET_SCHEMA_NONE,
  {
    { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  }
};

/* the item of a single-account setup, as earlier versions named it */
#define DEFAULT_LABEL "default"

static const char *
label_or_default (const char *label)
{
  return label != NULL && *label != '\0' ? label : DEFAULT_LABEL;
}

static void
on_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The secret's JSON in one buffer sized for the worst escaping, so that no copy of a token
 * is left in memory a growing string (or a JsonBuilder) freed unwiped; the caller wipes it. */
static GString *
secret_json (const char *const names[], const char *const values[], guint n_values)
{
  gsize size = 3;
  GString *out;

  for (guint i = 0; i < n_values; i++)
    if (values[i] != NULL)
      size += strlen (names[i]) + 6 * strlen (values[i]) + 6;
  out = g_string_sized_new (size);
  g_string_append_c (out, '{');
  for (guint i = 0; i < n_values; i++)
    if (values[i] != NULL && *values[i] != '\0')
      {
        if (out->len > 1)
          g_string_append_c (out, ',');
        amq_json_append_string (out, names[i], -1);
        g_string_append_c (out, ':');
        amq_json_append_string (out, values[i], -1);
      }
  g_string_append_c (out, '}');
  g_assert (out->len < size);
  return out;
}

void
amq_credentials_store_for_task (const char *label, const AmqCredentialSet *set, GTask *task)
{
  g_autofree char *title = g_strdup_printf ("Amazon Q credentials (Amq2Api, %s)", label_or_default (label));
  const char *names[] = { "kind", "refreshToken", "clientId", "clientSecret", "profileArn", "region", "localApiKey" };
  const char *values[G_N_ELEMENTS (names)];
  GString *secret;

  g_return_if_fail (set != NULL);
  g_return_if_fail (G_IS_TASK (task));

  values[0] = amq_credential_kind_to_string (set->kind);
  values[1] = set->refresh_token;
  values[2] = set->client_id;
  values[3] = set->client_secret;
  values[4] = set->profile_arn;
  values[5] = set->region;
  values[6] = set->local_api_key;
  secret = secret_json (names, values, G_N_ELEMENTS (names));
  secret_password_store (&schema, SECRET_COLLECTION_DEFAULT, title, secret->str, g_task_get_cancellable (task),
                         on_stored, task, "account", label_or_default (label), NULL);
  explicit_bzero (secret->str, secret->allocated_len);
  g_string_free (secret, TRUE);
}

void
amq_credentials_store_async (const char *label, const AmqCredentialSet *set, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (set != NULL);

  amq_credentials_store_for_task (label, set, g_task_new (NULL, cancellable, callback, user_data));
}

gboolean
amq_credentials_store_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_looked_up (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  AmqCredentialSet *set;
  JsonObject *object;

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (secret == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  object = amq_json_parse_object (parser, secret, -1);
  if (object == NULL)
    {
      secret_password_free (secret);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               "the stored Amazon Q credentials are damaged; enter them again");
      return;
    }
  secret_password_free (secret);
  set = amq_credential_set_new ();
  amq_credential_kind_from_string (amq_json_get_string (object, "kind"), &set->kind);
  set->refresh_token = g_strdup (amq_json_get_string (object, "refreshToken"));
  set->client_id = g_strdup (amq_json_get_string (object, "clientId"));
  set->client_secret = g_strdup (amq_json_get_string (object, "clientSecret"));
  set->profile_arn = g_strdup (amq_json_get_string (object, "profileArn"));
  set->region = g_strdup (amq_json_get_string (object, "region"));
  set->local_api_key = g_strdup (amq_json_get_string (object, "localApiKey"));
  g_task_return_pointer (task, set, (GDestroyNotify) amq_credential_set_free);
}

void
amq_credentials_lookup_async (const char *label, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  secret_password_lookup (&schema, cancellable, on_looked_up, task, "account", label_or_default (label), NULL);
}

AmqCredentialSet *
amq_credentials_lookup_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}


typedef struct {
  char *label;
  char *previous;
  char *refresh_token;
} Replacement;

static void
replacement_free (Replacement *replacement)
{
  g_free (replacement->label);
  g_free (replacement->previous);
  g_free (replacement->refresh_token);
  g_free (replacement);
}

static void
on_looked_up_for_replacement (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Replacement *replacement = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(AmqCredentialSet) stored = amq_credentials_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if (stored == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "the keyring no longer holds the Amazon Q sign-in");
      return;
    }
  if (g_strcmp0 (stored->refresh_token, replacement->refresh_token) == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (g_strcmp0 (stored->refresh_token, replacement->previous) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               "the keyring holds another Amazon Q sign-in now; it was left as it is");
      return;
    }
  g_free (stored->refresh_token);
  stored->refresh_token = g_strdup (replacement->refresh_token);
  amq_credentials_store_for_task (replacement->label, stored, g_object_ref (task));
}

void
amq_credentials_replace_refresh_token_async (const char *label, const char *previous, const char *refresh_token,
                                             GCancellable *cancellable, GAsyncReadyCallback callback,
                                             gpointer user_data)
{
  GTask *task;
  Replacement *replacement;

  g_return_if_fail (previous != NULL && refresh_token != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  replacement = g_new0 (Replacement, 1);
  replacement->label = g_strdup (label);
  replacement->previous = g_strdup (previous);
  replacement->refresh_token = g_strdup (refresh_token);
  g_task_set_task_data (task, replacement, (GDestroyNotify) replacement_free);
  amq_credentials_lookup_async (label, cancellable, on_looked_up_for_replacement, task);
}

gboolean
amq_credentials_replace_refresh_token_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* g_ptr_array_sort hands the comparison pointers to the elements */
static int
compare_labels (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
on_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GList *items = secret_password_search_finish (result, &error);
  GPtrArray *labels = g_ptr_array_new_with_free_func (g_free);

  if (error != NULL)
    {
      g_ptr_array_unref (labels);
      g_task_return_error (task, error);
      return;
    }
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GHashTable) attributes = secret_retrievable_get_attributes (l->data);
      const char *label = g_hash_table_lookup (attributes, "account");

      if (label != NULL)
        g_ptr_array_add (labels, g_strdup (label));
    }
  g_list_free_full (items, g_object_unref);
  g_ptr_array_sort (labels, compare_labels);
  g_ptr_array_add (labels, NULL);
  g_task_return_pointer (task, g_ptr_array_free (labels, FALSE), (GDestroyNotify) g_strfreev);
}

void
amq_credentials_list_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  secret_password_search (&schema, SECRET_SEARCH_ALL, cancellable, on_listed, task, NULL);
}

GStrv
amq_credentials_list_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
on_cleared (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
amq_credentials_clear_for_task (const char *label, GTask *task)
{
  g_return_if_fail (G_IS_TASK (task));

  secret_password_clear (&schema, g_task_get_cancellable (task), on_cleared, task, "account", label_or_default (label),
                         NULL);
}

void
amq_credentials_clear_async (const char *label, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  amq_credentials_clear_for_task (label, g_task_new (NULL, cancellable, callback, user_data));
}

gboolean
amq_credentials_clear_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
