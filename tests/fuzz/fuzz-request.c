/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-request.c: arbitrary request bodies through parsing and conversion; whatever is
 * accepted must convert to a body Amazon Q accepts (the independent validator) */
#include "config.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "amq-converter.h"
#include "amq-upstream.h"
#include "q-validator.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* What the server passes, with the size guard the fake's limit makes necessary */
static const AmqConverterOptions kiro = { AMQ_DEFAULT_ORIGIN, AMQ_PROFILE_ARN_BUILDER_ID, AMQ_DEFAULT_MAX_REQUEST_BYTES };

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(AmqMessagesRequest) request = amq_messages_request_parse (body, AMQ_REQUEST_MESSAGES, NULL);
  g_autoptr(AmqConversion) conversion = NULL;
  g_autofree char *problem = NULL;

  if (request == NULL)
    return 0;
  conversion = amq_converter_convert (request, "claude-sonnet-4.5", &kiro, NULL);
  if (conversion == NULL)
    return 0;
  problem = q_validate (conversion->body, AMQ_DEFAULT_ORIGIN, NULL);
  if (problem != NULL)
    {
      /* abort, not g_error's trap: libFuzzer saves the input on SIGABRT */
      fprintf (stderr, "converted body breaks an Amazon Q rule: %s\n", problem);
      abort ();
    }
  return 0;
}
