/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-sse-channel.c: chunk coalescing, pings in silences, completion and detach for every event stream */
#include "config.h"

#include "amq-sse-channel.h"

/* A client that stops reading holds up its own stream, not the machine: past HIGH_WATER
 * bytes handed to libsoup and not yet written the channel is congested, until all but
 * LOW_WATER are written (the gap keeps a slow reader from flapping it). */
#define HIGH_WATER (1024 * 1024)
#define LOW_WATER  (256 * 1024)

struct _AmqSseChannel
{
  GObject            parent_instance;
  SoupServerMessage *message;
  GString           *text;     /* events not yet handed to libsoup; everything when no message */
  char              *ping_text;
  GSource           *flush_source;
  GSource           *ping_source;
  guint              ping_interval;
  gboolean           complete;
  gsize              unsent;   /* handed to libsoup, not yet written to the client */
  gboolean           congested;
  gulong             wrote_handler;
};

G_DEFINE_FINAL_TYPE (AmqSseChannel, amq_sse_channel, G_TYPE_OBJECT)

enum { PROP_0, PROP_CONGESTED, N_PROPS };
static GParamSpec *properties[N_PROPS];

static GQuark
channel_of_message_quark (void)
{
  return g_quark_from_static_string ("amq-sse-channel-of-message");
}

static void
update_congestion (AmqSseChannel *self)
{
  gboolean congested = self->congested ? self->unsent > LOW_WATER : self->unsent > HIGH_WATER;

  if (congested == self->congested)
    return;
  self->congested = congested;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONGESTED]);
}

static void
on_wrote_body_data (SoupServerMessage *message,
                    guint              written,
                    gpointer           user_data)
{
  AmqSseChannel *self = user_data;

  self->unsent -= MIN (written, self->unsent);
  update_congestion (self);
}

static void arm_ping (AmqSseChannel *self);

static void
stop_ping (AmqSseChannel *self)
{
  if (self->ping_source != NULL)
    {
      g_source_destroy (self->ping_source);
      g_clear_pointer (&self->ping_source, g_source_unref);
    }
}

static void
cancel_flush (AmqSseChannel *self)
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
  AmqSseChannel *self = user_data;
  SoupMessageBody *body = soup_server_message_get_response_body (self->message);

  g_clear_pointer (&self->flush_source, g_source_unref);
  soup_message_body_append (body, SOUP_MEMORY_COPY, self->text->str, self->text->len);
  self->unsent += self->text->len;
  g_string_truncate (self->text, 0);
  if (self->complete)
    soup_message_body_complete (body);
  soup_server_message_unpause (self->message);
  update_congestion (self);
  return G_SOURCE_REMOVE;
}

void
amq_sse_channel_commit (AmqSseChannel *self)
{
  g_return_if_fail (AMQ_IS_SSE_CHANNEL (self));

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

void
amq_sse_channel_finish (AmqSseChannel *self)
{
  g_return_if_fail (AMQ_IS_SSE_CHANNEL (self));
  self->complete = TRUE;
  amq_sse_channel_commit (self);
}

static gboolean
on_ping (gpointer user_data)
{
  AmqSseChannel *self = user_data;

  g_string_append (self->text, self->ping_text);
  amq_sse_channel_commit (self);
  return G_SOURCE_CONTINUE;
}

/* One timer, pushed back on every write: pings only ever fill silence. */
static void
arm_ping (AmqSseChannel *self)
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

GString *
amq_sse_channel_get_buffer (AmqSseChannel *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (self), NULL);
  return self->text;
}

void
amq_sse_channel_begin_typed_event (AmqSseChannel *self,
                                   const char    *type)
{
  g_return_if_fail (AMQ_IS_SSE_CHANNEL (self));
  g_string_append (self->text, "event: ");
  g_string_append (self->text, type);
  g_string_append (self->text, "\ndata: {\"type\":\"");
  g_string_append (self->text, type);
  g_string_append_c (self->text, '"');
}

gboolean
amq_sse_channel_is_complete (AmqSseChannel *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (self), FALSE);
  return self->complete;
}

void
amq_sse_channel_set_ping_interval (AmqSseChannel *self,
                                   guint          seconds)
{
  g_return_if_fail (AMQ_IS_SSE_CHANNEL (self));
  self->ping_interval = seconds;
  stop_ping (self);
  arm_ping (self);
}

const char *
amq_sse_channel_peek_text (AmqSseChannel *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (self), NULL);
  return self->text->str;
}

gboolean
amq_sse_channel_get_congested (AmqSseChannel *self)
{
  g_return_val_if_fail (AMQ_IS_SSE_CHANNEL (self), FALSE);
  return self->congested;
}

AmqSseChannel *
amq_sse_channel_get_for_message (SoupServerMessage *message)
{
  g_return_val_if_fail (SOUP_IS_SERVER_MESSAGE (message), NULL);
  return g_object_get_qdata (G_OBJECT (message), channel_of_message_quark ());
}

void
amq_sse_channel_detach (AmqSseChannel *self)
{
  g_return_if_fail (AMQ_IS_SSE_CHANNEL (self));
  stop_ping (self);
  cancel_flush (self);
  if (self->message == NULL)
    return;
  g_clear_signal_handler (&self->wrote_handler, self->message);
  if (amq_sse_channel_get_for_message (self->message) == self)
    g_object_set_qdata (G_OBJECT (self->message), channel_of_message_quark (), NULL);
  g_clear_object (&self->message);
}

static void
amq_sse_channel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqSseChannel *self = AMQ_SSE_CHANNEL (object);

  switch (prop_id)
    {
    case PROP_CONGESTED:
      g_value_set_boolean (value, self->congested);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_sse_channel_finalize (GObject *object)
{
  AmqSseChannel *self = AMQ_SSE_CHANNEL (object);

  amq_sse_channel_detach (self);
  g_string_free (self->text, TRUE);
  g_free (self->ping_text);
  G_OBJECT_CLASS (amq_sse_channel_parent_class)->finalize (object);
}

static void
amq_sse_channel_class_init (AmqSseChannelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_sse_channel_get_property;
  object_class->finalize = amq_sse_channel_finalize;
  properties[PROP_CONGESTED] =
    g_param_spec_boolean ("congested", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_sse_channel_init (AmqSseChannel *self)
{
  self->text = g_string_new (NULL);
  self->ping_interval = AMQ_SSE_PING_INTERVAL;
}

AmqSseChannel *
amq_sse_channel_new (SoupServerMessage *message,
                     const char        *ping_text)
{
  AmqSseChannel *self;
  SoupMessageHeaders *headers;

  g_return_val_if_fail (message == NULL || SOUP_IS_SERVER_MESSAGE (message), NULL);
  g_return_val_if_fail (ping_text != NULL, NULL);
  self = g_object_new (AMQ_TYPE_SSE_CHANNEL, NULL);
  self->ping_text = g_strdup (ping_text);
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
  self->wrote_handler = g_signal_connect (message, "wrote-body-data", G_CALLBACK (on_wrote_body_data), self);
  g_object_set_qdata (G_OBJECT (message), channel_of_message_quark (), self);
  arm_ping (self);
  return self;
}
