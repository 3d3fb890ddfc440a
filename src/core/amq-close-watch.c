/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-close-watch.c */
#include "config.h"

#include "amq-close-watch.h"

typedef struct {
  AmqClosedFunc func;
  gpointer      user_data;
} Watch;

static gboolean
on_socket_ready (GSocket *socket, GIOCondition condition, gpointer user_data)
{
  Watch *watch = user_data;
  char byte;
  GInputVector vector = { &byte, 1 };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n;

  if (condition & (G_IO_HUP | G_IO_ERR))
    {
      watch->func (watch->user_data);
      return G_SOURCE_REMOVE;
    }
  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL);
  if (n == 0 || (n < 0 && !g_socket_is_connected (socket)))
    {
      watch->func (watch->user_data);
      return G_SOURCE_REMOVE;
    }
  /* a pipelined request or a passing error: libsoup will handle it, stop watching */
  return n < 0 ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

GSource *
amq_close_watch_new (GSocket *socket, AmqClosedFunc func, gpointer user_data)
{
  Watch *watch;
  GSource *source;

  g_return_val_if_fail (G_IS_SOCKET (socket), NULL);
  g_return_val_if_fail (func != NULL, NULL);

  watch = g_new (Watch, 1);
  watch->func = func;
  watch->user_data = user_data;
  source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (source, (GSourceFunc) (void (*) (void)) on_socket_ready, watch, g_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}
