/* SPDX-License-Identifier: GPL-3.0-or-later */
/* replay.c: runs a fuzz target's entry point over files (its seed corpus and the inputs that
 * once crashed it), as an ordinary test built by any compiler: one test case per input. */
#include "config.h"

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
test_replay (gconstpointer data)
{
  const char *file = data;
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (file, &contents, &length, &error);
  g_assert_no_error (error);
  LLVMFuzzerTestOneInput ((const guint8 *) contents, length);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Adds a case per file in @path (a missing directory adds none), named after the
 * directory's last two parts ("/corpus/frame/NAME"); returns how many. */
static guint
add_replays (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *target = g_path_get_basename (path);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *kind = g_path_get_basename (parent);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      /* .keep holds an empty directory in git; it is no input */
      if (name[0] != '.')
        g_ptr_array_add (names, g_strdup (name));
    }
  /* the directory's order changes between file systems; case numbers should not */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *file_name = g_ptr_array_index (names, i);
      g_autofree char *test_path = g_strdup_printf ("/%s/%s/%s", kind, target, file_name);

      g_test_add_data_func_full (test_path, g_build_filename (path, file_name, NULL), test_replay, g_free);
    }
  return names->len;
}

int
main (int argc, char **argv)
{
  guint inputs = 0;

  g_test_init (&argc, &argv, NULL);
  for (int i = 1; i < argc; i++)
    inputs += add_replays (argv[i]);
  /* a wrong directory must not pass as an empty run */
  g_assert_cmpuint (inputs, >, 0);
  return g_test_run ();
}
