/* amq-json-writer.h: fast JSON text helpers for the hot streaming path */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Appends @text (UTF-8, @len bytes or -1) as a quoted JSON string. */
void  amq_json_append_string (GString    *out,
                              const char *text,
                              gssize      len);

char *amq_json_quote         (const char *text);

G_END_DECLS
