/* New namespaces and mounts: unshare of a user namespace (root inside,
 * every capability there), of a mount namespace, then a mount in it.
 * Nothing here mounts in the caller's own namespace. Any that works is the
 * escape; under --sandbox=strict unshare, setns and mount are denied. */
#include "escape.h"
#include <sched.h>
#include <sys/mount.h>


int main(int argc, char **argv)
{
	struct esc e;
	pid_t pid;
	int st;

	esc_init(&e, "mountns", argc, argv);
	if (mkdir("mnt", 0755) < 0)
		esc_die(&e, "mkdir mnt");
	/* in a child: the namespaces it makes die with it */
	pid = fork();
	if (pid < 0)
		esc_die(&e, "fork");
	if (pid == 0) {
		int bits = 0;
		if (unshare(CLONE_NEWUSER) == 0)
			bits |= 1;
		if (unshare(CLONE_NEWNS) == 0) {
			bits |= 2;
			if (mount("none", "mnt", "tmpfs", 0, NULL) == 0)
				bits |= 4;
		}
		_exit(bits);
	}
	waitpid(pid, &st, 0);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
	if (st & 1)
		esc_escaped(&e, "unshare(CLONE_NEWUSER)");
	if (st & 2)
		esc_escaped(&e, "unshare(CLONE_NEWNS)");
	if (st & 4)
		esc_escaped(&e, "mount(tmpfs)");
	if (!st)
		esc_note(&e, "unshare and mount refused");
	return esc_finish(&e);
}
