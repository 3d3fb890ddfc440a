/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-log.c: the last requests, newest first, and counters since start */
#include "config.h"

#include "amq-request-log.h"

struct _AmqRequestLog
{
  GObject    parent_instance;
  GPtrArray *records;   /* newest first */
  guint      limit;
  guint64    total;
  guint64    errors;
  guint64    input_tokens;
  guint64    output_tokens;
  gdouble    credits;
};

enum { PROP_0, PROP_TOTAL, PROP_CREDITS, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void amq_request_log_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqRequestLog, amq_request_log, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, amq_request_log_model_init))

static GType
model_get_item_type (GListModel *model)
{
  return AMQ_TYPE_REQUEST_RECORD;
}

static guint
model_get_n_items (GListModel *model)
{
  return AMQ_REQUEST_LOG (model)->records->len;
}

static gpointer
model_get_item (GListModel *model, guint position)
{
  AmqRequestLog *self = AMQ_REQUEST_LOG (model);

  if (position >= self->records->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->records, position));
}

static void
amq_request_log_model_init (GListModelInterface *iface)
{
  iface->get_item_type = model_get_item_type;
  iface->get_n_items = model_get_n_items;
  iface->get_item = model_get_item;
}

static void
on_record_finished (AmqRequestRecord *record, GParamSpec *pspec, AmqRequestLog *self)
{
  if (amq_request_record_is_error (record))
    self->errors++;
  self->input_tokens += amq_request_record_get_input_tokens (record);
  self->output_tokens += amq_request_record_get_output_tokens (record);
  g_signal_handlers_disconnect_by_func (record, on_record_finished, self);
  if (amq_request_record_get_credits (record) > 0)
    {
      self->credits += amq_request_record_get_credits (record);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CREDITS]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

void
amq_request_log_add (AmqRequestLog *self, AmqRequestRecord *record)
{
  guint removed = 0;

  g_return_if_fail (AMQ_IS_REQUEST_LOG (self));
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (record));

  self->total++;
  if (!amq_request_record_get_finished (record))
    g_signal_connect (record, "notify::finished", G_CALLBACK (on_record_finished), self);
  g_ptr_array_insert (self->records, 0, g_object_ref (record));
  if (self->records->len > self->limit)
    {
      AmqRequestRecord *oldest = g_ptr_array_index (self->records, self->records->len - 1);

      g_signal_handlers_disconnect_by_func (oldest, on_record_finished, self);
      g_ptr_array_remove_index (self->records, self->records->len - 1);
      removed = 1;
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  if (removed)
    g_list_model_items_changed (G_LIST_MODEL (self), self->records->len, 1, 0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL]);
}

guint64
amq_request_log_get_total (AmqRequestLog *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (self), 0);
  return self->total;
}

guint64
amq_request_log_get_errors (AmqRequestLog *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (self), 0);
  return self->errors;
}

guint64
amq_request_log_get_input_tokens (AmqRequestLog *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (self), 0);
  return self->input_tokens;
}

guint64
amq_request_log_get_output_tokens (AmqRequestLog *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (self), 0);
  return self->output_tokens;
}

gdouble
amq_request_log_get_credits (AmqRequestLog *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_LOG (self), 0);
  return self->credits;
}

static void
amq_request_log_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_TOTAL:   g_value_set_uint64 (value, AMQ_REQUEST_LOG (object)->total); break;
    case PROP_CREDITS: g_value_set_double (value, AMQ_REQUEST_LOG (object)->credits); break;
    default:           G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_request_log_finalize (GObject *object)
{
  AmqRequestLog *self = AMQ_REQUEST_LOG (object);

  for (guint i = 0; i < self->records->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->records, i), on_record_finished, self);
  g_ptr_array_unref (self->records);
  G_OBJECT_CLASS (amq_request_log_parent_class)->finalize (object);
}

static void
amq_request_log_class_init (AmqRequestLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_request_log_get_property;
  object_class->finalize = amq_request_log_finalize;
  /* notified whenever the counters change */
  properties[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CREDITS] = g_param_spec_double ("credits", NULL, NULL, 0, G_MAXDOUBLE, 0,
                                                  G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_request_log_init (AmqRequestLog *self)
{
  self->records = g_ptr_array_new_with_free_func (g_object_unref);
}

AmqRequestLog *
amq_request_log_new (guint limit)
{
  AmqRequestLog *self = g_object_new (AMQ_TYPE_REQUEST_LOG, NULL);

  self->limit = limit > 0 ? limit : AMQ_REQUEST_LOG_DEFAULT_LIMIT;
  return self;
}
