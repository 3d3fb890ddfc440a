/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-load.c: a load generator for amq2api-server (or, with --direct, for the fake Amazon Q
 * itself): N streaming requests, C at a time, in one of the APIs it serves; reports time to the
 * first text delta (or first upstream byte), completion and errors as one JSON line. */
#include "config.h"

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* An API the server serves: where, how a request names its conversation, and how its stream
 * shows the first text and its own complete end. */
typedef struct {
  const char *name;
  const char *path;
  const char *members;       /* besides model, stream and the conversation */
  const char *conversation;
  const char *first_text;
  const char *end;
} Api;

static const Api apis[] = {
  { "messages", "/v1/messages?beta=true", "\"max_tokens\":1024,", "messages", "\"text_delta\"",
    "event: message_stop\n" },
  { "chat", "/v1/chat/completions", "", "messages", "\"delta\":{\"content\":\"", "data: [DONE]\n\n" },
  { "responses", "/v1/responses", "", "input", "\"response.output_text.delta\"", "event: response.completed\n" },
};

typedef struct {
  SoupSession *session;
  const Api   *api;
  char        *url;
  char        *body;
  gsize        content_at;     /* --conversations: where the last user message's text begins */
  char        *token;          /* direct mode: a token the fake issued */
  gboolean     direct;
  gboolean     conversations;  /* each request a conversation of its own */
  guint        total, started, finished, concurrency;
  guint        errors;
  GArray      *first_ms;       /* double */
  GMainLoop   *loop;
} Load;

typedef struct {
  Load         *load;
  SoupMessage  *msg;
  GInputStream *stream;
  gint64        start;
  gboolean      seen_first;
  GString      *tail;          /* the last bytes, to check the stream's end */
  guint8        buffer[16384];
} Call;

static void start_one (Load *load);

static void
call_done (Call *call, gboolean ok)
{
  Load *load = call->load;

  if (!ok)
    load->errors++;
  load->finished++;
  g_clear_object (&call->stream);
  g_object_unref (call->msg);
  g_string_free (call->tail, TRUE);
  g_free (call);
  if (load->started < load->total)
    start_one (load);
  else if (load->finished == load->total)
    g_main_loop_quit (load->loop);
}

static void
on_read (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n < 0)
    {
      call_done (call, FALSE);
      return;
    }
  if (n == 0)
    {
      gboolean ok = call->load->direct ? call->seen_first : strstr (call->tail->str, call->load->api->end) != NULL;
      call_done (call, ok);
      return;
    }
  if (!call->seen_first)
    {
      gboolean first = call->load->direct ||
                       g_strstr_len ((const char *) call->buffer, n, call->load->api->first_text) != NULL;

      if (first)
        {
          double ms = (g_get_monotonic_time () - call->start) / 1000.0;

          call->seen_first = TRUE;
          g_array_append_val (call->load->first_ms, ms);
        }
    }
  g_string_append_len (call->tail, (const char *) call->buffer, n);
  if (call->tail->len > 4096)
    g_string_erase (call->tail, 0, call->tail->len - 4096);
  g_input_stream_read_async (call->stream, call->buffer, sizeof call->buffer, G_PRIORITY_DEFAULT, NULL, on_read, call);
}

static void
on_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->stream = soup_session_send_finish (SOUP_SESSION (source), result, NULL);
  if (call->stream == NULL || soup_message_get_status (call->msg) != 200)
    {
      call_done (call, FALSE);
      return;
    }
  g_input_stream_read_async (call->stream, call->buffer, sizeof call->buffer, G_PRIORITY_DEFAULT, NULL, on_read, call);
}

static void
start_one (Load *load)
{
  Call *call = g_new0 (Call, 1);
  g_autoptr(GBytes) body = NULL;

  /* a new first message is a new conversation: the proxy places each anew, as a pool spreads them */
  if (load->conversations)
    {
      char *text = g_strdup_printf ("%.*sConversation %u %s", (int) load->content_at, load->body,
                                    load->started, load->body + load->content_at);

      body = g_bytes_new_take (text, strlen (text));
    }
  else
    body = g_bytes_new_static (load->body, strlen (load->body));
  load->started++;
  call->load = load;
  call->tail = g_string_new (NULL);
  call->msg = soup_message_new ("POST", load->url);
  soup_message_set_request_body_from_bytes (call->msg, "application/json", body);
  /* the proxy closes every connection after its answer; the fake must do the same for the
   * two to be compared, and a leftover idle connection would cost both a polled descriptor */
  soup_message_headers_replace (soup_message_get_request_headers (call->msg), "Connection", "close");
  if (load->direct)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", load->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (call->msg), "Authorization", auth);
      soup_message_headers_replace (soup_message_get_request_headers (call->msg), "X-Amz-Target",
                                    "AmazonCodeWhispererStreamingService.GenerateAssistantResponse");
    }
  call->start = g_get_monotonic_time ();
  soup_session_send_async (load->session, call->msg, G_PRIORITY_DEFAULT, NULL, on_sent, call);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values, double p)
{
  guint index;

  if (values->len == 0)
    return -1;
  index = MIN (values->len - 1, (guint) (p / 100.0 * values->len));
  return g_array_index (values, double, index);
}

int
main (int argc, char **argv)
{
  g_autofree char *url = NULL;
  g_autofree char *scenario = NULL;
  g_autofree char *api = NULL;
  gint count = 100, concurrency = 1, context_kb = 0;
  gboolean direct = FALSE, conversations = FALSE;
  GOptionEntry entries[] = {
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "amq2api-server URL (or the fake's, with --direct)", "URL" },
    { "scenario", 0, 0, G_OPTION_ARG_STRING, &scenario, "fake upstream scenario", "NAME" },
    { "api", 0, 0, G_OPTION_ARG_STRING, &api, "messages (default), chat or responses", "API" },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, "requests", "N" },
    { "concurrency", 0, 0, G_OPTION_ARG_INT, &concurrency, "requests at a time", "C" },
    { "direct", 0, 0, G_OPTION_ARG_NONE, &direct, "talk to the fake Amazon Q directly", NULL },
    { "context-kb", 0, 0, G_OPTION_ARG_INT, &context_kb, "an earlier turn of this many KB, as agents send", "KB" },
    { "conversations", 0, 0, G_OPTION_ARG_NONE, &conversations, "each request a new conversation (proxy only)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  struct rlimit limit;
  Load load = { 0 };
  gboolean parsed;
  gint64 start;
  double seconds;

  g_option_context_add_main_entries (context, entries, NULL);
  parsed = g_option_context_parse (context, &argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (apis); i++)
    if (g_strcmp0 (api ? api : "messages", apis[i].name) == 0)
      load.api = &apis[i];
  if (!parsed || url == NULL || load.api == NULL)
    {
      g_printerr ("usage: amq-load --url URL [--api messages|chat|responses] [--scenario S] [--count N] "
                  "[--concurrency C] [--direct] [--context-kb K] [--conversations]\n");
      return 2;
    }
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
  load.session = soup_session_new_with_options ("max-conns", 4096, "max-conns-per-host", 4096, "timeout", 120, NULL);
  load.direct = direct;
  load.conversations = conversations && !direct;
  load.total = count;
  load.concurrency = concurrency;
  load.first_ms = g_array_new (FALSE, FALSE, sizeof (double));
  load.loop = g_main_loop_new (NULL, FALSE);
  if (direct)
    {
      g_autofree char *token_url = g_strconcat (url, "/token", NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", token_url);
      g_autoptr(GBytes) body = g_bytes_new_static ("{\"refreshToken\":\"rt-bench\"}", 27);
      g_autoptr(GBytes) reply = NULL;
      const char *at;

      soup_message_set_request_body_from_bytes (msg, "application/json", body);
      reply = soup_session_send_and_read (load.session, msg, NULL, NULL);
      at = reply ? strstr (g_bytes_get_data (reply, NULL), "\"accessToken\":\"") : NULL;
      g_assert (at != NULL);
      load.token = g_strndup (at + 15, strcspn (at + 15, "\""));
      load.url = g_strconcat (url, "/", NULL);
      /* what today's service (and so the fake) requires of every call, as the proxy sends it */
      load.body = g_strdup_printf ("{\"conversationState\":{\"conversationId\":\"bench\",\"chatTriggerType\":\"MANUAL\","
                                   "\"agentTaskType\":\"vibe\",\"agentContinuationId\":\"6a1e1f36-0b6c-4d53-9b8a-3c1f0e2d4b5a\","
                                   "\"currentMessage\":{\"userInputMessage\":{\"content\":\"SCENARIO:%s\","
                                   "\"modelId\":\"claude-sonnet-4.5\",\"origin\":\"KIRO_CLI\"}}},"
                                   "\"profileArn\":\"arn:aws:codewhisperer:us-east-1:638616132270:profile/AAAACCCCXXXX\"}",
                                   scenario ? scenario : "text");
    }
  else
    {
      g_autofree char *filler = g_strnfill ((gsize) context_kb * 1024, 'x');
      g_autofree char *earlier = context_kb > 0
        ? g_strdup_printf ("{\"role\":\"user\",\"content\":\"%s\"},{\"role\":\"assistant\",\"content\":\"ok\"},", filler)
        : g_strdup ("");

      load.url = g_strconcat (url, load.api->path, NULL);
      load.body = g_strdup_printf ("{\"model\":\"claude-sonnet-4-5\",%s\"stream\":true,\"%s\":["
                                   "%s{\"role\":\"user\",\"content\":\"SCENARIO:%s\"}]}", load.api->members,
                                   load.api->conversation, earlier, scenario ? scenario : "text");
      load.content_at = strstr (load.body, "SCENARIO:") - load.body;
    }
  start = g_get_monotonic_time ();
  for (guint i = 0; i < (guint) MIN (concurrency, count); i++)
    start_one (&load);
  g_main_loop_run (load.loop);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_array_sort (load.first_ms, compare_double);
  printf ("{\"target\":\"%s\",\"api\":\"%s\",\"scenario\":\"%s\",\"requests\":%u,\"concurrency\":%d,\"errors\":%u,"
          "\"seconds\":%.2f,\"first_ms_p50\":%.3f,\"first_ms_p99\":%.3f,\"first_ms_max\":%.3f}\n",
          direct ? "upstream" : "proxy", load.api->name, scenario ? scenario : "text", load.total, concurrency, load.errors,
          seconds, percentile (load.first_ms, 50), percentile (load.first_ms, 99), percentile (load.first_ms, 100));
  return load.errors == 0 ? 0 : 1;
}
