/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-ids.h: identifiers in Anthropic's style (msg_..., req_..., toolu_...) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

char *amq_new_id (const char *prefix);

G_END_DECLS
