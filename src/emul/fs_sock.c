/* AF_UNIX pathname addresses in the emulated filesystem: bind, connect, and
 * sendto, sendmsg and sendmmsg with an address. The path is resolved inside
 * the guest's root like any other, and the monitor makes the call itself on
 * a copy of the guest's socket (pidfd_getfd), with an address that reaches
 * the resolved entry through one of its own directory fds
 * (/proc/self/fd/N/NAME): nothing is written back into guest memory for the
 * kernel to read later, so a second guest thread has nothing to rewrite.
 *
 * A datagram sent so leaves from the guest's socket, but the kernel takes
 * the sender's credentials from the monitor: as root the monitor attaches
 * the guest's own (SCM_CREDENTIALS with its pid, uid and gid), as a user the
 * receiver sees the monitor's pid (the uid and gid are the same). A send
 * that would block waits for room up to SEND_WAIT_MS, in the serving thread;
 * then the guest gets EAGAIN.
 *
 * An address that is not a pathname (abstract, unnamed, another family) is
 * none of the filesystem's: the call goes to the kernel as it is (with the
 * emulated pids, a sendmsg's SCM_CREDENTIALS pid is made a host one first). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "sysemu/mem.h"

#define SEND_MAX (4u << 20)  /* bytes one emulated send carries at most */
#define CTL_MAX 4096u         /* control bytes of one message */
#define SEND_WAIT_MS 2000
#define MSGHDR_SIZE 56        /* struct msghdr, x86_64 */
#define MMSGHDR_SIZE 64       /* struct mmsghdr, x86_64 */

/* A guest address: 1 with path set when it is an AF_UNIX pathname one; 0
 * when it is none of ours (the kernel judges it); -errno. */
static int read_sun_path(const struct sc_request *req, uint64_t addr, uint64_t len, char *path)
{
	struct sockaddr_un sun;
	size_t n;

	if (!addr || len <= offsetof(struct sockaddr_un, sun_path) || len > sizeof(sun))
		return 0;
	memset(&sun, 0, sizeof(sun));
	if (req_read(req, addr, &sun, (size_t)len) < 0)
		return 0; /* the kernel reports EFAULT */
	if (sun.sun_family != AF_UNIX || sun.sun_path[0] == '\0')
		return 0;
	n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
	memcpy(path, sun.sun_path, n);
	path[n] = '\0';
	return 1;
}

/* Resolves path for a bind (a new entry) or a connection (an existing
 * socket); *sun is then the monitor's way to it, valid while *loc is held. */
static int target(struct fs_emul *fs, pid_t tid, const char *path, bool is_bind,
		  struct sockaddr_un *sun, struct fs_loc *loc)
{
	char via[FS_AT_PATH_MAX];
	int r, cdir = -1;

	r = fs_resolve(fs, tid, AT_FDCWD, path, is_bind ? 0 : FS_FOLLOW, loc);
	if (r < 0)
		return r;
	if (is_bind) {
		if (fs_loc_exists(loc) || !loc->name[0])
			r = -EADDRINUSE;
		else
			r = fs_loc_change_dir(fs, loc, &cdir);
		if (r == 0)
			r = fs_loc_clear_whiteout(loc, cdir);
	} else if (!fs_loc_exists(loc)) {
		r = -ENOENT;
	} else if (!S_ISSOCK(loc->e.st.st_mode)) {
		r = -ECONNREFUSED;
	}
	if (r == 0) {
		fs_at_path(via, sizeof(via), is_bind ? cdir : fs_loc_dirfd(loc), loc->name);
		memset(sun, 0, sizeof(*sun));
		sun->sun_family = AF_UNIX;
		if (strlen(via) >= sizeof(sun->sun_path))
			r = -ENAMETOOLONG;
		else
			memcpy(sun->sun_path, via, strlen(via) + 1);
	}
	if (r < 0)
		fs_loc_free(loc);
	return r;
}

static struct verdict sock_addr_call(struct emul_ctx *ctx, const struct sc_request *req,
				     bool is_bind)
{
	struct fs_emul *fs = fs_of(ctx);
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct sockaddr_un sun;
	struct fs_loc loc;
	int r, sfd;

	r = read_sun_path(req, req->args[1], (socklen_t)req->args[2], path);
	if (r <= 0)
		return r < 0 ? verdict_deny(-r) : verdict_pass();
	r = target(fs, req->tid, path, is_bind, &sun, &loc);
	if (r < 0)
		return verdict_deny(-r);
	sfd = fs_guest_fd_copy(req->tid, req_arg_fd(req, 0));
	if (sfd < 0) {
		fs_loc_free(&loc);
		return verdict_deny(EBADF);
	}
	if (is_bind)
		r = bind(sfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	else
		r = connect(sfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ? -errno : 0;
	close(sfd);
	fs_loc_free(&loc);
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict h_bind(struct emul_ctx *ctx, const struct sc_request *req)
{
	return sock_addr_call(ctx, req, true);
}

static struct verdict h_connect(struct emul_ctx *ctx, const struct sc_request *req)
{
	return sock_addr_call(ctx, req, false);
}

/* ---- sends with an address ---- */

/* One message, gathered in the monitor. */
struct out_msg {
	char *data;
	size_t len;
	union {
		struct cmsghdr align;
		char buf[CTL_MAX + CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	size_t ctllen;
	int taken[CTL_MAX / sizeof(int)]; /* fds copied from the guest */
	size_t ntaken;
	bool has_creds;
};

static void out_msg_free(struct out_msg *m)
{
	for (size_t i = 0; i < m->ntaken; i++)
		close(m->taken[i]);
	free(m->data);
	m->data = NULL;
	m->ntaken = 0;
}

/* The guest's control messages, made the monitor's: SCM_RIGHTS fds become
 * copies of the guest's, SCM_CREDENTIALS pids host ones; others as they are
 * (the kernel judges them). */
static int take_control(struct fs_emul *fs, const struct sc_request *req, uint64_t addr,
			uint64_t len, struct out_msg *m)
{
	if (!addr || !len)
		return 0;
	if (len > CTL_MAX)
		return -ENOBUFS;
	if (req_read(req, addr, m->ctl.buf, (size_t)len) < 0)
		return -EFAULT;
	m->ctllen = (size_t)len;
	for (size_t off = 0; off + sizeof(struct cmsghdr) <= m->ctllen;) {
		struct cmsghdr h;
		memcpy(&h, m->ctl.buf + off, sizeof(h));
		if (h.cmsg_len < sizeof(h) || h.cmsg_len > m->ctllen - off)
			return -EINVAL;
		size_t dlen = h.cmsg_len - CMSG_LEN(0);
		char *data = m->ctl.buf + off + CMSG_LEN(0);
		if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_RIGHTS) {
			for (size_t i = 0; i + sizeof(int) <= dlen; i += sizeof(int)) {
				int gfd, mfd;
				memcpy(&gfd, data + i, sizeof(int));
				mfd = fs_guest_fd_copy(req->tid, gfd);
				if (mfd < 0)
					return -EBADF;
				m->taken[m->ntaken++] = mfd;
				memcpy(data + i, &mfd, sizeof(int));
			}
		} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDENTIALS &&
			   dlen >= sizeof(struct ucred)) {
			struct ucred uc;
			memcpy(&uc, data, sizeof(uc));
			if (fs->pids && uc.pid > 0)
				uc.pid = pids_to_host(fs->pids, uc.pid, false);
			memcpy(data, &uc, sizeof(uc));
			m->has_creds = true;
		}
		off += CMSG_ALIGN(h.cmsg_len);
	}
	return 0;
}

/* As root, the guest's credentials go with its datagram, not the monitor's:
 * its thread group, real uid and real gid, from one read of its status. */
static void add_guest_creds(pid_t tid, struct out_msg *m)
{
	char text[FS_STATUS_MAX], pid[32], uid[64], gid[64];
	struct ucred uc;

	if (m->has_creds || geteuid() != 0 || fs_proc_read(tid, "status", text, sizeof(text)) <= 0 ||
	    !fs_status_value(text, "Tgid:", pid, sizeof(pid)) ||
	    !fs_status_value(text, "Uid:", uid, sizeof(uid)) ||
	    !fs_status_value(text, "Gid:", gid, sizeof(gid)))
		return;
	uc.pid = (pid_t)strtol(pid, NULL, 10);
	uc.uid = (uid_t)strtoul(uid, NULL, 10);
	uc.gid = (gid_t)strtoul(gid, NULL, 10);
	size_t at = CMSG_ALIGN(m->ctllen);
	if (at + CMSG_SPACE(sizeof(uc)) > sizeof(m->ctl.buf))
		return;
	struct cmsghdr h = { .cmsg_len = CMSG_LEN(sizeof(uc)), .cmsg_level = SOL_SOCKET,
			     .cmsg_type = SCM_CREDENTIALS };
	memset(m->ctl.buf + m->ctllen, 0, at + CMSG_SPACE(sizeof(uc)) - m->ctllen);
	memcpy(m->ctl.buf + at, &h, sizeof(h));
	memcpy(m->ctl.buf + at + CMSG_LEN(0), &uc, sizeof(uc));
	m->ctllen = at + CMSG_SPACE(sizeof(uc));
}

/* Sends m on sfd to sun as the guest's call would: 0 or more bytes, or
 * -errno. Blocking is emulated (bounded); SIGPIPE is raised in the guest. */
static ssize_t send_as_guest(const struct sc_request *req, int sfd, const struct sockaddr_un *sun,
			     struct out_msg *m, int flags)
{
	struct iovec iov = { .iov_base = m->data, .iov_len = m->len };
	struct msghdr mh = { .msg_name = (void *)sun, .msg_namelen = sizeof(*sun),
			     .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = m->ctllen ? m->ctl.buf : NULL,
			     .msg_controllen = m->ctllen };
	bool blocking = !(flags & MSG_DONTWAIT) && !(fcntl(sfd, F_GETFL) & O_NONBLOCK);
	int waited = 0;
	ssize_t n;

	for (;;) {
		n = sendmsg(sfd, &mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EPIPE && !(flags & MSG_NOSIGNAL))
			syscall(SYS_tkill, req->tid, SIGPIPE); /* the kernel's is the thread's */
		if (errno != EAGAIN || !blocking || waited >= SEND_WAIT_MS)
			return -errno;
		struct pollfd p = { .fd = sfd, .events = POLLOUT };
		poll(&p, 1, 100);
		waited += 100;
	}
}

/* The data of a guest message: its iovecs (x86_64 layout) gathered. */
static int gather(const struct sc_request *req, uint64_t iov, uint64_t iovlen, struct out_msg *m)
{
	if (iovlen > 1024)
		return -EMSGSIZE; /* UIO_MAXIOV */
	for (uint64_t i = 0; i < iovlen; i++) {
		uint64_t v[2]; /* base, len */
		if (req_read(req, iov + 16 * i, v, sizeof(v)) < 0)
			return -EFAULT;
		if (v[1] > SEND_MAX - m->len)
			return -EMSGSIZE;
		if (!v[1])
			continue;
		char *grown = realloc(m->data, m->len + v[1]);
		if (!grown)
			return -ENOMEM;
		m->data = grown;
		if (req_read(req, v[0], m->data + m->len, (size_t)v[1]) < 0)
			return -EFAULT;
		m->len += (size_t)v[1];
	}
	return 0;
}

/* Sends m (filled from the guest) to the socket at path, for the guest's
 * socket gfd; frees m. The bytes sent, or -errno. */
static ssize_t send_to_path(struct fs_emul *fs, const struct sc_request *req, int gfd,
			    const char *path, struct out_msg *m, int flags)
{
	struct sockaddr_un sun;
	struct fs_loc loc;
	ssize_t r = target(fs, req->tid, path, false, &sun, &loc);
	int sfd;

	if (r == 0) {
		sfd = fs_guest_fd_copy(req->tid, gfd);
		if (sfd < 0) {
			r = -EBADF;
		} else {
			add_guest_creds(req->tid, m);
			r = send_as_guest(req, sfd, &sun, m, flags);
			close(sfd);
		}
		fs_loc_free(&loc);
	}
	out_msg_free(m);
	free(m);
	return r;
}

/* One message of a sendmsg or sendmmsg at msg (x86_64 struct msghdr).
 * *ours: false when its address is none of the filesystem's (nothing was
 * sent). The bytes sent, or -errno. */
static ssize_t send_one(struct fs_emul *fs, const struct sc_request *req, int gfd, uint64_t msg,
			int flags, bool *ours)
{
	uint64_t h[6]; /* name, namelen, iov, iovlen, control, controllen */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct out_msg *m;
	ssize_t r;

	*ours = false;
	if (!msg || req_read(req, msg, h, sizeof(h)) < 0)
		return 0; /* the kernel answers EFAULT */
	r = read_sun_path(req, h[0], (uint32_t)h[1], path);
	if (r <= 0)
		return r;
	*ours = true;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = gather(req, h[2], h[3], m);
	if (r == 0)
		r = take_control(fs, req, h[4], h[5], m);
	if (r < 0) {
		out_msg_free(m);
		free(m);
		return r;
	}
	return send_to_path(fs, req, gfd, path, m, flags);
}

static struct verdict h_sendto(struct emul_ctx *ctx, const struct sc_request *req)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	struct out_msg *m;
	ssize_t r;

	r = read_sun_path(req, req->args[4], (socklen_t)req->args[5], path);
	if (r <= 0)
		return r < 0 ? verdict_deny((int)-r) : verdict_pass();
	if (req->args[2] > SEND_MAX)
		return verdict_deny(EMSGSIZE);
	m = calloc(1, sizeof(*m));
	if (!m)
		return verdict_deny(ENOMEM);
	m->len = (size_t)req->args[2];
	m->data = m->len ? malloc(m->len) : NULL;
	if (m->len && (!m->data || req_read(req, req->args[1], m->data, m->len) < 0)) {
		r = m->data ? -EFAULT : -ENOMEM;
		out_msg_free(m);
		free(m);
		return verdict_deny((int)-r);
	}
	r = send_to_path(fs_of(ctx), req, req_arg_fd(req, 0), path, m, (int)req->args[3]);
	return r < 0 ? verdict_deny((int)-r) : verdict_return(r);
}

static struct verdict h_sendmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	bool ours;
	ssize_t r = send_one(fs, req, req_arg_fd(req, 0), req->args[1], (int)req->args[2], &ours);

	if (!ours) {
		struct verdict v = verdict_pass();
		/* with the emulated pids (then a ptrace stop): put back at
		 * the exit, see pids_send_ucreds */
		v.no_exit = !fs->pids || !pids_send_ucreds(fs->pids, req, req->args[1]);
		return v;
	}
	return r < 0 ? verdict_deny((int)-r) : verdict_return(r);
}

static int64_t exit_sendmsg(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	struct fs_emul *fs = fs_of(ctx);

	if (fs->pids)
		pids_restore_ucreds(fs->pids, req, req->args[1]);
	return ret;
}

/* sendmmsg: handled here only when a message has a pathname address; then
 * every message is sent from here, one by one, as the kernel would (msg_len
 * of each written back; the first failure ends it). */
static struct verdict h_sendmmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	unsigned vlen = (unsigned)req->args[2], sent = 0;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	bool any = false, ours;
	ssize_t r = 0;

	if (vlen > 1024)
		vlen = 1024;
	for (unsigned i = 0; i < vlen && !any; i++) {
		uint64_t h[2];
		if (req_read(req, req->args[1] + (uint64_t)MMSGHDR_SIZE * i, h, sizeof(h)) == 0 &&
		    read_sun_path(req, h[0], (uint32_t)h[1], path) != 0)
			any = true;
	}
	if (!any)
		return verdict_pass();
	for (; sent < vlen; sent++) {
		uint64_t at = req->args[1] + (uint64_t)MMSGHDR_SIZE * sent;
		r = send_one(fs, req, req_arg_fd(req, 0), at, (int)req->args[3], &ours);
		if (!ours) {
			/* a message without a pathname address in a batch with
			 * one: not sent from here (a known gap, rare: sendmmsg
			 * is for datagrams to one kind of peer) */
			r = -EOPNOTSUPP;
		}
		if (r < 0)
			break;
		uint32_t len = (uint32_t)r;
		if (req_write(req, at + MSGHDR_SIZE, &len, sizeof(len)) < 0) {
			r = -EFAULT;
			break;
		}
	}
	if (sent > 0)
		return verdict_return(sent);
	return verdict_deny((int)-r);
}

#define H64(n, f) { .name = #n, .abis = EMUL_ABI_64, .enter = f }
static const struct emul_handler fs_sock_handlers[] = {
	H64(bind, h_bind),
	H64(connect, h_connect),
	H64(sendto, h_sendto),
	H64(sendmsg, h_sendmsg),
	H64(sendmmsg, h_sendmmsg),
};

const struct emul_feature emul_feature_fs_sock = {
	.name = "fs-sock",
	.handlers = fs_sock_handlers,
	.count = sizeof(fs_sock_handlers) / sizeof(fs_sock_handlers[0]),
};

/* With the emulated pids, sendmsg stops under ptrace: a ucred's pid is put
 * back at its exit. */
static const struct emul_handler fs_sock_pids_handlers[] = {
	H64(bind, h_bind),
	H64(connect, h_connect),
	H64(sendto, h_sendto),
	{ .name = "sendmsg", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = h_sendmsg,
	  .exit = exit_sendmsg },
	H64(sendmmsg, h_sendmmsg),
};

const struct emul_feature emul_feature_fs_sock_pids = {
	.name = "fs-sock",
	.handlers = fs_sock_pids_handlers,
	.count = sizeof(fs_sock_pids_handlers) / sizeof(fs_sock_pids_handlers[0]),
};
