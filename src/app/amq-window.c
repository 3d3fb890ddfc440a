/* amq-window.c
 *
 * The window only observes: the server's URL through the application's "server-changed",
 * the token manager's properties, and the core's request log (a GListModel). Closing it
 * hides it; the application keeps serving while the proxy is enabled. */
#include "amq-window.h"

#include <glib/gi18n.h>

#include "amq-request-log.h"
#include "amq-token-status.h"

struct _AmqWindow
{
  AdwApplicationWindow parent_instance;

  AdwToastOverlay   *toasts;
  AdwActionRow      *url_row;
  AdwActionRow      *export_row;
  AdwActionRow      *token_row;
  GtkButton         *token_button;
  AdwActionRow      *counters_row;
  GtkSearchEntry    *search_entry;
  GtkToggleButton   *errors_only_button;
  GtkStack          *log_stack;
  AdwStatusPage     *empty_page;
  GtkColumnView     *log_view;
  GtkBox            *detail_box;
  GtkLabel          *detail_label;
  GtkButton         *copy_url_button;

  AmqApplication    *application;
  AmqRequestLog     *log;
  GtkCustomFilter   *filter;
  GtkSingleSelection *selection;
};

G_DEFINE_FINAL_TYPE (AmqWindow, amq_window, ADW_TYPE_APPLICATION_WINDOW)

typedef enum {
  COLUMN_TIME,
  COLUMN_MODEL,
  COLUMN_STREAM,
  COLUMN_STATUS,
  COLUMN_DURATION,
  COLUMN_FIRST_TOKEN,
  COLUMN_TOKENS,
} Column;

static char *
format_ms (gint64 ms)
{
  if (ms < 0)
    return g_strdup ("—");
  if (ms < 1000)
    return g_strdup_printf ("%" G_GINT64_FORMAT " ms", ms);
  return g_strdup_printf ("%.1f s", ms / 1000.0);
}

static char *
cell_text (AmqRequestRecord *record, Column column)
{
  gboolean finished = amq_request_record_get_finished (record);

  switch (column)
    {
    case COLUMN_TIME:
      return g_date_time_format (amq_request_record_get_time (record), "%H:%M:%S");
    case COLUMN_MODEL:
      if (amq_request_record_get_model_asked (record) == NULL)
        return g_strdup (amq_request_record_get_path (record));
      return g_strdup_printf ("%s → %s", amq_request_record_get_model_asked (record),
                              amq_request_record_get_model_used (record));
    case COLUMN_STREAM:
      return g_strdup (amq_request_record_get_model_asked (record) == NULL ? "" :
                       amq_request_record_get_stream (record) ? _("stream") : _("json"));
    case COLUMN_STATUS:
      if (!finished)
        return g_strdup (_("running"));
      if (amq_request_record_get_error (record) != NULL && amq_request_record_get_status (record) < 400)
        return g_strdup_printf ("%u %s", amq_request_record_get_status (record), _("failed"));
      return g_strdup_printf ("%u", amq_request_record_get_status (record));
    case COLUMN_DURATION:
      return finished ? format_ms (amq_request_record_get_duration_ms (record)) : g_strdup ("…");
    case COLUMN_FIRST_TOKEN:
      return finished ? format_ms (amq_request_record_get_first_token_ms (record)) : g_strdup ("…");
    case COLUMN_TOKENS:
    default:
      if (!finished || amq_request_record_get_model_asked (record) == NULL)
        return g_strdup ("");
      return g_strdup_printf ("%" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                              amq_request_record_get_input_tokens (record),
                              amq_request_record_get_output_tokens (record));
    }
}

static void
update_cell (GtkLabel *label)
{
  AmqRequestRecord *record = g_object_get_data (G_OBJECT (label), "record");
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (label), "column"));
  g_autofree char *text = NULL;

  if (record == NULL)
    return;
  text = cell_text (record, column);
  gtk_label_set_text (label, text);
  if (column == COLUMN_STATUS)
    {
      if (amq_request_record_is_error (record))
        gtk_widget_add_css_class (GTK_WIDGET (label), "error");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
    }
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  g_object_set_data (G_OBJECT (label), "column", column);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  AmqRequestRecord *record = gtk_list_item_get_item (item);

  g_object_set_data (G_OBJECT (label), "record", record);
  update_cell (label);
  g_signal_connect_object (record, "notify::finished", G_CALLBACK (update_cell), label, G_CONNECT_SWAPPED);
}

static void
unbind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer column)
{
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  AmqRequestRecord *record = gtk_list_item_get_item (item);

  g_signal_handlers_disconnect_by_func (record, update_cell, label);
  g_object_set_data (G_OBJECT (label), "record", NULL);
}

static void
add_column (AmqWindow *self, const char *title, Column column, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (column));
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), GINT_TO_POINTER (column));
  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->log_view, view_column);
  g_object_unref (view_column);
}

static gboolean
filter_record (gpointer item, gpointer user_data)
{
  AmqWindow *self = user_data;
  AmqRequestRecord *record = item;
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *fields = NULL;
  g_autofree char *haystack = NULL;
  g_autofree char *needle = NULL;

  if (gtk_toggle_button_get_active (self->errors_only_button) && !amq_request_record_is_error (record))
    return FALSE;
  if (search == NULL || *search == '\0')
    return TRUE;
  fields = g_strdup_printf ("%s %s %s %s %u %s", amq_request_record_get_path (record),
                            amq_request_record_get_model_asked (record) ?: "",
                            amq_request_record_get_model_used (record) ?: "",
                            amq_request_record_get_request_id (record),
                            amq_request_record_get_status (record),
                            amq_request_record_get_error (record) ?: "");
  haystack = g_utf8_casefold (fields, -1);
  needle = g_utf8_casefold (search, -1);
  return strstr (haystack, needle) != NULL;
}

static void
on_filter_changed (AmqWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* A finished request may now match "errors only" or the search: refilter only then. */
static void
on_log_changed (AmqWindow *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (gtk_toggle_button_get_active (self->errors_only_button) || (search != NULL && *search != '\0'))
    on_filter_changed (self);
}

static void
copy_text (AmqWindow *self, const char *text, const char *what)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (what));
}

static void
on_copy_url (AmqWindow *self)
{
  const char *url = amq_server_get_url (amq_application_get_server (self->application));

  if (url != NULL)
    copy_text (self, url, _("URL copied"));
}

static void
on_copy_export (AmqWindow *self)
{
  const char *url = amq_server_get_url (amq_application_get_server (self->application));
  g_autofree char *line = NULL;

  if (url == NULL)
    return;
  line = g_strdup_printf ("export ANTHROPIC_BASE_URL=%s ANTHROPIC_AUTH_TOKEN=amq2api", url);
  copy_text (self, line, _("Export line copied"));
}

static AmqRequestRecord *
selected_record (AmqWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
on_copy_curl (AmqWindow *self)
{
  AmqRequestRecord *record = selected_record (self);
  const char *url = amq_server_get_url (amq_application_get_server (self->application));
  g_autofree char *curl = NULL;

  if (record == NULL || url == NULL)
    return;
  /* the body is not kept (it is the user's conversation): a template to fill in */
  curl = g_strdup_printf ("curl %s%s -H 'content-type: application/json' -H 'x-api-key: $AMQ2API_API_KEY' "
                          "-d '{\"model\":\"%s\",\"max_tokens\":1024,\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"…\"}]}'",
                          url, amq_request_record_get_path (record),
                          amq_request_record_get_model_asked (record) ?: "claude-sonnet-4-5",
                          amq_request_record_get_stream (record) ? "true" : "false");
  copy_text (self, curl, _("curl command copied"));
}

static void
update_detail (AmqWindow *self)
{
  AmqRequestRecord *record = selected_record (self);
  g_autoptr(GString) text = NULL;
  g_autofree char *time = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->detail_box), record != NULL);
  if (record == NULL)
    return;
  time = g_date_time_format (amq_request_record_get_time (record), "%Y-%m-%d %H:%M:%S");
  text = g_string_new (NULL);
  g_string_append_printf (text, "%s %s  ·  %s  ·  %s\n", amq_request_record_get_method (record),
                          amq_request_record_get_path (record), amq_request_record_get_request_id (record), time);
  if (amq_request_record_get_model_asked (record) != NULL)
    g_string_append_printf (text, _("Model: %s asked, %s used on Amazon Q\n"),
                            amq_request_record_get_model_asked (record), amq_request_record_get_model_used (record));
  if (amq_request_record_get_finished (record))
    {
      g_autofree char *duration = format_ms (amq_request_record_get_duration_ms (record));
      g_autofree char *in = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_record_get_input_tokens (record));
      g_autofree char *out = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_record_get_output_tokens (record));

      /* TRANSLATORS: status code, duration, input tokens, output tokens */
      g_string_append_printf (text, _("Status %u in %s, tokens %s in / %s out"),
                              amq_request_record_get_status (record), duration, in, out);
    }
  else
    g_string_append (text, _("Still running"));
  if (amq_request_record_get_error (record) != NULL)
    g_string_append_printf (text, "\n%s %s", _("Error:"), amq_request_record_get_error (record));
  if (amq_request_record_get_headers (record) != NULL && *amq_request_record_get_headers (record) != '\0')
    g_string_append_printf (text, "\n\n%s", amq_request_record_get_headers (record));
  gtk_label_set_text (self->detail_label, text->str);
}

static void
update_counters (AmqWindow *self)
{
  g_autofree char *total = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_log_get_total (self->log));
  g_autofree char *errors = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_log_get_errors (self->log));
  g_autofree char *in = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_log_get_input_tokens (self->log));
  g_autofree char *out = g_strdup_printf ("%" G_GUINT64_FORMAT, amq_request_log_get_output_tokens (self->log));
  /* TRANSLATORS: counts of requests, errors, input tokens, output tokens */
  g_autofree char *text = g_strdup_printf (_("%s requests · %s errors · %s tokens in · %s out"), total, errors, in, out);

  adw_action_row_set_subtitle (self->counters_row, text);
  gtk_stack_set_visible_child_name (self->log_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->log)) > 0 ? "log" : "empty");
  if (selected_record (self) != NULL)
    update_detail (self);
}

static void
update_server (AmqWindow *self)
{
  AmqServer *server = amq_application_get_server (self->application);
  const char *url = amq_server_get_url (server);
  const char *error = amq_application_get_server_error (self->application);
  g_autofree char *export_line = NULL;
  g_autofree char *empty = NULL;

  if (url != NULL)
    {
      export_line = g_strdup_printf ("export ANTHROPIC_BASE_URL=%s ANTHROPIC_AUTH_TOKEN=amq2api", url);
      adw_action_row_set_subtitle (self->url_row, url);
      adw_action_row_set_subtitle (self->export_row, export_line);
      empty = g_strdup_printf (_("Point Claude Code at Amq2Api and its requests appear here:\n%s"), export_line);
    }
  else
    {
      adw_action_row_set_subtitle (self->url_row, error ? error : _("Stopped — turn the switch on to serve"));
      adw_action_row_set_subtitle (self->export_row, _("Not serving"));
      empty = g_strdup (_("The proxy is stopped. Turn it on with the switch in the header bar."));
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->copy_url_button), url != NULL);
  adw_status_page_set_description (self->empty_page, empty);
}

static void
update_token (AmqWindow *self)
{
  AmqTokenManager *tokens = amq_application_get_tokens (self->application);
  g_autofree char *text = amq_token_status_describe (tokens);
  gboolean needs_action = amq_token_status_needs_sign_in (tokens);

  adw_action_row_set_subtitle (self->token_row, text);
  gtk_button_set_label (self->token_button, needs_action ? _("_Sign In…") : _("_Credentials…"));
  if (needs_action)
    gtk_widget_add_css_class (GTK_WIDGET (self->token_button), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->token_button), "suggested-action");
}

static gboolean
close_request (GtkWindow *window)
{
  /* hide: the application keeps serving; Quit is in the menu */
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  return TRUE;
}

static void
amq_window_dispose (GObject *object)
{
  AmqWindow *self = AMQ_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), AMQ_TYPE_WINDOW);
  G_OBJECT_CLASS (amq_window_parent_class)->dispose (object);
}

static void
amq_window_class_init (AmqWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = amq_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = close_request;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, export_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, token_button);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, counters_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, errors_only_button);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, log_stack);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, detail_box);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, copy_url_button);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_url);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_export);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_curl);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
}

static void
amq_window_init (AmqWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

AmqWindow *
amq_window_new (AmqApplication *application)
{
  AmqWindow *self = g_object_new (AMQ_TYPE_WINDOW, "application", application, NULL);
  GtkFilterListModel *filtered;

  self->application = application;
  self->log = amq_server_get_request_log (amq_application_get_server (application));
  self->filter = gtk_custom_filter_new (filter_record, self, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->log)), GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->log_view, GTK_SELECTION_MODEL (self->selection));
  g_object_unref (self->selection);
  add_column (self, _("Time"), COLUMN_TIME, FALSE);
  add_column (self, _("Model asked → used"), COLUMN_MODEL, TRUE);
  add_column (self, _("Mode"), COLUMN_STREAM, FALSE);
  add_column (self, _("Status"), COLUMN_STATUS, FALSE);
  add_column (self, _("Duration"), COLUMN_DURATION, FALSE);
  add_column (self, _("First token"), COLUMN_FIRST_TOKEN, FALSE);
  add_column (self, _("Tokens in / out"), COLUMN_TOKENS, FALSE);

  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (update_detail), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->log, "notify::total", G_CALLBACK (update_counters), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->log, "notify::total", G_CALLBACK (on_log_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "server-changed", G_CALLBACK (update_server), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (amq_application_get_tokens (application), "notify", G_CALLBACK (update_token), self, G_CONNECT_SWAPPED);
  update_server (self);
  update_token (self);
  update_counters (self);
  return self;
}
