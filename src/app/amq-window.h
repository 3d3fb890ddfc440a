/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-window.h: the main window — proxy state, token status, credits, live request log and its
 * chart; the Accounts page */
#pragma once

#include "amq-application.h"

G_BEGIN_DECLS

#define AMQ_TYPE_WINDOW (amq_window_get_type ())
G_DECLARE_FINAL_TYPE (AmqWindow, amq_window, AMQ, WINDOW, AdwApplicationWindow)

AmqWindow *amq_window_new (AmqApplication *application);

G_END_DECLS
