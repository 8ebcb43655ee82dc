/* memfd_create + execveat(AT_EMPTY_PATH): a program with no path in the
 * root. Its "#!" line names the secret (a script) by its host path: if the
 * kernel resolves that interpreter outside the guest's root (the memfd
 * gave the monitor no path to check), the secret runs and prints the
 * token. The decoy at the same path inside the root is what must run, or
 * nothing. */
#include "escape.h"
#include <sys/mman.h>


int main(int argc, char **argv)
{
	char text[PATH_MAX + 8], self[64];
	struct esc e;
	int fd, runnable;

	esc_init(&e, "memfdexec", argc, argv);
	fd = memfd_create("escape", MFD_CLOEXEC);
	if (fd < 0) {
		esc_note(&e, "memfd_create: %s", esc_errname(errno));
		return esc_finish(&e);
	}
	snprintf(text, sizeof(text), "#!%s\n", e.secret);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		esc_die(&e, "write to the memfd");
	/* a script on a close-on-exec fd cannot run (its interpreter could not
	 * open it): a second fd on the same file, without O_CLOEXEC */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	runnable = open(self, O_RDONLY);
	esc_exec_at(&e, "execveat(memfd)", runnable >= 0 ? runnable : fd, "", AT_EMPTY_PATH);
	return esc_finish(&e);
}
