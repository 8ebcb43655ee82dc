/* File descriptors the guest did not open: any fd above 2 that the guest
 * inherited (from umld, or its parent) may be a host directory or file
 * outside the root; openat(fd, "../..SECRET") from a directory outside the
 * root escapes even a real chroot. The guest starts with fds 0-2 only. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	int found = 0;

	esc_init(&e, "fdleak", argc, argv);
	for (int fd = 3; fd < 1024; fd++) {
		struct stat st;
		char what[64];

		if (fstat(fd, &st) < 0)
			continue;
		found++;
		esc_fmt(&e, what, sizeof(what), "fd %d (mode %o)", fd, (unsigned)st.st_mode);
		if (S_ISDIR(st.st_mode))
			esc_open(&e, what, fd, e.up);
		else if (S_ISREG(st.st_mode))
			esc_check_fd(&e, what, dup(fd));
		else
			esc_note(&e, "%s", what);
	}
	esc_note(&e, "%d fds above 2", found);
	return esc_finish(&e);
}
