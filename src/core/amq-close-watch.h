/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-close-watch.h: notice at once that an HTTP peer hung up while its message is paused */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef void (*AmqClosedFunc) (gpointer user_data);

/* libsoup only sees a closed connection when it next reads or writes; a paused streaming
 * message may wait seconds for that. This watches the message's @socket and calls @func once
 * when the peer closed it. Destroy the returned source to stop watching. */
GSource *amq_close_watch_new (GSocket       *socket,
                              AmqClosedFunc  func,
                              gpointer       user_data);

G_END_DECLS
