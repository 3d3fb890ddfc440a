/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-endpoint.h: where refresh tokens and prompts may be sent */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An endpoint must be https, or plain http on this machine only (tests, a local relay): the
 * refresh token and the client secret travel to it. @what names it in the error. */
gboolean amq_endpoint_check (const char  *what,
                             const char  *url,
                             GError     **error);

G_END_DECLS
