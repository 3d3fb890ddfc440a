/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-ui.c: the desktop app in this process, under Xvfb with a private bus and an unlocked
 * gnome-keyring (see build-aux/dev test), against the fake Amazon Q. */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <locale.h>
#include <signal.h>
#include <string.h>

#include "amq-account-row.h"
#include "amq-activity-chart.h"
#include "amq-activity.h"
#include "amq-application.h"
#include "amq-autostart.h"
#include "amq-credentials-dialog.h"
#include "amq-preferences-window.h"
#include "amq-window.h"
#include "test-util.h"

static AmqApplication *app;
static char *fake_url;
static GSubprocess *fake;
static char *kiro_cli_path;  /* the other clients' sign-ins the dialog finds */
static char *kiro_ide_path;

/* ---- helpers ---- */

static gboolean
wait_until (gboolean (*done) (gpointer), gpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

/* The first widget under @root, depth first, that @matches. */
static GtkWidget *
find_descendant (GtkWidget *root, gboolean (*matches) (GtkWidget *, gconstpointer), gconstpointer data)
{
  if (matches (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, matches, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct { GType type; const char *title; } Titled;

static gboolean
is_titled (GtkWidget *widget, gconstpointer data)
{
  const Titled *want = data;
  const char *title = NULL;

  if (!G_TYPE_CHECK_INSTANCE_TYPE (widget, want->type))
    return FALSE;
  if (want->title == NULL)
    return TRUE;
  if (ADW_IS_PREFERENCES_ROW (widget))
    title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));
  else if (GTK_IS_BUTTON (widget))
    title = gtk_button_get_label (GTK_BUTTON (widget));
  return g_strcmp0 (title, want->title) == 0;
}

/* A widget of @type, with @title (a row's title, a button's label) unless that is NULL. */
static GtkWidget *
find_widget (GtkWidget *root, GType type, const char *title)
{
  Titled want = { type, title };

  return find_descendant (root, is_titled, &want);
}

static gboolean
drives_action (GtkWidget *widget, gconstpointer action_name)
{
  return GTK_IS_ACTIONABLE (widget) && g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action_name) == 0;
}

static gboolean
shows_text (GtkWidget *widget, gconstpointer text)
{
  return GTK_IS_LABEL (widget) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0;
}

/* The widget that drives @action_name (a button, the header bar switch). */
static GtkWidget *
find_actionable (GtkWidget *root, const char *action_name)
{
  return find_descendant (root, drives_action, action_name);
}

static GtkWidget *
find_label (GtkWidget *root, const char *text)
{
  return find_descendant (root, shows_text, text);
}

typedef struct { GtkWidget *root; const char *text; } Label;

static gboolean
label_shown (gpointer data)
{
  Label *l = data;

  return find_label (l->root, l->text) != NULL;
}

static gboolean
label_gone (gpointer data)
{
  return !label_shown (data);
}

static AmqWindow *
main_window (void)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l; l = l->next)
    if (AMQ_IS_WINDOW (l->data))
      return l->data;
  g_action_group_activate_action (G_ACTION_GROUP (app), "show-window", NULL);
  return main_window ();
}

static const char *
row_subtitle (GtkWidget *root, const char *title)
{
  GtkWidget *row = find_widget (root, ADW_TYPE_ACTION_ROW, title);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
}

typedef struct {
  guint  status;
  gboolean done;
} Reply;

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *r = user_data;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);

  r->status = body ? soup_message_get_status (soup_session_get_async_result_message (SOUP_SESSION (source), result)) : 0;
  r->done = TRUE;
}

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->done;
}

/* An HTTP call to the app's own server, async on this main loop (a sync call would deadlock),
 * with one more request header unless @header is NULL. */
static guint
request_with (const char *path, const char *body, const char *header, const char *value)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = NULL;
  const char *base = amq_server_get_url (amq_application_get_server (app));
  g_autoptr(SoupMessage) msg = NULL;
  Reply r = { 0 };

  if (base == NULL)
    base = g_strdup_printf ("http://127.0.0.1:%u", g_settings_get_uint (amq_application_get_settings (app), "port"));
  url = g_strconcat (base, path, NULL);
  msg = soup_message_new (body ? "POST" : "GET", url);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  if (header != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), header, value);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_reply, &r);
  g_assert_true (wait_until (reply_done, &r, 20000));
  return r.status;
}

static guint
request (const char *path, const char *body)
{
  return request_with (path, body, NULL, NULL);
}

static guint
ask (const char *scenario)
{
  g_autofree char *body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":64,\"stream\":true,"
                                           "\"messages\":[{\"role\":\"user\",\"content\":\"SCENARIO:%s\"}]}", scenario);

  return request ("/v1/messages", body);
}

static AmqSignin *
signin (void)
{
  return amq_application_get_signin (app);
}

static const AmqCredentialSet *
credentials (void)
{
  return amq_signin_get_credentials (signin ());
}

static gboolean
flag_set (gpointer data)
{
  return *(gboolean *) data;
}

static void
on_signin_saved (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_signin_save_finish (AMQ_SIGNIN (source), result, NULL));
  *(gboolean *) data = TRUE;
}

/* The app uses these credentials at once; returns once the keyring holds them too. */
static void
use_refresh_token (const char *refresh_token)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  gboolean saved = FALSE;

  set->refresh_token = g_strdup (refresh_token);
  set->client_id = g_strdup ("ui-client");
  set->client_secret = g_strdup ("ui-secret");
  amq_signin_save_async (signin (), set, on_signin_saved, &saved);
  g_assert_true (wait_until (flag_set, &saved, 10000));
}

/* ---- tests ---- */

static void
test_templates_build (void)
{
  AmqWindow *window = main_window ();
  AmqCredentialsDialog *dialog = amq_credentials_dialog_new (app);
  GtkWidget *preferences = amq_preferences_window_new (app);

  g_assert_nonnull (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  g_assert_nonnull (find_widget (GTK_WIDGET (dialog), ADW_TYPE_PASSWORD_ENTRY_ROW, NULL));
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_present (GTK_WINDOW (preferences));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* GNOME's narrowest layout: the window must fit a 360 px wide screen */
static void
test_fits_360_px (void)
{
  AmqWindow *window = main_window ();
  AmqCredentialsDialog *dialog = amq_credentials_dialog_new (app);
  AmqCredentialsDialog *add = amq_credentials_dialog_new_for_account (app);
  GtkWidget *preferences = amq_preferences_window_new (app);
  GtkWidget *windows[] = { GTK_WIDGET (window), GTK_WIDGET (dialog), GTK_WIDGET (add), preferences };

  for (guint i = 0; i < G_N_ELEMENTS (windows); i++)
    {
      int minimum = 0;

      /* the content, without the client-side decoration's frame around it */
      gtk_widget_measure (gtk_widget_get_first_child (windows[i]), GTK_ORIENTATION_HORIZONTAL, -1,
                          &minimum, NULL, NULL, NULL);
      g_test_message ("%s needs %d px", G_OBJECT_TYPE_NAME (windows[i]), minimum);
      g_assert_cmpint (minimum, <=, 360);
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (add));
  gtk_window_destroy (GTK_WINDOW (preferences));
}

static void
on_painted (GdkFrameClock *clock, guint *frames)
{
  ++*frames;
}

static gboolean
two_frames (gpointer frames)
{
  return *(guint *) frames >= 2;
}

/* Two frames of the main window: it has laid out and painted what changed, and what it does
 * after painting is done. */
static void
settle (void)
{
  GtkWidget *window = GTK_WIDGET (main_window ());
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);
  guint frames = 0;
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_painted), &frames);
  gtk_widget_queue_draw (window);
  g_assert_true (wait_until (two_frames, &frames, 5000));
  g_signal_handler_disconnect (clock, handler);
}

typedef struct { GListModel *model; guint want; } Count;

static gboolean
has_items (gpointer data)
{
  Count *c = data;

  return g_list_model_get_n_items (c->model) >= c->want;
}

static void
test_requests_appear_in_log (void)
{
  AmqWindow *window = main_window ();
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (view));
  guint before = g_list_model_get_n_items (model);
  g_autoptr(AmqRequestRecord) newest = NULL;
  gint64 start;
  Count c = { model, before + 1 };

  use_refresh_token ("rt-ok");
  g_assert_cmpuint (ask ("text"), ==, 200);
  start = g_get_monotonic_time ();
  g_assert_true (wait_until (has_items, &c, 200));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 200 * 1000);
  newest = g_list_model_get_item (model, 0);
  g_assert_cmpstr (amq_request_record_get_model_used (newest), ==, "claude-sonnet-4.5");
  g_assert_cmpuint (amq_request_record_get_status (newest), ==, 200);
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (window), _("Since start")), "requests"));
}

typedef struct { AmqWindow *window; const char *prefix; } Subtitle;

static gboolean
token_subtitle_is (gpointer data)
{
  Subtitle *s = data;

  return g_str_has_prefix (row_subtitle (GTK_WIDGET (s->window), _("Amazon Q token")), s->prefix);
}

static void
test_token_status_follows_refresh (void)
{
  Subtitle valid = { main_window (), "Valid until" };
  Subtitle refreshing = { main_window (), "Refreshing" };
  Subtitle sign_in = { main_window (), "Sign-in needed" };
  GtkWidget *button;

  use_refresh_token ("rt-slow");
  {
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strconcat (amq_server_get_url (amq_application_get_server (app)), "/v1/messages", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    const char *body = "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
    Reply r = { 0 };

    soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_reply, &r);
    g_assert_true (wait_until (token_subtitle_is, &refreshing, 5000));  /* a refresh in flight */
    g_assert_true (wait_until (reply_done, &r, 10000));
    g_assert_true (wait_until (token_subtitle_is, &valid, 5000));
  }
  use_refresh_token ("rt-invalid");
  g_assert_cmpuint (ask ("text"), ==, 401);
  g_assert_true (wait_until (token_subtitle_is, &sign_in, 5000));
  button = find_widget (GTK_WIDGET (valid.window), GTK_TYPE_BUTTON, _("_Sign In…"));
  g_assert_nonnull (button);  /* the action that fixes it */
  use_refresh_token ("rt-ok");
}

typedef struct { GListModel *model; guint want; } Exactly;

static gboolean
has_exactly (gpointer data)
{
  Exactly *e = data;

  return g_list_model_get_n_items (e->model) == e->want;
}

static guint
count_matching (GListModel *log, const char *model_used, gboolean errors)
{
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (log); i++)
    {
      g_autoptr(AmqRequestRecord) record = g_list_model_get_item (log, i);

      if (errors ? amq_request_record_is_error (record)
                 : g_strcmp0 (amq_request_record_get_model_used (record), model_used) == 0)
        n++;
    }
  return n;
}

/* The search (case-folded, over model, path, id, status and error) and "errors only" narrow
 * the view over the log; the log itself keeps everything. Runs after a request that answered
 * 401. */
static void
test_search_filters_log (void)
{
  AmqWindow *window = main_window ();
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GListModel *shown = G_LIST_MODEL (gtk_column_view_get_model (view));
  GListModel *log = G_LIST_MODEL (amq_server_get_request_log (amq_application_get_server (app)));
  GtkEditable *search = GTK_EDITABLE (find_widget (GTK_WIDGET (window), GTK_TYPE_SEARCH_ENTRY, NULL));
  GtkToggleButton *errors_only = GTK_TOGGLE_BUTTON (find_widget (GTK_WIDGET (window), GTK_TYPE_TOGGLE_BUTTON,
                                                                 _("_Errors only")));
  Exactly all, haiku, errors, none = { shown, 0 };

  g_assert_cmpuint (request ("/v1/messages", "{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,"
                             "\"messages\":[{\"role\":\"user\",\"content\":\"SCENARIO:text\"}]}"), ==, 200);
  all = (Exactly) { shown, g_list_model_get_n_items (log) };
  haiku = (Exactly) { shown, count_matching (log, "claude-haiku-4.5", FALSE) };
  errors = (Exactly) { shown, count_matching (log, NULL, TRUE) };
  g_assert_cmpuint (haiku.want, >, 0);
  g_assert_cmpuint (haiku.want, <, all.want);
  g_assert_cmpuint (errors.want, >, 0);
  g_assert_cmpuint (errors.want, <, all.want);
  g_assert_true (wait_until (has_exactly, &all, 5000));
  gtk_editable_set_text (search, "HAIKU");  /* the search ignores case */
  g_assert_true (wait_until (has_exactly, &haiku, 5000));
  gtk_editable_set_text (search, "no such request");
  g_assert_true (wait_until (has_exactly, &none, 5000));
  gtk_editable_set_text (search, "");
  g_assert_true (wait_until (has_exactly, &all, 5000));
  gtk_toggle_button_set_active (errors_only, TRUE);
  g_assert_true (has_exactly (&errors));
  gtk_toggle_button_set_active (errors_only, FALSE);
  g_assert_true (has_exactly (&all));
  g_assert_cmpuint (g_list_model_get_n_items (log), ==, all.want);
}

/* The token state is a registered enum: its property is typed, its values have names. */
static void
test_token_state_is_registered_enum (void)
{
  AmqTokenManager *tokens = amq_application_get_tokens (app);
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (tokens), "state");
  g_autoptr(GEnumClass) states = g_type_class_ref (AMQ_TYPE_TOKEN_STATE);
  AmqTokenState state;

  g_assert_true (G_IS_PARAM_SPEC_ENUM (pspec));
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == AMQ_TYPE_TOKEN_STATE);
  g_object_get (tokens, "state", &state, NULL);
  g_assert_cmpint (state, ==, amq_token_manager_get_state (tokens));
  g_assert_cmpstr (g_enum_get_value (states, AMQ_TOKEN_STATE_SIGN_IN_NEEDED)->value_nick, ==, "sign-in-needed");
}

/* The window observes the server itself: a stop or start it did not ask for shows too. */
static void
test_window_follows_server (void)
{
  AmqWindow *window = main_window ();
  AmqServer *server = amq_application_get_server (app);
  guint port = amq_server_get_port (server);
  g_autofree char *url = g_strdup (amq_server_get_url (server));
  GtkWidget *copy_url = find_actionable (GTK_WIDGET (window), "win.copy-url");

  g_assert_nonnull (copy_url);
  g_assert_true (gtk_widget_get_sensitive (copy_url));
  amq_server_stop (server);
  g_assert_true (g_str_has_prefix (row_subtitle (GTK_WIDGET (window), _("Local API")), "Stopped"));
  g_assert_false (gtk_widget_get_sensitive (copy_url));
  g_assert_true (amq_server_start (server, "127.0.0.1", port, NULL));
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (window), _("Local API")), ==, url);
  g_assert_true (gtk_widget_get_sensitive (copy_url));
}

/* A port that is taken: the window says why nothing listens, and a free port recovers. */
static void
test_busy_port_shows_why (void)
{
  AmqWindow *window = main_window ();
  GSettings *settings = amq_application_get_settings (app);
  g_autoptr(GSocketListener) squatter = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint busy = g_socket_listener_add_any_inet_port (squatter, NULL, &error);
  guint free_port = test_free_port ();
  g_autofree char *why = g_strdup_printf ("Cannot listen on 127.0.0.1:%u", busy);
  g_autofree char *url = NULL;

  g_assert_no_error (error);
  g_settings_set_uint (settings, "port", busy);
  g_assert_false (amq_server_get_listening (amq_application_get_server (app)));
  g_assert_true (g_str_has_prefix (row_subtitle (GTK_WIDGET (window), _("Local API")), why));
  g_settings_set_uint (settings, "port", free_port);
  url = g_strdup_printf ("http://127.0.0.1:%u", free_port);
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (window), _("Local API")), ==, url);
}

/* app.proxy-enabled is the setting: writing either one moves the other, the server and the
 * window's switch. */
static void
test_proxy_action_is_the_setting (void)
{
  GSettings *settings = amq_application_get_settings (app);
  GtkWidget *proxy_switch = find_actionable (GTK_WIDGET (main_window ()), "app.proxy-enabled");
  g_autoptr(GVariant) off = NULL;

  g_assert_true (GTK_IS_SWITCH (proxy_switch));
  g_settings_set_boolean (settings, "proxy-enabled", FALSE);
  off = g_action_group_get_action_state (G_ACTION_GROUP (app), "proxy-enabled");
  g_assert_false (g_variant_get_boolean (off));
  g_assert_false (amq_server_get_listening (amq_application_get_server (app)));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (proxy_switch)));
  g_action_group_change_action_state (G_ACTION_GROUP (app), "proxy-enabled", g_variant_new_boolean (TRUE));
  g_assert_true (g_settings_get_boolean (settings, "proxy-enabled"));
  g_assert_true (amq_server_get_listening (amq_application_get_server (app)));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (proxy_switch)));
}

typedef struct { char *text; gboolean done; } Clip;

static void
on_clipboard_text (GObject *source, GAsyncResult *result, gpointer data)
{
  Clip *clip = data;

  clip->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, NULL);
  clip->done = TRUE;
}

static gboolean
clip_done (gpointer data)
{
  return ((Clip *) data)->done;
}

/* Activates a window action and returns what it put on the clipboard. */
static char *
copied_by (AmqWindow *window, const char *action)
{
  Clip clip = { NULL, FALSE };

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), action, NULL));
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (window)), NULL, on_clipboard_text, &clip);
  g_assert_true (wait_until (clip_done, &clip, 5000));
  return clip.text;
}

static void
test_copy_actions (void)
{
  AmqWindow *window = main_window ();
  const char *url = amq_server_get_url (amq_application_get_server (app));
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (view));
  g_autofree char *copied_url = copied_by (window, "win.copy-url");
  g_autofree char *copied_export = copied_by (window, "win.copy-export");
  g_autofree char *export_line = g_strdup_printf ("export ANTHROPIC_BASE_URL=%s ANTHROPIC_AUTH_TOKEN=amq2api", url);
  g_autofree char *curl_start = g_strdup_printf ("curl %s/v1/messages ", url);
  g_autofree char *copied_curl = NULL;

  g_assert_cmpstr (copied_url, ==, url);
  g_assert_cmpstr (copied_export, ==, export_line);
  g_assert_true (g_list_model_get_n_items (G_LIST_MODEL (selection)) > 0);
  gtk_single_selection_set_selected (selection, 0);
  g_assert_nonnull (find_actionable (GTK_WIDGET (window), "win.copy-curl"));
  copied_curl = copied_by (window, "win.copy-curl");
  g_assert_true (g_str_has_prefix (copied_curl, curl_start));
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
}

/* Each cell shows its column of the record and follows it from running to finished. */
static void
test_log_columns_follow_record (void)
{
  AmqWindow *window = main_window ();
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GListModel *columns = gtk_column_view_get_columns (view);
  const char *titles[] = { _("Time"), _("Model asked → used"), _("Mode"), _("Status"), _("Duration"),
                           _("First token"), _("Tokens in / out"), _("Credits"), _("Context") };
  g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_ui_columns", "POST", "/v1/messages");
  Label running = { GTK_WIDGET (view), _("running") };
  Label models = { GTK_WIDGET (view), "claude-ui-columns → claude-sonnet-4.5" };
  Label status = { GTK_WIDGET (view), "529" };
  Label tokens = { GTK_WIDGET (view), "4242 / 77" };
  Label credits = { GTK_WIDGET (view), "0.37" };
  Label context = { GTK_WIDGET (view), "42 %" };

  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, G_N_ELEMENTS (titles));
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);

      g_assert_cmpstr (gtk_column_view_column_get_title (column), ==, titles[i]);
    }
  amq_request_log_add (amq_server_get_request_log (amq_application_get_server (app)), record);
  g_assert_true (wait_until (label_shown, &running, 5000));
  amq_request_record_set_models (record, "claude-ui-columns", "claude-sonnet-4.5", TRUE);
  g_assert_true (wait_until (label_shown, &models, 5000));
  amq_request_record_set_metering (record, 0.37, 42.4);
  g_assert_false (label_shown (&credits));  /* shown once finished */
  amq_request_record_complete (record, 529, "overloaded", 0, 4242, 77);
  g_assert_true (wait_until (label_shown, &tokens, 5000));
  g_assert_true (wait_until (label_shown, &credits, 5000));
  g_assert_true (label_shown (&context));
  g_assert_true (wait_until (label_gone, &running, 5000));
  g_assert_true (gtk_widget_has_css_class (find_label (GTK_WIDGET (view), status.text), "error"));
}

static void
test_proxy_switch_stops_and_starts (void)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  guint port = amq_server_get_port (amq_application_get_server (app));
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GError) error = NULL;

  g_action_group_change_action_state (G_ACTION_GROUP (app), "proxy-enabled", g_variant_new_boolean (FALSE));
  g_assert_false (amq_server_get_listening (amq_application_get_server (app)));
  refused = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_action_group_change_action_state (G_ACTION_GROUP (app), "proxy-enabled", g_variant_new_boolean (TRUE));
  g_assert_true (amq_server_get_listening (amq_application_get_server (app)));
  g_assert_cmpuint (request ("/health", NULL), ==, 200);
}

static gboolean
widget_gone (gpointer data)
{
  return *(GtkWidget **) data == NULL;
}

static void
test_credentials_dialog_saves_to_keyring (void)
{
  AmqCredentialsDialog *dialog = amq_credentials_dialog_new (app);
  GtkWidget *watch = GTK_WIDGET (dialog);
  g_autoptr(AmqCredentialSet) stored = NULL;

  gtk_window_present (GTK_WINDOW (dialog));
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch);
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, _("_Refresh token"))), "rt-from-dialog");
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, _("Client _ID"))), "dialog-client");
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, _("Client _secret"))), "dialog-secret");
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, _("_Profile ARN (optional)"))),
                         "arn:aws:codewhisperer:us-east-1:123456789012:profile/TEST");
  g_signal_emit_by_name (find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, _("_Save")), "clicked");
  g_assert_true (wait_until (widget_gone, &watch, 10000));
  stored = test_keyring_lookup ();
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->refresh_token, ==, "rt-from-dialog");
  g_assert_cmpstr (stored->client_id, ==, "dialog-client");
  g_assert_cmpstr (stored->client_secret, ==, "dialog-secret");
  g_assert_cmpstr (stored->profile_arn, ==, "arn:aws:codewhisperer:us-east-1:123456789012:profile/TEST");
  /* what a restart reads back is what the app now uses */
  g_assert_cmpstr (credentials ()->refresh_token, ==, "rt-from-dialog");
}

typedef struct { GtkWidget *dialog; const char *prefix; } Status;

static gboolean
status_mentions_code (gpointer data)
{
  const char *subtitle = row_subtitle (((Status *) data)->dialog, _("Check"));

  return strstr (subtitle, "ABCD-EFGH") != NULL;
}

static void
test_device_login (void)
{
  g_autofree char *oidc = g_strdup (fake_url);
  AmqCredentialsDialog *dialog;
  GtkWidget *watch;
  Status status;
  g_autoptr(AmqCredentialSet) stored = NULL;

  g_settings_set_string (amq_application_get_settings (app), "oidc-endpoint", oidc);
  dialog = amq_credentials_dialog_new (app);
  watch = GTK_WIDGET (dialog);
  status.dialog = watch;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch);
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_emit_by_name (find_widget (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, _("Sign in with AWS _Builder ID")), "clicked");
  g_assert_true (wait_until (status_mentions_code, &status, 10000));
  g_assert_true (wait_until (widget_gone, &watch, 15000));  /* approved, saved, closed */
  stored = test_keyring_lookup ();
  g_assert_cmpstr (stored->refresh_token, ==, "rt-from-device-login");
  g_assert_cmpstr (stored->client_id, ==, "device-client-id");
}

static void
test_autostart_follows_preference (void)
{
  g_autofree char *path = amq_autostart_file_path ();
  g_autofree char *contents = NULL;

  g_settings_set_boolean (amq_application_get_settings (app), "start-at-login", TRUE);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "Exec=amq2api --background"));
  g_assert_true (amq_autostart_is_enabled ());
  g_settings_set_boolean (amq_application_get_settings (app), "start-at-login", FALSE);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_port_change_moves_server (void)
{
  AmqWindow *window = main_window ();
  guint old_port = amq_server_get_port (amq_application_get_server (app));
  guint new_port = test_free_port ();
  g_autofree char *expected = NULL;

  g_settings_set_uint (amq_application_get_settings (app), "port", new_port);
  g_assert_cmpuint (amq_server_get_port (amq_application_get_server (app)), ==, new_port);
  g_assert_cmpuint (new_port, !=, old_port);
  expected = g_strdup_printf ("http://127.0.0.1:%u", new_port);
  g_assert_cmpstr (row_subtitle (GTK_WIDGET (window), _("Local API")), ==, expected);
  g_assert_cmpuint (request ("/health", NULL), ==, 200);
}

/* ---- other clients' sign-ins, Test, the key off loopback, reverse proxies ---- */

/* Kiro CLI's database as that client leaves it: a Builder ID sign-in that rotates. */
static void
write_kiro_cli_signin (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "kiro-cli", NULL);
  const char * const rows[] = {
    "kirocli:odic:token", "{\"refresh_token\":\"rt-rotate-kiro-cli\",\"region\":\"us-east-1\"}",
    "kirocli:odic:device-registration", "{\"client_id\":\"kiro-client\",\"client_secret\":\"kiro-secret\"}",
    NULL,
  };

  kiro_cli_path = g_build_filename (dir, "data.sqlite3", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  test_client_database_new (kiro_cli_path, rows);
}

static char *
kiro_cli_refresh_token (void)
{
  g_autofree char *value = test_client_database_value (kiro_cli_path, "kirocli:odic:token");
  g_autoptr(JsonObject) token = value != NULL ? test_parse_object (value) : NULL;

  return token != NULL ? g_strdup (json_object_get_string_member_with_default (token, "refresh_token", NULL)) : NULL;
}

/* Kiro IDE's token file: a social (GitHub) sign-in that rotates. */
static void
write_kiro_ide_signin (void)
{
  g_autofree char *dir = g_build_filename (g_get_home_dir (), ".aws", "sso", "cache", NULL);

  kiro_ide_path = g_build_filename (dir, "kiro-auth-token.json", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (kiro_ide_path, "{\"refreshToken\":\"rt-rotate-kiro-ide\",\"authMethod\":\"social\","
                                                     "\"provider\":\"Github\"}", -1, NULL));
}

static char *
kiro_ide_refresh_token (void)
{
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (g_file_get_contents (kiro_ide_path, &contents, NULL, NULL));
  g_assert_true (json_parser_load_from_data (parser, contents, -1, NULL));
  return g_strdup (json_object_get_string_member (json_node_get_object (json_parser_get_root (parser)), "refreshToken"));
}

static GtkWidget *
source_row (GtkWidget *dialog, const char *name)
{
  return find_widget (dialog, ADW_TYPE_ACTION_ROW, name);
}

/* The Link or Copy button in @name's row. */
static GtkWidget *
source_button (GtkWidget *dialog, const char *name, const char *action)
{
  GtkWidget *button = find_actionable (source_row (dialog, name), action);

  g_assert_nonnull (button);
  return button;
}

static gboolean
status_starts_with (gpointer data)
{
  Status *status = data;

  return g_str_has_prefix (row_subtitle (status->dialog, _("Check")), status->prefix);
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static void
set_row (GtkWidget *root, const char *title, const char *text)
{
  GtkWidget *row = find_widget (root, ADW_TYPE_ENTRY_ROW, title);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

/* Each client signed in on this computer has a row, to link or to copy; the old single
 * Amazon Q CLI import is gone. */
static void
test_dialog_lists_signin_sources (void)
{
  GtkWidget *dialog = GTK_WIDGET (amq_credentials_dialog_new (app));
  GtkWidget *kiro_cli = source_row (dialog, "Kiro CLI");

  g_assert_nonnull (kiro_cli);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (kiro_cli)), ==, "~/kiro-cli/data.sqlite3");
  g_assert_nonnull (source_row (dialog, "Kiro IDE"));
  g_assert_null (source_row (dialog, "Amazon Q CLI"));  /* not signed in here */
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (source_button (dialog, "Kiro IDE", "signin.link"))), ==, _("Link"));
  g_assert_nonnull (source_button (dialog, "Kiro IDE", "signin.copy"));
  g_assert_null (find_widget (dialog, GTK_TYPE_BUTTON, "_Import from Amazon Q CLI"));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Linked: the app uses Kiro CLI's sign-in, writes the rotated token back into Kiro CLI's
 * database, says so, and remembers the link for the next start. */
static void
test_link_writes_rotation_back (void)
{
  GtkWidget *dialog = GTK_WIDGET (amq_credentials_dialog_new (app));
  Status linked = { dialog, "✓" };
  g_autofree char *rotated = NULL;
  g_autoptr(AmqCredentialSet) keyring_before = test_keyring_lookup ();
  g_autoptr(AmqCredentialSet) keyring_after = NULL;
  g_autofree char *setting = NULL;

  gtk_window_present (GTK_WINDOW (dialog));
  click (source_button (dialog, "Kiro CLI", "signin.link"));
  g_assert_true (wait_until (status_starts_with, &linked, 10000));
  g_assert_nonnull (strstr (row_subtitle (dialog, _("Check")), "Kiro CLI (~/kiro-cli/data.sqlite3)"));
  setting = g_settings_get_string (amq_application_get_settings (app), "signin-source");
  g_assert_cmpstr (setting, ==, "kiro-cli");
  g_assert_cmpint (amq_signin_get_origin (signin ()), ==, AMQ_ACCOUNT_ORIGIN_SOURCE);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (source_button (dialog, "Kiro CLI", "signin.link"))), ==, _("Linked"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_widget (dialog, ADW_TYPE_ENTRY_ROW, _("Client _ID")))), ==,
                   "kiro-client");
  /* the window says where the sign-in comes from */
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (main_window ()), _("Amazon Q token")), "Kiro CLI"));

  g_assert_cmpuint (ask ("text"), ==, 200);
  rotated = kiro_cli_refresh_token ();
  g_assert_true (g_str_has_prefix (rotated, "rt-rotated-"));
  g_assert_cmpstr (credentials ()->refresh_token, ==, rotated);
  /* the keyring's own sign-in was left alone */
  keyring_after = test_keyring_lookup ();
  g_assert_cmpstr (keyring_after->refresh_token, ==, keyring_before->refresh_token);
  /* Save with nothing typed keeps the link */
  click (find_widget (dialog, GTK_TYPE_BUTTON, _("_Save")));
  g_assert_cmpint (amq_signin_get_origin (signin ()), ==, AMQ_ACCOUNT_ORIGIN_SOURCE);
  g_assert_cmpuint (ask ("text"), ==, 200);

  use_refresh_token ("rt-ok");
  g_free (setting);
  setting = g_settings_get_string (amq_application_get_settings (app), "signin-source");
  g_assert_cmpstr (setting, ==, "");  /* credentials of its own end the link */
}

static void
on_key_set (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_signin_set_local_api_key_finish (AMQ_SIGNIN (source), result, NULL));
  *(gboolean *) data = TRUE;
}

static void
set_local_api_key (const char *key)
{
  gboolean set = FALSE;

  amq_signin_set_local_api_key_async (signin (), key, on_key_set, &set);
  g_assert_true (wait_until (flag_set, &set, 10000));
}

static void
on_linked (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_signin_link_finish (AMQ_SIGNIN (source), result, NULL));
  *(gboolean *) data = TRUE;
}

/* A linked client's record has no local API key: the app's key stays, in the keyring. */
static void
test_link_keeps_local_api_key (void)
{
  g_autoptr(AmqSigninSource) kiro_ide = amq_signin_source_new (AMQ_SIGNIN_KIRO_IDE, NULL);
  g_autoptr(AmqCredentialSet) stored = NULL;
  g_autofree char *rotated = NULL;
  gboolean linked = FALSE;

  set_local_api_key ("ui-local-key");
  amq_signin_link_async (signin (), kiro_ide, on_linked, &linked);
  g_assert_true (wait_until (flag_set, &linked, 10000));
  g_assert_cmpint (credentials ()->kind, ==, AMQ_CREDENTIAL_SOCIAL);
  g_assert_cmpstr (amq_signin_get_local_api_key (signin ()), ==, "ui-local-key");
  g_assert_cmpuint (ask ("text"), ==, 401);  /* no key sent */
  g_assert_cmpuint (request_with ("/health", NULL, "x-api-key", "ui-local-key"), ==, 200);
  /* cleared while linked: the keyring item loses the key, the link stays */
  set_local_api_key ("");
  stored = test_keyring_lookup ();
  g_assert_null (stored->local_api_key);
  g_assert_cmpint (amq_signin_get_origin (signin ()), ==, AMQ_ACCOUNT_ORIGIN_SOURCE);
  g_assert_cmpuint (ask ("text"), ==, 200);  /* a social sign-in, refreshed at Kiro's endpoint */
  rotated = kiro_ide_refresh_token ();
  g_assert_true (g_str_has_prefix (rotated, "rt-rotated-"));
  use_refresh_token ("rt-ok");
}

/* Copied: Kiro IDE's sign-in goes into the keyring, kind and all; no link. */
static void
test_copy_into_keyring (void)
{
  GtkWidget *dialog = GTK_WIDGET (amq_credentials_dialog_new (app));
  Status copied = { dialog, "✓" };
  g_autofree char *ide_token = kiro_ide_refresh_token ();
  g_autofree char *setting = NULL;
  g_autoptr(AmqCredentialSet) stored = NULL;

  gtk_window_present (GTK_WINDOW (dialog));
  click (source_button (dialog, "Kiro IDE", "signin.copy"));
  g_assert_true (wait_until (status_starts_with, &copied, 10000));
  g_assert_cmpint (amq_signin_get_origin (signin ()), ==, AMQ_ACCOUNT_ORIGIN_KEYRING);
  setting = g_settings_get_string (amq_application_get_settings (app), "signin-source");
  g_assert_cmpstr (setting, ==, "");
  stored = test_keyring_lookup ();
  g_assert_cmpstr (stored->refresh_token, ==, ide_token);
  g_assert_cmpint (stored->kind, ==, AMQ_CREDENTIAL_SOCIAL);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find_widget (dialog, ADW_TYPE_ENTRY_ROW, _("_Refresh token")))),
                   ==, ide_token);
  gtk_window_destroy (GTK_WINDOW (dialog));
  use_refresh_token ("rt-ok");
}

/* The credentials in use, tested: the server's own token manager refreshes them. A second
 * manager refreshing the same rotating token would leave the server a refused one (the
 * fake, like AWS, refuses a refresh token once rotated away). */
static void
test_test_keeps_servers_token (void)
{
  GtkWidget *dialog;
  Status tested;
  g_autoptr(AmqCredentialSet) stored = NULL;

  use_refresh_token ("rt-rotate-in-use");
  dialog = GTK_WIDGET (amq_credentials_dialog_new (app));
  tested = (Status) { dialog, "✓" };
  gtk_window_present (GTK_WINDOW (dialog));
  click (find_widget (dialog, GTK_TYPE_BUTTON, _("_Test")));
  g_assert_true (wait_until (status_starts_with, &tested, 10000));
  g_assert_cmpuint (ask ("text"), ==, 200);
  g_assert_true (g_str_has_prefix (credentials ()->refresh_token, "rt-rotated-"));
  stored = test_keyring_lookup ();
  g_assert_cmpstr (stored->refresh_token, ==, credentials ()->refresh_token);
  gtk_window_destroy (GTK_WINDOW (dialog));
  use_refresh_token ("rt-ok");
}

/* New credentials, tested: they are put in use first, so the token Amazon Q rotates is the
 * one the app keeps. */
static void
test_test_applies_new_credentials (void)
{
  GtkWidget *dialog = GTK_WIDGET (amq_credentials_dialog_new (app));
  Status tested = { dialog, "✓" };
  g_autoptr(AmqCredentialSet) stored = NULL;

  gtk_window_present (GTK_WINDOW (dialog));
  set_row (dialog, _("_Refresh token"), "rt-rotate-typed");
  set_row (dialog, _("Client _ID"), "typed-client");
  set_row (dialog, _("Client _secret"), "typed-secret");
  click (find_widget (dialog, GTK_TYPE_BUTTON, _("_Test")));
  g_assert_true (wait_until (status_starts_with, &tested, 10000));
  g_assert_nonnull (find_widget (dialog, GTK_TYPE_BUTTON, _("_Close")));  /* closing does not undo it */
  g_assert_true (g_str_has_prefix (credentials ()->refresh_token, "rt-rotated-"));
  g_assert_cmpstr (credentials ()->client_id, ==, "typed-client");
  stored = test_keyring_lookup ();
  g_assert_cmpstr (stored->refresh_token, ==, credentials ()->refresh_token);
  g_assert_cmpstr (stored->client_id, ==, "typed-client");
  g_assert_cmpuint (ask ("text"), ==, 200);
  gtk_window_destroy (GTK_WINDOW (dialog));
  use_refresh_token ("rt-ok");
}

static void
on_replaced_behind (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_credentials_store_finish (result, NULL));
  *(gboolean *) data = TRUE;
}

static gboolean
token_not_saved (gpointer data)
{
  return amq_token_manager_get_state (amq_application_get_tokens (app)) == AMQ_TOKEN_STATE_NOT_SAVED;
}

/* A rotated refresh token that could not be saved (another sign-in took the keyring item)
 * is an error the window shows, with why. */
static void
test_not_saved_shows_in_window (void)
{
  AmqWindow *window = main_window ();
  GtkWidget *token_row = find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, _("Amazon Q token"));
  g_autoptr(AmqCredentialSet) other = amq_credential_set_new ();
  gboolean replaced = FALSE;

  use_refresh_token ("rt-rotate-unsaved");
  other->refresh_token = g_strdup ("rt-someone-else");
  amq_credentials_store_async (NULL, other, NULL, on_replaced_behind, &replaced);
  g_assert_true (wait_until (flag_set, &replaced, 10000));
  g_assert_false (gtk_widget_has_css_class (token_row, "error"));
  g_assert_cmpuint (ask ("text"), ==, 200);
  g_assert_true (wait_until (token_not_saved, NULL, 10000));
  g_assert_true (gtk_widget_has_css_class (token_row, "error"));
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (window), _("Amazon Q token")), "not saved"));
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (window), _("Amazon Q token")),
                            amq_token_manager_get_last_error (amq_application_get_tokens (app))));
  use_refresh_token ("rt-ok");
  g_assert_cmpuint (ask ("text"), ==, 200);
  g_assert_false (gtk_widget_has_css_class (token_row, "error"));
}

static gboolean
listening (gpointer data)
{
  return amq_server_get_listening (amq_application_get_server (app)) == GPOINTER_TO_INT (data);
}

/* Bound beyond loopback, clearing the key in Preferences stops the server, and the window
 * says why; the key back starts it again. */
static void
test_clearing_key_off_loopback_stops (void)
{
  GSettings *settings = amq_application_get_settings (app);
  AmqServer *server = amq_application_get_server (app);
  AmqWindow *window = main_window ();
  GtkWidget *preferences;
  GtkWidget *key_row;

  set_local_api_key ("ui-lan-key");
  g_settings_set_string (settings, "bind-address", "0.0.0.0");
  g_assert_true (amq_server_get_listening (server));
  preferences = amq_preferences_window_new (app);
  gtk_window_present (GTK_WINDOW (preferences));
  key_row = find_widget (preferences, ADW_TYPE_ENTRY_ROW, _("Local API _key"));
  gtk_editable_set_text (GTK_EDITABLE (key_row), "");
  g_signal_emit_by_name (key_row, "apply");
  g_assert_true (wait_until (listening, GINT_TO_POINTER (FALSE), 5000));
  g_assert_true (g_str_has_prefix (row_subtitle (GTK_WIDGET (window), _("Local API")), "Cannot listen on 0.0.0.0"));
  gtk_editable_set_text (GTK_EDITABLE (key_row), "ui-lan-key");
  g_signal_emit_by_name (key_row, "apply");
  g_assert_true (wait_until (listening, GINT_TO_POINTER (TRUE), 5000));
  g_assert_cmpuint (request_with ("/health", NULL, "x-api-key", "ui-lan-key"), ==, 200);
  g_settings_set_string (settings, "bind-address", "127.0.0.1");
  set_local_api_key ("");
  g_assert_true (amq_server_get_listening (server));
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* Preferences' allowed hosts and origins: a bad entry is refused with the server's reason and
 * changes nothing; good ones apply at once and are kept. */
static void
test_reverse_proxy_preferences (void)
{
  GSettings *settings = amq_application_get_settings (app);
  GtkWidget *preferences = amq_preferences_window_new (app);
  GtkWidget *hosts = find_widget (preferences, ADW_TYPE_ENTRY_ROW, _("Allowed _hosts"));
  GtkWidget *origins = find_widget (preferences, ADW_TYPE_ENTRY_ROW, _("Allowed o_rigins"));
  g_auto(GStrv) kept_hosts = NULL;
  g_auto(GStrv) kept_origins = NULL;
  g_auto(GStrv) empty = NULL;

  gtk_window_present (GTK_WINDOW (preferences));
  g_assert_cmpuint (request_with ("/health", NULL, "Host", "proxy.example"), ==, 403);
  g_assert_cmpuint (request_with ("/health", NULL, "Origin", "https://app.example"), ==, 403);

  gtk_editable_set_text (GTK_EDITABLE (hosts), "proxy.example, not a host/");
  g_signal_emit_by_name (hosts, "apply");
  g_assert_true (gtk_widget_has_css_class (hosts, "error"));
  empty = g_settings_get_strv (settings, "allowed-hosts");
  g_assert_cmpuint (g_strv_length (empty), ==, 0);
  g_assert_cmpuint (request_with ("/health", NULL, "Host", "proxy.example"), ==, 403);

  gtk_editable_set_text (GTK_EDITABLE (hosts), "proxy.example, other.example:8443");
  g_signal_emit_by_name (hosts, "apply");
  g_assert_false (gtk_widget_has_css_class (hosts, "error"));
  kept_hosts = g_settings_get_strv (settings, "allowed-hosts");
  g_assert_cmpstrv (kept_hosts, ((const char *[]) { "proxy.example", "other.example:8443", NULL }));
  g_assert_cmpuint (request_with ("/health", NULL, "Host", "proxy.example"), ==, 200);

  gtk_editable_set_text (GTK_EDITABLE (origins), "*");
  g_signal_emit_by_name (origins, "apply");
  g_assert_true (gtk_widget_has_css_class (origins, "error"));
  gtk_editable_set_text (GTK_EDITABLE (origins), "https://app.example");
  g_signal_emit_by_name (origins, "apply");
  kept_origins = g_settings_get_strv (settings, "allowed-origins");
  g_assert_cmpstrv (kept_origins, ((const char *[]) { "https://app.example", NULL }));
  g_assert_cmpuint (request_with ("/health", NULL, "Origin", "https://app.example"), ==, 200);

  g_settings_reset (settings, "allowed-hosts");
  g_settings_reset (settings, "allowed-origins");
  g_assert_cmpuint (request_with ("/health", NULL, "Host", "proxy.example"), ==, 403);
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* ---- credits, the chart, several accounts ---- */

static AmqAccounts *
accounts (void)
{
  return amq_application_get_accounts (app);
}

static AmqAccountPool *
pool (void)
{
  return amq_accounts_get_pool (accounts ());
}

static AmqAccountHealth *
health_of (const char *label)
{
  AmqAccount *account = amq_account_pool_lookup (pool (), label);

  g_assert_nonnull (account);
  return amq_account_get_health (account);
}

/* The label shown by the GtkLabel that starts with @prefix under @root, or NULL. */
static gboolean
label_starts_with (GtkWidget *widget, gconstpointer prefix)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix);
}

static const char *
label_text_starting (GtkWidget *root, const char *prefix)
{
  GtkWidget *label = find_descendant (root, label_starts_with, prefix);

  return label ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

typedef struct { GtkWidget *root; const char *prefix; } Prefix;

static gboolean
prefix_shown (gpointer data)
{
  Prefix *p = data;

  return label_text_starting (p->root, p->prefix) != NULL;
}

/* A request's credits (meteringEvent) and context use (contextUsageEvent) are in its row and its
 * details, with its API and account; "Since start" adds up the credits. */
static void
test_log_shows_credits_and_total (void)
{
  AmqWindow *window = main_window ();
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GtkSingleSelection *selection = GTK_SINGLE_SELECTION (gtk_column_view_get_model (view));
  AmqRequestLog *log = amq_server_get_request_log (amq_application_get_server (app));
  g_autoptr(AmqRequestRecord) newest = NULL;
  g_autofree char *cell = NULL;
  g_autofree char *total = NULL;
  Label credits_cell;
  Prefix detail = { GTK_WIDGET (window), "POST /v1/messages" };
  const char *text;

  g_assert_cmpuint (ask ("text"), ==, 200);
  newest = g_list_model_get_item (G_LIST_MODEL (log), 0);
  g_assert_cmpfloat_with_epsilon (amq_request_record_get_credits (newest), 0.34, 1e-9);  /* tests/data/scenarios/text.json */
  cell = g_strdup_printf ("%.2f", amq_request_record_get_credits (newest));
  credits_cell = (Label) { GTK_WIDGET (view), cell };
  g_assert_true (wait_until (label_shown, &credits_cell, 5000));
  g_assert_true (amq_request_log_get_credits (log) >= 0.34);
  total = g_strdup_printf ("%.2f credits", amq_request_log_get_credits (log));
  g_assert_nonnull (strstr (row_subtitle (GTK_WIDGET (window), _("Since start")), total));

  gtk_single_selection_set_selected (selection, 0);
  g_assert_true (wait_until (prefix_shown, &detail, 5000));
  text = label_text_starting (GTK_WIDGET (window), detail.prefix);
  g_assert_nonnull (strstr (text, "API: Anthropic · account: default"));
  g_assert_nonnull (strstr (text, "Credits 0.34, context window 4 % full"));
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
}

static gboolean
credits_known (gpointer data)
{
  return amq_account_health_get_credits (health_of (data)) != NULL;
}

/* The plan and credits getUsageLimits gave (the fake: KIRO FREE, 50 credits a month, 12.5 used
 * before anything it metered): the Credits row's words, and its level bar at used / limit. */
static void
test_credits_row_shows_usage_limits (void)
{
  AmqWindow *window = main_window ();
  GtkWidget *row = find_widget (GTK_WIDGET (window), ADW_TYPE_ACTION_ROW, _("Credits"));
  GtkLevelBar *bar;
  const AmqCredits *credits;
  const char *subtitle;

  g_assert_nonnull (row);
  g_assert_true (wait_until (credits_known, (gpointer) "default", 10000));
  credits = amq_account_health_get_credits (health_of ("default"));
  g_assert_cmpfloat (credits->limit, ==, 50);
  g_assert_cmpfloat (credits->used, >=, 12.5);
  bar = GTK_LEVEL_BAR (find_widget (row, GTK_TYPE_LEVEL_BAR, NULL));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (bar)));
  g_assert_cmpfloat_with_epsilon (gtk_level_bar_get_value (bar), credits->used / credits->limit, 1e-9);
  subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (row));
  g_assert_true (g_str_has_prefix (subtitle, "KIRO FREE · "));
  g_assert_nonnull (strstr (subtitle, " of 50 credits used · resets "));
}

/* One bucket a minute over the last hour: requests, errors and tokens land in the minute their
 * request came in; an hour later that minute is gone, and its place counts the new one. */
static void
test_activity_buckets (void)
{
  g_autoptr(AmqActivity) activity = amq_activity_new ();
  const gint64 now = 28333333 * G_GINT64_CONSTANT (60) + 59;  /* the last second of a minute */
  AmqActivityMinute minute;

  amq_activity_add (activity, now, 100, FALSE);
  amq_activity_add (activity, now - 59, 20, TRUE);        /* the same minute's first second */
  amq_activity_add (activity, now - 60, 7, FALSE);        /* the minute before */
  amq_activity_add (activity, now - 59 * 60, 1, TRUE);    /* the oldest minute shown */
  amq_activity_add (activity, now - 60 * 60, 1000, FALSE); /* an hour ago: not shown */

  minute = amq_activity_get (activity, now, 0);
  g_assert_cmpuint (minute.requests, ==, 2);
  g_assert_cmpuint (minute.errors, ==, 1);
  g_assert_cmpuint (minute.tokens, ==, 120);
  minute = amq_activity_get (activity, now, 1);
  g_assert_cmpuint (minute.requests, ==, 1);
  g_assert_cmpuint (minute.errors, ==, 0);
  g_assert_cmpuint (minute.tokens, ==, 7);
  minute = amq_activity_get (activity, now, 59);
  g_assert_cmpuint (minute.requests, ==, 1);
  g_assert_cmpuint (minute.errors, ==, 1);
  for (guint ago = 2; ago < 59; ago++)
    g_assert_cmpuint (amq_activity_get (activity, now, ago).requests, ==, 0);
  /* a minute later the oldest has left the hour */
  g_assert_cmpuint (amq_activity_get (activity, now + 60, 59).requests, ==, 0);
  g_assert_cmpuint (amq_activity_get (activity, now + 60, 1).tokens, ==, 120);
  /* an hour on, the bucket of "now" counts the new minute only */
  amq_activity_add (activity, now + 3600, 5, FALSE);
  minute = amq_activity_get (activity, now + 3600, 0);
  g_assert_cmpuint (minute.requests, ==, 1);
  g_assert_cmpuint (minute.tokens, ==, 5);
  /* and a late record of the hour before is not counted in it */
  amq_activity_add (activity, now, 100, FALSE);
  g_assert_cmpuint (amq_activity_get (activity, now + 3600, 0).requests, ==, 1);
}

typedef struct { AmqActivityChart *chart; const char *want; } Summary;

static gboolean
summary_is (gpointer data)
{
  Summary *s = data;

  return g_strcmp0 (amq_activity_chart_get_summary (s->chart), s->want) == 0;
}

/* The chart counts a call to a model once it finishes, errors and tokens included; the line
 * above it says the totals. */
static void
test_activity_chart_follows_log (void)
{
  AmqWindow *window = main_window ();
  AmqActivityChart *chart = AMQ_ACTIVITY_CHART (find_widget (GTK_WIDGET (window), AMQ_TYPE_ACTIVITY_CHART, NULL));
  g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_ui_chart", "POST", "/v1/messages");
  g_autoptr(AmqRequestRecord) health = amq_request_record_new ("req_ui_chart_health", "GET", "/health");
  unsigned requests = 0, errors = 0;
  guint64 tokens = 0;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  Summary counted;

  g_assert_nonnull (chart);
  before = g_strdup (amq_activity_chart_get_summary (chart));
  {
    g_auto(GStrv) words = g_strsplit (before, " ", -1);

    /* "N requests · N tokens · N errors" */
    g_assert_cmpuint (g_strv_length (words), ==, 8);
    requests = (unsigned) g_ascii_strtoull (words[0], NULL, 10);
    tokens = g_ascii_strtoull (words[3], NULL, 10);
    errors = (unsigned) g_ascii_strtoull (words[6], NULL, 10);
  }
  /* what is not a call to a model (/health, /admin) is not counted */
  amq_request_log_add (amq_server_get_request_log (amq_application_get_server (app)), health);
  amq_request_record_complete (health, 200, NULL, 0, 0, 0);
  g_assert_cmpstr (amq_activity_chart_get_summary (chart), ==, before);
  amq_request_record_set_models (record, "claude-ui-chart", "claude-sonnet-4.5", TRUE);
  amq_request_log_add (amq_server_get_request_log (amq_application_get_server (app)), record);
  g_assert_cmpstr (amq_activity_chart_get_summary (chart), ==, before);  /* counted once finished */
  amq_request_record_complete (record, 529, "overloaded", 0, 300, 33);
  after = g_strdup_printf ("%u requests · %" G_GUINT64_FORMAT " tokens · %u errors", requests + 1, tokens + 333, errors + 1);
  counted = (Summary) { chart, after };
  g_assert_true (wait_until (summary_is, &counted, 5000));
  g_assert_nonnull (find_label (GTK_WIDGET (window), after));  /* beside "Last hour" */
}

static gboolean
is_account_row (GtkWidget *widget, gconstpointer label)
{
  return AMQ_IS_ACCOUNT_ROW (widget) &&
         g_strcmp0 (amq_account_get_label (amq_account_row_get_account (AMQ_ACCOUNT_ROW (widget))), label) == 0;
}

static GtkWidget *
account_row (const char *label)
{
  return find_descendant (GTK_WIDGET (main_window ()), is_account_row, label);
}

static gboolean
account_row_shown (gpointer label)
{
  return account_row (label) != NULL;
}

static gboolean
account_row_gone (gpointer label)
{
  return account_row (label) == NULL;
}

/* win.page (Alt+2) shows the Accounts page. */
static void
show_accounts_page (void)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_widget (GTK_WIDGET (main_window ()), ADW_TYPE_VIEW_STACK, NULL));

  g_action_group_activate_action (G_ACTION_GROUP (main_window ()), "page", g_variant_new_string ("accounts"));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "accounts");
}

/* The Accounts page lists the pool: the sign-in's account first, with its status, where it
 * comes from, its plan and credits and a credits bar at used / limit. */
static void
test_accounts_page_lists_accounts (void)
{
  GtkWidget *row;
  const AmqCredits *credits;
  GtkLevelBar *bar;
  g_autofree char *plan = NULL;

  show_accounts_page ();
  g_assert_true (wait_until (credits_known, (gpointer) "default", 10000));
  row = account_row ("default");
  g_assert_nonnull (row);
  g_assert_nonnull (find_label (row, "default"));
  g_assert_nonnull (label_text_starting (row, "Ready · "));
  g_assert_nonnull (strstr (label_text_starting (row, "Ready · "), amq_signin_get_description (signin ())));
  credits = amq_account_health_get_credits (health_of ("default"));
  bar = GTK_LEVEL_BAR (find_widget (row, GTK_TYPE_LEVEL_BAR, NULL));
  g_assert_cmpfloat_with_epsilon (gtk_level_bar_get_value (bar), credits->used / credits->limit, 1e-9);
  g_assert_nonnull (label_text_starting (row, "KIRO FREE · "));
  /* the sign-in's account is changed in the credentials dialog, never removed */
  g_assert_nonnull (find_actionable (row, "app.credentials"));
  g_assert_null (find_actionable (row, "accounts.remove"));
}

/* The window of @type on screen (a dialog is not the application's window), or NULL. */
static GtkWidget *
toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

/* The Add dialog, filled: @label, @refresh_token and a client registration. */
static GtkWidget *
add_dialog (const char *label, const char *refresh_token)
{
  GtkWidget *dialog;

  g_assert_true (gtk_widget_activate_action (account_row ("default"), "accounts.add", NULL));
  dialog = toplevel (AMQ_TYPE_CREDENTIALS_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (dialog)), ==, _("Add an Account"));
  g_assert_false (gtk_widget_get_visible (find_widget (dialog, GTK_TYPE_BUTTON, _("_Test"))));
  set_row (dialog, _("_Name"), label);
  set_row (dialog, _("_Refresh token"), refresh_token);
  set_row (dialog, _("Client _ID"), "work-client");
  set_row (dialog, _("Client _secret"), "work-secret");
  return dialog;
}

/* Added: a keyring item of its own, named by its label, an account of the pool that takes
 * requests, and a row that shows its credits once Amazon Q told them. */
static void
test_add_account_stores_labelled_item (void)
{
  GtkWidget *dialog;
  GtkWidget *watch;
  g_autoptr(AmqCredentialSet) stored = NULL;
  g_autoptr(AmqCredentialSet) first = NULL;
  AmqAccount *work;
  Prefix plan;

  show_accounts_page ();
  dialog = add_dialog ("work", "rt-ui-work");
  watch = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &watch);
  click (find_widget (dialog, GTK_TYPE_BUTTON, _("_Add")));
  g_assert_true (wait_until (widget_gone, &watch, 10000));
  stored = test_keyring_lookup_account ("work");
  g_assert_nonnull (stored);
  g_assert_cmpstr (stored->refresh_token, ==, "rt-ui-work");
  g_assert_cmpstr (stored->client_id, ==, "work-client");
  first = test_keyring_lookup_account (NULL);
  g_assert_cmpstr (first->refresh_token, !=, "rt-ui-work");  /* the sign-in's item is left alone */
  work = amq_account_pool_lookup (pool (), "work");
  g_assert_nonnull (work);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool ())), ==, 2);
  g_assert_cmpint (amq_account_get_origin (work), ==, AMQ_ACCOUNT_ORIGIN_KEYRING);
  /* its own token manager, refreshing at the app's endpoint */
  g_assert_true (amq_account_get_tokens (work) != amq_application_get_tokens (app));
  g_assert_true (wait_until (credits_known, (gpointer) "work", 10000));
  g_assert_true (wait_until (account_row_shown, (gpointer) "work", 5000));
  plan = (Prefix) { account_row ("work"), "KIRO FREE · " };
  g_assert_true (wait_until (prefix_shown, &plan, 5000));
  g_assert_nonnull (find_actionable (account_row ("work"), "accounts.remove"));
  g_assert_cmpuint (amq_account_pool_count_ready (pool ()), ==, 2);
}

static gboolean
dialog_says (gpointer data)
{
  Status *status = data;

  return strstr (row_subtitle (status->dialog, _("Check")), status->prefix) != NULL;
}

/* A name that is taken, reserved or not a name, a sign-in another account has, or a missing
 * field: the dialog says why and nothing is added. */
static void
test_add_account_refuses (void)
{
  const char *cases[][3] = {
    { "work", "rt-ui-other", "There is an account named “work” already" },
    { "default", "rt-ui-other", "There is an account named “default” already" },
    { "a/b", "rt-ui-other", "An account’s name may hold" },
    { "", "rt-ui-other", "Name the account" },
    { "twin", "rt-ui-work", "This sign-in is the account “work” already" },
    { "empty", "", "Missing: refresh token" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GtkWidget *dialog = add_dialog (cases[i][0], cases[i][1]);
      Status refused = { dialog, cases[i][2] };
      g_autoptr(AmqCredentialSet) stored = NULL;

      click (find_widget (dialog, GTK_TYPE_BUTTON, _("_Add")));
      g_assert_true (wait_until (dialog_says, &refused, 5000));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool ())), ==, 2);
      if (*cases[i][0] != '\0' && !g_str_equal (cases[i][0], "work") && !g_str_equal (cases[i][0], "default"))
        {
          stored = test_keyring_lookup_account (cases[i][0]);
          g_assert_null (stored);
        }
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
}

/* The row's switch is the account's "enabled": off, the pool picks it no more, the row and the
 * Credits row say so, and the setting keeps it off for the next start. */
static void
test_account_switch_disables (void)
{
  GtkSwitch *work_switch;
  g_auto(GStrv) off = NULL;
  g_auto(GStrv) on = NULL;
  const char *credits;

  show_accounts_page ();
  work_switch = GTK_SWITCH (find_widget (account_row ("work"), GTK_TYPE_SWITCH, NULL));
  g_assert_true (gtk_switch_get_active (work_switch));
  gtk_switch_set_active (work_switch, FALSE);
  g_assert_false (amq_account_health_get_enabled (health_of ("work")));
  g_assert_cmpint (amq_account_health_get_status (health_of ("work")), ==, AMQ_ACCOUNT_DISABLED);
  g_assert_cmpuint (amq_account_pool_count_ready (pool ()), ==, 1);
  g_assert_nonnull (label_text_starting (account_row ("work"), "Switched off · "));
  credits = row_subtitle (GTK_WIDGET (main_window ()), _("Credits"));
  g_assert_nonnull (strstr (credits, "1 of 2 accounts ready"));
  off = g_settings_get_strv (amq_application_get_settings (app), "disabled-accounts");
  g_assert_cmpstrv (off, ((const char *[]) { "work", NULL }));
  /* the pool, told directly, moves the switch too */
  amq_account_health_set_enabled (health_of ("work"), TRUE);
  g_assert_true (gtk_switch_get_active (work_switch));
  g_assert_cmpuint (amq_account_pool_count_ready (pool ()), ==, 2);
  on = g_settings_get_strv (amq_application_get_settings (app), "disabled-accounts");
  g_assert_cmpuint (g_strv_length (on), ==, 0);
}

static void
on_added (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr(AmqAccount) account = amq_accounts_add_finish (AMQ_ACCOUNTS (source), result, NULL);

  g_assert_nonnull (account);
  *(gboolean *) data = TRUE;
}

static void
on_account_saved (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_account_save_finish (AMQ_ACCOUNT (source), result, NULL));
  *(gboolean *) data = TRUE;
}

static void
on_removed (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_accounts_remove_finish (AMQ_ACCOUNTS (source), result, NULL));
  *(gboolean *) data = TRUE;
}

/* An account whose quota is used up (the fake's rt-quota*) rests: its row says until when, and
 * its last error in red. */
static void
test_failing_account_shows_why (void)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  gboolean added = FALSE, removed = FALSE;
  Prefix used_up;
  GtkWidget *error;

  set->refresh_token = g_strdup ("rt-quota-ui");
  set->client_id = g_strdup ("quota-client");
  set->client_secret = g_strdup ("quota-secret");
  amq_accounts_add_async (accounts (), "spent", set, on_added, &added);
  g_assert_true (wait_until (flag_set, &added, 10000));
  show_accounts_page ();
  g_assert_true (wait_until (account_row_shown, (gpointer) "spent", 5000));
  /* the others off: the request goes to "spent" */
  amq_account_health_set_enabled (health_of ("default"), FALSE);
  amq_account_health_set_enabled (health_of ("work"), FALSE);
  g_assert_cmpuint (ask ("text"), !=, 200);
  g_assert_cmpint (amq_account_health_get_status (health_of ("spent")), ==, AMQ_ACCOUNT_EXHAUSTED);
  used_up = (Prefix) { account_row ("spent"), "Used up until " };
  g_assert_true (wait_until (prefix_shown, &used_up, 5000));
  error = find_descendant (account_row ("spent"), label_starts_with, "Last error: ");
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (error)), "You have reached the limit."));
  g_assert_true (gtk_widget_has_css_class (error, "error"));
  amq_account_health_set_enabled (health_of ("default"), TRUE);
  amq_account_health_set_enabled (health_of ("work"), TRUE);
  g_assert_cmpuint (ask ("text"), ==, 200);
  amq_accounts_remove_async (accounts (), amq_account_pool_lookup (pool (), "spent"), on_removed, &removed);
  g_assert_true (wait_until (flag_set, &removed, 10000));
}

/* Shown again, the window asks every account for its credits: one never asked learns them. */
static void
test_window_shown_asks_credits (void)
{
  AmqWindow *window = main_window ();
  g_autoptr(AmqTokenManager) tokens = amq_token_manager_new (g_getenv ("AMAZONQ_TOKEN_ENDPOINT"));
  g_autoptr(AmqAccount) account = amq_account_new (tokens, NULL);
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  gboolean saved = FALSE, removed = FALSE;

  set->refresh_token = g_strdup ("rt-ui-shown");
  set->client_id = g_strdup ("shown-client");
  set->client_secret = g_strdup ("shown-secret");
  amq_account_set_label (account, "shown");
  amq_account_save_async (account, set, NULL, on_account_saved, &saved);
  g_assert_true (wait_until (flag_set, &saved, 10000));
  /* in the pool, but never asked */
  amq_account_pool_add (pool (), account);
  gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (credits_known ((gpointer) "shown"));
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (wait_until (credits_known, (gpointer) "shown", 10000));
  amq_accounts_remove_async (accounts (), account, on_removed, &removed);
  g_assert_true (wait_until (flag_set, &removed, 10000));
}

static gboolean
keyring_item_gone (gpointer label)
{
  g_autoptr(AmqCredentialSet) stored = test_keyring_lookup_account (label);

  return stored == NULL;
}

/* Remove asks first; then the account leaves the pool and the page, and its keyring item is
 * cleared; the sign-in's item stays. */
static void
test_remove_account_clears_item (void)
{
  AdwMessageDialog *confirm;
  g_autoptr(AmqCredentialSet) first = NULL;

  show_accounts_page ();
  amq_account_health_set_enabled (health_of ("work"), FALSE);
  g_assert_true (gtk_widget_activate_action (account_row ("work"), "accounts.remove", "s", "work"));
  confirm = ADW_MESSAGE_DIALOG (toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (confirm);
  adw_message_dialog_response (confirm, "cancel");
  g_assert_nonnull (amq_account_pool_lookup (pool (), "work"));
  g_assert_true (gtk_widget_activate_action (account_row ("work"), "accounts.remove", "s", "work"));
  confirm = ADW_MESSAGE_DIALOG (toplevel (ADW_TYPE_MESSAGE_DIALOG));
  adw_message_dialog_response (confirm, "remove");
  g_assert_null (amq_account_pool_lookup (pool (), "work"));
  g_assert_true (wait_until (account_row_gone, (gpointer) "work", 5000));
  g_assert_true (wait_until (keyring_item_gone, (gpointer) "work", 10000));
  first = test_keyring_lookup_account (NULL);
  g_assert_nonnull (first);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pool ())), ==, 1);
  {
    g_auto(GStrv) off = g_settings_get_strv (amq_application_get_settings (app), "disabled-accounts");

    g_assert_cmpuint (g_strv_length (off), ==, 0);  /* a later "work" starts switched on */
  }
}

/* Rows coming in above keep the newest in view while the log is read from the top; a reader
 * scrolled down stays where they are. */
static void
test_log_keeps_newest_in_view (void)
{
  AmqWindow *window = main_window ();
  GtkColumnView *view = GTK_COLUMN_VIEW (find_widget (GTK_WIDGET (window), GTK_TYPE_COLUMN_VIEW, NULL));
  GtkAdjustment *scroll = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));
  AmqRequestLog *log = amq_server_get_request_log (amq_application_get_server (app));
  gdouble reading;

  g_action_group_activate_action (G_ACTION_GROUP (window), "page", g_variant_new_string ("requests"));
  for (guint i = 0; i < 80; i++)
    {
      g_autofree char *id = g_strdup_printf ("req_ui_top_%u", i);
      g_autoptr(AmqRequestRecord) record = amq_request_record_new (id, "POST", "/v1/messages");

      amq_request_log_add (log, record);
      settle ();
    }
  g_assert_cmpfloat (gtk_adjustment_get_upper (scroll), >, gtk_adjustment_get_page_size (scroll));
  g_assert_cmpfloat (gtk_adjustment_get_value (scroll), <=, 4);
  gtk_adjustment_set_value (scroll, 200);
  settle ();
  reading = gtk_adjustment_get_value (scroll);
  g_assert_cmpfloat (reading, >, 4);
  {
    g_autoptr(AmqRequestRecord) record = amq_request_record_new ("req_ui_top_more", "POST", "/v1/messages");

    amq_request_log_add (log, record);
  }
  settle ();
  g_assert_cmpfloat (gtk_adjustment_get_value (scroll), >=, reading);
}

static void
test_chinese_translation (void)
{
  g_autofree char *localedir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "po", NULL);
  const char *translated;

  /* the build tree holds po/zh_CN/LC_MESSAGES/amq2api.mo */
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);  /* templates translate through the default domain, as in main.c */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_MESSAGES, "");
  translated = g_dgettext (GETTEXT_PACKAGE, "Since start");
  g_assert_cmpstr (translated, ==, "自启动以来");
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Amazon Q token"), ==, "Amazon Q 令牌");
  {
    AmqCredentialsDialog *dialog = amq_credentials_dialog_new (app);
    AmqCredentialsDialog *add = amq_credentials_dialog_new_for_account (app);

    g_assert_nonnull (find_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, "刷新令牌(_R)"));
    g_assert_nonnull (find_widget (GTK_WIDGET (add), ADW_TYPE_ENTRY_ROW, "名称(_N)"));
    g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (add)), ==, "添加账户");
    gtk_window_destroy (GTK_WINDOW (dialog));
    gtk_window_destroy (GTK_WINDOW (add));
  }
  g_assert_cmpstr (g_dgettext (GETTEXT_PACKAGE, "Accounts"), ==, "账户");
  g_assert_cmpstr (g_dngettext (GETTEXT_PACKAGE, "%u of %u account ready", "%u of %u accounts ready", 2), ==,
                   "%u / %u 个账户就绪");
  g_setenv ("LANGUAGE", "C", TRUE);
  setlocale (LC_MESSAGES, "");
}

/* ---- set-up ---- */

static void
on_stored (GObject *source, GAsyncResult *result, gpointer data)
{
  g_assert_true (amq_credentials_store_finish (result, NULL));
  *(gboolean *) data = TRUE;
}

static const char seeded_refresh_token[] = "rt-ok";

static gboolean
app_read_keyring (gpointer data)
{
  return g_strcmp0 (credentials ()->refresh_token, seeded_refresh_token) == 0;
}

/* The keyring outlives a run: start from a known item and let the app read it before any
 * test, or its lookup could land later and replace the credentials a test has set. */
static void
seed_keyring (void)
{
  g_autoptr(AmqCredentialSet) set = amq_credential_set_new ();
  gboolean stored = FALSE;

  set->refresh_token = g_strdup (seeded_refresh_token);
  set->client_id = g_strdup ("ui-client");
  set->client_secret = g_strdup ("ui-secret");
  amq_credentials_store_async (NULL, set, NULL, on_stored, &stored);
  g_assert_true (wait_until (flag_set, &stored, 10000));
  test_keyring_clear_accounts ();
}

int
main (int argc, char **argv)
{
  g_autofree char *token_endpoint = NULL;
  g_autofree char *config = NULL;
  int status;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("AMQ2API_NO_BROWSER", "1", TRUE);
  config = g_dir_make_tmp ("amq2api-ui-XXXXXX", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_DATA_HOME", config, TRUE);
  g_setenv ("HOME", config, TRUE);  /* Kiro IDE's token file is under ~/.aws */
  setlocale (LC_ALL, "");
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_test_init (&argc, &argv, NULL);
      g_test_skip ("needs a display (build-aux/dev test runs Xvfb)");
      return g_test_run ();
    }
  gtk_test_init (&argc, &argv, NULL);
  if (!test_secrets_service_present ())
    {
      g_test_skip ("needs a session bus with an unlocked gnome-keyring (build-aux/dev test)");
      return g_test_run ();
    }
  fake = test_start_fake_upstream (&fake_url);
  token_endpoint = g_strconcat (fake_url, "/token", NULL);
  g_setenv ("AMAZONQ_API_ENDPOINT", fake_url, TRUE);
  g_setenv ("AMAZONQ_TOKEN_ENDPOINT", token_endpoint, TRUE);
  g_setenv ("AMAZONQ_SOCIAL_TOKEN_ENDPOINT", token_endpoint, TRUE);
  g_setenv ("PORT", "0", TRUE);
  adw_init ();
  seed_keyring ();
  write_kiro_cli_signin ();
  write_kiro_ide_signin ();

  app = amq_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_activate (G_APPLICATION (app));
  g_assert_true (wait_until (app_read_keyring, NULL, 10000));
  g_unsetenv ("PORT");

  g_test_add_func ("/ui/templates-build", test_templates_build);
  g_test_add_func ("/ui/fits-360-px", test_fits_360_px);
  g_test_add_func ("/ui/requests-appear-in-log", test_requests_appear_in_log);
  g_test_add_func ("/ui/token-status-follows-refresh", test_token_status_follows_refresh);
  g_test_add_func ("/ui/search-filters-log", test_search_filters_log);
  g_test_add_func ("/ui/token-state-is-registered-enum", test_token_state_is_registered_enum);
  g_test_add_func ("/ui/window-follows-server", test_window_follows_server);
  g_test_add_func ("/ui/busy-port-shows-why", test_busy_port_shows_why);
  g_test_add_func ("/ui/proxy-action-is-the-setting", test_proxy_action_is_the_setting);
  g_test_add_func ("/ui/copy-actions", test_copy_actions);
  g_test_add_func ("/ui/log-columns-follow-record", test_log_columns_follow_record);
  g_test_add_func ("/ui/proxy-switch-stops-and-starts", test_proxy_switch_stops_and_starts);
  g_test_add_func ("/ui/credentials-dialog-saves-to-keyring", test_credentials_dialog_saves_to_keyring);
  g_test_add_func ("/ui/device-login", test_device_login);
  g_test_add_func ("/ui/autostart-follows-preference", test_autostart_follows_preference);
  g_test_add_func ("/ui/port-change-moves-server", test_port_change_moves_server);
  g_test_add_func ("/ui/dialog-lists-signin-sources", test_dialog_lists_signin_sources);
  g_test_add_func ("/ui/link-writes-rotation-back", test_link_writes_rotation_back);
  g_test_add_func ("/ui/link-keeps-local-api-key", test_link_keeps_local_api_key);
  g_test_add_func ("/ui/copy-into-keyring", test_copy_into_keyring);
  g_test_add_func ("/ui/test-keeps-servers-token", test_test_keeps_servers_token);
  g_test_add_func ("/ui/test-applies-new-credentials", test_test_applies_new_credentials);
  g_test_add_func ("/ui/not-saved-shows-in-window", test_not_saved_shows_in_window);
  g_test_add_func ("/ui/clearing-key-off-loopback-stops", test_clearing_key_off_loopback_stops);
  g_test_add_func ("/ui/reverse-proxy-preferences", test_reverse_proxy_preferences);
  g_test_add_func ("/ui/log-shows-credits-and-total", test_log_shows_credits_and_total);
  g_test_add_func ("/ui/log-keeps-newest-in-view", test_log_keeps_newest_in_view);
  g_test_add_func ("/ui/credits-row-shows-usage-limits", test_credits_row_shows_usage_limits);
  g_test_add_func ("/ui/activity-buckets", test_activity_buckets);
  g_test_add_func ("/ui/activity-chart-follows-log", test_activity_chart_follows_log);
  g_test_add_func ("/ui/accounts-page-lists-accounts", test_accounts_page_lists_accounts);
  g_test_add_func ("/ui/add-account-stores-labelled-item", test_add_account_stores_labelled_item);
  g_test_add_func ("/ui/add-account-refuses", test_add_account_refuses);
  g_test_add_func ("/ui/account-switch-disables", test_account_switch_disables);
  g_test_add_func ("/ui/failing-account-shows-why", test_failing_account_shows_why);
  g_test_add_func ("/ui/remove-account-clears-item", test_remove_account_clears_item);
  g_test_add_func ("/ui/window-shown-asks-credits", test_window_shown_asks_credits);
  g_test_add_func ("/ui/chinese-translation", test_chinese_translation);
  status = g_test_run ();
  g_application_quit (G_APPLICATION (app));
  g_clear_object (&app);
  g_subprocess_send_signal (fake, SIGTERM);
  return status;
}
