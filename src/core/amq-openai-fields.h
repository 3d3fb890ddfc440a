/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-openai-fields.h: what a field of an OpenAI request must hold, and the Messages blocks its text and image parts become */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  AMQ_OPENAI_OBJECT,
  AMQ_OPENAI_ARRAY,
  AMQ_OPENAI_STRING,
} AmqOpenaiShape;

/* What the client sent at @path (NULL when absent) has @shape; else an invalid_request_error
 * worded as the Messages validation words it. */
gboolean            amq_openai_expect             (JsonNode             *node,
                                                   AmqOpenaiShape        shape,
                                                   const char           *path,
                                                   GError              **error);
/* {"type":"text","text":@text} (a string node, referenced). */
JsonObject         *amq_openai_text_block         (JsonNode             *text);
/* Member @name of @object (the client's @path) when it has @shape; NULL with the error otherwise. */
JsonNode           *amq_openai_member             (JsonObject           *object,
                                                   const char           *name,
                                                   const char           *path,
                                                   AmqOpenaiShape        shape,
                                                   GError              **error);
/* The object the client sent at @path, in @object, and its string member @name ("type", "role"):
 * what says what the object is. NULL with the error when either is not there as such. */
const char         *amq_openai_tagged_object      (JsonNode             *node,
                                                   const char           *name,
                                                   const char           *path,
                                                   JsonObject          **object,
                                                   GError              **error);
/* An image block from a data URL ("data:image/png;base64,..."); remote URLs are refused. */
JsonObject         *amq_openai_image_block        (JsonNode             *url,
                                                   const char           *path,
                                                   GError              **error);

G_END_DECLS
