/* amq-credentials.h: the user's Amazon Q credentials in the system keyring (libsecret) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  char *refresh_token;
  char *client_id;
  char *client_secret;
  char *profile_arn;   /* optional */
  char *region;        /* optional, "us-east-1" when unset */
  char *local_api_key; /* optional: the key clients of the local API must send */
} AmqCredentialSet;

AmqCredentialSet *amq_credential_set_new       (void);
AmqCredentialSet *amq_credential_set_copy      (const AmqCredentialSet *set);
void              amq_credential_set_free      (AmqCredentialSet *set);
/* The names of the required fields that are missing, comma separated; NULL when complete. */
char             *amq_credential_set_missing   (const AmqCredentialSet *set,
                                                const char * const     *names);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AmqCredentialSet, amq_credential_set_free)

void              amq_credentials_store_async  (const AmqCredentialSet *set,
                                                GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
gboolean          amq_credentials_store_finish (GAsyncResult           *result,
                                                GError                **error);
/* NULL without error when nothing is stored. */
void              amq_credentials_lookup_async (GCancellable           *cancellable,
                                                GAsyncReadyCallback     callback,
                                                gpointer                user_data);
AmqCredentialSet *amq_credentials_lookup_finish (GAsyncResult          *result,
                                                GError                **error);
/* A rotated refresh token merged into the stored item: every other field stays. Fails,
 * leaving the item alone, when it no longer holds @previous (another sign-in replaced it). */
void              amq_credentials_replace_refresh_token_async  (const char          *previous,
                                                                const char          *refresh_token,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean          amq_credentials_replace_refresh_token_finish (GAsyncResult        *result,
                                                                GError             **error);

G_END_DECLS
