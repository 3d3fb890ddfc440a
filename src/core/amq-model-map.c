/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-model-map.c
 *
 * Ids are matched by family and version, so dated ids, "-latest", dots or dashes and the
 * legacy "claude-3-5-sonnet" order all work. A version newer than any Amazon Q offers maps
 * to the newest of its family; the request log shows the upstream model actually used. */
#include "config.h"

#include "amq-model-map.h"

#include <string.h>

#include "amq-error.h"

typedef struct {
  const char *family;
  guint       major, minor;
  const char *upstream;
} Known;

/* Newest first within each family. */
static const Known known[] = {
  { "opus",   4, 5, "claude-opus-4.5" },
  { "sonnet", 4, 5, "claude-sonnet-4.5" },
  { "sonnet", 4, 0, "claude-sonnet-4" },
  { "haiku",  4, 5, "claude-haiku-4.5" },
};

static const char * const upstream_ids[] = {
  "claude-sonnet-4.5", "claude-sonnet-4", "claude-haiku-4.5", "claude-opus-4.5", NULL
};

struct _AmqModelMap
{
  GObject     parent_instance;
  char       *default_model;
  GHashTable *overrides;
};

G_DEFINE_FINAL_TYPE (AmqModelMap, amq_model_map, G_TYPE_OBJECT)

const char * const *
amq_model_map_known_upstream (void)
{
  return upstream_ids;
}

/* Reads "4", "4-5", "4.5" or "3-5" (with a following date ignored) at @p. */
static gboolean
parse_version (const char *p, guint *major, guint *minor)
{
  char *end = NULL;
  guint64 value;

  if (!g_ascii_isdigit (*p))
    return FALSE;
  value = g_ascii_strtoull (p, &end, 10);
  if (value > 99)
    return FALSE;  /* a date, not a version */
  *major = (guint) value;
  *minor = 0;
  if ((*end == '-' || *end == '.') && g_ascii_isdigit (end[1]))
    {
      char *end2 = NULL;
      guint64 minor_value = g_ascii_strtoull (end + 1, &end2, 10);

      if (minor_value <= 99)
        *minor = (guint) minor_value;
    }
  return TRUE;
}

static gboolean
parse_family (const char *id, const char **family, guint *major, guint *minor)
{
  static const char * const families[] = { "opus", "sonnet", "haiku" };

  for (guint i = 0; i < G_N_ELEMENTS (families); i++)
    {
      const char *at = strstr (id, families[i]);

      if (at == NULL)
        continue;
      *family = families[i];
      /* "claude-sonnet-4-5" */
      if (at[strlen (families[i])] == '-' && parse_version (at + strlen (families[i]) + 1, major, minor))
        return TRUE;
      /* "claude-3-5-sonnet" */
      if (g_str_has_prefix (id, "claude-") && parse_version (id + 7, major, minor))
        return TRUE;
      *major = 99;  /* a family with no version: its newest */
      *minor = 0;
      return TRUE;
    }
  return FALSE;
}

char *
amq_model_map_resolve (AmqModelMap *self,
                       const char  *client_model)
{
  g_autofree char *id = NULL;
  const char *family = NULL;
  const Known *best = NULL;
  guint major = 0, minor = 0;
  const char *override;
  char *bracket;

  g_return_val_if_fail (AMQ_IS_MODEL_MAP (self), NULL);
  g_return_val_if_fail (client_model != NULL, NULL);

  id = g_ascii_strdown (client_model, -1);
  override = g_hash_table_lookup (self->overrides, id);
  if (override != NULL)
    return g_strdup (override);
  if ((bracket = strchr (id, '[')) != NULL)  /* "claude-opus-4-5[1m]" */
    *bracket = '\0';
  if (g_strv_contains (upstream_ids, id))
    return g_strdup (id);
  if (!parse_family (id, &family, &major, &minor))
    return g_strdup (self->default_model);
  /* the exact version, else the newest not newer than asked, else the oldest of the family */
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    {
      const Known *k = &known[i];

      if (!g_str_equal (k->family, family))
        continue;
      if (k->major == major && k->minor == minor)
        return g_strdup (k->upstream);
      if (best == NULL && (k->major < major || (k->major == major && k->minor < minor)))
        best = k;
    }
  if (best == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (known); i++)
      if (g_str_equal (known[i].family, family))
        best = &known[i];
  return g_strdup (best ? best->upstream : self->default_model);
}

void
amq_model_map_set_default (AmqModelMap *self, const char *upstream_model)
{
  g_return_if_fail (AMQ_IS_MODEL_MAP (self));

  g_free (self->default_model);
  self->default_model = g_strdup (upstream_model && *upstream_model ? upstream_model
                                                                    : AMQ_DEFAULT_UPSTREAM_MODEL);
}

gboolean
amq_model_map_parse_overrides (AmqModelMap *self, const char *spec, GError **error)
{
  g_auto(GStrv) pairs = g_strsplit (spec ? spec : "", ",", -1);
  g_autoptr(GHashTable) parsed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_return_val_if_fail (AMQ_IS_MODEL_MAP (self), FALSE);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) kv = NULL;

      g_strstrip (pairs[i]);
      if (*pairs[i] == '\0')
        continue;
      kv = g_strsplit (pairs[i], "=", 2);
      if (kv[1] == NULL || *g_strstrip (kv[0]) == '\0' || *g_strstrip (kv[1]) == '\0')
        {
          g_set_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                       "model map entry '%s' is not CLIENT_MODEL=AMAZON_Q_MODEL", pairs[i]);
          return FALSE;
        }
      g_hash_table_insert (parsed, g_ascii_strdown (kv[0], -1), g_strdup (kv[1]));
    }
  /* the whole list replaces the previous one: a removed override is gone */
  g_hash_table_unref (self->overrides);
  self->overrides = g_steal_pointer (&parsed);
  return TRUE;
}

static void
amq_model_map_finalize (GObject *object)
{
  AmqModelMap *self = AMQ_MODEL_MAP (object);

  g_free (self->default_model);
  g_hash_table_unref (self->overrides);
  G_OBJECT_CLASS (amq_model_map_parent_class)->finalize (object);
}

static void
amq_model_map_class_init (AmqModelMapClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_model_map_finalize;
}

static void
amq_model_map_init (AmqModelMap *self)
{
  self->default_model = g_strdup (AMQ_DEFAULT_UPSTREAM_MODEL);
  self->overrides = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

AmqModelMap *
amq_model_map_new (void)
{
  return g_object_new (AMQ_TYPE_MODEL_MAP, NULL);
}
