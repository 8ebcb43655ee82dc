/* Prints what the pid calls answer, for vk-pid.test to compare in both pid
 * backends: the ids of the process, its threads (pthread_kill and tgkill
 * reach them through the tid glibc keeps), a fork tree and the waits
 * that reap it, process groups and sessions, calls that name a pid the
 * guest does not have (ESRCH, ECHILD, EPERM), /proc/self, SO_PEERCRED, and
 * the terminal's process group and an fd's owner (TIOCSPGRP, F_SETOWN...).
 * Run as the guest's first process, every id is known in advance. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define NOBODY 4000000 /* a pid no guest has */

static pthread_barrier_t ready;
static __thread int my_tid;
static volatile int handled_in;

static void on_usr1(int sig)
{
	(void)sig;
	handled_in = my_tid;
}

static void *thread_main(void *arg)
{
	my_tid = (int)gettid();
	*(int *)arg = my_tid;
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&ready); /* signalled meanwhile */
	return NULL;
}

static const char *err_name(long r)
{
	return r == 0 ? "0" : errno == ESRCH ? "ESRCH" : errno == ECHILD ? "ECHILD" :
	       errno == EPERM ? "EPERM" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

static void threads(void)
{
	pthread_t t[2];
	int tid[2];

	pthread_barrier_init(&ready, NULL, 3);
	signal(SIGUSR1, on_usr1);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, thread_main, &tid[i]);
	pthread_barrier_wait(&ready);
	for (int i = 0; i < 2; i++) {
		handled_in = 0;
		pthread_kill(t[i], SIGUSR1);
		while (!handled_in)
			sched_yield();
		printf("thread %d: pthread_kill handled in %d\n", tid[i], handled_in);
	}
	printf("tgkill(self, thread, 0) %s\n",
	       err_name(syscall(SYS_tgkill, getpid(), tid[1], 0)));
	printf("tgkill(self, nobody, 0) %s\n", err_name(syscall(SYS_tgkill, getpid(), NOBODY, 0)));
	printf("tkill(thread, 0) %s\n", err_name(syscall(SYS_tkill, tid[0], 0)));
	pthread_barrier_wait(&ready);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

static void children(void)
{
	int st = 0, p[2];
	pid_t c, g, w;
	siginfo_t si;

	if (pipe(p) < 0)
		exit(1);
	c = fork();
	if (c == 0) {
		g = fork();
		if (g == 0) {
			printf("grandchild %d parent %d\n", (int)getpid(), (int)getppid());
			fflush(stdout);
			_exit(3);
		}
		w = waitpid(g, &st, 0);
		printf("child %d parent %d reaped %d status %d\n", (int)getpid(), (int)getppid(),
		       (int)w, WEXITSTATUS(st));
		fflush(stdout);
		_exit(7);
	}
	w = waitpid(c, &st, 0);
	printf("fork gave %d, waitpid gave %d status %d\n", (int)c, (int)w, WEXITSTATUS(st));
	c = fork();
	if (c == 0)
		_exit(5);
	memset(&si, 0, sizeof(si));
	waitid(P_PID, (id_t)c, &si, WEXITED);
	printf("fork gave %d, waitid si_pid %d status %d\n", (int)c, (int)si.si_pid, si.si_status);
	printf("waitpid(nobody) %s\n", err_name(waitpid(NOBODY, &st, WNOHANG)));
	printf("waitpid(-nobody) %s\n", err_name(waitpid(-NOBODY, &st, WNOHANG)));

	/* a group and a session of its own */
	c = fork();
	if (c == 0) {
		read(p[0], &st, 1);
		printf("child %d pgid %d sid %d\n", (int)getpid(), (int)getpgrp(), (int)getsid(0));
		printf("setsid() as a group leader %s\n", err_name(setsid()));
		fflush(stdout);
		_exit(0);
	}
	printf("setpgid(child, child) %s\n", err_name(setpgid(c, c)));
	printf("getpgid(child) %d\n", (int)getpgid(c));
	printf("setpgid(child, nobody) %s\n", err_name(setpgid(c, NOBODY)));
	write(p[1], "x", 1);
	waitpid(c, &st, 0);
	c = fork();
	if (c == 0) {
		pid_t sid = setsid();
		printf("setsid() %d, then pgid %d sid %d\n", (int)sid, (int)getpgid(0),
		       (int)getsid(0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, &st, 0);
}

static void naming_nobody(void)
{
	cpu_set_t cpus;
	struct rlimit rl;

	printf("kill(nobody, 0) %s\n", err_name(kill(NOBODY, 0)));
	printf("kill(-nobody, 0) %s\n", err_name(kill(-NOBODY, 0)));
	printf("kill(1, 0) %s\n", err_name(kill(1, 0)));
	printf("kill(nobody, 999) %s\n", err_name(kill(NOBODY, 999)));
	printf("getpgid(nobody) %s\n", err_name(getpgid(NOBODY)));
	printf("getsid(nobody) %s\n", err_name(getsid(NOBODY)));
	printf("sched_getaffinity(nobody) %s\n",
	       err_name(sched_getaffinity(NOBODY, sizeof(cpus), &cpus)));
	printf("sched_getaffinity(1) %s\n", err_name(sched_getaffinity(1, sizeof(cpus), &cpus)));
	printf("prlimit(nobody) %s\n", err_name(prlimit(NOBODY, RLIMIT_NOFILE, NULL, &rl)));
	printf("getpriority(nobody) %s\n",
	       err_name(getpriority(PRIO_PROCESS, NOBODY) == -1 ? -1 : 0));
	printf("pidfd_open(nobody) %s\n", err_name(syscall(SYS_pidfd_open, NOBODY, 0)));
	long fd = syscall(SYS_pidfd_open, 1, 0);
	printf("pidfd_open(1) %s\n", fd >= 0 ? "fd" : err_name(fd));
	if (fd >= 0) {
		printf("pidfd_send_signal(0) %s\n",
		       err_name(syscall(SYS_pidfd_send_signal, (int)fd, 0, NULL, 0)));
		close((int)fd);
	}
}

static void proc_self(void)
{
	char buf[64], line[256];
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("/proc/self -> %s\n", buf);
	n = readlink("/proc/thread-self", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("/proc/thread-self -> %s\n", buf);
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Pid:", 4) || !strncmp(line, "PPid:", 5) ||
		    !strncmp(line, "Tgid:", 5) || !strncmp(line, "NSpid:", 6))
			printf("status %s", line);
	if (f)
		fclose(f);
}

static void peercred(void)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		printf("SO_PEERCRED: %s\n", strerror(errno));
	else
		printf("SO_PEERCRED pid %d\n", (int)uc.pid);
}

/* A datagram with SCM_CREDENTIALS: the pid received (-1: none). */
static int recv_creds(int fd)
{
	char data[8], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;

	if (recvmsg(fd, &m, MSG_DONTWAIT) < 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
			return ((struct ucred *)CMSG_DATA(c))->pid;
	return -1;
}

static void scm_creds(void)
{
	char ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct ucred uc = { getpid(), getuid(), getgid() };
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = (struct cmsghdr *)ctl;
	int sv[2], one = 1, st;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 ||
	    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(uc));
	memcpy(CMSG_DATA(c), &uc, sizeof(uc));
	printf("SCM_CREDENTIALS with pid %d: sendmsg %s", (int)uc.pid,
	       err_name(sendmsg(sv[0], &m, 0) < 0 ? -1 : 0));
	memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	printf(", pid still %d in the message, received pid %d\n", (int)uc.pid, recv_creds(sv[1]));
	child = fork();
	if (child == 0)
		_exit(send(sv[0], "y", 1, 0) == 1 ? 0 : 1);
	waitpid(child, &st, 0);
	printf("SCM_CREDENTIALS from child %d: received pid %d\n", (int)child, recv_creds(sv[1]));
}

/* The ids the terminal and an fd's owner take and give: a child that
 * makes its own session with a pseudo-terminal as its controlling one. */
static void owners(void)
{
	struct f_owner_ex own;
	pid_t child = fork(), got;
	int st;

	if (child == 0) {
		int m, s;
		pid_t me = getpid();

		setsid();
		m = posix_openpt(O_RDWR | O_NOCTTY);
		/* made the controlling terminal as login_tty does it: under the
		 * emulated filesystem the monitor opens files, so an open alone
		 * would not (see docs/architecture.md) */
		if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
		    (s = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0 || ioctl(s, TIOCSCTTY, 0) < 0) {
			printf("no pseudo-terminal: %s\n", strerror(errno));
			_exit(1);
		}
		printf("session %d: tcsetpgrp(own) %s", (int)me, err_name(tcsetpgrp(s, getpgrp())));
		printf(", tcgetpgrp %d, tcgetsid %d", (int)tcgetpgrp(s), (int)tcgetsid(s));
		printf(", tcsetpgrp(nobody) %s\n", err_name(tcsetpgrp(s, NOBODY)));
		got = fcntl(m, F_SETOWN, me) < 0 ? -1 : fcntl(m, F_GETOWN);
		printf("F_SETOWN(self) F_GETOWN %d", (int)got);
		got = fcntl(m, F_SETOWN, -getpgrp()) < 0 ? -1 : fcntl(m, F_GETOWN);
		printf(", F_SETOWN(-pgrp) F_GETOWN %d", (int)got);
		memset(&own, 0, sizeof(own));
		fcntl(m, F_GETOWN_EX, &own);
		printf(", F_GETOWN_EX type %s pid %d", own.type == F_OWNER_PGRP ? "pgrp" : "other",
		       (int)own.pid);
		own.type = F_OWNER_TID;
		own.pid = (pid_t)gettid();
		fcntl(m, F_SETOWN_EX, &own);
		memset(&own, 0, sizeof(own));
		fcntl(m, F_GETOWN_EX, &own);
		printf(", F_SETOWN_EX(tid) F_GETOWN_EX type %s pid %d", own.type == F_OWNER_TID ?
		       "tid" : "other", (int)own.pid);
		printf(", F_SETOWN(nobody) %s\n", err_name(fcntl(m, F_SETOWN, NOBODY)));
		_exit(0);
	}
	waitpid(child, &st, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pid %d ppid %d tid %d\n", (int)getpid(), (int)getppid(), (int)gettid());
	threads();
	children();
	naming_nobody();
	proc_self();
	peercred();
	scm_creds();
	owners();
	return 0;
}
