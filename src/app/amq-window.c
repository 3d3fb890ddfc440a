/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-window.c
 *
 * The window only observes: the server's "url", the application's "server-error", the token
 * manager's properties, the sign-in's "changed", the accounts' "changed", and the core's
 * request log (a GListModel) whose columns the .ui declares. Being shown is a good moment to
 * learn the credits (the engine asks at most every few minutes); hidden, it asks nothing.
 * Closing it hides it; the application keeps serving while the proxy is enabled. */
#include "config.h"

#include "amq-window.h"

#include <glib/gi18n.h>

#include "amq-accounts-page.h"
#include "amq-activity-chart.h"
#include "amq-credits-row.h"
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
  AmqCreditsRow     *credits_row;
  AdwActionRow      *counters_row;
  AmqActivityChart  *activity_chart;
  AmqAccountsPage   *accounts_page;
  AdwViewStack      *view_stack;
  GtkSearchEntry    *search_entry;
  GtkToggleButton   *errors_only_button;
  GtkStack          *log_stack;
  AdwStatusPage     *empty_page;
  GtkColumnView     *log_view;
  GtkBox            *detail_box;
  GtkLabel          *detail_label;

  AmqApplication    *application;
  AmqRequestLog     *log;
  GtkCustomFilter   *filter;
  GtkSingleSelection *selection;
  gulong             back_to_top_id; /* new rows came while the newest was in view */
};

G_DEFINE_FINAL_TYPE (AmqWindow, amq_window, ADW_TYPE_APPLICATION_WINDOW)

/* ---- log cells: closures of the column templates in amq-window.ui ----
 * Each takes the template's object (unused), the row's record (NULL while the row is
 * unbound) and the record property it follows, so the cell changes when that does. */

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
cell_time (gpointer unused, AmqRequestRecord *record)
{
  return record ? g_date_time_format (amq_request_record_get_time (record), "%H:%M:%S") : NULL;
}

static char *
cell_models (gpointer unused, AmqRequestRecord *record, const char *model_used)
{
  if (record == NULL)
    return NULL;
  if (amq_request_record_get_model_asked (record) == NULL)
    return g_strdup (amq_request_record_get_path (record));
  return g_strdup_printf ("%s → %s", amq_request_record_get_model_asked (record), model_used);
}

static char *
cell_mode (gpointer unused, AmqRequestRecord *record, const char *model_used)
{
  if (record == NULL || amq_request_record_get_model_asked (record) == NULL)
    return NULL;
  return g_strdup (amq_request_record_get_stream (record) ? _("stream") : _("json"));
}

static char *
cell_status (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL)
    return NULL;
  if (!finished)
    return g_strdup (_("running"));
  if (amq_request_record_get_error (record) != NULL && amq_request_record_get_status (record) < 400)
    return g_strdup_printf ("%u %s", amq_request_record_get_status (record), _("failed"));
  return g_strdup_printf ("%u", amq_request_record_get_status (record));
}

static GStrv
cell_status_classes (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  g_autoptr(GStrvBuilder) classes = g_strv_builder_new ();

  if (record != NULL && amq_request_record_is_error (record))
    g_strv_builder_add (classes, "error");
  return g_strv_builder_end (classes);
}

static char *
cell_duration (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL)
    return NULL;
  return finished ? format_ms (amq_request_record_get_duration_ms (record)) : g_strdup ("…");
}

static char *
cell_first_token (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL)
    return NULL;
  return finished ? format_ms (amq_request_record_get_first_token_ms (record)) : g_strdup ("…");
}

static char *
cell_tokens (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL || !finished || amq_request_record_get_model_asked (record) == NULL)
    return NULL;
  return g_strdup_printf ("%" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT,
                          amq_request_record_get_input_tokens (record),
                          amq_request_record_get_output_tokens (record));
}

/* 0.21 credits: what Amazon Q metered, blank when it said nothing */
static char *
cell_credits (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL || !finished || amq_request_record_get_credits (record) <= 0)
    return NULL;
  return g_strdup_printf ("%.2f", amq_request_record_get_credits (record));
}

/* the share of the context window the conversation takes */
static char *
cell_context (gpointer unused, AmqRequestRecord *record, gboolean finished)
{
  if (record == NULL || !finished || amq_request_record_get_context_usage (record) <= 0)
    return NULL;
  return g_strdup_printf ("%.0f %%", amq_request_record_get_context_usage (record));
}

/* ---- the log's filter ---- */

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
  fields = g_strdup_printf ("%s %s %s %s %s %s %u %s", amq_request_record_get_path (record),
                            amq_request_record_get_account (record) ?: "",
                            amq_request_api_get_label (amq_request_record_get_api (record)),
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

/* ---- the newest row stays in view ----
 * A list keeps the row it shows in place when rows come in above it; a live log read from
 * the top should show the newest instead. Before the view handles the new rows, note whether
 * it showed the top; once it has placed and painted them, go back there. */

#define TOP_SLACK_PX 4  /* the view may settle a pixel or two below the top by itself */

static GtkAdjustment *
log_adjustment (AmqWindow *self)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->log_view));
}

static void
on_after_paint (GdkFrameClock *clock, AmqWindow *self)
{
  g_clear_signal_handler (&self->back_to_top_id, clock);
  if (self->log_view != NULL)
    gtk_adjustment_set_value (log_adjustment (self), 0);
}

static void
on_rows_coming (AmqWindow *self, guint position, guint removed, guint added)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  /* a hidden window paints nothing: it goes back when it is shown again */
  if (position == 0 && added > 0 && self->back_to_top_id == 0 && clock != NULL &&
      gtk_adjustment_get_value (log_adjustment (self)) <= TOP_SLACK_PX)
    self->back_to_top_id = g_signal_connect_object (clock, "after-paint", G_CALLBACK (on_after_paint), self, 0);
}

/* ---- win.* actions ---- */

static void
copy_text (AmqWindow *self, const char *text, const char *what)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (what));
}

static const char *
server_url (AmqWindow *self)
{
  return amq_server_get_url (amq_application_get_server (self->application));
}

static char *
export_line (const char *url)
{
  return g_strdup_printf ("export ANTHROPIC_BASE_URL=%s ANTHROPIC_AUTH_TOKEN=amq2api", url);
}

static AmqRequestRecord *
selected_record (AmqWindow *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

/* The actions are enabled only while they have something to copy. */
static void
update_actions (AmqWindow *self)
{
  gboolean serving = server_url (self) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-url", serving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-export", serving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.copy-curl", serving && selected_record (self) != NULL);
}

static void
copy_url (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqWindow *self = AMQ_WINDOW (widget);

  copy_text (self, server_url (self), _("URL copied"));
}

static void
copy_export (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqWindow *self = AMQ_WINDOW (widget);
  g_autofree char *line = export_line (server_url (self));

  copy_text (self, line, _("Export line copied"));
}

static void
copy_curl (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  AmqWindow *self = AMQ_WINDOW (widget);
  AmqRequestRecord *record = selected_record (self);
  g_autofree char *curl = NULL;

  g_assert (record != NULL);  /* the action is enabled only with a selected row */
  /* the body is not kept (it is the user's conversation): a template to fill in */
  curl = g_strdup_printf ("curl %s%s -H 'content-type: application/json' -H 'x-api-key: $AMQ2API_API_KEY' "
                          "-d '{\"model\":\"%s\",\"max_tokens\":1024,\"stream\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"…\"}]}'",
                          server_url (self), amq_request_record_get_path (record),
                          amq_request_record_get_model_asked (record) ?: "claude-sonnet-4-5",
                          amq_request_record_get_stream (record) ? "true" : "false");
  copy_text (self, curl, _("curl command copied"));
}

/* ---- what the window shows ---- */

static void
update_detail (AmqWindow *self)
{
  AmqRequestRecord *record = selected_record (self);
  g_autoptr(GString) text = NULL;
  g_autofree char *time = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->detail_box), record != NULL);
  update_actions (self);
  if (record == NULL)
    return;
  time = g_date_time_format (amq_request_record_get_time (record), "%Y-%m-%d %H:%M:%S");
  text = g_string_new (NULL);
  g_string_append_printf (text, "%s %s  ·  %s  ·  %s\n", amq_request_record_get_method (record),
                          amq_request_record_get_path (record), amq_request_record_get_request_id (record), time);
  if (amq_request_record_get_model_asked (record) != NULL)
    g_string_append_printf (text, _("Model: %s asked, %s used on Amazon Q\n"),
                            amq_request_record_get_model_asked (record), amq_request_record_get_model_used (record));
  /* TRANSLATORS: the API the request came in by (Anthropic, OpenAI, Responses) */
  g_string_append_printf (text, _("API: %s"), amq_request_api_get_label (amq_request_record_get_api (record)));
  if (amq_request_record_get_account (record) != NULL)
    /* TRANSLATORS: the account that answered the request */
    g_string_append_printf (text, _(" · account: %s"), amq_request_record_get_account (record));
  g_string_append_c (text, '\n');
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
  if (amq_request_record_get_credits (record) > 0 || amq_request_record_get_context_usage (record) > 0)
    /* TRANSLATORS: credits Amazon Q metered, and the percent of the context window in use */
    g_string_append_printf (text, _("\nCredits %.2f, context window %.0f %% full"),
                            amq_request_record_get_credits (record), amq_request_record_get_context_usage (record));
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
  g_autofree char *credits = g_strdup_printf ("%.2f", amq_request_log_get_credits (self->log));
  /* TRANSLATORS: counts of requests, errors, input tokens, output tokens, and the credits spent */
  g_autofree char *text = g_strdup_printf (_("%s requests · %s errors · %s tokens in · %s out · %s credits"), total,
                                           errors, in, out, credits);

  adw_action_row_set_subtitle (self->counters_row, text);
  gtk_stack_set_visible_child_name (self->log_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->log)) > 0 ? "log" : "empty");
  if (selected_record (self) != NULL)
    update_detail (self);
}

static void
update_server (AmqWindow *self)
{
  const char *url = server_url (self);
  const char *error = amq_application_get_server_error (self->application);
  g_autofree char *line = NULL;
  g_autofree char *empty = NULL;

  if (url != NULL)
    {
      line = export_line (url);
      adw_action_row_set_subtitle (self->url_row, url);
      adw_action_row_set_subtitle (self->export_row, line);
      empty = g_strdup_printf (_("Point Claude Code at Amq2Api and its requests appear here:\n%s"), line);
    }
  else
    {
      adw_action_row_set_subtitle (self->url_row, error ? error : _("Stopped — turn the switch on to serve"));
      adw_action_row_set_subtitle (self->export_row, _("Not serving"));
      empty = g_strdup (_("The proxy is stopped. Turn it on with the switch in the header bar."));
    }
  adw_status_page_set_description (self->empty_page, empty);
  update_actions (self);
}

/* The token's state, and where the sign-in comes from; red while something needs the user. */
static void
update_token (AmqWindow *self)
{
  AmqTokenManager *tokens = amq_application_get_tokens (self->application);
  g_autofree char *state = amq_token_status_describe (tokens);
  g_autofree char *text = g_strdup_printf ("%s\n%s", state,
                                           amq_signin_get_description (amq_application_get_signin (self->application)));
  gboolean needs_action = amq_token_status_needs_sign_in (tokens);

  adw_action_row_set_subtitle (self->token_row, text);
  if (amq_token_status_needs_attention (tokens))
    gtk_widget_add_css_class (GTK_WIDGET (self->token_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->token_row), "error");
  gtk_button_set_label (self->token_button, needs_action ? _("_Sign In…") : _("_Credentials…"));
  if (needs_action)
    gtk_widget_add_css_class (GTK_WIDGET (self->token_button), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->token_button), "suggested-action");
}

static void
amq_window_map (GtkWidget *widget)
{
  AmqWindow *self = AMQ_WINDOW (widget);

  GTK_WIDGET_CLASS (amq_window_parent_class)->map (widget);
  amq_accounts_update_credits (amq_application_get_accounts (self->application), NULL, FALSE);
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
  widget_class->map = amq_window_map;
  gtk_widget_class_set_template_from_resource (widget_class, "/com/example/Amq2Api/ui/amq-window.ui");
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, url_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, export_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, token_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, token_button);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, credits_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, counters_row);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, activity_chart);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, accounts_page);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, errors_only_button);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, log_stack);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, log_view);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, detail_box);
  gtk_widget_class_bind_template_child (widget_class, AmqWindow, detail_label);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, cell_time);
  gtk_widget_class_bind_template_callback (widget_class, cell_models);
  gtk_widget_class_bind_template_callback (widget_class, cell_mode);
  gtk_widget_class_bind_template_callback (widget_class, cell_status);
  gtk_widget_class_bind_template_callback (widget_class, cell_status_classes);
  gtk_widget_class_bind_template_callback (widget_class, cell_duration);
  gtk_widget_class_bind_template_callback (widget_class, cell_first_token);
  gtk_widget_class_bind_template_callback (widget_class, cell_tokens);
  gtk_widget_class_bind_template_callback (widget_class, cell_credits);
  gtk_widget_class_bind_template_callback (widget_class, cell_context);
  gtk_widget_class_install_action (widget_class, "win.copy-url", NULL, copy_url);
  gtk_widget_class_install_action (widget_class, "win.copy-export", NULL, copy_export);
  gtk_widget_class_install_action (widget_class, "win.copy-curl", NULL, copy_curl);
  /* the column templates name the record type in their expressions */
  g_type_ensure (AMQ_TYPE_REQUEST_RECORD);
  g_type_ensure (AMQ_TYPE_ACTIVITY_CHART);
  g_type_ensure (AMQ_TYPE_ACCOUNTS_PAGE);
  g_type_ensure (AMQ_TYPE_CREDITS_ROW);
}

static void
amq_window_init (AmqWindow *self)
{
  g_autoptr(GPropertyAction) page = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* win.page: the page shown, "requests" or "accounts" (Alt+1, Alt+2) */
  page = g_property_action_new ("page", self->view_stack, "visible-child-name");
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (page));
}

AmqWindow *
amq_window_new (AmqApplication *application)
{
  AmqWindow *self;
  GtkFilterListModel *filtered;

  g_return_val_if_fail (AMQ_IS_APPLICATION (application), NULL);

  self = g_object_new (AMQ_TYPE_WINDOW, "application", application, NULL);
  self->application = application;
  self->log = amq_server_get_request_log (amq_application_get_server (application));
  self->filter = gtk_custom_filter_new (filter_record, self, NULL);
  filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->log)), GTK_FILTER (self->filter));
  /* before the view's own handler: it sees where the view was */
  g_signal_connect_object (filtered, "items-changed", G_CALLBACK (on_rows_coming), self, G_CONNECT_SWAPPED);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->log_view, GTK_SELECTION_MODEL (self->selection));
  g_object_unref (self->selection);

  g_signal_connect_object (self->selection, "notify::selected-item", G_CALLBACK (update_detail), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->log, "notify::total", G_CALLBACK (update_counters), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->log, "notify::total", G_CALLBACK (on_log_changed), self, G_CONNECT_SWAPPED);
  /* the URL changes with the listening state, the error when a start fails */
  g_signal_connect_object (amq_application_get_server (application), "notify::url", G_CALLBACK (update_server),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (application, "notify::server-error", G_CALLBACK (update_server), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (amq_application_get_tokens (application), "notify", G_CALLBACK (update_token), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (amq_application_get_signin (application), "changed", G_CALLBACK (update_token), self, G_CONNECT_SWAPPED);
  amq_credits_row_set_accounts (self->credits_row, amq_application_get_accounts (application));
  amq_activity_chart_set_log (self->activity_chart, self->log);
  amq_accounts_page_set_application (self->accounts_page, application);
  update_server (self);
  update_token (self);
  update_counters (self);
  return self;
}
