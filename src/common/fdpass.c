/* One fd over a unix socket; see fdpass.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdpass.h"

union fd_cmsg {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

int fd_send(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union fd_cmsg u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int fd_recv(int sock)
{
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	union fd_cmsg u;
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -EPIPE;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9 */
#endif

/* The thread group of tid, from /proc (0 when gone). */
static pid_t tgid_of(pid_t tid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *t = strstr(buf, "\nTgid:");
	return t ? (pid_t)strtol(t + 6, NULL, 10) : 0;
}

int fd_take(pid_t pid, int fd)
{
	/* a thread's own pidfd (its fd table, should it have one of its
	 * own); before 6.9 only a leader has a pidfd: then its group's */
	int pfd = (int)syscall(SYS_pidfd_open, pid, PIDFD_THREAD), r;

	if (pfd < 0 && errno == EINVAL) {
		pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd < 0 && errno == EINVAL) {
			pid_t tg = tgid_of(pid);
			pfd = tg > 0 ? (int)syscall(SYS_pidfd_open, tg, 0) : -1;
			if (tg <= 0)
				errno = ESRCH;
		}
	}
	if (pfd < 0)
		return -errno;
	r = (int)syscall(SYS_pidfd_getfd, pfd, fd, 0);
	if (r < 0)
		r = -errno;
	close(pfd);
	return r;
}

bool fd_take_works(void)
{
	static int known; /* 0 unknown, 1 yes, 2 no */

	if (!known) {
		int fd = fd_take(getpid(), STDERR_FILENO);

		if (fd == -EBADF) { /* no stderr: any fd of ours does */
			int own = open("/", O_PATH | O_CLOEXEC);
			fd = own >= 0 ? fd_take(getpid(), own) : -EBADF;
			if (own >= 0)
				close(own);
		}
		known = fd >= 0 ? 1 : 2;
		if (fd >= 0)
			close(fd);
	}
	return known == 1;
}
