/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin-source.c */
#include "config.h"

#include "amq-signin-source-private.h"

struct _AmqSigninSource
{
  GObject        parent_instance;
  AmqSigninKind  kind;
  char          *path;
};

G_DEFINE_FINAL_TYPE (AmqSigninSource, amq_signin_source, G_TYPE_OBJECT)

gint64
amq_signin_parse_time (const char *text)
{
  g_autoptr(GDateTime) time = text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return time ? g_date_time_to_unix (time) : 0;
}

char *
amq_signin_format_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (seconds);

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

/* Inside Flatpak the user data folder is the sandbox's own: the clients write the host's. */
static char *
host_data_dir (void)
{
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return g_build_filename (g_get_home_dir (), ".local", "share", NULL);
  return g_strdup (g_get_user_data_dir ());
}

static char *
default_path (AmqSigninKind kind)
{
  g_autofree char *data = host_data_dir ();

  switch (kind)
    {
    case AMQ_SIGNIN_KIRO_CLI:
      return g_build_filename (data, "kiro-cli", "data.sqlite3", NULL);
    case AMQ_SIGNIN_AMAZON_Q_CLI:
      return g_build_filename (data, "amazon-q", "data.sqlite3", NULL);
    case AMQ_SIGNIN_KIRO_IDE:
    default:
      return g_build_filename (g_get_home_dir (), ".aws", "sso", "cache", "kiro-auth-token.json", NULL);
    }
}

AmqSigninKind
amq_signin_source_get_kind (AmqSigninSource *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN_SOURCE (self), AMQ_SIGNIN_KIRO_CLI);

  return self->kind;
}

const char *
amq_signin_source_get_name (AmqSigninSource *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN_SOURCE (self), NULL);

  switch (self->kind)
    {
    case AMQ_SIGNIN_KIRO_CLI:     return "Kiro CLI";
    case AMQ_SIGNIN_AMAZON_Q_CLI: return "Amazon Q CLI";
    case AMQ_SIGNIN_KIRO_IDE:
    default:                      return "Kiro IDE";
    }
}

const char *
amq_signin_source_get_path (AmqSigninSource *self)
{
  g_return_val_if_fail (AMQ_IS_SIGNIN_SOURCE (self), NULL);

  return self->path;
}

static void
read_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AmqSigninSource *self = source;
  GError *error = NULL;
  AmqCredentialSet *set;

  if (self->kind == AMQ_SIGNIN_KIRO_IDE)
    set = amq_signin_json_read (self->path, &error);
  else
    set = amq_signin_sqlite_read (self->path, self->kind == AMQ_SIGNIN_KIRO_CLI, &error);
  if (set != NULL)
    g_task_return_pointer (task, set, (GDestroyNotify) amq_credential_set_free);
  else
    g_task_return_error (task, error);
}

void
amq_signin_source_read_async (AmqSigninSource *self, GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (AMQ_IS_SIGNIN_SOURCE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_signin_source_read_async);
  g_task_run_in_thread (task, read_in_thread);
}

AmqCredentialSet *
amq_signin_source_read_finish (AmqSigninSource *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct {
  char             *previous;
  AmqCredentialSet *tokens;
} Write;

static void
write_free (Write *write)
{
  amq_secret_replace (&write->previous, NULL);
  amq_credential_set_free (write->tokens);
  g_free (write);
}

static void
write_in_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  AmqSigninSource *self = source;
  Write *write = task_data;
  GError *error = NULL;
  gboolean written;

  if (self->kind == AMQ_SIGNIN_KIRO_IDE)
    written = amq_signin_json_write (self->path, write->previous, write->tokens, &error);
  else
    written = amq_signin_sqlite_write (self->path, self->kind == AMQ_SIGNIN_KIRO_CLI, write->previous,
                                       write->tokens, &error);
  if (written)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
amq_signin_source_write_async (AmqSigninSource *self, const char *previous, const AmqCredentialSet *tokens,
                               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  Write *write;

  g_return_if_fail (AMQ_IS_SIGNIN_SOURCE (self));
  g_return_if_fail (tokens != NULL && tokens->refresh_token != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, amq_signin_source_write_async);
  write = g_new0 (Write, 1);
  write->previous = g_strdup (previous);
  write->tokens = amq_credential_set_copy (tokens);
  g_task_set_task_data (task, write, (GDestroyNotify) write_free);
  g_task_run_in_thread (task, write_in_thread);
}

gboolean
amq_signin_source_write_finish (AmqSigninSource *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GPtrArray *
amq_signin_source_find_all (void)
{
  const AmqSigninKind order[] = { AMQ_SIGNIN_KIRO_CLI, AMQ_SIGNIN_AMAZON_Q_CLI, AMQ_SIGNIN_KIRO_IDE };
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autoptr(AmqSigninSource) source = amq_signin_source_new (order[i], NULL);

      if (g_file_test (source->path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (found, g_steal_pointer (&source));
    }
  return found;
}

static void
amq_signin_source_finalize (GObject *object)
{
  AmqSigninSource *self = AMQ_SIGNIN_SOURCE (object);

  g_free (self->path);
  G_OBJECT_CLASS (amq_signin_source_parent_class)->finalize (object);
}

static void
amq_signin_source_class_init (AmqSigninSourceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_signin_source_finalize;
}

static void
amq_signin_source_init (AmqSigninSource *self)
{
}

AmqSigninSource *
amq_signin_source_new (AmqSigninKind kind, const char *path)
{
  AmqSigninSource *self = g_object_new (AMQ_TYPE_SIGNIN_SOURCE, NULL);

  self->kind = kind;
  self->path = path ? g_strdup (path) : default_path (kind);
  return self;
}
