/* SPDX-License-Identifier: GPL-3.0-or-later */
/* scenario.h: upstream responses described in tests/data/scenarios/NAME.json, shared by the
 * translator golden tests and the fake Amazon Q upstream. */
#pragma once

#include <glib.h>

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
  gboolean   thinking;
  GStrv      stop_sequences;
} Scenario;

Scenario *scenario_load        (const char *name,
                                GError    **error);
Scenario *scenario_new_large   (guint       n_frames,
                                gsize       text_length);
GBytes   *scenario_body        (const Scenario *scenario);
void      scenario_free        (Scenario *scenario);
char     *scenario_data_dir    (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Scenario, scenario_free)

G_END_DECLS
