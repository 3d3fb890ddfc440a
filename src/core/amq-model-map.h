/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-model-map.h: Anthropic model ids -> Amazon Q model ids, visible and configurable */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define AMQ_DEFAULT_UPSTREAM_MODEL "claude-sonnet-4.5"
#define AMQ_CONTEXT_WINDOW 200000

#define AMQ_TYPE_MODEL_MAP (amq_model_map_get_type ())
G_DECLARE_FINAL_TYPE (AmqModelMap, amq_model_map, AMQ, MODEL_MAP, GObject)

AmqModelMap *amq_model_map_new           (void);
/* Model used for ids that name no known family. */
void         amq_model_map_set_default   (AmqModelMap *self,
                                          const char  *upstream_model);
/* "key=value,key=value" overrides, as in settings and AMAZONQ_MODEL_MAP; they replace all
 * overrides so far. On error nothing changes. */
gboolean     amq_model_map_parse_overrides (AmqModelMap *self,
                                            const char  *spec,
                                            GError     **error);
char        *amq_model_map_resolve       (AmqModelMap *self,
                                          const char  *client_model);
/* The upstream ids known to exist, newest of each family first. */
const char * const *amq_model_map_known_upstream (void);

G_END_DECLS
