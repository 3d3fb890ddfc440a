/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-refusal.h: answer a connection taken over from libsoup with an error, then close it */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Writes @error as an Anthropic error answer (no body when @with_body is FALSE: HEAD) on
 * @stream, which libsoup gave up before reading the request body, then closes it. @socket,
 * when known, is the stream's socket: the answer is followed by a half-close and what the
 * client still sends is read and dropped for a moment, so that closing does not reset the
 * connection before the client read the answer. */
void amq_refusal_send (GIOStream    *stream,
                       GSocket      *socket,
                       const GError *error,
                       const char   *request_id,
                       gboolean      with_body);

G_END_DECLS
