/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-token-manager.c: one refresh in flight, a rotation saved before use, invalid_grant final,
 * network failures retried, state visible as properties; a token endpoint in this process. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "amq-error.h"
#include "amq-token-manager.h"

typedef struct {
  SoupServer *server;
  char       *url;
  guint       calls;
  const char *mode;       /* "ok", "rotate", "invalid", "slow" */
  GPtrArray  *paused;
} Endpoint;

static gboolean
answer_later (gpointer msg)
{
  soup_server_message_unpause (msg);
  g_object_unref (msg);
  return G_SOURCE_REMOVE;
}

static void
handle_token (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query, gpointer data)
{
  Endpoint *e = data;
  g_autofree char *json = NULL;

  e->calls++;
  if (g_str_equal (e->mode, "invalid"))
    {
      soup_server_message_set_status (msg, 400, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{\"error\":\"invalid_grant\"}", 25);
      return;
    }
  json = g_strdup_printf ("{\"accessToken\":\"access-%u\",\"expiresIn\":3600%s}", e->calls,
                          g_str_equal (e->mode, "rotate") ? ",\"refreshToken\":\"rotated-refresh\"" : "");
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
  if (g_str_equal (e->mode, "slow"))
    {
      soup_server_message_pause (msg);
      g_timeout_add (200, answer_later, g_object_ref (msg));
    }
}

static Endpoint *
endpoint_new (const char *mode)
{
  Endpoint *e = g_new0 (Endpoint, 1);
  GSList *uris;

  e->mode = mode;
  e->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (e->server, "/token", handle_token, e, NULL);
  g_assert_true (soup_server_listen_local (e->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, NULL));
  uris = soup_server_get_uris (e->server);
  e->url = g_strdup_printf ("http://127.0.0.1:%d/token", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return e;
}

static void
endpoint_free (Endpoint *e)
{
  soup_server_disconnect (e->server);
  g_object_unref (e->server);
  g_free (e->url);
  g_free (e);
}

static void
set_credentials (AmqTokenManager *tokens, const char *refresh_token)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();

  set->refresh_token = g_strdup (refresh_token);
  set->client_id = g_strdup ("id");
  set->client_secret = g_strdup ("secret");
  amq_token_manager_set_credentials (tokens, set);
}

typedef struct {
  guint  pending;
  GPtrArray *tokens;
  GPtrArray *errors;
  GPtrArray *events;   /* order of rotation and token delivery */
} Waiters;

static void
on_token (GObject *source, GAsyncResult *result, gpointer data)
{
  Waiters *w = data;
  GError *error = NULL;
  char *token = amq_token_manager_get_token_finish (AMQ_TOKEN_MANAGER (source), result, &error);

  if (token != NULL)
    g_ptr_array_add (w->tokens, token);
  else
    g_ptr_array_add (w->errors, error);
  if (w->events)
    g_ptr_array_add (w->events, g_strdup ("token"));
  w->pending--;
}

/* A token store whose writes take 100 ms and fail on demand, noting what happens. */
#define TEST_TYPE_STORE (test_store_get_type ())
G_DECLARE_FINAL_TYPE (TestStore, test_store, TEST, STORE, GObject)

struct _TestStore
{
  GObject    parent_instance;
  GPtrArray *events;
  gboolean   fail;
};

static void test_store_iface_init (AmqTokenStoreInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE (TestStore, test_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_TOKEN_STORE, test_store_iface_init))

static gboolean
finish_save (gpointer data)
{
  GTask *task = data;
  TestStore *self = g_task_get_source_object (task);

  g_ptr_array_add (self->events, g_strdup ("saved"));
  if (self->fail)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "disk full");
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
test_store_save_async (AmqTokenStore *store, const char *previous, const AmqCredentialSet *tokens,
                       GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  TestStore *self = TEST_STORE (store);

  g_ptr_array_add (self->events, g_strdup_printf ("saving:%s->%s", previous, tokens->refresh_token));
  g_timeout_add (100, finish_save, g_task_new (self, cancellable, callback, user_data));
}

static gboolean
test_store_save_finish (AmqTokenStore *store, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
test_store_iface_init (AmqTokenStoreInterface *iface)
{
  iface->save_tokens_async = test_store_save_async;
  iface->save_tokens_finish = test_store_save_finish;
}

static void
test_store_class_init (TestStoreClass *klass)
{
}

static void
test_store_init (TestStore *self)
{
}

static void
wait_for (Waiters *w)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (w->pending > 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (w->pending, ==, 0);
}

static void
test_one_refresh_for_many_waiters (void)
{
  Endpoint *e = endpoint_new ("slow");
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (e->url);
  Waiters w = { 50, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new (), NULL };
  gboolean saw_refreshing = FALSE;

  set_credentials (tokens, "refresh");
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_EXPIRED);
  for (guint i = 0; i < 50; i++)
    amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  saw_refreshing = amq_token_manager_get_state (tokens) == AMQ_TOKEN_STATE_REFRESHING;
  wait_for (&w);
  g_assert_true (saw_refreshing);
  g_assert_cmpuint (e->calls, ==, 1);
  g_assert_cmpuint (w.tokens->len, ==, 50);
  for (guint i = 0; i < 50; i++)
    g_assert_cmpstr (g_ptr_array_index (w.tokens, i), ==, "access-1");
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_VALID);
  g_assert_cmpint (amq_token_manager_get_expires_at (tokens), >, g_get_real_time () / G_USEC_PER_SEC + 3000);
  /* a fresh token is handed out without another call */
  w.pending = 1;
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (e->calls, ==, 1);
  /* refused by Amazon Q: forgotten, so the next request refreshes */
  amq_token_manager_invalidate (tokens, "access-1");
  w.pending = 1;
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (e->calls, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (w.tokens, w.tokens->len - 1), ==, "access-2");
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
  endpoint_free (e);
}

static void
test_rotation_saved_before_use (void)
{
  Endpoint *e = endpoint_new ("rotate");
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (e->url);
  g_autoptr(TestStore) store = g_object_new (TEST_TYPE_STORE, NULL);
  Waiters w = { 2, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new (), g_ptr_array_new_with_free_func (g_free) };

  store->events = w.events;
  amq_token_manager_set_store (tokens, AMQ_TOKEN_STORE (store));
  set_credentials (tokens, "refresh");
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (w.events->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (w.events, 0), ==, "saving:refresh->rotated-refresh");
  g_assert_cmpstr (g_ptr_array_index (w.events, 1), ==, "saved");
  g_assert_cmpstr (g_ptr_array_index (w.events, 2), ==, "token");
  g_assert_cmpuint (e->calls, ==, 1);
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_VALID);
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
  g_ptr_array_unref (w.events);
  endpoint_free (e);
}

/* A write that fails leaves the user able to work, and told: the login lives in memory only. */
static void
test_rotation_not_saved_is_visible (void)
{
  Endpoint *e = endpoint_new ("rotate");
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (e->url);
  g_autoptr(TestStore) store = g_object_new (TEST_TYPE_STORE, NULL);
  Waiters w = { 1, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new (), g_ptr_array_new_with_free_func (g_free) };

  store->events = w.events;
  store->fail = TRUE;
  amq_token_manager_set_store (tokens, AMQ_TOKEN_STORE (store));
  set_credentials (tokens, "refresh");
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (w.tokens->len, ==, 1);
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_NOT_SAVED);
  g_assert_nonnull (strstr (amq_token_manager_get_last_error (tokens), "disk full"));
  g_assert_cmpstr (amq_token_manager_get_state_text (tokens), ==, "not-saved");
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
  g_ptr_array_unref (w.events);
  endpoint_free (e);
}

static void
count_notify (guint *count)
{
  (*count)++;
}

static void
test_invalid_grant_is_final (void)
{
  Endpoint *e = endpoint_new ("invalid");
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (e->url);
  Waiters w = { 1, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free), NULL };
  guint notified = 0;

  g_signal_connect_swapped (tokens, "notify::state", G_CALLBACK (count_notify), &notified);
  set_credentials (tokens, "refresh");
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_error ((GError *) g_ptr_array_index (w.errors, 0), AMQ_ERROR, AMQ_ERROR_AUTHENTICATION);
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_SIGN_IN_NEEDED);
  g_assert_nonnull (strstr (amq_token_manager_get_last_error (tokens), "invalid_grant"));
  g_assert_cmpuint (notified, >=, 2);  /* refreshing, then sign-in needed */
  /* no retry loop: the next request fails at once, without calling the endpoint */
  w.pending = 1;
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (e->calls, ==, 1);
  /* new credentials start over */
  e->mode = "ok";
  set_credentials (tokens, "new-refresh");
  w.pending = 1;
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (w.tokens->len, ==, 1);
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
  endpoint_free (e);
}

static void
test_network_failure_retries (void)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new ("http://127.0.0.1:1/token");
  Waiters w = { 1, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free), NULL };

  set_credentials (tokens, "refresh");
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (w.errors->len, ==, 1);
  g_assert_error ((GError *) g_ptr_array_index (w.errors, 0), AMQ_ERROR, AMQ_ERROR_UPSTREAM);
  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_FAILED);
  /* a passing failure: the next request tries again */
  w.pending = 1;
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_cmpuint (w.errors->len, ==, 2);
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
}

static void
test_no_credentials (void)
{
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (NULL);
  Waiters w = { 1, g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free), NULL };

  g_assert_cmpint (amq_token_manager_get_state (tokens), ==, AMQ_TOKEN_STATE_NO_CREDENTIALS);
  amq_token_manager_get_token_async (tokens, NULL, on_token, &w);
  wait_for (&w);
  g_assert_error ((GError *) g_ptr_array_index (w.errors, 0), AMQ_ERROR, AMQ_ERROR_AUTHENTICATION);
  g_assert_nonnull (strstr (((GError *) g_ptr_array_index (w.errors, 0))->message, "sign-in needed"));
  g_ptr_array_unref (w.tokens);
  g_ptr_array_unref (w.errors);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token-manager/one-refresh-for-many-waiters", test_one_refresh_for_many_waiters);
  g_test_add_func ("/token-manager/rotation-saved-before-use", test_rotation_saved_before_use);
  g_test_add_func ("/token-manager/rotation-not-saved-is-visible", test_rotation_not_saved_is_visible);
  g_test_add_func ("/token-manager/invalid-grant-is-final", test_invalid_grant_is_final);
  g_test_add_func ("/token-manager/network-failure-retries", test_network_failure_retries);
  g_test_add_func ("/token-manager/no-credentials", test_no_credentials);
  return g_test_run ();
}
