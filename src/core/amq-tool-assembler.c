/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-tool-assembler.c
 *
 * Tool input fragments are arbitrary slices of one JSON text: they are concatenated and the
 * whole parsed once the call is complete, never per fragment. Real streams have repeated
 * fragments, so when the concatenation is not JSON, the text without fragments that repeat
 * the one before is tried too. An input that is neither is dropped and remembered as cut off:
 * a tool_use with broken input must never reach the client. */
#include "config.h"

#include "amq-tool-assembler.h"

#include <string.h>

#include "amq-json.h"
#include "amq-token-estimator.h"

typedef struct {
  char    *id;
  char    *name;
  GString *input;          /* every fragment */
  GString *input_deduped;  /* without fragments repeating the previous one */
  char    *last_fragment;
  guint64  units;          /* token units of input, and of input_deduped: each fragment counted once */
  guint64  units_deduped;
} PendingCall;

struct _AmqToolAssembler
{
  GObject           parent_instance;
  AmqToolCallReady  ready;
  gpointer          user_data;
  JsonParser       *parser;
  PendingCall      *call;
  GHashTable       *completed;   /* ids of calls already complete */
  gboolean          cut_off;
};

G_DEFINE_FINAL_TYPE (AmqToolAssembler, amq_tool_assembler, G_TYPE_OBJECT)

static void
pending_call_free (PendingCall *call)
{
  g_free (call->id);
  g_free (call->name);
  g_string_free (call->input, TRUE);
  g_string_free (call->input_deduped, TRUE);
  g_free (call->last_fragment);
  g_free (call);
}

static gboolean
is_json_object (AmqToolAssembler *self, const GString *text)
{
  return amq_json_parse_object (self->parser, text->str, text->len) != NULL;
}

/* The pending call is complete: hand it on when its input is whole. */
static void
complete_call (AmqToolAssembler *self)
{
  PendingCall *call = g_steal_pointer (&self->call);

  g_assert (call != NULL);
  g_hash_table_add (self->completed, g_strdup (call->id));
  if (strspn (call->input->str, " \t\n\r") == call->input->len)  /* no input at all */
    self->ready (call->id, call->name, "{}", 2, amq_token_units_of ("{}", 2), self->user_data);
  else if (is_json_object (self, call->input))
    self->ready (call->id, call->name, call->input->str, call->input->len, call->units, self->user_data);
  else if (is_json_object (self, call->input_deduped))
    self->ready (call->id, call->name, call->input_deduped->str, call->input_deduped->len, call->units_deduped,
                 self->user_data);
  else
    self->cut_off = TRUE;
  pending_call_free (call);
}

void
amq_tool_assembler_add (AmqToolAssembler *self,
                        JsonObject       *event)
{
  const char *id = amq_json_get_string (event, "toolUseId");
  const char *name = amq_json_get_string (event, "name");
  const char *fragment = amq_json_get_string (event, "input");

  g_return_if_fail (AMQ_IS_TOOL_ASSEMBLER (self));

  if (id == NULL || g_hash_table_contains (self->completed, id))
    return;  /* a re-sent frame of a call already complete */
  if (self->call != NULL && strcmp (self->call->id, id) != 0)
    complete_call (self);
  if (self->call == NULL)
    {
      self->call = g_new0 (PendingCall, 1);
      self->call->id = g_strdup (id);
      self->call->name = g_strdup (name ? name : "");
      self->call->input = g_string_new (NULL);
      self->call->input_deduped = g_string_new (NULL);
    }
  if (fragment != NULL && *fragment != '\0')
    {
      gsize length = strlen (fragment);
      guint64 units = amq_token_units_of (fragment, length);

      g_string_append_len (self->call->input, fragment, length);
      self->call->units += units;
      if (g_strcmp0 (fragment, self->call->last_fragment) != 0)
        {
          g_string_append_len (self->call->input_deduped, fragment, length);
          self->call->units_deduped += units;
        }
      g_free (self->call->last_fragment);
      self->call->last_fragment = g_strdup (fragment);
    }
  if (amq_json_get_bool (event, "stop", FALSE))
    complete_call (self);
}

void
amq_tool_assembler_end (AmqToolAssembler *self)
{
  g_return_if_fail (AMQ_IS_TOOL_ASSEMBLER (self));

  if (self->call != NULL)
    complete_call (self);
}

guint64
amq_tool_assembler_get_pending_units (AmqToolAssembler *self)
{
  g_return_val_if_fail (AMQ_IS_TOOL_ASSEMBLER (self), 0);

  return self->call != NULL ? self->call->units : 0;
}

gboolean
amq_tool_assembler_get_cut_off (AmqToolAssembler *self)
{
  g_return_val_if_fail (AMQ_IS_TOOL_ASSEMBLER (self), FALSE);

  return self->cut_off;
}

static void
amq_tool_assembler_finalize (GObject *object)
{
  AmqToolAssembler *self = AMQ_TOOL_ASSEMBLER (object);

  g_clear_object (&self->parser);
  g_clear_pointer (&self->call, pending_call_free);
  g_hash_table_unref (self->completed);
  G_OBJECT_CLASS (amq_tool_assembler_parent_class)->finalize (object);
}

static void
amq_tool_assembler_class_init (AmqToolAssemblerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = amq_tool_assembler_finalize;
}

static void
amq_tool_assembler_init (AmqToolAssembler *self)
{
  self->parser = json_parser_new_immutable ();
  self->completed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

AmqToolAssembler *
amq_tool_assembler_new (AmqToolCallReady ready,
                        gpointer         user_data)
{
  AmqToolAssembler *self;

  g_return_val_if_fail (ready != NULL, NULL);

  self = g_object_new (AMQ_TYPE_TOOL_ASSEMBLER, NULL);
  self->ready = ready;
  self->user_data = user_data;
  return self;
}
