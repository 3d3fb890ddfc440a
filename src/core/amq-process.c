/* SPDX-License-Identifier: GPL-3.0-or-later */
/* amq-process.c */
#include "config.h"

#include "amq-process.h"

#include <errno.h>
#include <sys/prctl.h>
#include <sys/resource.h>

void
amq_process_harden (void)
{
  struct rlimit none = { 0, 0 };

  setrlimit (RLIMIT_CORE, &none);
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    g_info ("the process stays dumpable: %s", g_strerror (errno));
}

void
amq_process_raise_open_files (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}
