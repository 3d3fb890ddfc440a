/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-translator.c
 *
 * Text flows through two filters before it reaches a block: the thinking-tag splitter
 * (only when thinking was requested) and the stop-sequence matcher. Each holds back the
 * shortest tail that could still grow into a tag or a stop sequence, so a tag split across
 * frames is still found and no byte is emitted twice or lost. Tool calls come whole from
 * AmqToolAssembler. */
#include "config.h"

#include "amq-translator.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-error.h"
#include "amq-json.h"
#include "amq-token-estimator.h"
#include "amq-tool-assembler.h"
#include "amq-usage-meter.h"

#define OPEN_TAG  "<thinking>"
#define CLOSE_TAG "</thinking>"

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

  AmqToolAssembler *tools;
  gboolean       tool_emitted;

  AmqUsageMeter *meter;
  guint64        output_units;
  guint64        output_budget; /* units max_tokens allows, 0: no limit */
  gboolean       budget_spent;  /* the answer reached max_tokens: nothing more goes out */
  guint64        context_window;
  gint64         first_content_time;
  const char    *stop_reason;
  gboolean       started;
  gboolean       finished;
};

G_DEFINE_FINAL_TYPE (AmqTranslator, amq_translator, G_TYPE_OBJECT)

/* ---- blocks ---- */

static void
close_block (AmqTranslator *self)
{
  if (self->open_index < 0)
    return;
  amq_event_sink_block_stop (self->sink, self->open_index);
  self->open_index = -1;
}

/* Whether @units more output fit max_tokens; once the answer reaches it, it is spent. */
static gboolean
spend (AmqTranslator *self,
       guint64        units)
{
  if (self->output_budget == 0)
    return TRUE;
  if (self->output_units + units > self->output_budget)
    {
      self->budget_spent = TRUE;
      return FALSE;
    }
  self->budget_spent = self->output_units + units == self->output_budget;
  return TRUE;
}

static void
emit_delta (AmqTranslator *self,
            AmqBlockKind   kind,
            AmqDeltaKind   delta_kind,
            const char    *text,
            gsize          length)
{
  guint64 units;

  if (length == 0 || self->budget_spent)
    return;
  units = amq_token_units_of (text, length);
  if (!spend (self, units))
    {
      /* what still fits, cut between characters */
      length = amq_token_prefix_within (text, length, self->output_budget - self->output_units);
      units = amq_token_units_of (text, length);
      if (length == 0)
        return;
    }
  if (self->open_index < 0 || self->open_kind != kind)
    {
      close_block (self);
      self->open_index = self->next_index++;
      self->open_kind = kind;
      amq_event_sink_block_start (self->sink, self->open_index, kind, NULL, NULL);
    }
  if (self->first_content_time == 0)
    self->first_content_time = g_get_monotonic_time ();
  self->output_units += units;
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

/* AmqToolAssembler has a whole call: it goes out as one block, after the text before it. */
static void
on_tool_call (const char *id, const char *name, const char *input, gsize input_length, guint64 input_units,
              gpointer user_data)
{
  AmqTranslator *self = user_data;
  const char *client_name = self->tool_names ? g_hash_table_lookup (self->tool_names, name) : NULL;
  guint64 units;

  flush_text (self);
  /* a call cut short by max_tokens is left out: never a tool_use with broken input */
  units = input_units + amq_token_units_of (name, -1);
  if (self->budget_spent || !spend (self, units))
    return;
  close_block (self);
  self->open_index = self->next_index++;
  self->open_kind = AMQ_BLOCK_TOOL_USE;
  if (self->first_content_time == 0)
    self->first_content_time = g_get_monotonic_time ();
  amq_event_sink_block_start (self->sink, self->open_index, AMQ_BLOCK_TOOL_USE, id,
                              client_name ? client_name : name);
  self->output_units += units;
  amq_event_sink_block_delta (self->sink, self->open_index, AMQ_DELTA_INPUT_JSON, input, input_length);
  close_block (self);
  self->tool_emitted = TRUE;
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

static GError *
error_from_frame (const AmqEventFrame *frame,
                  JsonObject          *payload,
                  guint64              input_tokens,
                  guint64              max_input_tokens)
{
  g_autofree char *exception = amq_event_frame_dup_string (frame, ":exception-type");
  g_autofree char *code = amq_event_frame_dup_string (frame, ":error-code");
  g_autofree char *header_message = amq_event_frame_dup_string (frame, ":error-message");
  const char *message = header_message != NULL ? header_message
                        : payload != NULL ? amq_json_get_string (payload, "message") : NULL;
  AmqAwsFault fault = {
    .type = exception ? exception : code,
    .message = message ? message : "Amazon Q reported an error mid-stream",
    .reason = payload ? amq_json_get_string (payload, "reason") : NULL,
    .input_tokens = input_tokens,
    .max_input_tokens = max_input_tokens,
  };

  return amq_error_new_from_aws (&fault);
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

  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self) && frame != NULL, FALSE);
  if (self->finished)
    return FALSE;
  is_event = amq_event_frame_get_header (frame, ":message-type") == NULL ||
             amq_event_frame_has_string (frame, ":message-type", "event");
  if (frame->payload_length > 0)
    payload = amq_json_parse_object (self->parser, (const char *) frame->payload, frame->payload_length);
  if (!is_event)
    {
      fail (self, error_from_frame (frame, payload, amq_usage_meter_get_usage (self->meter)->input_tokens,
                                    self->context_window));
      return FALSE;
    }
  if (payload == NULL)
    return TRUE;  /* nothing we understand; never fail on it */
  event_type = amq_event_frame_dup_string (frame, ":event-type");
  if (g_strcmp0 (event_type, "assistantResponseEvent") == 0)
    {
      const char *content = amq_json_get_string (payload, "content");

      if (content != NULL)
        handle_text (self, content, strlen (content));
    }
  else if (g_strcmp0 (event_type, "toolUseEvent") == 0)
    {
      amq_tool_assembler_add (self->tools, payload);
      /* a call that can no longer fit need not be waited for */
      if (self->output_budget != 0 &&
          self->output_units + amq_tool_assembler_get_pending_units (self->tools) > self->output_budget)
        self->budget_spent = TRUE;
    }
  else if (g_strcmp0 (event_type, "reasoningContentEvent") == 0)
    handle_reasoning (self, payload);
  else if (g_strcmp0 (event_type, "metadataEvent") == 0)
    amq_usage_meter_read_metadata (self->meter, payload);
  else if (g_strcmp0 (event_type, "contextUsageEvent") == 0)
    amq_usage_meter_read_context_usage (self->meter, payload);
  else if (g_strcmp0 (event_type, "meteringEvent") == 0)
    amq_usage_meter_read_metering (self->meter, payload);

  if (self->matched_stop != NULL || self->budget_spent)
    {
      amq_translator_end (self, NULL);
      return FALSE;
    }
  return TRUE;
}

void
amq_translator_begin (AmqTranslator *self)
{
  g_return_if_fail (AMQ_IS_TRANSLATOR (self) && !self->started);
  self->started = TRUE;
  amq_event_sink_message_start (self->sink, self->message_id, self->model, amq_usage_meter_get_usage (self->meter));
}

void
amq_translator_end (AmqTranslator *self,
                    const GError  *stream_error)
{
  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
  if (self->finished)
    return;
  if (!self->started)
    amq_translator_begin (self);
  if (stream_error != NULL)
    {
      fail (self, g_error_copy (stream_error));
      return;
    }
  amq_tool_assembler_end (self->tools);
  flush_text (self);
  close_block (self);
  self->finished = TRUE;
  amq_usage_meter_set_output_estimate (self->meter, amq_tokens_from_units (self->output_units));
  if (self->matched_stop != NULL)
    self->stop_reason = "stop_sequence";
  else if (self->budget_spent || amq_tool_assembler_get_cut_off (self->tools))
    self->stop_reason = "max_tokens";
  else if (self->tool_emitted)
    self->stop_reason = "tool_use";
  else
    self->stop_reason = "end_turn";
  amq_event_sink_message_end (self->sink, self->stop_reason, self->matched_stop,
                              amq_usage_meter_get_usage (self->meter));
}

void
amq_translator_set_thinking (AmqTranslator *self, gboolean enabled)
{
  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
  self->thinking_enabled = enabled;
}

void
amq_translator_set_stop_sequences (AmqTranslator *self, const char * const *stop_sequences)
{
  GPtrArray *kept = g_ptr_array_new ();

  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
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
  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
  g_clear_pointer (&self->tool_names, g_hash_table_unref);
  if (upstream_to_client != NULL)
    self->tool_names = g_hash_table_ref (upstream_to_client);
}

void
amq_translator_set_input_estimate (AmqTranslator *self, guint64 input_tokens, guint64 context_window)
{
  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
  self->context_window = context_window;
  amq_usage_meter_set_input_estimate (self->meter, input_tokens, context_window);
}

void
amq_translator_set_max_tokens (AmqTranslator *self, guint64 max_tokens)
{
  g_return_if_fail (AMQ_IS_TRANSLATOR (self));
  /* a limit too large to count in units is no limit */
  self->output_budget = max_tokens <= G_MAXUINT64 / AMQ_UNITS_PER_TOKEN ? max_tokens * AMQ_UNITS_PER_TOKEN : 0;
}

const AmqUsage *
amq_translator_get_usage (AmqTranslator *self)
{
  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self), NULL);
  return amq_usage_meter_get_usage (self->meter);
}

const char *
amq_translator_get_stop_reason (AmqTranslator *self)
{
  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self), NULL);
  return self->stop_reason;
}

gint64
amq_translator_get_first_content_time (AmqTranslator *self)
{
  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self), 0);
  return self->first_content_time;
}

gdouble
amq_translator_get_credits (AmqTranslator *self)
{
  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self), 0);
  return amq_usage_meter_get_credits (self->meter);
}

gdouble
amq_translator_get_context_usage (AmqTranslator *self)
{
  g_return_val_if_fail (AMQ_IS_TRANSLATOR (self), 0);
  return amq_usage_meter_get_context_usage (self->meter);
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
  g_clear_object (&self->tools);
  g_clear_object (&self->meter);
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
  self->tools = amq_tool_assembler_new (on_tool_call, self);
  self->meter = amq_usage_meter_new ();
}

AmqTranslator *
amq_translator_new (AmqEventSink *sink,
                    const char   *message_id,
                    const char   *model)
{
  AmqTranslator *self;

  g_return_val_if_fail (AMQ_IS_EVENT_SINK (sink), NULL);
  self = g_object_new (AMQ_TYPE_TRANSLATOR, NULL);
  self->sink = g_object_ref (sink);
  self->message_id = g_strdup (message_id);
  self->model = g_strdup (model);
  return self;
}
