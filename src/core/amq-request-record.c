/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-request-record.c: one request as the log shows it */
#include "config.h"

#include "amq-request-record.h"

struct _AmqRequestRecord
{
  GObject    parent_instance;
  char      *request_id;
  GDateTime *time;
  gint64     started_us;
  char      *method;
  char      *path;
  AmqRequestApi api;
  char      *account;
  char      *model_asked;
  char      *model_used;
  gboolean   stream;
  guint      status;
  gboolean   finished;
  char      *error;
  char      *headers;
  gint64     duration_ms;
  gint64     first_token_ms;
  guint64    input_tokens;
  guint64    output_tokens;
  gdouble    credits;
  gdouble    context_usage;
};

/* The window binds to "finished" and re-reads the getters; one notification per change. */
enum { PROP_0, PROP_FINISHED, PROP_MODEL_USED, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AmqRequestRecord, amq_request_record, G_TYPE_OBJECT)

void
amq_request_record_set_headers (AmqRequestRecord *self, SoupMessageHeaders *headers)
{
  static const char * const shown[] = {
    "User-Agent", "anthropic-version", "anthropic-beta", "Content-Type", "Content-Length", "x-app",
  };
  static const char * const secret[] = { "x-api-key", "Authorization", "Cookie" };
  GString *out;

  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));
  g_return_if_fail (headers != NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    {
      const char *value = soup_message_headers_get_list (headers, shown[i]);

      if (value != NULL)
        g_string_append_printf (out, "%s: %s\n", shown[i], value);
    }
  for (guint i = 0; i < G_N_ELEMENTS (secret); i++)
    if (soup_message_headers_get_one (headers, secret[i]) != NULL)
      g_string_append_printf (out, "%s: (elided)\n", secret[i]);
  g_free (self->headers);
  self->headers = g_string_free (out, FALSE);
}

const char *
amq_request_record_get_headers (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->headers;
}

const char *
amq_request_api_get_label (AmqRequestApi api)
{
  switch (api)
    {
    case AMQ_REQUEST_API_OPENAI_CHAT:      return "OpenAI";
    case AMQ_REQUEST_API_OPENAI_RESPONSES: return "Responses";
    case AMQ_REQUEST_API_ANTHROPIC:
    default:                               return "Anthropic";
    }
}

void
amq_request_record_set_api (AmqRequestRecord *self, AmqRequestApi api)
{
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));

  self->api = api;
}

void
amq_request_record_set_account (AmqRequestRecord *self, const char *label)
{
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));

  g_free (self->account);
  self->account = g_strdup (label);
}

const char *
amq_request_record_get_account (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->account;
}

AmqRequestApi
amq_request_record_get_api (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), AMQ_REQUEST_API_ANTHROPIC);
  return self->api;
}

void
amq_request_record_set_models (AmqRequestRecord *self, const char *model_asked,
                               const char *model_used, gboolean stream)
{
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));

  g_free (self->model_asked);
  g_free (self->model_used);
  self->model_asked = g_strdup (model_asked);
  self->model_used = g_strdup (model_used);
  self->stream = stream;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL_USED]);
}

void
amq_request_record_set_metering (AmqRequestRecord *self, gdouble credits, gdouble context_usage)
{
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));

  if (self->finished)
    return;  /* a finished row is what the window showed: it stays */
  self->credits = MAX (credits, 0);
  self->context_usage = CLAMP (context_usage, 0, 100);
}

void
amq_request_record_complete (AmqRequestRecord *self, guint status, const char *error,
                           gint64 first_token_us, guint64 input_tokens, guint64 output_tokens)
{
  g_return_if_fail (AMQ_IS_REQUEST_RECORD (self));

  if (self->finished)
    return;
  self->finished = TRUE;
  self->status = status;
  self->error = g_strdup (error);
  self->duration_ms = (g_get_monotonic_time () - self->started_us) / 1000;
  self->first_token_ms = first_token_us > 0 ? (first_token_us - self->started_us) / 1000 : -1;
  self->input_tokens = input_tokens;
  self->output_tokens = output_tokens;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
}

const char *
amq_request_record_get_request_id (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->request_id;
}

GDateTime *
amq_request_record_get_time (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->time;
}

const char *
amq_request_record_get_method (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->method;
}

const char *
amq_request_record_get_path (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->path;
}

const char *
amq_request_record_get_model_asked (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->model_asked;
}

const char *
amq_request_record_get_model_used (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->model_used;
}

gboolean
amq_request_record_get_stream (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), FALSE);
  return self->stream;
}

guint
amq_request_record_get_status (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->status;
}

gboolean
amq_request_record_get_finished (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), FALSE);
  return self->finished;
}

const char *
amq_request_record_get_error (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), NULL);
  return self->error;
}

gint64
amq_request_record_get_duration_ms (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->duration_ms;
}

gint64
amq_request_record_get_first_token_ms (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->first_token_ms;
}

guint64
amq_request_record_get_input_tokens (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->input_tokens;
}

guint64
amq_request_record_get_output_tokens (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->output_tokens;
}

gdouble
amq_request_record_get_credits (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->credits;
}

gdouble
amq_request_record_get_context_usage (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), 0);
  return self->context_usage;
}

gboolean
amq_request_record_is_error (AmqRequestRecord *self)
{
  g_return_val_if_fail (AMQ_IS_REQUEST_RECORD (self), FALSE);
  return self->finished && (self->status >= 400 || self->error != NULL);
}

static void
amq_request_record_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AmqRequestRecord *self = AMQ_REQUEST_RECORD (object);

  switch (prop_id)
    {
    case PROP_FINISHED:   g_value_set_boolean (value, self->finished); break;
    case PROP_MODEL_USED: g_value_set_string (value, self->model_used); break;
    default:              G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
amq_request_record_finalize (GObject *object)
{
  AmqRequestRecord *self = AMQ_REQUEST_RECORD (object);

  g_free (self->request_id);
  g_date_time_unref (self->time);
  g_free (self->method);
  g_free (self->path);
  g_free (self->model_asked);
  g_free (self->model_used);
  g_free (self->error);
  g_free (self->headers);
  g_free (self->account);
  G_OBJECT_CLASS (amq_request_record_parent_class)->finalize (object);
}

static void
amq_request_record_class_init (AmqRequestRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = amq_request_record_get_property;
  object_class->finalize = amq_request_record_finalize;
  properties[PROP_FINISHED] = g_param_spec_boolean ("finished", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_MODEL_USED] = g_param_spec_string ("model-used", NULL, NULL, NULL,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
amq_request_record_init (AmqRequestRecord *self)
{
  self->time = g_date_time_new_now_local ();
  self->started_us = g_get_monotonic_time ();
  self->first_token_ms = -1;
}

AmqRequestRecord *
amq_request_record_new (const char *request_id, const char *method, const char *path)
{
  AmqRequestRecord *self;

  g_return_val_if_fail (request_id != NULL, NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (AMQ_TYPE_REQUEST_RECORD, NULL);
  self->request_id = g_strdup (request_id);
  self->method = g_strdup (method);
  self->path = g_strdup (path);
  return self;
}
