/* A directory fd (and the cwd) kept across a rename of its parents. A
 * monitor that remembers the guest path an fd was opened with (PRoot does)
 * resolves "openat(fd, ..)" from that stale path once the directory has
 * moved; the kernel follows the directory itself, and ".." beyond the root
 * still stops at the root. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char cwd[PATH_MAX], wd[PATH_MAX], to[PATH_MAX + 16];
	int fd;
	struct stat a, b;

	esc_init(&e, "dirfdmove", argc, argv);
	if (getcwd(wd, sizeof(wd)) == NULL)
		esc_die(&e, "getcwd");
	if (mkdir("a", 0755) < 0 || mkdir("a/b", 0755) < 0 || mkdir("a/b/c", 0755) < 0 ||
	    mkdir("a/b/c/d", 0755) < 0)
		esc_die(&e, "mkdir a/b/c/d");
	fd = open("a/b/c/d", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		esc_die(&e, "open(a/b/c/d)");
	/* the deep directory moves up, to the workdir: its ".." is the workdir */
	if (rename("a/b/c/d", "moved") < 0)
		esc_note(&e, "rename(a/b/c/d, moved): %s", esc_errname(errno));
	esc_open(&e, "openat(moved fd, ../..SECRET)", fd, e.up);
	if (fstatat(fd, "..", &a, 0) == 0 && stat(".", &b) == 0)
		esc_note(&e, "the moved fd's .. is %s",
			 a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "the workdir" : "elsewhere");
	for (int i = 0; i < ESC_UPS; i++) {
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);

		close(fd);
		fd = up;
		if (fd < 0)
			break;
	}
	if (fd >= 0)
		esc_open(&e, "openat(moved fd/.. x40, SECRET without /)", fd, e.rel);
	/* the cwd moves: WORKDIR/a/b/c becomes WORKDIR/cwdmoved */
	if (chdir("a/b/c") < 0)
		esc_die(&e, "chdir(a/b/c)");
	esc_fmt(&e, cwd, sizeof(cwd), "%s/a/b/c", wd);
	esc_fmt(&e, to, sizeof(to), "%s/cwdmoved", wd);
	if (rename(cwd, to) < 0)
		esc_note(&e, "rename(cwd, WORKDIR/cwdmoved): %s", esc_errname(errno));
	if (getcwd(cwd, sizeof(cwd)) != NULL)
		esc_note(&e, "getcwd after the move: %s", cwd);
	esc_open(&e, "open(../..SECRET) from the moved cwd", AT_FDCWD, e.up);
	esc_open(&e, "open(../SECRET without /) from the moved cwd", AT_FDCWD,
		 e.up + 3 * (ESC_UPS - 1));
	return esc_finish(&e);
}
