/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-tray.h: a StatusNotifierItem with a dbusmenu menu, driving the application's actions */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_TRAY (amq_tray_get_type ())
G_DECLARE_FINAL_TYPE (AmqTray, amq_tray, AMQ, TRAY, GObject)

/* Exports the item on the application's bus and registers it whenever a watcher exists. */
AmqTray  *amq_tray_new            (AmqApplication *application);

G_END_DECLS
