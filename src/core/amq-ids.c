/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-ids.c */
#include "config.h"

#include "amq-ids.h"

char *
amq_new_id (const char *prefix)
{
  static const char alphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  GString *id;

  g_return_val_if_fail (prefix != NULL, NULL);

  id = g_string_new (prefix);
  for (guint i = 0; i < 24; i++)
    g_string_append_c (id, alphabet[g_random_int_range (0, sizeof alphabet - 1)]);
  return g_string_free (id, FALSE);
}
