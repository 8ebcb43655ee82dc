/* ".." past the root: absolute and relative paths with more ".." than the
 * root is deep, from the root and from a directory fd, and one ".." at a
 * time through openat. The kernel keeps ".." at the root; a monitor that
 * joins the guest path to the host root by string can be led above it. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	int rootfd, fd;

	esc_init(&e, "dotdot", argc, argv);
	esc_open(&e, "open(/../..SECRET)", AT_FDCWD, e.up_abs);
	esc_open(&e, "open(../..SECRET) from the workdir", AT_FDCWD, e.up);
	esc_stat(&e, "stat(/../..SECRET)", AT_FDCWD, e.up_abs, 0);
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		esc_die(&e, "open(/)");
	esc_open(&e, "openat(fd of /, ../..SECRET)", rootfd, e.up);
	/* one ".." at a time: each step a separate call the monitor must bound */
	fd = dup(rootfd);
	for (int i = 0; i < ESC_UPS && fd >= 0; i++) {
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

		close(fd);
		fd = up;
	}
	if (fd < 0)
		esc_note(&e, "openat(fd, ..) x%d: %s", ESC_UPS, esc_errname(errno));
	else
		esc_open(&e, "openat(fd of /.. x40, SECRET without /)", fd, e.rel);
	if (chdir("/") < 0)
		esc_die(&e, "chdir(/)");
	esc_open(&e, "open(../..SECRET) from /", AT_FDCWD, e.up);
	return esc_finish(&e);
}
