/* Serving seccomp user notifications.
 *
 * One thread blocks in SECCOMP_IOCTL_NOTIF_RECV. With
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6) the kernel wakes it on the
 * caller's CPU and wakes the caller back on ours, so a round trip does not pay
 * for waking an idle CPU. The caller waits in the kernel meanwhile; unlike a
 * ptrace stop, nothing about its registers can be changed, which is why only
 * handlers without needs_ptrace come here.
 *
 * Guest memory on this path goes through /proc/TID/mem fds that were checked
 * with SECCOMP_IOCTL_NOTIF_ID_VALID after opening: the fd is bound to the
 * caller's address space, so a pid recycled after the caller died can never
 * be read or written. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "sysemu/mem.h"
#include "sysemu/notify.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* A child installs a filter that notifies on getppid and reports, through
 * its exit status, which notification features the kernel accepts. */
void notify_getppid_prog(struct sock_fprog *out)
{
	static struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	out->len = ARRAY_SIZE(insns);
	out->filter = insns;
}

void notify_probe(struct notify_support *out)
{
	pid_t pid;
	int status;

	memset(out, 0, sizeof(*out));
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		struct sock_fprog prog;
		struct seccomp_notif_addfd addfd = { .srcfd = 0, .newfd_flags = 0,
						     .flags = SECCOMP_ADDFD_FLAG_SEND };
		int bits = 0, fd;

		notify_getppid_prog(&prog);

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (fd < 0)
			_exit(0);
		bits |= 1;
		/* an unknown id: EINVAL if the flag is unsupported, ENOENT if
		 * the ioctl and flag are known but no such notification */
		addfd.id = ~0ULL;
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd) < 0 && errno == ENOENT)
			bits |= 2;
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
			bits |= 4;
		_exit(bits);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return;
	out->user_notif = WEXITSTATUS(status) & 1;
	out->addfd_send = WEXITSTATUS(status) & 2;
	out->sync_wakeup = WEXITSTATUS(status) & 4;
}

static int id_valid(int listener, uint64_t id)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The validated /proc/TID/mem fd of a caller; reopens it when asked to
 * (the cached one is stale after an exec). -1 when the caller is gone. */
static int mem_fd(struct notify_server *s, pid_t tid, uint64_t id, bool reopen)
{
	size_t slot = (size_t)tid % ARRAY_SIZE(s->mem);
	char path[64];
	int fd;

	if (s->mem[slot].tid == tid && s->mem[slot].fd >= 0 && !reopen)
		return s->mem[slot].fd;
	if (s->mem[slot].fd >= 0)
		close(s->mem[slot].fd);
	s->mem[slot].tid = 0;
	s->mem[slot].fd = -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* opened, then checked: the fd now surely belongs to the caller */
	if (!id_valid(s->fd, id)) {
		close(fd);
		return -1;
	}
	s->mem[slot].tid = tid;
	s->mem[slot].fd = fd;
	return fd;
}

static int reopen_memfd(const struct sc_request *req)
{
	struct notify_server *s = req->notify;
	int fd = mem_fd(s, req->tid, req->notif_id, false);

	/* the cache may already hold a fresh one from an earlier retry */
	if (fd >= 0 && fd != req->memfd)
		return fd;
	return mem_fd(s, req->tid, req->notif_id, true);
}

static void respond(struct notify_server *s, struct seccomp_notif_resp *resp)
{
	/* ENOENT: the caller was killed meanwhile; nothing to answer */
	if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
		log_debug("NOTIF_SEND: %s", strerror(errno));
}

/* ---- FIFO opens that wait for the other end ---- */

struct fifo_waiter {
	int notify_fd;
	uint64_t id;
	struct verdict v;
};

#define FIFO_POLL_MS 20

static void clear_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* The FIFO's other end: polled every FIFO_POLL_MS at most, so that a
 * caller that died meanwhile (its notification no longer valid; it waits
 * killable, so nothing else ends the wait) is noticed and the fd closed. */
static int fifo_wait_end(struct fifo_waiter *w)
{
	char path[64];
	useconds_t pause_us = 500;

	for (;;) {
		if (ioctl(w->notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &w->id) < 0)
			return -ESRCH;
		if (w->v.fifo_wait == FIFO_WAIT_WRITER) {
			/* no event until a writer came: data, or its hang-up */
			struct pollfd p = { .fd = w->v.fd, .events = POLLIN };
			int r = poll(&p, 1, FIFO_POLL_MS);

			if (r > 0) {
				clear_nonblock(w->v.fd);
				return 0;
			}
			if (r < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		/* the write end opens once a reader is there (ENXIO before) */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", w->v.fd);
		int fd = open(path, w->v.open_flags | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0) {
			clear_nonblock(fd);
			close(w->v.fd);
			w->v.fd = fd;
			return 0;
		}
		if (errno != ENXIO)
			return -errno;
		usleep(pause_us);
		if (pause_us < FIFO_POLL_MS * 1000)
			pause_us *= 2;
	}
}

static void *fifo_waiter_main(void *arg)
{
	struct fifo_waiter *w = arg;
	int r = fifo_wait_end(w);

	struct seccomp_notif_resp resp = { .id = w->id };

	if (r == 0) {
		/* installed, and the monitor's end closed, before the answer:
		 * an end this thread still held when the guest went on would
		 * count as a peer for the FIFO's next opener (a reader would
		 * then see the hang-up of a writer that never was) */
		struct seccomp_notif_addfd add = {
			.id = w->id,
			.srcfd = (uint32_t)w->v.fd,
			.newfd_flags = w->v.fd_flags,
		};
		int gfd = ioctl(w->notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);

		if (gfd < 0)
			r = errno == ENOENT ? -ESRCH : -errno;
		resp.val = gfd;
	}
	close(w->v.fd);
	if (r != -ESRCH) {
		resp.error = r < 0 ? r : 0;
		if (r < 0)
			resp.val = 0;
		if (ioctl(w->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
			log_debug("NOTIF_SEND (FIFO): %s", strerror(errno));
	}
	free(w);
	return NULL;
}

/* Answers n later, from a thread of its own; false if none could start. */
static bool fifo_wait_start(struct notify_server *s, const struct seccomp_notif *n,
			    const struct verdict *v)
{
	struct fifo_waiter *w = malloc(sizeof(*w));
	pthread_attr_t attr;
	pthread_t th;
	int r;

	if (!w)
		return false;
	*w = (struct fifo_waiter){ .notify_fd = s->fd, .id = n->id, .v = *v };
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* it inherits the serving thread's mask: every signal blocked */
	r = pthread_create(&th, &attr, fifo_waiter_main, w);
	pthread_attr_destroy(&attr);
	if (r != 0)
		free(w);
	return r == 0;
}

static void answer(struct notify_server *s, const struct seccomp_notif *n)
{
	struct sc_request req = {
		.tid = (pid_t)n->pid,
		.abi = n->data.arch == AUDIT_ARCH_I386 ? ABI_I386 : ABI_X86_64,
		.nr = n->data.nr,
		.ip = n->data.instruction_pointer,
		.path = SC_PATH_NOTIFY,
		.memfd_reopen = reopen_memfd,
		.notify = s,
		.notif_id = n->id,
	};
	struct seccomp_notif_resp resp = { .id = n->id };
	struct verdict v;

	for (int i = 0; i < SC_ARGS_MAX; i++)
		req.args[i] = req.abi == ABI_I386 ? (uint32_t)n->data.args[i] : n->data.args[i];
	req.info = sc_lookup(req.abi, req.nr);
	req.memfd = mem_fd(s, req.tid, n->id, false);
	if (req.memfd < 0) {
		resp.error = -ESRCH; /* the caller is gone */
		respond(s, &resp);
		return;
	}
	v = emul_dispatch(s->table, s->ctx, &req);
	switch (v.kind) {
	case VERDICT_RETURN:
	case VERDICT_DENY:
		resp.val = v.kind == VERDICT_RETURN ? v.value : 0;
		resp.error = v.kind == VERDICT_DENY ? -v.error : 0;
		break;
	case VERDICT_PASS:
		/* lets the kernel run the call as it is: only for calls where
		 * that is not a security decision (see seccomp_unotify(2)) */
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		break;
	case VERDICT_FD: {
		if (v.fifo_wait != FIFO_WAIT_NONE) {
			if (fifo_wait_start(s, n, &v)) {
				s->answered++;
				return;
			}
			verdict_fd_done(&v, req.tid, -1);
			resp.error = -EAGAIN;
			break;
		}
		struct seccomp_notif_addfd add = {
			.id = n->id,
			.srcfd = (uint32_t)v.fd,
			.newfd_flags = v.fd_flags,
		};
		int r;

		/* FLAG_SEND installs and answers in one step, but its wake-up
		 * of the caller is an ordinary one. While the guest and this
		 * thread are pinned to one CPU (placement.h) that costs nothing
		 * and the step saved is a round trip (open+close of /dev/null in
		 * the emulated filesystem: 11.7 against 14.0 us). Unpinned, the
		 * ordinary wake-up leaves caller and monitor on two CPUs, each
		 * round trip then waking an idle one (54 against 37 us on a
		 * 2-CPU VM): there, with the synchronous wake-up, the fd is
		 * installed first and the answer, which wakes the caller on this
		 * CPU, sent apart. The number reaches only the guest, which
		 * would have it anyway. `umld bench --ops=open+close
		 * --modes=fs-emulated` measures it. */
		if (!s->sync_wakeup ||
		    (s->place && atomic_load_explicit(&s->place->notify_pinned, memory_order_relaxed)))
			add.flags = SECCOMP_ADDFD_FLAG_SEND;
		r = ioctl(s->fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
		if (r < 0)
			resp.error = errno == ENOENT ? -ESRCH : -errno;
		verdict_fd_done(&v, req.tid, r);
		if (r >= 0 && add.flags) {
			s->answered++;
			return;
		}
		resp.val = r >= 0 ? r : 0;
		break;
	}
	case VERDICT_KILL:
		kill(req.tid, SIGKILL);
		resp.error = -ENOSYS;
		break;
	case VERDICT_REWRITE:
	default:
		glog_warn(req.tid, "verdict %d cannot be applied to a notification", v.kind);
		resp.error = -ENOSYS;
		break;
	}
	s->answered++;
	respond(s, &resp);
}

static void *serve(void *arg)
{
	struct notify_server *s = arg;
	struct seccomp_notif n;
	sigset_t all;

	/* the tracer thread takes the monitor's signals */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (s->place)
		placement_notifier(s->place, (pid_t)syscall(SYS_gettid), true);
	for (;;) {
		memset(&n, 0, sizeof(n));
		if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
			struct pollfd p = { .fd = s->fd, .events = POLLIN };

			if (errno == EINTR)
				continue;
			/* ENOENT: the caller died before we read it, or no
			 * task uses the filter any more (POLLHUP): then stop */
			if (errno == ENOENT && poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP))
				continue;
			break;
		}
		if (s->place)
			placement_on_notify(s->place);
		answer(s, &n);
	}
	if (s->place)
		placement_notifier(s->place, (pid_t)syscall(SYS_gettid), false);
	for (size_t i = 0; i < ARRAY_SIZE(s->mem); i++)
		if (s->mem[i].fd >= 0)
			close(s->mem[i].fd);
	close(s->fd);
	if (s->heap)
		free(s);
	return NULL;
}

int notify_start(struct notify_server *s, int listener_fd, const struct emul_table *t,
		 struct emul_ctx *ctx, struct placement *place, struct umld_err *err)
{
	int r;

	bool heap = s->heap;

	memset(s, 0, sizeof(*s));
	s->heap = heap;
	s->fd = listener_fd;
	s->table = t;
	s->ctx = ctx;
	s->place = place;
	for (size_t i = 0; i < ARRAY_SIZE(s->mem); i++)
		s->mem[i].fd = -1;
	s->sync_wakeup =
		ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
	r = pthread_create(&s->thread, NULL, serve, s);
	if (r != 0)
		return umld_err_set(err, -r, "cannot start the notification thread: %s", strerror(r));
	pthread_detach(s->thread);
	s->running = true;
	return 0;
}
