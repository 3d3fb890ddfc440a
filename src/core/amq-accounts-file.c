/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-accounts-file.c
 *
 * json-glib tells no positions of what it parsed: a small scan of the text records the line of
 * each account and of each member key, so an error can say where to look. */
#include "config.h"

#include "amq-accounts-file.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "amq-json.h"

struct _AmqAccountsFile
{
  GObject          parent_instance;
  char            *path;
  AmqPoolStrategy  strategy;
  GPtrArray       *entries;
};

G_DEFINE_FINAL_TYPE (AmqAccountsFile, amq_accounts_file, G_TYPE_OBJECT)

static const char * const strategy_names[] = {
  [AMQ_POOL_PRIORITY] = "priority",
  [AMQ_POOL_ROUND_ROBIN] = "round-robin",
  [AMQ_POOL_LEAST_USED] = "least-used",
};

const char *
amq_pool_strategy_to_string (AmqPoolStrategy strategy)
{
  g_return_val_if_fail ((guint) strategy < G_N_ELEMENTS (strategy_names), NULL);

  return strategy_names[strategy];
}

static void
entry_free (AmqAccountEntry *entry)
{
  g_free (entry->label);
  amq_credential_set_free (entry->credentials);
  g_free (entry->proxy);
  g_free (entry);
}

/* ---- where things are in the text ---- */

typedef struct {
  gboolean  array;
  guint     index;
  char     *key;        /* the member being read, in an object */
  gboolean  want_key;
} Level;

/* Lines of "accounts[i]" (its opening brace), "accounts[i].member" and top-level members. */
static GHashTable *
find_lines (const char *text)
{
  GHashTable *lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) stack = g_array_new (FALSE, TRUE, sizeof (Level));
  guint line = 1;

  for (const char *p = text; *p != '\0'; p++)
    {
      Level *top = stack->len ? &g_array_index (stack, Level, stack->len - 1) : NULL;
      Level *parent = stack->len > 1 ? &g_array_index (stack, Level, stack->len - 2) : NULL;

      if (*p == '\n')
        line++;
      else if (*p == '{' || *p == '[')
        {
          Level level = { .array = *p == '[', .want_key = *p == '{' };

          /* an object in the top-level "accounts" array is an account */
          if (*p == '{' && top && top->array && parent && g_strcmp0 (parent->key, "accounts") == 0 && stack->len == 2)
            g_hash_table_insert (lines, g_strdup_printf ("accounts[%u]", top->index), GUINT_TO_POINTER (line));
          g_array_append_val (stack, level);
        }
      else if ((*p == '}' || *p == ']') && top)
        {
          g_free (top->key);
          g_array_set_size (stack, stack->len - 1);
        }
      else if (*p == ',' && top)
        {
          top->index++;
          top->want_key = !top->array;
        }
      else if (*p == '"')
        {
          const char *start = ++p;

          while (*p != '\0' && *p != '"')
            p += *p == '\\' && p[1] != '\0' ? 2 : 1;
          if (top && !top->array && top->want_key)
            {
              g_free (top->key);
              top->key = g_strndup (start, p - start);
              top->want_key = FALSE;
              if (stack->len == 1)
                g_hash_table_insert (lines, g_strdup (top->key), GUINT_TO_POINTER (line));
              else if (stack->len == 3 && parent->array)
                g_hash_table_insert (lines, g_strdup_printf ("accounts[%u].%s", parent->index, top->key),
                                     GUINT_TO_POINTER (line));
            }
          if (*p == '\0')
            break;
        }
    }
  for (guint i = 0; i < stack->len; i++)
    g_free (g_array_index (stack, Level, i).key);
  return lines;
}

/* "FILE:LINE: FIELD: message", with the line of the field, else of its account, else none. */
G_GNUC_PRINTF (5, 6)
static gboolean
fail (GError **error, const char *path, GHashTable *lines, const char *field, const char *format, ...)
{
  g_autofree char *message = NULL;
  g_autofree char *account = g_strndup (field, strcspn (field, "."));
  gpointer line = g_hash_table_lookup (lines, field);
  va_list args;

  if (line == NULL)
    line = g_hash_table_lookup (lines, account);
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  if (line != NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s: %s", path, GPOINTER_TO_UINT (line), field,
                 message);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s: %s", path, field, message);
  return FALSE;
}

/* ---- reading ---- */

static const char * const known_members[] = {
  "label", "refreshToken", "clientId", "clientSecret", "profileArn", "region", "kind", "enabled", "proxy",
};

static gboolean
optional_string (JsonObject *object, const char *member, char **out, const char *path, GHashTable *lines,
                 guint index, GError **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *field = g_strdup_printf ("accounts[%u].%s", index, member);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
      *json_node_get_string (node) == '\0')
    return fail (error, path, lines, field, "must be a non-empty string");
  *out = g_strdup (json_node_get_string (node));
  return TRUE;
}

static gboolean
check_proxy (const char *proxy, const char *path, GHashTable *lines, guint index, GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse (proxy, G_URI_FLAGS_NONE, NULL);
  g_autofree char *field = g_strdup_printf ("accounts[%u].proxy", index);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  if (scheme == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0 &&
                         g_ascii_strcasecmp (scheme, "socks5") != 0))
    return fail (error, path, lines, field, "must be an http://, https:// or socks5:// URL");
  return TRUE;
}

static gboolean
read_account (AmqAccountsFile *self, JsonNode *node, guint index, GHashTable *lines, GHashTable *labels,
              GError **error)
{
  g_autofree char *here = g_strdup_printf ("accounts[%u]", index);
  g_autofree char *kind = NULL;
  AmqAccountEntry *entry;
  JsonObject *object;
  JsonNode *enabled;
  g_autoptr(GList) members = NULL;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, self->path, lines, here, "must be an object");
  object = json_node_get_object (node);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known_members, l->data))
      {
        g_autofree char *field = g_strdup_printf ("%s.%s", here, (char *) l->data);
        return fail (error, self->path, lines, field, "unknown field");
      }
  entry = g_new0 (AmqAccountEntry, 1);
  entry->credentials = amq_credential_set_new ();
  g_ptr_array_add (self->entries, entry);
  if (!optional_string (object, "label", &entry->label, self->path, lines, index, error) ||
      !optional_string (object, "refreshToken", &entry->credentials->refresh_token, self->path, lines, index, error) ||
      !optional_string (object, "clientId", &entry->credentials->client_id, self->path, lines, index, error) ||
      !optional_string (object, "clientSecret", &entry->credentials->client_secret, self->path, lines, index, error) ||
      !optional_string (object, "profileArn", &entry->credentials->profile_arn, self->path, lines, index, error) ||
      !optional_string (object, "region", &entry->credentials->region, self->path, lines, index, error) ||
      !optional_string (object, "kind", &kind, self->path, lines, index, error) ||
      !optional_string (object, "proxy", &entry->proxy, self->path, lines, index, error))
    return FALSE;
  if (entry->label == NULL)
    return fail (error, self->path, lines, here, "label is missing (every account needs a name of its own)");
  if (g_hash_table_contains (labels, entry->label))
    {
      g_autofree char *field = g_strdup_printf ("%s.label", here);
      return fail (error, self->path, lines, field, "\"%s\" names another account already", entry->label);
    }
  g_hash_table_add (labels, entry->label);
  if (kind != NULL && !amq_credential_kind_from_string (kind, &entry->credentials->kind))
    {
      g_autofree char *field = g_strdup_printf ("%s.kind", here);
      return fail (error, self->path, lines, field, "must be builder-id, identity-center or social");
    }
  if (entry->credentials->refresh_token == NULL)
    return fail (error, self->path, lines, here, "refreshToken is missing");
  if (entry->credentials->kind != AMQ_CREDENTIAL_SOCIAL &&
      (entry->credentials->client_id == NULL || entry->credentials->client_secret == NULL))
    return fail (error, self->path, lines, here, "clientId and clientSecret are needed (unless kind is social)");
  enabled = json_object_get_member (object, "enabled");
  if (enabled != NULL && (!JSON_NODE_HOLDS_VALUE (enabled) || json_node_get_value_type (enabled) != G_TYPE_BOOLEAN))
    {
      g_autofree char *field = g_strdup_printf ("%s.enabled", here);
      return fail (error, self->path, lines, field, "must be true or false");
    }
  entry->enabled = enabled ? json_node_get_boolean (enabled) : TRUE;
  return entry->proxy == NULL || check_proxy (entry->proxy, self->path, lines, index, error);
}

static gboolean
read_root (AmqAccountsFile *self, JsonObject *root, GHashTable *lines, GError **error)
{
  g_autoptr(GHashTable) labels = g_hash_table_new (g_str_hash, g_str_equal);
  const char *strategy = amq_json_get_string (root, "strategy");
  JsonNode *accounts = json_object_get_member (root, "accounts");
  JsonArray *array;
  guint i;

  if (json_object_has_member (root, "strategy"))
    {
      for (i = 0; i < G_N_ELEMENTS (strategy_names) && g_strcmp0 (strategy, strategy_names[i]) != 0; i++)
        ;
      if (i == G_N_ELEMENTS (strategy_names))
        return fail (error, self->path, lines, "strategy", "must be priority, round-robin or least-used");
      self->strategy = (AmqPoolStrategy) i;
    }
  if (accounts == NULL || !JSON_NODE_HOLDS_ARRAY (accounts) || json_array_get_length (json_node_get_array (accounts)) == 0)
    return fail (error, self->path, lines, "accounts", "must be a list of at least one account");
  array = json_node_get_array (accounts);
  for (i = 0; i < json_array_get_length (array); i++)
    if (!read_account (self, json_array_get_element (array, i), i, lines, labels, error))
      return FALSE;
  return TRUE;
}

/* The file's text, refused when others may read it: it holds refresh tokens. */
static char *
read_private_text (const char *path, gsize *length, GError **error)
{
  GStatBuf info;
  char *text = NULL;

  if (g_stat (path, &info) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path, g_strerror (saved));
      return NULL;
    }
  if ((info.st_mode & 0077) != 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
                   "%s can be read by other users and holds refresh tokens: run chmod 600 %s", path, path);
      return NULL;
    }
  if (!g_file_get_contents (path, &text, length, error))
    return NULL;
  return text;
}

static JsonObject *
parse_text (const char *path, const char *text, gsize length, JsonParser *parser, GError **error)
{
  g_autoptr(GError) parse_error = NULL;

  if (!json_parser_load_from_data (parser, text, length, &parse_error))
    {
      /* json-glib says "<data>:LINE:COLUMN: Parse error: ..." and quotes the text it met, which
       * may be a refresh token: only the place is kept */
      guint line = 0, column = 0;

      if (sscanf (parse_error->message, "<data>:%u:%u", &line, &column) == 2)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u:%u: not valid JSON here", path, line, column);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not valid JSON", path);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: must be a JSON object", path);
      return NULL;
    }
  return json_node_get_object (json_parser_get_root (parser));
}

AmqAccountsFile *
amq_accounts_file_load (const char *path, GError **error)
{
  g_autoptr(AmqAccountsFile) self = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) lines = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  JsonObject *root;

  g_return_val_if_fail (path != NULL, NULL);

  text = read_private_text (path, &length, error);
  if (text == NULL)
    return NULL;
  self = g_object_new (AMQ_TYPE_ACCOUNTS_FILE, NULL);
  self->path = g_strdup (path);
  root = parse_text (path, text, length, parser, error);
  lines = root ? find_lines (text) : NULL;
  explicit_bzero (text, length);
  if (root == NULL || !read_root (self, root, lines, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* ---- writing back ---- */

static JsonObject *
account_named (JsonObject *root, const char *label)
{
  JsonNode *accounts = json_object_get_member (root, "accounts");
  JsonArray *array = accounts && JSON_NODE_HOLDS_ARRAY (accounts) ? json_node_get_array (accounts) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node) && g_strcmp0 (amq_json_get_string (json_node_get_object (node), "label"), label) == 0)
        return json_node_get_object (node);
    }
  return NULL;
}

gboolean
amq_accounts_file_save_refresh_token (AmqAccountsFile *self, const char *label, const char *previous,
                                      const char *refresh_token, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = NULL;
  g_autofree char *text = NULL;
  g_autofree char *out = NULL;
  gsize length = 0;
  JsonObject *root;
  JsonObject *account;
  const char *stored;
  gboolean written;

  g_return_val_if_fail (AMQ_IS_ACCOUNTS_FILE (self), FALSE);
  g_return_val_if_fail (label != NULL && refresh_token != NULL, FALSE);

  text = read_private_text (self->path, &length, error);
  root = text ? parse_text (self->path, text, length, parser, error) : NULL;
  if (text != NULL)
    explicit_bzero (text, length);
  if (root == NULL)
    return FALSE;
  account = account_named (root, label);
  stored = account ? amq_json_get_string (account, "refreshToken") : NULL;
  if (g_strcmp0 (stored, refresh_token) == 0)
    return TRUE;
  if (g_strcmp0 (stored, previous) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "%s holds another refresh token for %s now; it was left as it is", self->path, label);
      return FALSE;
    }
  json_object_set_string_member (account, "refreshToken", refresh_token);
  generator = json_generator_new ();
  json_generator_set_root (generator, json_parser_get_root (parser));
  json_generator_set_pretty (generator, TRUE);
  out = json_generator_to_data (generator, NULL);
  /* a temporary file, fsync, rename: the old file or the new one, never half of either */
  written = g_file_set_contents_full (self->path, out, -1,
                                      G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600, error);
  explicit_bzero (out, strlen (out));
  return written;
}

const char *
amq_accounts_file_get_path (AmqAccountsFile *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS_FILE (self), NULL);

  return self->path;
}

AmqPoolStrategy
amq_accounts_file_get_strategy (AmqAccountsFile *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS_FILE (self), AMQ_POOL_PRIORITY);

  return self->strategy;
}

GPtrArray *
amq_accounts_file_get_entries (AmqAccountsFile *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNTS_FILE (self), NULL);

  return self->entries;
}

static void
amq_accounts_file_finalize (GObject *object)
{
  AmqAccountsFile *self = AMQ_ACCOUNTS_FILE (object);

  g_free (self->path);
  g_ptr_array_unref (self->entries);
  G_OBJECT_CLASS (amq_accounts_file_parent_class)->finalize (object);
}

static void
amq_accounts_file_class_init (AmqAccountsFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_accounts_file_finalize;
}

static void
amq_accounts_file_init (AmqAccountsFile *self)
{
  self->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
}
