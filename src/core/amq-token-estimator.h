/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-token-estimator.h: offline token estimate (Amazon Q reports usage only sometimes)
 *
 * Twelve "units" make a token: 3 per ASCII letter, digit or blank (four to a token), 7 per
 * ASCII punctuation mark (they rarely merge), 8 per 2-byte UTF-8 character and 11 per CJK or
 * other 3/4-byte character (about one token each). Measured against Anthropic's tokenizer
 * (tests/sdk/tokens.test.mjs): see the README for the error by kind of text. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define AMQ_UNITS_PER_TOKEN 12

guint64 amq_token_units_of        (const char *text,
                                   gssize      length);
/* The bytes of @text (@length of them) that fit in @units: whole characters, the longest
 * such prefix. */
gsize   amq_token_prefix_within   (const char *text,
                                   gsize       length,
                                   guint64     units);
guint64 amq_tokens_from_units     (guint64     units);

G_END_DECLS
