/* A hard link made to a file outside the root: link() of the secret's host
 * path (which resolves inside the root, to the decoy), of "../..SECRET",
 * and linkat(AT_SYMLINK_FOLLOW) through a link that points out. Whatever
 * link is made must reach nothing outside: reading it shows the decoy or
 * fails. The runner also checks that the secret's link count stays 1. */
#include "escape.h"

static void try_link(struct esc *e, const char *what, int olddir, const char *old,
		     const char *new, int flags)
{
	if (linkat(olddir, old, AT_FDCWD, new, flags) < 0) {
		esc_note(e, "%s: %s", what, esc_errname(errno));
		return;
	}
	esc_open(e, what, AT_FDCWD, new);
}

int main(int argc, char **argv)
{
	struct esc e;
	int rootfd;

	esc_init(&e, "hardlink", argc, argv);
	try_link(&e, "link(SECRET)", AT_FDCWD, e.secret, "l1", 0);
	try_link(&e, "link(../..SECRET)", AT_FDCWD, e.up, "l2", 0);
	try_link(&e, "link(/../..SECRET)", AT_FDCWD, e.up_abs, "l3", 0);
	if (symlink(e.up, "sl") < 0)
		esc_die(&e, "symlink");
	try_link(&e, "linkat(link to ../..SECRET, AT_SYMLINK_FOLLOW)", AT_FDCWD, "sl", "l4",
		 AT_SYMLINK_FOLLOW);
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		esc_die(&e, "open(/)");
	try_link(&e, "linkat(fd of /, ../..SECRET)", rootfd, e.up, "l5", 0);
	return esc_finish(&e);
}
