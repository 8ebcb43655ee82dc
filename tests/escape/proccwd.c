/* /proc/self/cwd and /proc/self/fd/N after chdir: magic links that the
 * kernel follows to the host directory itself, whatever path string the
 * monitor saw. ".." beyond the root through them must stay inside. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char path[PATH_MAX];
	int tmpfd, cwdfd;

	esc_init(&e, "proccwd", argc, argv);
	if (chdir("/tmp") < 0)
		esc_die(&e, "chdir(/tmp)");
	esc_fmt(&e, path, sizeof(path), "/proc/self/cwd/%s", e.up);
	esc_open(&e, "/proc/self/cwd/../..SECRET", AT_FDCWD, path);
	esc_fmt(&e, path, sizeof(path), "/proc/thread-self/cwd/%s", e.up);
	esc_open(&e, "/proc/thread-self/cwd/../..SECRET", AT_FDCWD, path);
	tmpfd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0)
		esc_die(&e, "open(/tmp)");
	esc_fmt(&e, path, sizeof(path), "/proc/self/fd/%d/%s", tmpfd, e.up);
	esc_open(&e, "/proc/self/fd/TMPFD/../..SECRET", AT_FDCWD, path);
	cwdfd = open("/proc/self/cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwdfd < 0)
		esc_note(&e, "open(/proc/self/cwd): %s", esc_errname(errno));
	else
		esc_open(&e, "openat(fd of /proc/self/cwd, ../..SECRET)", cwdfd, e.up);
	/* relative to the cwd, through the magic link of its own fd */
	esc_fmt(&e, path, sizeof(path), "../proc/self/fd/%d/%s", tmpfd, e.up);
	esc_open(&e, "../proc/self/fd/TMPFD/../..SECRET from /tmp", AT_FDCWD, path);
	return esc_finish(&e);
}
