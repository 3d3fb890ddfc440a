/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-autostart.h: start at login — an XDG autostart file, or the Background portal in Flatpak */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void      amq_autostart_set         (gboolean enabled);
/* What is really in place (the file outside Flatpak). */
gboolean  amq_autostart_is_enabled  (void);
char     *amq_autostart_file_path   (void);
gboolean  amq_autostart_in_flatpak  (void);

G_END_DECLS
