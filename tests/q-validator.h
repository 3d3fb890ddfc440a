/* q-validator.h: the invariants Amazon Q enforces on a GenerateAssistantResponse body
 * (PROTOCOL.md §1.3), checked independently of the converter. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* NULL when @body is acceptable, else what is wrong. */
char *q_validate (const char *body);

G_END_DECLS
