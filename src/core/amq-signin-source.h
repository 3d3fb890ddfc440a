/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin-source.h: the sign-in of another official client (Kiro CLI, Amazon Q CLI, Kiro
 * IDE), read from where that client keeps it, and rotated tokens written back there */
#pragma once

#include <gio/gio.h>

#include "amq-credential-set.h"

G_BEGIN_DECLS

typedef enum {
  AMQ_SIGNIN_KIRO_CLI,      /* ~/.local/share/kiro-cli/data.sqlite3 */
  AMQ_SIGNIN_AMAZON_Q_CLI,  /* ~/.local/share/amazon-q/data.sqlite3 */
  AMQ_SIGNIN_KIRO_IDE,      /* ~/.aws/sso/cache/kiro-auth-token.json */
} AmqSigninKind;

#define AMQ_TYPE_SIGNIN_SOURCE (amq_signin_source_get_type ())
G_DECLARE_FINAL_TYPE (AmqSigninSource, amq_signin_source, AMQ, SIGNIN_SOURCE, GObject)

/* @path: the client's file, NULL for where it keeps it (the host's folders inside Flatpak). */
AmqSigninSource  *amq_signin_source_new          (AmqSigninKind        kind,
                                                  const char          *path);
/* The sources whose files exist, in the order they are tried: Kiro CLI, Amazon Q CLI, Kiro IDE. */
GPtrArray        *amq_signin_source_find_all     (void);
AmqSigninKind     amq_signin_source_get_kind     (AmqSigninSource     *self);
/* "Kiro CLI", "Amazon Q CLI", "Kiro IDE" */
const char       *amq_signin_source_get_name     (AmqSigninSource     *self);
const char       *amq_signin_source_get_path     (AmqSigninSource     *self);
/* The sign-in as the client left it (with its access token when it has one). Fails with
 * G_IO_ERROR_NOT_FOUND when the client is not signed in. The other client may hold its
 * database locked, so this runs in a worker thread. */
void              amq_signin_source_read_async   (AmqSigninSource     *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
AmqCredentialSet *amq_signin_source_read_finish  (AmqSigninSource     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);
/* Amazon Q replaced @previous: @tokens' refresh token, access token and expiry are merged into
 * the client's record, every other field kept. Fails with G_IO_ERROR_EXISTS, writing
 * nothing, when the record holds neither (the user signed in anew there). */
void              amq_signin_source_write_async  (AmqSigninSource        *self,
                                                  const char             *previous,
                                                  const AmqCredentialSet *tokens,
                                                  GCancellable           *cancellable,
                                                  GAsyncReadyCallback     callback,
                                                  gpointer                user_data);
gboolean          amq_signin_source_write_finish (AmqSigninSource     *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
