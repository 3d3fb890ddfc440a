/* amq-sse-writer.c */
#include "amq-sse-writer.h"

#include "amq-error.h"
#include "amq-json.h"

struct _AmqSseWriter
{
  GObject            parent_instance;
  SoupServerMessage *message;
  GString           *text;     /* events not yet handed to libsoup; everything when no message */
  GSource           *flush_source;
  GSource           *ping_source;
  guint              ping_interval;
  gboolean           complete;
};

static void amq_sse_writer_sink_init (AmqEventSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqSseWriter, amq_sse_writer, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_EVENT_SINK, amq_sse_writer_sink_init))

static void arm_ping (AmqSseWriter *self);

static void
stop_ping (AmqSseWriter *self)
{
  if (self->ping_source != NULL)
    {
      g_source_destroy (self->ping_source);
      g_clear_pointer (&self->ping_source, g_source_unref);
    }
}

static void
cancel_flush (AmqSseWriter *self)
{
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
}

static gboolean
on_flush (gpointer user_data)
{
  AmqSseWriter *self = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (self->message);

  g_clear_pointer (&self->flush_source, g_source_unref);
  soup_message_body_append (body, SOUP_MEMORY_COPY, self->text->str, self->text->len);
  g_string_truncate (self->text, 0);
  if (self->complete)
    soup_message_body_complete (body);
  soup_server_message_unpause (self->message);
  return G_SOURCE_REMOVE;
}

/* Starts an event: "event: TYPE\ndata: {"type":"TYPE"" — the caller appends the rest. */
static void
begin_event (AmqSseWriter *self,
             const char   *type)
{
  g_string_append (self->text, "event: ");
  g_string_append (self->text, type);
  g_string_append (self->text, "\ndata: {\"type\":\"");
  g_string_append (self->text, type);
  g_string_append_c (self->text, '"');
}

static void
end_event (AmqSseWriter *self)
{
  g_string_append (self->text, "}\n\n");
  if (self->message == NULL)
    return;
  /* the events one upstream read produces go out as one chunk: libsoup writes every chunk
   * as three packets (size, data, end of line), and each costs the loop a wakeup */
  if (self->flush_source == NULL)
    {
      self->flush_source = g_idle_source_new ();
      g_source_set_priority (self->flush_source, G_PRIORITY_DEFAULT);
      g_source_set_callback (self->flush_source, on_flush, g_object_ref (self), g_object_unref);
      g_source_attach (self->flush_source, g_main_context_get_thread_default ());
    }
  arm_ping (self);
}

static gboolean
on_ping (gpointer user_data)
{
  AmqSseWriter *self = user_data;

  begin_event (self, "ping");
  end_event (self);
  return G_SOURCE_CONTINUE;
}

/* One timer, pushed back on every write: pings only ever fill silence. */
static void
arm_ping (AmqSseWriter *self)
{
  if (self->complete)
    {
      stop_ping (self);
      return;
    }
  if (self->ping_interval == 0 || self->message == NULL)
    return;
  if (self->ping_source == NULL)
    {
      self->ping_source = g_timeout_source_new_seconds (self->ping_interval);
      g_source_set_callback (self->ping_source, on_ping, self, NULL);
      g_source_attach (self->ping_source, g_main_context_get_thread_default ());
    }
  g_source_set_ready_time (self->ping_source,
                           g_get_monotonic_time () + (gint64) self->ping_interval * G_USEC_PER_SEC);
}

static void
sse_message_start (AmqEventSink *sink, const char *message_id, const char *model,
                   const AmqUsage *usage)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);
  AmqUsage start_usage = *usage;

  begin_event (self, "message_start");
  g_string_append (self->text, ",\"message\":{\"id\":");
  amq_json_append_string (self->text, message_id, -1);
  g_string_append (self->text, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  amq_json_append_string (self->text, model, -1);
  g_string_append (self->text, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":");
  start_usage.output_tokens = 1;
  amq_usage_append_json (self->text, &start_usage);
  g_string_append_c (self->text, '}');
  end_event (self);
}

static void
sse_block_start (AmqEventSink *sink, guint index, AmqBlockKind kind,
                 const char *tool_id, const char *tool_name)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "content_block_start");
  g_string_append_printf (self->text, ",\"index\":%u,\"content_block\":", index);
  switch (kind)
    {
    case AMQ_BLOCK_TOOL_USE:
      g_string_append (self->text, "{\"type\":\"tool_use\",\"id\":");
      amq_json_append_string (self->text, tool_id, -1);
      g_string_append (self->text, ",\"name\":");
      amq_json_append_string (self->text, tool_name, -1);
      g_string_append (self->text, ",\"input\":{}}");
      break;
    case AMQ_BLOCK_THINKING:
      g_string_append (self->text, "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}");
      break;
    case AMQ_BLOCK_TEXT:
    default:
      g_string_append (self->text, "{\"type\":\"text\",\"text\":\"\"}");
      break;
    }
  end_event (self);
}

static void
sse_block_delta (AmqEventSink *sink, guint index, AmqDeltaKind kind,
                 const char *text, gsize length)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);
  static const char * const prefixes[] = {
    [AMQ_DELTA_TEXT] = "{\"type\":\"text_delta\",\"text\":",
    [AMQ_DELTA_INPUT_JSON] = "{\"type\":\"input_json_delta\",\"partial_json\":",
    [AMQ_DELTA_THINKING] = "{\"type\":\"thinking_delta\",\"thinking\":",
    [AMQ_DELTA_SIGNATURE] = "{\"type\":\"signature_delta\",\"signature\":",
  };

  begin_event (self, "content_block_delta");
  g_string_append_printf (self->text, ",\"index\":%u,\"delta\":", index);
  g_string_append (self->text, prefixes[kind]);
  amq_json_append_string (self->text, text, length);
  g_string_append_c (self->text, '}');
  end_event (self);
}

static void
sse_block_stop (AmqEventSink *sink, guint index)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "content_block_stop");
  g_string_append_printf (self->text, ",\"index\":%u", index);
  end_event (self);
}

static void
sse_message_end (AmqEventSink *sink, const char *stop_reason, const char *stop_sequence,
                 const AmqUsage *usage)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "message_delta");
  g_string_append (self->text, ",\"delta\":{\"stop_reason\":");
  amq_json_append_string (self->text, stop_reason, -1);
  g_string_append (self->text, ",\"stop_sequence\":");
  if (stop_sequence != NULL)
    amq_json_append_string (self->text, stop_sequence, -1);
  else
    g_string_append (self->text, "null");
  g_string_append (self->text, "},\"usage\":");
  amq_usage_append_json (self->text, usage);
  end_event (self);
  begin_event (self, "message_stop");
  self->complete = TRUE;
  end_event (self);
}

static void
sse_error (AmqEventSink *sink, const GError *error)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (sink);

  begin_event (self, "error");
  g_string_append (self->text, ",\"error\":{\"type\":");
  amq_json_append_string (self->text, amq_error_anthropic_type (error), -1);
  g_string_append (self->text, ",\"message\":");
  amq_json_append_string (self->text, error->message, -1);
  g_string_append_c (self->text, '}');
  self->complete = TRUE;
  end_event (self);
}

static void
amq_sse_writer_sink_init (AmqEventSinkInterface *iface)
{
  iface->message_start = sse_message_start;
  iface->block_start = sse_block_start;
  iface->block_delta = sse_block_delta;
  iface->block_stop = sse_block_stop;
  iface->message_end = sse_message_end;
  iface->error = sse_error;
}

void
amq_sse_writer_set_ping_interval (AmqSseWriter *self,
                                  guint         seconds)
{
  self->ping_interval = seconds;
  stop_ping (self);
  arm_ping (self);
}

const char *
amq_sse_writer_peek_text (AmqSseWriter *self)
{
  return self->text->str;
}

void
amq_sse_writer_detach (AmqSseWriter *self)
{
  stop_ping (self);
  cancel_flush (self);
  g_clear_object (&self->message);
}

gboolean
amq_sse_writer_is_complete (AmqSseWriter *self)
{
  return self->complete;
}

static void
amq_sse_writer_finalize (GObject *object)
{
  AmqSseWriter *self = AMQ_SSE_WRITER (object);

  amq_sse_writer_detach (self);
  g_string_free (self->text, TRUE);
  G_OBJECT_CLASS (amq_sse_writer_parent_class)->finalize (object);
}

static void
amq_sse_writer_class_init (AmqSseWriterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_sse_writer_finalize;
}

static void
amq_sse_writer_init (AmqSseWriter *self)
{
  self->text = g_string_new (NULL);
  self->ping_interval = AMQ_SSE_PING_INTERVAL;
}

AmqSseWriter *
amq_sse_writer_new (SoupServerMessage *message)
{
  AmqSseWriter *self = g_object_new (AMQ_TYPE_SSE_WRITER, NULL);
  SoupMessageHeaders *headers;

  if (message == NULL)
    return self;
  self->message = g_object_ref (message);
  headers = soup_server_message_get_response_headers (message);
  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  soup_message_headers_replace (headers, "Content-Type", "text/event-stream; charset=utf-8");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_message_headers_replace (headers, "X-Accel-Buffering", "no");
  soup_message_body_set_accumulate (soup_server_message_get_response_body (message), FALSE);
  soup_server_message_set_status (message, 200, NULL);
  arm_ping (self);
  return self;
}
