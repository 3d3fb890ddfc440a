/* replay.c: runs a fuzz target's entry point over files (its seed corpus and the inputs that
 * once crashed it), as an ordinary test built by any compiler. */
#include <glib.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static guint
replay_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint count = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);
      g_autofree char *data = NULL;
      gsize length = 0;

      g_assert_true (g_file_get_contents (file, &data, &length, NULL));
      LLVMFuzzerTestOneInput ((const guint8 *) data, length);
      count++;
    }
  return count;
}

int
main (int argc, char **argv)
{
  guint count = 0;

  for (int i = 1; i < argc; i++)
    count += replay_dir (argv[i]);
  g_assert_cmpuint (count, >, 0);
  printf ("1..1\nok 1 - %u inputs replayed\n", count);
  return 0;
}
