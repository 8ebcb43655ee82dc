/* rename() of a directory and of files out of the root, to a path with
 * ".." beyond it: the target must land inside the root (the decoy's
 * directory exists there). RENAME_EXCHANGE with the secret's path would
 * bring the host's file in. The runner checks that nothing appeared in,
 * or left, the host's directory of the secret. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char to[PATH_MAX], inside[PATH_MAX];
	struct stat st;

	esc_init(&e, "renameout", argc, argv);
	/* exchange first, while the decoy is still there */
	esc_write(&e, "x", "exchanged\n", 0644);
	if (renameat2(AT_FDCWD, "x", AT_FDCWD, e.up, RENAME_EXCHANGE) < 0)
		esc_note(&e, "renameat2(x, ../..SECRET, EXCHANGE): %s", esc_errname(errno));
	else
		esc_open(&e, "x after the exchange", AT_FDCWD, "x");

	if (mkdir("mv", 0755) < 0)
		esc_die(&e, "mkdir mv");
	esc_write(&e, "mv/f", "moved\n", 0644);
	esc_fmt(&e, to, sizeof(to), "%s/renameout-moved", e.updir);
	esc_fmt(&e, inside, sizeof(inside), "/%s/renameout-moved/f", e.updir + 3 * ESC_UPS);
	if (rename("mv", to) < 0) {
		esc_note(&e, "rename(mv, ../..DIR/moved): %s", esc_errname(errno));
	} else if (stat(inside, &st) < 0) {
		esc_escaped(&e, "rename(mv, ../..DIR/moved) succeeded, the root does not show it");
	} else {
		esc_note(&e, "rename(mv, ../..DIR/moved): inside the root");
	}

	/* a file over the secret's path: it must replace the decoy */
	esc_write(&e, "clobber", "clobbered\n", 0644);
	if (rename("clobber", e.up_abs) < 0) {
		esc_note(&e, "rename(clobber, /../..SECRET): %s", esc_errname(errno));
	} else {
		char buf[64] = "";
		int fd = open(e.secret, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

		buf[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
		if (strcmp(buf, "clobbered\n") != 0)
			esc_escaped(&e, "rename(clobber, /../..SECRET) succeeded, the root does not show it");
		else
			esc_note(&e, "rename(clobber, /../..SECRET): replaced the decoy");
	}
	return esc_finish(&e);
}
