/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-preferences-window.h: port, address, local key, models, endpoints, start at login */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_PREFERENCES_WINDOW (amq_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (AmqPreferencesWindow, amq_preferences_window, AMQ, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *amq_preferences_window_new (AmqApplication *application);

G_END_DECLS
