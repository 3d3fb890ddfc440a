/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-json.h: fast JSON text helpers for the hot streaming path */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Appends @text (UTF-8, @len bytes or -1) as a quoted JSON string. */
void  amq_json_append_string (GString    *out,
                              const char *text,
                              gssize      len);

char *amq_json_quote         (const char *text);

#define AMQ_JSON_MAX_DEPTH 128

/* One JSON value and nothing after it but blanks, nested at most @max_depth deep: checked
 * before json-glib sees the text, which recurses per level and accepts trailing text. */
gboolean    amq_json_check_text   (const char *data,
                                   gsize       length,
                                   guint       max_depth,
                                   GError    **error);

/* Parses @data with @parser (after amq_json_check_text); the root object (owned by the
 * parser), or NULL when the text is not one JSON object. */
JsonObject *amq_json_parse_object (JsonParser *parser,
                                   const char *data,
                                   gssize      length);

/* Members of untrusted objects: the value when the member has that type, else the default
 * (json-glib's own getters complain about members of another type). */
const char *amq_json_get_string (JsonObject *object,
                                 const char *member);
gint64      amq_json_get_int    (JsonObject *object,
                                 const char *member,
                                 gint64      default_value);
gboolean    amq_json_get_bool   (JsonObject *object,
                                 const char *member,
                                 gboolean    default_value);

G_END_DECLS
