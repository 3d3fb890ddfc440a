/* test-util.h: what the process-level tests share: children that die with the test, the
 * "listening on URL" handshake, the fake upstream, free ports and the test keyring. */
#pragma once

#include <gio/gio.h>

#include "amq-credentials.h"

G_BEGIN_DECLS

/* A launcher whose children get SIGTERM when the test dies, even on a failed assertion. */
GSubprocessLauncher *test_launcher_new             (GSubprocessFlags flags);
/* Reads the child's first stdout line, "listening on URL", and returns URL. */
char                *test_read_listening_url       (GSubprocess     *process);
/* The rest of the child's stdout, once it has exited. */
char                *test_read_remaining_output    (GSubprocess     *process);
GSubprocess         *test_start_fake_upstream      (char           **url);
/* A loopback port nothing listens on (bound, then closed). */
guint                test_free_port                (void);
gboolean             test_secrets_service_present  (void);
/* What the keyring holds now (spins the default main context). */
AmqCredentialSet    *test_keyring_lookup           (void);

G_END_DECLS
