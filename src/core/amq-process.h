/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-process.h: what both programs set up about their own process */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* No core dumps and no ptrace by other processes of the user: memory holds the sign-in. */
void amq_process_harden             (void);
/* One descriptor per client and one per upstream stream: the default soft limit of 1024
 * caps an agent swarm at about 500 streams. Takes what the hard limit allows. */
void amq_process_raise_open_files   (void);

G_END_DECLS
