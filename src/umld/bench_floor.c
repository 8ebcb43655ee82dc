/* The mechanism's floor, for `umld bench`: a minimal supervisor (no tracer,
 * no table, no dispatch) that notifies on getppid alone and answers 4242, so
 * that umld's notification path can be compared with the bare kernel
 * mechanism in the same run. Hidden verb: umld bench-floor -- COMMAND... */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "common/util.h"
#include "sysemu/notify.h"
#include "tracer/tracer.h"
#include "umld/command.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

static int floor_exec(int argc, char **argv)
{
	struct sock_fprog prog;
	struct seccomp_notif n;
	struct seccomp_notif_resp resp;
	int sv[2], fd, status;
	int first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	pid_t pid;

	notify_getppid_prog(&prog);
	if (first >= argc)
		return command_usage_error(&cmd_bench_floor, "no command given");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char go;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd < 0 || fd_send(sv[1], fd) < 0 || read(sv[1], &go, 1) != 1)
			_exit(126);
		close(fd);
		execv(argv[first], argv + first);
		_exit(127);
	}
	fd = fd_recv(sv[0]);
	if (fd < 0)
		return 1;
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL); /* SYNC_WAKE_UP, where there */
	if (write(sv[0], "g", 1) != 1)
		return 1;
	for (;;) {
		memset(&n, 0, sizeof(n));
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (errno == EINTR || (errno == ENOENT && poll(&p, 1, 0) >= 0 &&
					       !(p.revents & POLLHUP)))
				continue;
			break;
		}
		memset(&resp, 0, sizeof(resp));
		resp.id = n.id;
		resp.val = 4242;
		ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return wait_status_to_exit(status);
}

const struct umld_command cmd_bench_floor = {
	.name = "bench-floor",
	.args = "[--] COMMAND [ARG...]",
	.summary = NULL, /* internal: the floor of `umld bench` */
	.exec = floor_exec,
};
