/* amq-token-estimator.h: offline token estimate (no tokenizer is available locally)
 *
 * The estimate counts "units": one per ASCII byte, two per 2-byte UTF-8 character, three
 * per CJK or other 3/4-byte character; four units make a token. English prose and code
 * average close to four characters a token, CJK close to one character a token. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

guint64 amq_token_units_of        (const char *text,
                                   gssize      length);
guint64 amq_tokens_from_units     (guint64     units);
guint64 amq_estimate_tokens       (const char *text,
                                   gssize      length);

G_END_DECLS
