/* SPDX-License-Identifier: GPL-3.0-or-later */
/* q-validator.h: the invariants Amazon Q enforces on what it is sent (PROTOCOL.md §1.3, §1.6),
 * checked independently of the converter. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Peers found bodies past ~615 KB answered "Improperly formed request." */
#define Q_MAX_BODY_BYTES 615000

/* How the real service answers what it refuses. */
typedef enum {
  Q_ANSWER_IMPROPERLY_FORMED,  /* 400 ValidationException "Improperly formed request." */
  Q_ANSWER_PROFILE_REQUIRED,   /* 400 {"message":"profileArn is required for this request."} */
  Q_ANSWER_INVALID_PROFILE,    /* 400 {"message":"Invalid profileArn."} */
} QAnswer;

/* NULL when a GenerateAssistantResponse @body is acceptable, its user messages naming
 * @origin; else what is wrong, and @answer (may be NULL) what the service answers. */
char *q_validate        (const char *body,
                         const char *origin,
                         QAnswer    *answer);
/* What every call names besides its body: @given_origin must be @origin and @profile_arn a
 * profile ARN. NULL when they are, else what is wrong, with @answer as above. */
char *q_validate_caller (const char *given_origin,
                         const char *profile_arn,
                         const char *origin,
                         QAnswer    *answer);

G_END_DECLS
