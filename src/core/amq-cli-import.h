/* amq-cli-import.h: credentials of a logged-in Amazon Q CLI (its SQLite store) */
#pragma once

#include <gio/gio.h>

#include "amq-credentials.h"

G_BEGIN_DECLS

/* ~/.local/share/amazon-q/data.sqlite3 */
char             *amq_cli_import_default_path (void);
gboolean          amq_cli_import_available    (const char          *path);
/* Reads in a worker thread: a local file, but never on the UI's main loop. */
void              amq_cli_import_async        (const char          *path,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
AmqCredentialSet *amq_cli_import_finish       (GAsyncResult        *result,
                                               GError             **error);

G_END_DECLS
