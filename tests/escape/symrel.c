/* A relative symlink out of the root: to the secret itself, and to a
 * directory far above the root that a path then continues through. The
 * kernel resolves the ".." of a symlink's target against the process's
 * root like any other; a monitor that follows links itself must too. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char ups[3 * ESC_UPS + 1], path[PATH_MAX];

	esc_init(&e, "symrel", argc, argv);
	for (int i = 0; i < ESC_UPS; i++)
		memcpy(ups + 3 * i, "../", 4);
	if (symlink(e.up, "tosecret") < 0 || symlink(ups, "updir") < 0)
		esc_die(&e, "symlink");
	esc_open(&e, "open(link to ../..SECRET)", AT_FDCWD, "tosecret");
	esc_stat(&e, "stat(link to ../..SECRET)", AT_FDCWD, "tosecret", 0);
	esc_fmt(&e, path, sizeof(path), "updir/%s", e.rel);
	esc_open(&e, "open(link to ../.. then SECRET)", AT_FDCWD, path);
	/* a link whose target is itself a relative link one level up */
	if (mkdir("sub", 0755) < 0 || symlink("../tosecret", "sub/again") < 0)
		esc_die(&e, "sub/again");
	esc_open(&e, "open(sub/again -> ../tosecret)", AT_FDCWD, "sub/again");
	return esc_finish(&e);
}
