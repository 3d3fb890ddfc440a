/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-signin.h: the app's Amazon Q sign-in: loaded at start (a linked client's first), linked
 * to another client, copied or entered into the keyring; the local API key; where it comes
 * from, in words */
#pragma once

#include <gio/gio.h>

#include "amq-account.h"

G_BEGIN_DECLS

#define AMQ_TYPE_SIGNIN (amq_signin_get_type ())
G_DECLARE_FINAL_TYPE (AmqSignin, amq_signin, AMQ, SIGNIN, GObject)

/* Hands the sign-in to @tokens; @settings' "signin-source" remembers the linked client. */
AmqSignin              *amq_signin_new                (AmqTokenManager     *tokens,
                                                       GSettings           *settings,
                                                       AmqEnvironment      *environment);
AmqAccount             *amq_signin_get_account        (AmqSignin           *self);
/* The first sign-in found (AmqAccount's order, the linked client in its place), and the
 * local API key. Always succeeds: without a sign-in the origin is NONE. */
void                    amq_signin_load_async         (AmqSignin           *self,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean                amq_signin_load_finish        (AmqSignin           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Uses @source's sign-in from now on, writes rotated tokens back there, and remembers the
 * link for the next start. Fails, changing nothing, when @source has no sign-in. */
void                    amq_signin_link_async         (AmqSignin           *self,
                                                       AmqSigninSource     *source,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean                amq_signin_link_finish        (AmqSignin           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Reads @source's sign-in once and keeps it in the keyring; no link. */
void                    amq_signin_copy_async         (AmqSignin           *self,
                                                       AmqSigninSource     *source,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean                amq_signin_copy_finish        (AmqSignin           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Uses @set at once and keeps it in the keyring; no link. The local API key stays. */
void                    amq_signin_save_async         (AmqSignin              *self,
                                                       const AmqCredentialSet *set,
                                                       GAsyncReadyCallback     callback,
                                                       gpointer                user_data);
gboolean                amq_signin_save_finish        (AmqSignin           *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* The key clients of the local API must send, kept in the keyring whatever the sign-in's
 * origin; NULL or "" for none. */
void                    amq_signin_set_local_api_key_async  (AmqSignin           *self,
                                                             const char          *key,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean                amq_signin_set_local_api_key_finish (AmqSignin           *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
const AmqCredentialSet *amq_signin_get_credentials    (AmqSignin           *self);
AmqAccountOrigin        amq_signin_get_origin         (AmqSignin           *self);
/* NULL when there is none. */
const char             *amq_signin_get_local_api_key  (AmqSignin           *self);
/* TRUE when the sign-in in use is @source's client's (linked, or the first one found). */
gboolean                amq_signin_uses               (AmqSignin           *self,
                                                       AmqSigninSource     *source);
/* For people, translated: "Kept in the keyring", "Linked to Kiro CLI (~/.local/share/…)". */
const char             *amq_signin_get_description    (AmqSignin           *self);
/* @text with the home folder written "~/", as people know it and narrow rows fit it. */
char                   *amq_signin_abbreviate_home    (const char          *text);

G_END_DECLS
