/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-account-pool.c
 *
 * A conversation stays on its account while that account is ready, so Amazon Q's prompt cache
 * keeps serving it; new conversations are spread by the strategy. The conversations
 * remembered are bounded: the oldest is forgotten first. */
#include "config.h"

#include "amq-account-pool.h"

#define REMEMBERED_CONVERSATIONS 4096

struct _AmqAccountPool
{
  GObject          parent_instance;
  AmqPoolStrategy  strategy;
  GPtrArray       *accounts;       /* AmqAccount */
  guint            next;           /* round-robin: where the next new conversation starts */
  GHashTable      *conversations;  /* key -> label */
  GQueue           remembered;     /* keys, oldest first */
  gboolean         saving;         /* an account is writing its rotated tokens */
};

enum { PROP_0, PROP_SAVING, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void amq_account_pool_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqAccountPool, amq_account_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, amq_account_pool_model_init))

static GType
get_item_type (GListModel *model)
{
  return AMQ_TYPE_ACCOUNT;
}

static guint
get_n_items (GListModel *model)
{
  return AMQ_ACCOUNT_POOL (model)->accounts->len;
}

static gpointer
get_item (GListModel *model, guint position)
{
  AmqAccountPool *self = AMQ_ACCOUNT_POOL (model);

  return position < self->accounts->len ? g_object_ref (g_ptr_array_index (self->accounts, position)) : NULL;
}

static void
amq_account_pool_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
update_saving (AmqAccountPool *self)
{
  gboolean saving = FALSE;

  for (guint i = 0; !saving && i < self->accounts->len; i++)
    saving = amq_account_get_saving (g_ptr_array_index (self->accounts, i));
  if (saving == self->saving)
    return;
  self->saving = saving;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SAVING]);
}

void
amq_account_pool_add (AmqAccountPool *self, AmqAccount *account)
{
  g_return_if_fail (AMQ_IS_ACCOUNT_POOL (self));
  g_return_if_fail (AMQ_IS_ACCOUNT (account));

  g_ptr_array_add (self->accounts, g_object_ref (account));
  g_signal_connect_object (account, "notify::saving", G_CALLBACK (update_saving), self, G_CONNECT_SWAPPED);
  g_list_model_items_changed (G_LIST_MODEL (self), self->accounts->len - 1, 0, 1);
  update_saving (self);
}

void
amq_account_pool_remove (AmqAccountPool *self, AmqAccount *account)
{
  guint position;

  g_return_if_fail (AMQ_IS_ACCOUNT_POOL (self));
  g_return_if_fail (AMQ_IS_ACCOUNT (account));

  if (!g_ptr_array_find (self->accounts, account, &position))
    return;
  /* round robin's turn stays with the account that had it */
  if (self->next > position)
    self->next--;
  g_ptr_array_remove_index (self->accounts, position);
  if (self->next >= self->accounts->len)
    self->next = 0;
  g_signal_handlers_disconnect_by_data (account, self);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
  update_saving (self);
}

AmqAccount *
amq_account_pool_lookup (AmqAccountPool *self, const char *label)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (self), NULL);

  for (guint i = 0; label != NULL && i < self->accounts->len; i++)
    if (g_strcmp0 (amq_account_get_label (g_ptr_array_index (self->accounts, i)), label) == 0)
      return g_ptr_array_index (self->accounts, i);
  return NULL;
}

AmqPoolStrategy
amq_account_pool_get_strategy (AmqAccountPool *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (self), AMQ_POOL_PRIORITY);

  return self->strategy;
}

static gboolean
usable (AmqAccount *account, GPtrArray *tried)
{
  return (tried == NULL || !g_ptr_array_find (tried, account, NULL)) &&
         amq_account_health_get_status (amq_account_get_health (account)) == AMQ_ACCOUNT_READY;
}

static AmqAccount *
by_strategy (AmqAccountPool *self, GPtrArray *tried)
{
  guint n = self->accounts->len;
  AmqAccount *best = NULL;

  for (guint step = 0; step < n; step++)
    {
      guint i = self->strategy == AMQ_POOL_ROUND_ROBIN ? (self->next + step) % n : step;
      AmqAccount *account = g_ptr_array_index (self->accounts, i);

      if (!usable (account, tried))
        continue;
      if (self->strategy == AMQ_POOL_ROUND_ROBIN)
        {
          self->next = (i + 1) % n;
          return account;
        }
      if (self->strategy == AMQ_POOL_PRIORITY)
        return account;
      if (best == NULL || amq_account_health_get_requests (amq_account_get_health (account)) <
                          amq_account_health_get_requests (amq_account_get_health (best)))
        best = account;
    }
  return best;
}

static void
remember (AmqAccountPool *self, const char *key, AmqAccount *account)
{
  gpointer stored;

  if (!g_hash_table_lookup_extended (self->conversations, key, &stored, NULL))
    {
      stored = g_strdup (key);
      g_queue_push_tail (&self->remembered, stored);
      if (g_queue_get_length (&self->remembered) > REMEMBERED_CONVERSATIONS)
        {
          char *oldest = g_queue_pop_head (&self->remembered);

          g_hash_table_remove (self->conversations, oldest);
          g_free (oldest);
        }
    }
  g_hash_table_insert (self->conversations, stored, g_strdup (amq_account_get_label (account)));
}

AmqAccount *
amq_account_pool_pick (AmqAccountPool *self, const char *conversation_key, GPtrArray *tried, gint64 *available_at)
{
  AmqAccount *account = NULL;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (self), NULL);

  if (conversation_key != NULL)
    account = amq_account_pool_lookup (self, g_hash_table_lookup (self->conversations, conversation_key));
  if (account == NULL || !usable (account, tried))
    account = by_strategy (self, tried);
  if (account != NULL)
    {
      if (conversation_key != NULL)
        remember (self, conversation_key, account);
      return account;
    }
  if (available_at != NULL)
    {
      *available_at = G_MAXINT64;
      for (guint i = 0; i < self->accounts->len; i++)
        {
          AmqAccount *candidate = g_ptr_array_index (self->accounts, i);
          gint64 when = amq_account_health_get_available_at (amq_account_get_health (candidate));

          /* one that failed this request is ready but not for it: it is back now */
          *available_at = MIN (*available_at, MAX (when, 0));
        }
    }
  return NULL;
}

guint
amq_account_pool_count_ready (AmqAccountPool *self)
{
  guint ready = 0;

  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (self), 0);

  for (guint i = 0; i < self->accounts->len; i++)
    ready += usable (g_ptr_array_index (self->accounts, i), NULL);
  return ready;
}

static void
amq_account_pool_finalize (GObject *object)
{
  AmqAccountPool *self = AMQ_ACCOUNT_POOL (object);

  g_ptr_array_unref (self->accounts);
  g_hash_table_unref (self->conversations);
  g_queue_clear_full (&self->remembered, g_free);
  G_OBJECT_CLASS (amq_account_pool_parent_class)->finalize (object);
}

gboolean
amq_account_pool_get_saving (AmqAccountPool *self)
{
  g_return_val_if_fail (AMQ_IS_ACCOUNT_POOL (self), FALSE);
  return self->saving;
}

static void
amq_account_pool_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqAccountPool *self = AMQ_ACCOUNT_POOL (object);

  switch (prop_id)
    {
    case PROP_SAVING:
      g_value_set_boolean (value, self->saving);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_account_pool_class_init (AmqAccountPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = amq_account_pool_finalize;
  object_class->get_property = amq_account_pool_get_property;
  properties[PROP_SAVING] = g_param_spec_boolean ("saving", NULL, NULL, FALSE,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_account_pool_init (AmqAccountPool *self)
{
  self->accounts = g_ptr_array_new_with_free_func (g_object_unref);
  /* the keys belong to the queue, which says which is the oldest */
  self->conversations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_queue_init (&self->remembered);
}

AmqAccountPool *
amq_account_pool_new (AmqPoolStrategy strategy)
{
  AmqAccountPool *self = g_object_new (AMQ_TYPE_ACCOUNT_POOL, NULL);

  self->strategy = strategy;
  return self;
}
