/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scenario.h: upstream responses described in tests/data/scenarios/NAME.json, shared by the
 * translator golden tests and the fake Amazon Q upstream. */
#pragma once

#include <glib.h>

#include "amq-event-sink.h"

G_BEGIN_DECLS

typedef struct {
  char      *name;
  GPtrArray *frames;          /* GBytes, encoded event-stream frames in order */
  guint      http_status;     /* 200 unless the scenario is an HTTP error */
  char      *http_body;       /* body of an HTTP error */
  char      *http_error_type; /* x-amzn-errortype header, or NULL */
  GHashTable *http_headers;   /* more headers of an HTTP error: name -> value */
  gdouble    credits;         /* what its meteringEvent frames charge */
  guint      gap_ms;          /* pause before each frame */
  guint      stall_ms;        /* pause before the headers */
  gboolean   reset;           /* the connection dies after the frames, mid-body */
  gboolean   drop;            /* the connection dies once the request is read: no answer at all */
  gboolean   one_chunk;       /* the body in one chunk, not in pieces of up to 512 bytes */
  gboolean   thinking;
  GStrv      stop_sequences;
} Scenario;

Scenario *scenario_load        (const char *name,
                                GError    **error);
Scenario *scenario_new_large   (guint       n_frames,
                                gsize       text_length);
GBytes   *scenario_body        (const Scenario *scenario);
/* A CRC-valid frame of @n_headers three-byte headers and no payload. */
GBytes   *scenario_header_flood_frame (guint  n_headers);
void      scenario_free        (Scenario *scenario);
char     *scenario_data_dir    (void);
/* Runs @scenario's frames through a reader and a translator into @sink, as the server does. */
void      scenario_translate   (const Scenario *scenario,
                                AmqEventSink   *sink,
                                const char     *message_id,
                                const char     *model);
/* Compares @actual with tests/data/@dir/@name@suffix (AMQ_UPDATE_GOLDEN=1 rewrites the file). */
void      scenario_compare_golden (const char  *dir,
                                   const char  *name,
                                   const char  *suffix,
                                   const char  *actual);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scenario, scenario_free)

G_END_DECLS
