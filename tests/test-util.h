/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-util.h: what the tests share: children that die with the test, the "listening on URL"
 * handshake, the fake upstream, amq2api-server, HTTP exchanges with it, free ports, the test
 * keyring, waiting for an async call, and the other clients' sign-in databases. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "amq-credentials.h"
#include "amq-server.h"

G_BEGIN_DECLS

/* A launcher whose children get SIGTERM when the test dies, even on a failed assertion. */
GSubprocessLauncher *test_launcher_new             (GSubprocessFlags flags);
/* Reads the child's first stdout line, "listening on URL", and returns URL. */
char                *test_read_listening_url       (GSubprocess     *process);
/* The rest of the child's stdout, once it has exited. */
char                *test_read_remaining_output    (GSubprocess     *process);
GSubprocess         *test_start_fake_upstream      (char           **url);
/* The fake upstream's counters (its /stats) at @fake_url. */
JsonObject          *test_fake_stats               (const char      *fake_url);
/* How many file descriptors @process holds open now. */
guint                test_proc_open_descriptors    (GSubprocess     *process);
/* A loopback port nothing listens on (bound, then closed). */
guint                test_free_port                (void);
gboolean             test_secrets_service_present  (void);
/* What the keyring holds now (spins the default main context): the sign-in's item, or the
 * item of the account @label. */
AmqCredentialSet    *test_keyring_lookup           (void);
AmqCredentialSet    *test_keyring_lookup_account   (const char      *label);
/* Clears every item but the sign-in's ("default"): no account of one test, or of a run that
 * failed midway, is in the next. */
void                 test_keyring_clear_accounts   (void);

/* A process a test started and where it listens. */
typedef struct {
  GSubprocess *process;
  char        *url;
  guint        port;
} TestProc;

/* amq2api-server in this build tree. */
char                *test_server_path              (void);
/* A launcher for amq2api-server: stdout piped (plus @flags), Amazon Q at @api_endpoint, its
 * token endpoint at @token_endpoint, and credentials in the environment: @refresh_token and
 * a client id and secret marked SECRETCHECK, which must never show in anything it says. */
GSubprocessLauncher *test_server_launcher_new      (GSubprocessFlags flags,
                                                    const char      *refresh_token,
                                                    const char      *api_endpoint,
                                                    const char      *token_endpoint);
/* A launcher for amq2api-server with no sign-in in its environment and no keyring (no session
 * bus): stdout piped (plus @flags), Amazon Q and its token endpoint at the fake @fake_url. */
GSubprocessLauncher *test_bare_launcher_new        (GSubprocessFlags flags,
                                                    const char      *fake_url);
/* Starts amq2api-server from @launcher with @options, then @extra (NULL-terminated, either
 * may be NULL) and waits for its "listening on URL" line. */
TestProc             test_server_start             (GSubprocessLauncher *launcher,
                                                    const char * const  *options,
                                                    const char * const  *extra);
/* SIGTERM, then asserts a clean exit with status 0 (under the sanitizers a leak or error
 * report makes it non-zero); a TestProc never started is fine. @output, unless NULL, gets
 * what the process printed on its stdout pipe after the listening line. */
void                 test_proc_stop                (TestProc        *proc,
                                                    char           **output);

/* What an HTTP exchange gave back. */
typedef struct {
  guint   status;
  char   *body;           /* "" when there was none */
  char   *content_type;
  char   *request_id;
  char   *retry_after;
  gint64  elapsed_ms;
} TestReply;

void                 test_reply_clear              (TestReply       *reply);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestReply, test_reply_clear)

/* A @method request for @url carrying @length bytes of @body (none when NULL) as
 * @content_type (no Content-Type when NULL). */
SoupMessage         *test_message_new              (const char      *method,
                                                    const char      *url,
                                                    const char      *content_type,
                                                    const char      *body,
                                                    gsize            length);
/* Sends @message on a session of its own, so its connection closes with the answer, and
 * reads the whole answer; asserts that one came. */
TestReply            test_send                     (SoupMessage     *message);
/* The same, on the default main context, which runs until the answer is in: for a server in
 * this process. */
TestReply            test_send_spinning            (SoupMessage     *message);
/* A GAsyncReadyCallback that keeps a reference to the result in the GAsyncResult * at @slot. */
void                 test_keep_result              (GObject         *source,
                                                    GAsyncResult    *result,
                                                    gpointer         slot);
/* Runs the default main context until @slot holds a result, and takes it out. */
GAsyncResult        *test_wait_result              (GAsyncResult   **slot);
/* A pool of one account per refresh token (rt-ok and the like, see fake-upstream.c), labelled
 * account-0, account-1..., refreshing at the fake; every account names @profile_arn (NULL: its
 * default). */
AmqAccountPool      *test_pool_new                 (const char          *fake_url,
                                                    const char * const  *refresh_tokens,
                                                    const char          *profile_arn);
/* An AmqServer in this process, listening on a free loopback port, with Amazon Q at
 * @fake_url and a refresh token it accepts. */
AmqServer           *test_local_server_new         (const char      *fake_url);
/* @text as a JSON object (a reference); a test failure when it is not one. */
JsonObject          *test_parse_object             (const char      *text);
/* A Messages API request for the fake upstream's @scenario ("SCENARIO:name" in its text). */
char                *test_messages_body            (const char      *scenario,
                                                    gboolean         stream);

/* A new Kiro CLI or Amazon Q CLI database at @path (any file there goes first): @rows are key,
 * value pairs for auth_kv, or for state where the key starts "state:". */
void                 test_client_database_new      (const char          *path,
                                                    const char * const  *rows);
/* The auth_kv value of @key in the database at @path, or NULL. */
char                *test_client_database_value    (const char      *path,
                                                    const char      *key);

G_END_DECLS
