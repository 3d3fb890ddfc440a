/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-converter.h: a validated Anthropic request -> Amazon Q GenerateAssistantResponse body */
#pragma once

#include <glib.h>

#include "amq-dialect.h"
#include "amq-messages-request.h"

G_BEGIN_DECLS

#define AMQ_MAX_TOOL_NAME          64
#define AMQ_MAX_TOOL_DESCRIPTION   10000
#define AMQ_MAX_USER_MESSAGE       600000
#define AMQ_MAX_TOOL_RESULT        800000
#define AMQ_MAX_HISTORY            10000
#define AMQ_MAX_IMAGES             10
#define AMQ_MAX_IMAGE_BYTES        (10 * 1024 * 1024)
#define AMQ_TOKENS_PER_IMAGE       1600

/* What the caller knows about the service and the account. */
typedef struct {
  const char *origin;          /* of every user message; NULL: AMQ_DEFAULT_ORIGIN */
  const char *profile_arn;     /* NULL: none (the service refuses that) */
  gsize       max_body_bytes;  /* a larger body fails as "prompt is too long"; 0: no limit */
} AmqConverterOptions;

typedef struct {
  char       *body;            /* the upstream JSON */
  char       *upstream_model;
  GHashTable *tool_names;      /* upstream tool name -> client tool name */
  guint64     input_tokens;    /* estimate */
} AmqConversion;

/* @options may be NULL (the default origin, no profile, no limit). Fails with "prompt is too
 * long" when the estimate exceeds the model's context window or the body its size limit, or
 * with invalid_request_error for too many or too large images. */
AmqConversion *amq_converter_convert      (AmqMessagesRequest        *request,
                                           const char                *upstream_model,
                                           const AmqConverterOptions *options,
                                           GError                   **error);
void           amq_conversion_free        (AmqConversion *conversion);
/* The upstream name of a client tool name (shortened with a stable hash when too long). */
char          *amq_converter_upstream_tool_name (const char *client_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqConversion, amq_conversion_free)

G_END_DECLS
