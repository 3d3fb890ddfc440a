/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-message-builder.c: the events of one answer folded into its Message, up to a cap */
#include "config.h"

#include "amq-message-builder.h"

#include "amq-error.h"
#include "amq-json.h"

typedef struct {
  AmqBlockKind kind;
  char        *tool_id;
  char        *tool_name;
  GString     *text;       /* text, thinking, or the tool's input JSON */
  GString     *signature;
} Block;

struct _AmqMessageBuilder
{
  GObject    parent_instance;
  char      *message_id;
  char      *model;
  GPtrArray *blocks;
  char      *stop_reason;
  char      *stop_sequence;
  AmqUsage   usage;
  GError    *error;
  gsize      content_length;
  gboolean   full;
  gboolean   ended;
};

static void amq_message_builder_sink_init (AmqEventSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AmqMessageBuilder, amq_message_builder, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (AMQ_TYPE_EVENT_SINK, amq_message_builder_sink_init))

static void
block_free (gpointer data)
{
  Block *block = data;

  g_free (block->tool_id);
  g_free (block->tool_name);
  g_string_free (block->text, TRUE);
  g_string_free (block->signature, TRUE);
  g_free (block);
}

static void
builder_message_start (AmqEventSink *sink, const char *message_id, const char *model,
                       const AmqUsage *usage)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (sink);

  g_free (self->message_id);
  g_free (self->model);
  self->message_id = g_strdup (message_id);
  self->model = g_strdup (model);
  self->usage = *usage;
}

static void
builder_block_start (AmqEventSink *sink, guint index, AmqBlockKind kind,
                     const char *tool_id, const char *tool_name)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (sink);
  Block *block;

  g_return_if_fail (index == self->blocks->len);
  block = g_new0 (Block, 1);
  block->kind = kind;
  block->tool_id = g_strdup (tool_id);
  block->tool_name = g_strdup (tool_name);
  block->text = g_string_new (NULL);
  block->signature = g_string_new (NULL);
  g_ptr_array_add (self->blocks, block);
}

static void
builder_block_delta (AmqEventSink *sink, guint index, AmqDeltaKind kind,
                     const char *text, gsize length)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (sink);
  Block *block;

  g_return_if_fail (index < self->blocks->len);
  if (self->full)
    return;
  if (length > AMQ_MESSAGE_BUILDER_MAX_CONTENT - self->content_length)
    {
      /* a 400, which no SDK retries: the same request would spend the quota on the same
       * refusal; the client can stream or lower max_tokens instead */
      self->full = TRUE;
      g_clear_error (&self->error);
      self->error = g_error_new (AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST,
                                 "The answer grew past %u MiB, the most a non-streaming response holds: "
                                 "ask with \"stream\": true, or a lower max_tokens",
                                 AMQ_MESSAGE_BUILDER_MAX_CONTENT / (1024 * 1024));
      return;
    }
  self->content_length += length;
  block = g_ptr_array_index (self->blocks, index);
  if (kind == AMQ_DELTA_SIGNATURE)
    g_string_append_len (block->signature, text, length);
  else
    g_string_append_len (block->text, text, length);
}

static void
builder_block_stop (AmqEventSink *sink, guint index)
{
}

static void
builder_message_end (AmqEventSink *sink, const char *stop_reason, const char *stop_sequence,
                     const AmqUsage *usage)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (sink);

  self->stop_reason = g_strdup (stop_reason);
  self->stop_sequence = g_strdup (stop_sequence);
  self->usage = *usage;
  self->ended = TRUE;
}

static void
builder_error (AmqEventSink *sink, const GError *error)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (sink);

  if (self->full)
    return;  /* the refusal stands: whatever went wrong after it is moot */
  g_clear_error (&self->error);
  self->error = g_error_copy (error);
}

/* Full once the content passed AMQ_MESSAGE_BUILDER_MAX_CONTENT: what comes after is dropped
 * and the check fails with an invalid_request_error. */
static gboolean
builder_is_full (AmqEventSink *sink)
{
  return AMQ_MESSAGE_BUILDER (sink)->full;
}

static void
amq_message_builder_sink_init (AmqEventSinkInterface *iface)
{
  iface->message_start = builder_message_start;
  iface->block_start = builder_block_start;
  iface->block_delta = builder_block_delta;
  iface->block_stop = builder_block_stop;
  iface->message_end = builder_message_end;
  iface->error = builder_error;
  iface->is_full = builder_is_full;
}

gboolean
amq_message_builder_check (AmqMessageBuilder *self,
                           GError           **error)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), FALSE);
  if (self->error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  if (!self->ended)
    {
      g_set_error (error, AMQ_ERROR, AMQ_ERROR_UPSTREAM, "Amazon Q ended the response early");
      return FALSE;
    }
  return TRUE;
}

char *
amq_message_builder_to_json (AmqMessageBuilder *self,
                             GError           **error)
{
  GString *out;

  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), NULL);

  if (!amq_message_builder_check (self, error))
    return NULL;
  out = g_string_new ("{\"id\":");
  amq_json_append_string (out, self->message_id, -1);
  g_string_append (out, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  amq_json_append_string (out, self->model, -1);
  g_string_append (out, ",\"content\":[");
  for (guint i = 0; i < self->blocks->len; i++)
    {
      Block *block = g_ptr_array_index (self->blocks, i);

      if (i > 0)
        g_string_append_c (out, ',');
      switch (block->kind)
        {
        case AMQ_BLOCK_TOOL_USE:
          g_string_append (out, "{\"type\":\"tool_use\",\"id\":");
          amq_json_append_string (out, block->tool_id, -1);
          g_string_append (out, ",\"name\":");
          amq_json_append_string (out, block->tool_name, -1);
          g_string_append (out, ",\"input\":");
          /* the translator only emits inputs it parsed as a JSON object */
          g_string_append_len (out, block->text->str, block->text->len);
          g_string_append_c (out, '}');
          break;
        case AMQ_BLOCK_THINKING:
          g_string_append (out, "{\"type\":\"thinking\",\"thinking\":");
          amq_json_append_string (out, block->text->str, block->text->len);
          g_string_append (out, ",\"signature\":");
          amq_json_append_string (out, block->signature->str, block->signature->len);
          g_string_append_c (out, '}');
          break;
        case AMQ_BLOCK_TEXT:
        default:
          g_string_append (out, "{\"type\":\"text\",\"text\":");
          amq_json_append_string (out, block->text->str, block->text->len);
          g_string_append_c (out, '}');
          break;
        }
    }
  g_string_append (out, "],\"stop_reason\":");
  amq_json_append_string (out, self->stop_reason, -1);
  g_string_append (out, ",\"stop_sequence\":");
  if (self->stop_sequence != NULL)
    amq_json_append_string (out, self->stop_sequence, -1);
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"usage\":");
  amq_usage_append_json (out, &self->usage);
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

const char *
amq_message_builder_get_id (AmqMessageBuilder *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), NULL);
  return self->message_id;
}

const char *
amq_message_builder_get_model (AmqMessageBuilder *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), NULL);
  return self->model;
}

guint
amq_message_builder_get_n_blocks (AmqMessageBuilder *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), 0);
  return self->blocks->len;
}

AmqBlockKind
amq_message_builder_get_block (AmqMessageBuilder *self,
                               guint              index,
                               const GString    **text,
                               const char       **tool_id,
                               const char       **tool_name)
{
  Block *block;

  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), AMQ_BLOCK_TEXT);
  g_return_val_if_fail (index < self->blocks->len, AMQ_BLOCK_TEXT);
  block = g_ptr_array_index (self->blocks, index);
  if (text != NULL)
    *text = block->text;
  if (tool_id != NULL)
    *tool_id = block->tool_id;
  if (tool_name != NULL)
    *tool_name = block->tool_name;
  return block->kind;
}

const char *
amq_message_builder_get_stop_reason (AmqMessageBuilder *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), NULL);
  return self->stop_reason;
}

const AmqUsage *
amq_message_builder_get_usage (AmqMessageBuilder *self)
{
  g_return_val_if_fail (AMQ_IS_MESSAGE_BUILDER (self), NULL);
  return &self->usage;
}

static void
amq_message_builder_finalize (GObject *object)
{
  AmqMessageBuilder *self = AMQ_MESSAGE_BUILDER (object);

  g_free (self->message_id);
  g_free (self->model);
  g_ptr_array_unref (self->blocks);
  g_free (self->stop_reason);
  g_free (self->stop_sequence);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (amq_message_builder_parent_class)->finalize (object);
}

static void
amq_message_builder_class_init (AmqMessageBuilderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_message_builder_finalize;
}

static void
amq_message_builder_init (AmqMessageBuilder *self)
{
  self->blocks = g_ptr_array_new_with_free_func (block_free);
}

AmqMessageBuilder *
amq_message_builder_new (void)
{
  return g_object_new (AMQ_TYPE_MESSAGE_BUILDER, NULL);
}
