/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c: amq2api, the desktop app */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "amq-application.h"
#include "amq-process.h"

int
main (int argc, char **argv)
{
  g_autoptr(AmqApplication) app = NULL;

  amq_process_harden ();
  amq_process_raise_open_files ();
  setlocale (LC_ALL, "");
  /* AMQ2API_LOCALEDIR: translations of an uninstalled build (build-aux/dev run) */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("AMQ2API_LOCALEDIR") ? g_getenv ("AMQ2API_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  app = amq_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
