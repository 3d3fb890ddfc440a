/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-credential-set.h: one Amazon Q sign-in's credentials, wherever they are kept */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  AMQ_CREDENTIAL_BUILDER_ID,       /* AWS Builder ID: SSO-OIDC with a client registration */
  AMQ_CREDENTIAL_IDENTITY_CENTER,  /* IAM Identity Center: SSO-OIDC, a profile ARN of its own */
  AMQ_CREDENTIAL_SOCIAL,           /* Kiro's Google or GitHub sign-in: Kiro's refresh endpoint */
} AmqCredentialKind;

typedef struct {
  AmqCredentialKind kind;
  char   *refresh_token;
  char   *client_id;      /* SSO-OIDC kinds */
  char   *client_secret;  /* SSO-OIDC kinds */
  char   *profile_arn;    /* optional */
  char   *region;         /* optional, "us-east-1" when unset */
  char   *local_api_key;  /* optional: the key clients of the local API must send */
  char   *access_token;   /* optional: one the other client left, still usable until expires_at */
  gint64  expires_at;     /* wall clock, seconds; 0 when unknown */
} AmqCredentialSet;

AmqCredentialSet *amq_credential_set_new       (void);
AmqCredentialSet *amq_credential_set_copy      (const AmqCredentialSet *set);
/* Wipes the secrets as it frees them. */
void              amq_credential_set_free      (AmqCredentialSet *set);
/* The names of the required fields that are missing (the kind says which are required),
 * comma separated; NULL when complete. @names name the refresh token, client id and secret. */
char             *amq_credential_set_missing   (const AmqCredentialSet *set,
                                                const char * const     *names);
const char       *amq_credential_kind_to_string   (AmqCredentialKind kind);
/* "builder-id", "identity-center", "social"; FALSE for anything else. */
gboolean          amq_credential_kind_from_string (const char        *text,
                                                   AmqCredentialKind *kind);
/* Replaces *@field with a copy of @value, wiping the old secret. */
void              amq_secret_replace           (char       **field,
                                                const char  *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqCredentialSet, amq_credential_set_free)

G_END_DECLS
