/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-activity-chart.c
 *
 * One slot per minute, the oldest on the left. A bar's height is the minute's requests, its
 * top part red for those that failed, with a red mark along the top edge so an error shows at
 * any scale; the tokens are a line on a scale of their own. It counts each record once, when
 * it finishes. While mapped it redraws as each minute passes; unmapped, nothing wakes it. */
#include "config.h"

#include "amq-activity-chart.h"

#include <glib/gi18n.h>

#include "amq-activity.h"

#define MARK_HEIGHT   3.0  /* the error mark along the top */
#define LINE_WIDTH    2.0
#define BAR_SHARE     0.7  /* of a slot's width; the rest is the gap */
#define GRID_MINUTES  15

struct _AmqActivityChart
{
  GtkWidget      parent_instance;
  AmqActivity   *activity;
  AmqRequestLog *log;
  char          *summary;
  guint          tick_id;
};

G_DEFINE_FINAL_TYPE (AmqActivityChart, amq_activity_chart, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_SUMMARY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
update_summary (AmqActivityChart *self)
{
  gint64 now = now_seconds ();
  AmqActivityMinute total = { 0 };
  g_autofree char *requests = NULL;
  g_autofree char *tokens = NULL;
  g_autofree char *errors = NULL;
  char *summary;

  for (guint ago = 0; ago < AMQ_ACTIVITY_MINUTES; ago++)
    {
      AmqActivityMinute minute = amq_activity_get (self->activity, now, ago);

      total.requests += minute.requests;
      total.errors += minute.errors;
      total.tokens += minute.tokens;
    }
  requests = g_strdup_printf ("%u", total.requests);
  tokens = g_strdup_printf ("%" G_GUINT64_FORMAT, total.tokens);
  errors = g_strdup_printf ("%u", total.errors);
  /* TRANSLATORS: counts of requests, tokens and errors in the last hour */
  summary = g_strdup_printf (_("%s requests · %s tokens · %s errors"), requests, tokens, errors);
  if (g_strcmp0 (summary, self->summary) == 0)
    {
      g_free (summary);
      return;
    }
  g_free (self->summary);
  self->summary = summary;
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, summary, -1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUMMARY]);
}

/* ---- following the log ---- */

/* What went to Amazon Q: a model was asked for (not /health, the models list or /admin). */
static void
count (AmqActivityChart *self, AmqRequestRecord *record)
{
  if (amq_request_record_get_model_asked (record) == NULL)
    return;
  amq_activity_add (self->activity, g_date_time_to_unix (amq_request_record_get_time (record)),
                    amq_request_record_get_input_tokens (record) + amq_request_record_get_output_tokens (record),
                    amq_request_record_is_error (record));
  update_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_record_finished (AmqRequestRecord *record, GParamSpec *pspec, AmqActivityChart *self)
{
  g_signal_handlers_disconnect_by_func (record, on_record_finished, self);
  count (self, record);
}

static void
follow_record (AmqActivityChart *self, AmqRequestRecord *record)
{
  if (amq_request_record_get_finished (record))
    count (self, record);
  else
    g_signal_connect_object (record, "notify::finished", G_CALLBACK (on_record_finished), self, 0);
}

/* The log puts new records first; the ones it drops at the end are counted already. */
static void
on_log_items_changed (GListModel *log, guint position, guint removed, guint added, AmqActivityChart *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(AmqRequestRecord) record = g_list_model_get_item (log, i);

      follow_record (self, record);
    }
}

void
amq_activity_chart_set_log (AmqActivityChart *self, AmqRequestLog *log)
{
  GListModel *records;
  gint64 hour_ago = now_seconds () - AMQ_ACTIVITY_MINUTES * 60;

  g_return_if_fail (AMQ_IS_ACTIVITY_CHART (self));
  g_return_if_fail (AMQ_IS_REQUEST_LOG (log));
  g_return_if_fail (self->log == NULL);

  self->log = g_object_ref (log);
  records = G_LIST_MODEL (log);
  for (guint i = 0; i < g_list_model_get_n_items (records); i++)
    {
      g_autoptr(AmqRequestRecord) record = g_list_model_get_item (records, i);

      /* newest first: the rest is older still */
      if (g_date_time_to_unix (amq_request_record_get_time (record)) < hour_ago)
        break;
      follow_record (self, record);
    }
  g_signal_connect_object (log, "items-changed", G_CALLBACK (on_log_items_changed), self, 0);
  update_summary (self);
}

const char *
amq_activity_chart_get_summary (AmqActivityChart *self)
{
  g_return_val_if_fail (AMQ_IS_ACTIVITY_CHART (self), NULL);

  return self->summary;
}

/* ---- as minutes pass, while shown ---- */

static gboolean on_minute (gpointer user_data);

static void
wait_for_next_minute (AmqActivityChart *self)
{
  self->tick_id = g_timeout_add_seconds (60 - now_seconds () % 60, on_minute, self);
}

static gboolean
on_minute (gpointer user_data)
{
  AmqActivityChart *self = user_data;

  update_summary (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  wait_for_next_minute (self);
  return G_SOURCE_REMOVE;
}

static void
amq_activity_chart_map (GtkWidget *widget)
{
  AmqActivityChart *self = AMQ_ACTIVITY_CHART (widget);

  GTK_WIDGET_CLASS (amq_activity_chart_parent_class)->map (widget);
  update_summary (self);
  wait_for_next_minute (self);
}

static void
amq_activity_chart_unmap (GtkWidget *widget)
{
  AmqActivityChart *self = AMQ_ACTIVITY_CHART (widget);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  GTK_WIDGET_CLASS (amq_activity_chart_parent_class)->unmap (widget);
}

/* ---- drawing ---- */

static GdkRGBA
named_color (GtkWidget *widget, const char *name, const GdkRGBA *fallback)
{
  GdkRGBA color;

  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, &color))
    color = *fallback;
  return color;
}

static void
draw_bar (GtkSnapshot *snapshot, float x, float width, float height, float scale, AmqActivityMinute minute,
          const GdkRGBA *ok, const GdkRGBA *error)
{
  float ok_height = (minute.requests - minute.errors) * scale;
  float error_height = minute.errors > 0 ? MAX (minute.errors * scale, 2.0f) : 0;
  float top = height - ok_height - error_height;

  gtk_snapshot_append_color (snapshot, ok, &GRAPHENE_RECT_INIT (x, height - ok_height, width, ok_height));
  if (minute.errors == 0)
    return;
  gtk_snapshot_append_color (snapshot, error, &GRAPHENE_RECT_INIT (x, top, width, error_height));
  gtk_snapshot_append_color (snapshot, error, &GRAPHENE_RECT_INIT (x, 0, width, MARK_HEIGHT));
}

static void
amq_activity_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  AmqActivityChart *self = AMQ_ACTIVITY_CHART (widget);
  float width = gtk_widget_get_width (widget);
  float height = gtk_widget_get_height (widget);
  float room = height - MARK_HEIGHT - LINE_WIDTH;
  float slot = width / AMQ_ACTIVITY_MINUTES;
  const GdkRGBA blue = { 0.21, 0.52, 0.89, 1 }, red = { 0.88, 0.11, 0.14, 1 };
  GdkRGBA ink, accent = named_color (widget, "accent_color", &blue), error = named_color (widget, "error_color", &red);
  AmqActivityMinute minutes[AMQ_ACTIVITY_MINUTES];
  guint most_requests = 1;
  guint64 most_tokens = 1;
  gint64 now = now_seconds ();
  float previous_y = -1;

  /* the oldest minute on the left */
  for (guint i = 0; i < AMQ_ACTIVITY_MINUTES; i++)
    {
      minutes[i] = amq_activity_get (self->activity, now, AMQ_ACTIVITY_MINUTES - 1 - i);
      most_requests = MAX (most_requests, minutes[i].requests);
      most_tokens = MAX (most_tokens, minutes[i].tokens);
    }
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &ink);
  ink.alpha *= 0.15f;
  gtk_snapshot_append_color (snapshot, &ink, &GRAPHENE_RECT_INIT (0, height - 1, width, 1));
  /* a faint line each quarter of an hour, for a sense of when */
  for (guint minute = GRID_MINUTES; minute < AMQ_ACTIVITY_MINUTES; minute += GRID_MINUTES)
    gtk_snapshot_append_color (snapshot, &ink, &GRAPHENE_RECT_INIT (minute * slot, MARK_HEIGHT, 1, room));
  ink.alpha *= 2.5f;
  for (guint i = 0; i < AMQ_ACTIVITY_MINUTES; i++)
    draw_bar (snapshot, i * slot + slot * (1 - BAR_SHARE) / 2, slot * BAR_SHARE, height,
              room / most_requests, minutes[i], &ink, &error);
  /* the tokens: a step line through the minutes that had any */
  for (guint i = 0; i < AMQ_ACTIVITY_MINUTES; i++)
    {
      float y;

      if (minutes[i].tokens == 0)
        {
          previous_y = -1;
          continue;
        }
      y = height - LINE_WIDTH - (float) minutes[i].tokens / most_tokens * room;
      gtk_snapshot_append_color (snapshot, &accent, &GRAPHENE_RECT_INIT (i * slot, y, slot, LINE_WIDTH));
      if (previous_y >= 0)
        gtk_snapshot_append_color (snapshot, &accent, &GRAPHENE_RECT_INIT (i * slot, MIN (y, previous_y), LINE_WIDTH,
                                                                          ABS (y - previous_y) + LINE_WIDTH));
      previous_y = y;
    }
}

static void
amq_activity_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                            int *natural, int *minimum_baseline, int *natural_baseline)
{
  /* two pixels a minute at the least: it fits a 360 px window */
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 2 * AMQ_ACTIVITY_MINUTES : 48;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 6 * AMQ_ACTIVITY_MINUTES : 64;
}

/* ---- GObject ---- */

static void
amq_activity_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_SUMMARY: g_value_set_string (value, AMQ_ACTIVITY_CHART (object)->summary); break;
    default:           G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_activity_chart_dispose (GObject *object)
{
  AmqActivityChart *self = AMQ_ACTIVITY_CHART (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->log);
  G_OBJECT_CLASS (amq_activity_chart_parent_class)->dispose (object);
}

static void
amq_activity_chart_finalize (GObject *object)
{
  AmqActivityChart *self = AMQ_ACTIVITY_CHART (object);

  amq_activity_free (self->activity);
  g_free (self->summary);
  G_OBJECT_CLASS (amq_activity_chart_parent_class)->finalize (object);
}

static void
amq_activity_chart_class_init (AmqActivityChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = amq_activity_chart_get_property;
  object_class->dispose = amq_activity_chart_dispose;
  object_class->finalize = amq_activity_chart_finalize;
  widget_class->map = amq_activity_chart_map;
  widget_class->unmap = amq_activity_chart_unmap;
  widget_class->snapshot = amq_activity_chart_snapshot;
  widget_class->measure = amq_activity_chart_measure;
  properties[PROP_SUMMARY] = g_param_spec_string ("summary", NULL, NULL, NULL,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_css_name (widget_class, "activitychart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
amq_activity_chart_init (AmqActivityChart *self)
{
  self->activity = amq_activity_new ();
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Requests and tokens per minute in the last hour"), -1);
  update_summary (self);
}
