/* An absolute symlink to the secret's host path, and to its directory: it
 * must resolve inside the root, reaching nothing or the decoy there. A
 * monitor that lets the kernel follow a link in a host path (after it has
 * translated the path's prefix) resolves the target against the host's /. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char dir[PATH_MAX], path[PATH_MAX];

	esc_init(&e, "symabs", argc, argv);
	esc_fmt(&e, dir, sizeof(dir), "%s", e.secret);
	*strrchr(dir, '/') = '\0';
	if (symlink(e.secret, "abs") < 0 || symlink(dir[0] ? dir : "/", "absdir") < 0 ||
	    symlink("/", "root") < 0)
		esc_die(&e, "symlink");
	esc_open(&e, "open(abs -> SECRET)", AT_FDCWD, "abs");
	esc_stat(&e, "stat(abs -> SECRET)", AT_FDCWD, "abs", 0);
	esc_fmt(&e, path, sizeof(path), "absdir/%s", e.base);
	esc_open(&e, "open(absdir/NAME)", AT_FDCWD, path);
	esc_fmt(&e, path, sizeof(path), "root/%s", e.up);
	esc_open(&e, "open(root/../..SECRET)", AT_FDCWD, path);
	/* the link as a middle component of an absolute path */
	if (getcwd(dir, sizeof(dir)) == NULL)
		esc_die(&e, "getcwd");
	esc_fmt(&e, path, sizeof(path), "%s/absdir/%s", dir, e.base);
	esc_open(&e, "open(/WORKDIR/absdir/NAME)", AT_FDCWD, path);
	return esc_finish(&e);
}
