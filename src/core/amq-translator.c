/* amq-translator.c
 *
 * Text flows through two filters before it reaches a block: the thinking-tag splitter
 * (only when thinking was requested) and the stop-sequence matcher. Each holds back the
 * shortest tail that could still grow into a tag or a stop sequence, so a tag split across
 * frames is still found and no byte is emitted twice or lost. */
#include "amq-translator.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-error.h"
#include "amq-token-estimator.h"
#include "amq-json.h"

#define OPEN_TAG  "<thinking>"
#define CLOSE_TAG "</thinking>"

typedef struct {
  char    *id;
  char    *name;
  GString *input;          /* every fragment */
  GString *input_deduped;  /* without fragments repeating the previous one */
  char    *last_fragment;
} PendingTool;

struct _AmqTranslator
{
  GObject        parent_instance;
  AmqEventSink  *sink;
  char          *message_id;
  char          *model;
  JsonParser    *parser;

  gboolean       thinking_enabled;
  GStrv          stop_sequences;
  gsize          longest_stop;
  GHashTable    *tool_names;

  gint           open_index;   /* -1: no block open */
  AmqBlockKind   open_kind;
  guint          next_index;

  GString       *tag_pending;  /* held back by the thinking-tag splitter */
  gboolean       in_thinking_tag;
  gboolean       thinking_tag_possible; /* only before any visible text */
  GString       *stop_pending; /* held back by the stop-sequence matcher */
  char          *matched_stop;

  PendingTool   *tool;
  GHashTable    *finished_tools;
  gboolean       tool_emitted;
  gboolean       tool_cut_off;

  AmqUsage       usage;
  gboolean       upstream_input_tokens;
  gboolean       upstream_output_tokens;
  guint64        output_units;
  guint64        context_window;
  gint64         first_content_time;
  const char    *stop_reason;
  gboolean       started;
  gboolean       finished;
};

G_DEFINE_FINAL_TYPE (AmqTranslator, amq_translator, G_TYPE_OBJECT)

static void
pending_tool_free (PendingTool *tool)
{
  g_free (tool->id);
  g_free (tool->name);
  g_string_free (tool->input, TRUE);
  g_string_free (tool->input_deduped, TRUE);
  g_free (tool->last_fragment);
  g_free (tool);
}

/* ---- blocks ---- */

static void
close_block (AmqTranslator *self)
{
  if (self->open_index < 0)
    return;
  amq_event_sink_block_stop (self->sink, self->open_index);
  self->open_index = -1;
}

static void
emit_delta (AmqTranslator *self,
            AmqBlockKind   kind,
            AmqDeltaKind   delta_kind,
            const char    *text,
            gsize          length)
{
  if (length == 0)
    return;
  if (self->open_index < 0 || self->open_kind != kind)
    {
      close_block (self);
      self->open_index = self->next_index++;
      self->open_kind = kind;
      amq_event_sink_block_start (self->sink, self->open_index, kind, NULL, NULL);
    }
  if (self->first_content_time == 0)
    self->first_content_time = g_get_monotonic_time ();
  self->output_units += amq_token_units_of (text, length);
  amq_event_sink_block_delta (self->sink, self->open_index, delta_kind, text, length);
}

/* ---- text filters ---- */

/* Length of the longest tail of @text that is a proper prefix of @pattern. */
static gsize
partial_suffix (const char *text,
                gsize       length,
                const char *pattern)
{
  gsize plen = strlen (pattern);
  gsize max = MIN (length, plen - 1);

  for (gsize n = max; n > 0; n--)
    if (memcmp (text + length - n, pattern, n) == 0)
      return n;
  return 0;
}

static void
emit_visible_now (AmqTranslator *self, const char *text, gsize length)
{
  emit_delta (self, AMQ_BLOCK_TEXT, AMQ_DELTA_TEXT, text, length);
}

/* The stop-sequence matcher: everything visible passes here. */
static void
emit_visible (AmqTranslator *self,
              const char    *text,
              gsize          length)
{
  const char *best = NULL;
  gsize best_pos = G_MAXSIZE;
  gsize hold = 0;
  GString *buf = self->stop_pending;

  if (self->matched_stop != NULL || length == 0)
    return;
  if (self->stop_sequences == NULL)
    {
      emit_visible_now (self, text, length);
      return;
    }
  g_string_append_len (buf, text, length);
  for (guint i = 0; self->stop_sequences[i] != NULL; i++)
    {
      const char *found = g_strstr_len (buf->str, buf->len, self->stop_sequences[i]);

      if (found != NULL && (gsize) (found - buf->str) < best_pos)
        {
          best_pos = found - buf->str;
          best = self->stop_sequences[i];
        }
    }
  if (best != NULL)
    {
      emit_visible_now (self, buf->str, best_pos);
      self->matched_stop = g_strdup (best);
      g_string_truncate (buf, 0);
      return;
    }
  for (guint i = 0; self->stop_sequences[i] != NULL; i++)
    hold = MAX (hold, partial_suffix (buf->str, buf->len, self->stop_sequences[i]));
  emit_visible_now (self, buf->str, buf->len - hold);
  g_string_erase (buf, 0, buf->len - hold);
}

static gboolean
is_blank (const char *text, gsize length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (text[i]))
      return FALSE;
  return TRUE;
}

/* The thinking-tag splitter. */
static void
handle_text (AmqTranslator *self,
             const char    *text,
             gsize          length)
{
  GString *buf = self->tag_pending;

  if (!self->thinking_enabled)
    {
      emit_visible (self, text, length);
      return;
    }
  g_string_append_len (buf, text, length);
  while (buf->len > 0)
    {
      if (self->in_thinking_tag)
        {
          const char *end = g_strstr_len (buf->str, buf->len, CLOSE_TAG);
          gsize hold;

          if (end != NULL)
            {
              gsize pos = end - buf->str;
              gsize skip = pos + strlen (CLOSE_TAG);

              emit_delta (self, AMQ_BLOCK_THINKING, AMQ_DELTA_THINKING, buf->str, pos);
              /* the model separates thinking from the answer with blank lines */
              while (skip < buf->len && (buf->str[skip] == '\n' || buf->str[skip] == '\r'))
                skip++;
              g_string_erase (buf, 0, skip);
              self->in_thinking_tag = FALSE;
              continue;
            }
          hold = partial_suffix (buf->str, buf->len, CLOSE_TAG);
          emit_delta (self, AMQ_BLOCK_THINKING, AMQ_DELTA_THINKING, buf->str, buf->len - hold);
          g_string_erase (buf, 0, buf->len - hold);
          return;
        }
      if (self->thinking_tag_possible)
        {
          const char *start = g_strstr_len (buf->str, buf->len, OPEN_TAG);

          if (start != NULL && is_blank (buf->str, start - buf->str))
            {
              g_string_erase (buf, 0, (start - buf->str) + strlen (OPEN_TAG));
              self->in_thinking_tag = TRUE;
              self->thinking_tag_possible = FALSE;
              continue;
            }
          if (start == NULL)
            {
              gsize hold = partial_suffix (buf->str, buf->len, OPEN_TAG);

              if (is_blank (buf->str, buf->len - hold))
                return;  /* only blanks and maybe the start of a tag so far */
            }
          self->thinking_tag_possible = FALSE;
        }
      emit_visible (self, buf->str, buf->len);
      g_string_truncate (buf, 0);
    }
}

static void
flush_text (AmqTranslator *self)
{
  GString *tag = self->tag_pending;

  if (tag->len > 0)
    {
      g_autofree char *rest = g_strndup (tag->str, tag->len);
      gboolean thinking = self->in_thinking_tag;

      g_string_truncate (tag, 0);
      if (thinking)
        emit_delta (self, AMQ_BLOCK_THINKING, AMQ_DELTA_THINKING, rest, strlen (rest));
      else if (!self->thinking_tag_possible || !is_blank (rest, strlen (rest)))
        emit_visible (self, rest, strlen (rest));
    }
  if (self->stop_pending->len > 0 && self->matched_stop == NULL)
    {
      emit_visible_now (self, self->stop_pending->str, self->stop_pending->len);
      g_string_truncate (self->stop_pending, 0);
    }
}

/* ---- tools ---- */

static gboolean
is_json_object (JsonParser *parser, const char *text, gsize length)
{
  return amq_json_parse_object (parser, text, length) != NULL;
}

/* Emits the tool whose input is complete, or records that the model was cut off. */
static void
finish_tool (AmqTranslator *self)
{
  PendingTool *tool = g_steal_pointer (&self->tool);
  const char *client_name;
  const char *input = NULL;
  gsize input_len = 0;

  if (tool == NULL)
    return;
  g_hash_table_add (self->finished_tools, g_strdup (tool->id));
  if (is_blank (tool->input->str, tool->input->len))
    {
      input = "{}";
      input_len = 2;
    }
  else if (is_json_object (self->parser, tool->input->str, tool->input->len))
    {
      input = tool->input->str;
      input_len = tool->input->len;
    }
  else if (is_json_object (self->parser, tool->input_deduped->str, tool->input_deduped->len))
    {
      input = tool->input_deduped->str;
      input_len = tool->input_deduped->len;
    }
  if (input == NULL)
    {
      self->tool_cut_off = TRUE;
      pending_tool_free (tool);
      return;
    }
  flush_text (self);
  close_block (self);
  client_name = self->tool_names ? g_hash_table_lookup (self->tool_names, tool->name) : NULL;
  self->open_index = self->next_index++;
  self->open_kind = AMQ_BLOCK_TOOL_USE;
  if (self->first_content_time == 0)
    self->first_content_time = g_get_monotonic_time ();
  amq_event_sink_block_start (self->sink, self->open_index, AMQ_BLOCK_TOOL_USE, tool->id,
                              client_name ? client_name : tool->name);
  self->output_units += amq_token_units_of (input, input_len) + amq_token_units_of (tool->name, -1);
  amq_event_sink_block_delta (self->sink, self->open_index, AMQ_DELTA_INPUT_JSON, input, input_len);
  close_block (self);
  self->tool_emitted = TRUE;
  pending_tool_free (tool);
}

static void
handle_tool_event (AmqTranslator *self,
                   JsonObject    *event)
{
  const char *id = amq_json_get_string (event, "toolUseId");
  const char *name = amq_json_get_string (event, "name");
  const char *fragment = amq_json_get_string (event, "input");
  gboolean stop = amq_json_get_bool (event, "stop", FALSE);

  if (id == NULL || g_hash_table_contains (self->finished_tools, id))
    return;  /* a re-sent frame of a tool already emitted */
  if (self->tool != NULL && strcmp (self->tool->id, id) != 0)
    finish_tool (self);
  if (self->tool == NULL)
    {
      self->tool = g_new0 (PendingTool, 1);
      self->tool->id = g_strdup (id);
      self->tool->name = g_strdup (name ? name : "");
      self->tool->input = g_string_new (NULL);
      self->tool->input_deduped = g_string_new (NULL);
    }
  if (fragment != NULL && *fragment != '\0')
    {
      g_string_append (self->tool->input, fragment);
      if (g_strcmp0 (fragment, self->tool->last_fragment) != 0)
        g_string_append (self->tool->input_deduped, fragment);
      g_free (self->tool->last_fragment);
      self->tool->last_fragment = g_strdup (fragment);
    }
  if (stop)
    finish_tool (self);
}

/* ---- other events ---- */

static void
handle_reasoning (AmqTranslator *self,
                  JsonObject    *event)
{
  const char *text = amq_json_get_string (event, "text");
  const char *signature = amq_json_get_string (event, "signature");

  if (!self->thinking_enabled)
    return;
  if (text != NULL)
    emit_delta (self, AMQ_BLOCK_THINKING, AMQ_DELTA_THINKING, text, strlen (text));
  if (signature != NULL && *signature != '\0')
    {
      if (self->open_index < 0 || self->open_kind != AMQ_BLOCK_THINKING)
        return;  /* a signature belongs to the thinking block it ends */
      amq_event_sink_block_delta (self->sink, self->open_index, AMQ_DELTA_SIGNATURE,
                                  signature, strlen (signature));
    }
}

static guint64
member_uint (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  return (guint64) MAX (json_node_get_int (node), 0);
}

static void
handle_metadata (AmqTranslator *self,
                 JsonObject    *event)
{
  JsonObject *usage = NULL;

  if (json_object_has_member (event, "tokenUsage") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (event, "tokenUsage")))
    usage = json_object_get_object_member (event, "tokenUsage");
  if (usage == NULL)
    return;
  if (json_object_has_member (usage, "uncachedInputTokens"))
    {
      self->usage.input_tokens = member_uint (usage, "uncachedInputTokens");
      self->usage.cache_read_input_tokens = member_uint (usage, "cacheReadInputTokens");
      self->usage.cache_creation_input_tokens = member_uint (usage, "cacheWriteInputTokens");
      self->upstream_input_tokens = TRUE;
    }
  if (json_object_has_member (usage, "outputTokens"))
    {
      self->usage.output_tokens = member_uint (usage, "outputTokens");
      self->upstream_output_tokens = TRUE;
    }
}

static void
handle_context_usage (AmqTranslator *self,
                      JsonObject    *event)
{
  JsonNode *node = json_object_get_member (event, "contextUsagePercentage");
  gdouble percent;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || self->upstream_input_tokens ||
      self->context_window == 0)
    return;
  percent = json_node_get_double (node);
  if (percent > 0 && percent <= 100)
    self->usage.input_tokens = (guint64) (percent / 100.0 * self->context_window + 0.5);
}

static GError *
error_from_frame (const AmqEventFrame *frame,
                  JsonObject          *payload,
                  guint64              input_tokens,
                  guint64              max_input_tokens)
{
  g_autofree char *exception = amq_event_frame_dup_string (frame, ":exception-type");
  g_autofree char *code = amq_event_frame_dup_string (frame, ":error-code");
  g_autofree char *header_message = amq_event_frame_dup_string (frame, ":error-message");
  const char *message = header_message;

  if (message == NULL && payload != NULL)
    message = amq_json_get_string (payload, "message");
  return amq_error_new_from_aws (0, exception ? exception : code,
                                 message ? message : "Amazon Q reported an error mid-stream",
                                 payload ? amq_json_get_string (payload, "reason") : NULL,
                                 input_tokens, max_input_tokens);
}

static void
fail (AmqTranslator *self,
      GError        *error)
{
  self->finished = TRUE;
  self->stop_reason = NULL;
  amq_event_sink_error (self->sink, error);
  g_error_free (error);
}

gboolean
amq_translator_feed (AmqTranslator       *self,
                     const AmqEventFrame *frame)
{
  g_autofree char *event_type = NULL;
  JsonObject *payload = NULL;
  gboolean is_event;

  if (self->finished)
    return FALSE;
  is_event = amq_event_frame_get_header (frame, ":message-type") == NULL ||
             amq_event_frame_has_string (frame, ":message-type", "event");
  if (frame->payload_length > 0)
    payload = amq_json_parse_object (self->parser, (const char *) frame->payload, frame->payload_length);
  if (!is_event)
    {
      if (payload != NULL)
        json_object_ref (payload);
      fail (self, error_from_frame (frame, payload, self->usage.input_tokens, self->context_window));
      g_clear_pointer (&payload, json_object_unref);
      return FALSE;
    }
  if (payload == NULL)
    return TRUE;  /* nothing we understand; never fail on it */
  event_type = amq_event_frame_dup_string (frame, ":event-type");
  json_object_ref (payload);  /* the parser is reused while handling tools */
  if (g_strcmp0 (event_type, "assistantResponseEvent") == 0)
    {
      const char *content = amq_json_get_string (payload, "content");

      if (content != NULL)
        handle_text (self, content, strlen (content));
    }
  else if (g_strcmp0 (event_type, "toolUseEvent") == 0)
    handle_tool_event (self, payload);
  else if (g_strcmp0 (event_type, "reasoningContentEvent") == 0)
    handle_reasoning (self, payload);
  else if (g_strcmp0 (event_type, "metadataEvent") == 0)
    handle_metadata (self, payload);
  else if (g_strcmp0 (event_type, "contextUsageEvent") == 0)
    handle_context_usage (self, payload);
  json_object_unref (payload);

  if (self->matched_stop != NULL)
    {
      amq_translator_finish (self, NULL);
      return FALSE;
    }
  return TRUE;
}

void
amq_translator_begin (AmqTranslator *self)
{
  g_return_if_fail (!self->started);
  self->started = TRUE;
  amq_event_sink_message_start (self->sink, self->message_id, self->model, &self->usage);
}

void
amq_translator_finish (AmqTranslator *self,
                       const GError  *stream_error)
{
  if (self->finished)
    return;
  if (!self->started)
    amq_translator_begin (self);
  if (stream_error != NULL)
    {
      fail (self, g_error_copy (stream_error));
      return;
    }
  if (self->tool != NULL)
    finish_tool (self);  /* no stop frame came: complete JSON is still a tool call */
  flush_text (self);
  close_block (self);
  self->finished = TRUE;
  if (!self->upstream_output_tokens)
    self->usage.output_tokens = amq_tokens_from_units (self->output_units);
  if (self->matched_stop != NULL)
    self->stop_reason = "stop_sequence";
  else if (self->tool_cut_off)
    self->stop_reason = "max_tokens";
  else if (self->tool_emitted)
    self->stop_reason = "tool_use";
  else
    self->stop_reason = "end_turn";
  amq_event_sink_message_end (self->sink, self->stop_reason, self->matched_stop, &self->usage);
}

void
amq_translator_set_thinking (AmqTranslator *self, gboolean enabled)
{
  self->thinking_enabled = enabled;
}

void
amq_translator_set_stop_sequences (AmqTranslator *self, const char * const *stop_sequences)
{
  GPtrArray *kept = g_ptr_array_new ();

  g_clear_pointer (&self->stop_sequences, g_strfreev);
  for (guint i = 0; stop_sequences != NULL && stop_sequences[i] != NULL; i++)
    if (*stop_sequences[i] != '\0')
      g_ptr_array_add (kept, g_strdup (stop_sequences[i]));
  if (kept->len == 0)
    {
      g_ptr_array_free (kept, TRUE);
      return;
    }
  g_ptr_array_add (kept, NULL);
  self->stop_sequences = (GStrv) g_ptr_array_free (kept, FALSE);
}

void
amq_translator_set_tool_names (AmqTranslator *self, GHashTable *upstream_to_client)
{
  g_clear_pointer (&self->tool_names, g_hash_table_unref);
  if (upstream_to_client != NULL)
    self->tool_names = g_hash_table_ref (upstream_to_client);
}

void
amq_translator_set_input_estimate (AmqTranslator *self, guint64 input_tokens, guint64 context_window)
{
  self->usage.input_tokens = input_tokens;
  self->context_window = context_window;
}

const AmqUsage *
amq_translator_get_usage (AmqTranslator *self)
{
  return &self->usage;
}

const char *
amq_translator_get_stop_reason (AmqTranslator *self)
{
  return self->stop_reason;
}

gint64
amq_translator_get_first_content_time (AmqTranslator *self)
{
  return self->first_content_time;
}

static void
amq_translator_finalize (GObject *object)
{
  AmqTranslator *self = AMQ_TRANSLATOR (object);

  g_clear_object (&self->sink);
  g_clear_object (&self->parser);
  g_free (self->message_id);
  g_free (self->model);
  g_clear_pointer (&self->stop_sequences, g_strfreev);
  g_clear_pointer (&self->tool_names, g_hash_table_unref);
  g_string_free (self->tag_pending, TRUE);
  g_string_free (self->stop_pending, TRUE);
  g_free (self->matched_stop);
  g_clear_pointer (&self->tool, pending_tool_free);
  g_hash_table_unref (self->finished_tools);
  G_OBJECT_CLASS (amq_translator_parent_class)->finalize (object);
}

static void
amq_translator_class_init (AmqTranslatorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_translator_finalize;
}

static void
amq_translator_init (AmqTranslator *self)
{
  self->parser = json_parser_new_immutable ();
  self->open_index = -1;
  self->tag_pending = g_string_new (NULL);
  self->stop_pending = g_string_new (NULL);
  self->thinking_tag_possible = TRUE;
  self->finished_tools = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

AmqTranslator *
amq_translator_new (AmqEventSink *sink,
                    const char   *message_id,
                    const char   *model)
{
  AmqTranslator *self = g_object_new (AMQ_TYPE_TRANSLATOR, NULL);

  self->sink = g_object_ref (sink);
  self->message_id = g_strdup (message_id);
  self->model = g_strdup (model);
  return self;
}
