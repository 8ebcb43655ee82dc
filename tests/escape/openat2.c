/* openat2 and its RESOLVE_* flags on a directory fd of the root: ".."
 * beyond it with RESOLVE_BENEATH (the kernel says EXDEV), RESOLVE_IN_ROOT
 * (".." and absolute links clamp at the fd, which here is the root) and no
 * flag at all; and a magic link with RESOLVE_NO_MAGICLINKS. A monitor that
 * hands openat2 to the kernel with a host fd must still keep the guest's
 * root above everything, and must not drop the flags. */
#include "escape.h"

#include <linux/openat2.h>
#include <sys/syscall.h>

static int do_openat2(int dirfd, const char *path, unsigned long long flags,
		      unsigned long long resolve)
{
	struct open_how how = { .flags = flags, .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static void try(struct esc *e, const char *what, int dirfd, const char *path,
		unsigned long long resolve)
{
	int fd = do_openat2(dirfd, path, O_RDONLY | O_CLOEXEC, resolve);

	if (fd < 0)
		esc_note(e, "%s: %s", what, esc_errname(errno));
	else
		esc_check_fd(e, what, fd);
}

int main(int argc, char **argv)
{
	struct esc e;
	char ups[3 * ESC_UPS + 1], path[PATH_MAX];
	int rootfd, fd;

	esc_init(&e, "openat2", argc, argv);
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		esc_die(&e, "open(/)");
	if (do_openat2(rootfd, ".", O_PATH, 0) < 0 && errno == ENOSYS) {
		esc_note(&e, "openat2: ENOSYS, nothing to try");
		return esc_finish(&e);
	}
	try(&e, "openat2(/, ../..SECRET, BENEATH)", rootfd, e.up, RESOLVE_BENEATH);
	try(&e, "openat2(/, ../..SECRET, IN_ROOT)", rootfd, e.up, RESOLVE_IN_ROOT);
	try(&e, "openat2(/, SECRET, IN_ROOT)", rootfd, e.secret, RESOLVE_IN_ROOT);
	try(&e, "openat2(/, ../..SECRET, 0)", rootfd, e.up, 0);
	try(&e, "openat2(/, ../..SECRET, NO_XDEV)", rootfd, e.up, RESOLVE_NO_XDEV);
	try(&e, "openat2(AT_FDCWD, /../..SECRET, 0)", AT_FDCWD, e.up_abs, 0);
	/* a directory fd obtained by ".." beyond the root, then the secret */
	for (int i = 0; i < ESC_UPS; i++)
		memcpy(ups + 3 * i, "../", 4);
	fd = do_openat2(rootfd, ups, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_IN_ROOT);
	if (fd < 0)
		esc_note(&e, "openat2(/, ../.., IN_ROOT): %s", esc_errname(errno));
	else
		esc_open(&e, "openat(that fd, SECRET without /)", fd, e.rel);
	/* the workdir as the fd, a link up and out, BENEATH and IN_ROOT */
	if (symlink(e.up, "out") < 0 || symlink(e.secret, "abs") < 0)
		esc_die(&e, "symlink");
	try(&e, "openat2(., link to ../..SECRET, BENEATH)", AT_FDCWD, "out", RESOLVE_BENEATH);
	try(&e, "openat2(., link to ../..SECRET, IN_ROOT)", AT_FDCWD, "out", RESOLVE_IN_ROOT);
	try(&e, "openat2(., link to SECRET, IN_ROOT)", AT_FDCWD, "abs", RESOLVE_IN_ROOT);
	/* magic links: /proc/self/root jumps; NO_MAGICLINKS must refuse it */
	esc_fmt(&e, path, sizeof(path), "/proc/self/root/%s", e.up);
	try(&e, "openat2(/proc/self/root/../..SECRET, NO_MAGICLINKS)", AT_FDCWD, path,
	    RESOLVE_NO_MAGICLINKS);
	esc_fmt(&e, path, sizeof(path), "/proc/self/fd/%d/%s", rootfd, e.up);
	try(&e, "openat2(/proc/self/fd/ROOTFD/../..SECRET, 0)", AT_FDCWD, path, 0);
	return esc_finish(&e);
}
