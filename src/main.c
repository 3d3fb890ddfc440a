/* main.c: amq2api, the desktop app */
#include <glib/gi18n.h>
#include <locale.h>

#include "amq-application.h"
#include "config.h"

int
main (int argc, char **argv)
{
  g_autoptr(AmqApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  app = amq_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
