/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-model-catalog.h: the models GET /v1/models lists: Amazon Q's own list (cached), else
 * a built-in one; rendered as a model list both Anthropic's and OpenAI's clients read */
#pragma once

#include <gio/gio.h>

#include "amq-account-pool.h"
#include "amq-upstream.h"

G_BEGIN_DECLS

#define AMQ_MODEL_CATALOG_CACHE_SECONDS 600

#define AMQ_TYPE_MODEL_CATALOG (amq_model_catalog_get_type ())
G_DECLARE_FINAL_TYPE (AmqModelCatalog, amq_model_catalog, AMQ, MODEL_CATALOG, GObject)

AmqModelCatalog *amq_model_catalog_new          (AmqAccountPool  *pool,
                                                 AmqUpstream     *upstream);
/* Fails only when cancelled: without credentials, or when Amazon Q does not answer, the
 * built-in list. */
void             amq_model_catalog_get_async    (AmqModelCatalog    *self,
                                                 GCancellable       *cancellable,
                                                 GAsyncReadyCallback callback,
                                                 gpointer            user_data);
GPtrArray       *amq_model_catalog_get_finish   (AmqModelCatalog    *self,
                                                 GAsyncResult       *result,
                                                 GError            **error);
/* The JSON body for GET /v1/models (paged by @query's limit, after_id, before_id) or, with
 * @model_id, GET /v1/models/{id}; NULL with a not_found error for an unknown id. */
char            *amq_model_catalog_render       (GPtrArray          *models,
                                                 const char         *model_id,
                                                 GHashTable         *query,
                                                 GError            **error);

G_END_DECLS
