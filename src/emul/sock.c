/* Socket calls that give the kernel an address from guest memory: bind,
 * connect, sendto, sendmsg and sendmmsg.
 *
 * Two parts of umld judge such addresses: the emulated filesystem (an
 * AF_UNIX pathname is a path in the guest's root) and the sandbox where its
 * check is the only wall (an abstract address of the host is out of reach,
 * and neither a network namespace nor Landlock's scope keeps it so). A check
 * of guest memory is worth nothing if the kernel then reads that memory
 * again: a second guest thread can rewrite it in between. So wherever an
 * address is judged, the monitor reads it once and makes the call itself,
 * with that copy, on a copy of the guest's socket (pidfd_getfd: the same
 * open socket):
 *
 * - an AF_UNIX pathname is resolved in the guest's root by the emulated
 *   filesystem and reached through one of the monitor's directory fds
 *   (/proc/self/fd/N/NAME); without it, from the guest's own root or cwd
 *   (/proc/TID/root, /proc/TID/cwd);
 * - an abstract address is refused where the sandbox keeps the host's out
 *   of reach without a network namespace (audited): the guest's Landlock
 *   scope, if any, does not bind the monitor; with a network namespace the
 *   socket's own namespace is where the kernel looks the name up, for the
 *   monitor's call as for the guest's;
 * - every other address goes as it was read.
 *
 * Which calls are made here:
 * - under the sandbox's wall, every bind, connect and sendto with an
 *   address, and every sendmsg and sendmmsg (their msghdr is in guest
 *   memory: a message without an address can have one by the time the
 *   kernel reads it), whatever the socket: the guest could put another
 *   socket at that fd number after the monitor looked at it;
 * - with the emulated filesystem alone, bind, connect and sendto with an
 *   address on AF_UNIX sockets, sendmsg and sendmmsg on AF_UNIX datagram
 *   sockets (a stream socket's messages carry no address); the rest go to
 *   the kernel, and so do messages with SCM_CREDENTIALS when the monitor
 *   is not root (the kernel takes another process's pid only from a sender
 *   with CAP_SYS_ADMIN; under the wall they go with the monitor's pid). The
 *   filesystem alone is not the wall (the sandbox is).
 *
 * What differs from the kernel's own call, all documented: the peer's
 * credentials of a connection (SO_PEERCRED) and of a datagram are the
 * monitor's, except that as root the monitor attaches the guest's pid, uid
 * and gid to what it sends on AF_UNIX sockets; a send that would block waits
 * for room up to SEND_WAIT_MS in the serving thread, then the guest gets
 * EAGAIN; a stream send carries at most SEND_MAX bytes (a short count, as a
 * signal would give). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "emul/sandbox.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#define SEND_MAX (4u << 20)  /* bytes one emulated send carries at most */
#define CTL_MAX 4096u         /* control bytes of one message */
#define SEND_WAIT_MS 2000
#define MSGHDR_SIZE 56        /* struct msghdr, x86_64 */
#define MMSGHDR_SIZE 64       /* struct mmsghdr, x86_64 */
#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* One call made here: the guest's socket, and the address as the monitor
 * uses it. */
struct sock_call {
	struct vkernel *vk;
	const struct sc_request *req;
	bool wall;   /* the sandbox's check is the only wall: every call here */
	bool keep_abstract; /* the sandbox keeps host abstract sockets out */
	int sfd;     /* a copy of the guest's socket */
	int family;  /* of sfd */
	int type;    /* of sfd */
	struct sockaddr_storage addr; /* as read, then as used */
	socklen_t addrlen;            /* 0: no address */
	struct fs_loc loc;            /* holds a resolved pathname's directory */
	bool has_loc;
	int hold;                     /* ... or this fd does (no filesystem) */
};

static void call_init(struct sock_call *c, struct emul_ctx *ctx, const struct sc_request *req)
{
	memset(c, 0, sizeof(*c));
	c->vk = ctx->state;
	c->req = req;
	c->wall = c->vk->sandbox && sandbox_sock_wall(c->vk->sandbox);
	c->keep_abstract = c->vk->sandbox && sandbox_sock_keeps_abstract(c->vk->sandbox);
	c->sfd = -1;
	c->hold = -1;
}

static void call_addr_free(struct sock_call *c)
{
	if (c->has_loc)
		fs_loc_free(&c->loc);
	c->has_loc = false;
	if (c->hold >= 0)
		close(c->hold);
	c->hold = -1;
	c->addrlen = 0;
}

static void call_free(struct sock_call *c)
{
	call_addr_free(c);
	if (c->sfd >= 0)
		close(c->sfd);
	c->sfd = -1;
}

/* The copy of guest fd gfd, with its family and type: 0 or -errno (EBADF,
 * or ENOTSOCK as the kernel answers for an fd that is no socket). */
static int take_socket(struct sock_call *c, int gfd)
{
	socklen_t l = sizeof(int);

	c->sfd = fs_guest_fd_copy(c->req->tid, gfd);
	if (c->sfd < 0)
		return -EBADF;
	if (getsockopt(c->sfd, SOL_SOCKET, SO_DOMAIN, &c->family, &l) < 0)
		return errno == ENOTSOCK ? -ENOTSOCK : -EBADF;
	l = sizeof(int);
	if (getsockopt(c->sfd, SOL_SOCKET, SO_TYPE, &c->type, &l) < 0)
		return -EBADF;
	return 0;
}

/* The address at p of len bytes, read once, as the kernel reads one
 * (move_addr_to_kernel): 0 with no address, 1 read, -errno. */
static int read_addr(struct sock_call *c, uint64_t p, uint64_t len)
{
	c->addrlen = 0;
	if (len > sizeof(c->addr))
		return -EINVAL;
	if (!len)
		return 0;
	if (!p || req_read(c->req, p, &c->addr, (size_t)len) < 0)
		return -EFAULT;
	c->addrlen = (socklen_t)len;
	return 1;
}

/* A pathname without the emulated filesystem: from the guest's root (an
 * absolute one, RESOLVE_IN_ROOT) or cwd, its directory held open. */
static int guest_via(struct sock_call *c, const char *path, struct sockaddr_un *sun)
{
	char top[64], dir[SUN_PATH_MAX + 2];
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = path[0] == '/' ? RESOLVE_IN_ROOT : 0 };
	int t, n;

	snprintf(top, sizeof(top), "/proc/%d/%s", (int)c->req->tid, path[0] == '/' ? "root" : "cwd");
	t = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t < 0)
		return -ESRCH;
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	c->hold = (int)syscall(SYS_openat2, t, dir, &how, sizeof(how));
	n = c->hold < 0 ? -errno : 0;
	close(t);
	if (n < 0)
		return n;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/%s", c->hold, base);
	return n < 0 || (size_t)n >= sizeof(sun->sun_path) ? -ENAMETOOLONG : 0;
}

/* An AF_UNIX pathname in the emulated filesystem, for a bind (a new entry)
 * or a connection (an existing socket). */
static int fs_via(struct sock_call *c, const char *path, bool is_bind, struct sockaddr_un *sun)
{
	struct fs_emul *fs = c->vk->fs;
	char via[FS_AT_PATH_MAX];
	int r, cdir = -1;

	r = fs_resolve(fs, c->req->tid, AT_FDCWD, path, is_bind ? 0 : FS_FOLLOW, &c->loc);
	if (r < 0)
		return r;
	c->has_loc = true;
	if (is_bind) {
		if (fs_loc_exists(&c->loc) || !c->loc.name[0])
			return -EADDRINUSE;
		r = fs_loc_change_dir(fs, &c->loc, &cdir);
		if (r == 0)
			r = fs_loc_clear_whiteout(&c->loc, cdir);
		if (r < 0)
			return r;
	} else if (!fs_loc_exists(&c->loc)) {
		return -ENOENT;
	} else if (!S_ISSOCK(c->loc.e.st.st_mode)) {
		return -ECONNREFUSED;
	}
	fs_at_path(via, sizeof(via), is_bind ? cdir : fs_loc_dirfd(&c->loc), c->loc.name);
	if (strlen(via) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, via, strlen(via) + 1);
	return 0;
}

/* Judges the address read into c and makes it the one the monitor uses:
 * 0, or -errno (the sandbox has audited its denial). */
static int judge(struct sock_call *c, bool is_bind)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&c->addr;
	char path[SUN_PATH_MAX + 1];
	struct sockaddr_un sun;
	size_t n;
	int r;

	if (c->addrlen <= offsetof(struct sockaddr_un, sun_path) || un->sun_family != AF_UNIX ||
	    c->addrlen > sizeof(struct sockaddr_un))
		return 0; /* unnamed, another family or too long: the kernel judges it as read */
	n = c->addrlen - offsetof(struct sockaddr_un, sun_path);
	if (un->sun_path[0] == '\0')
		return c->keep_abstract ? -sandbox_sock_denied(c->vk->sandbox, c->req, un,
								c->addrlen, ECONNREFUSED) : 0;
	memcpy(path, un->sun_path, n);
	path[n] = '\0';
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	r = c->vk->fs ? fs_via(c, path, is_bind, &sun) : guest_via(c, path, &sun);
	if (r < 0)
		return r;
	memcpy(&c->addr, &sun, sizeof(sun));
	c->addrlen = sizeof(sun);
	return 0;
}

/* The socket of the call taken: 0, or -errno. Under the wall, which only
 * stands where the network is closed, a socket of another family than
 * AF_UNIX (one the guest inherited: it cannot make one) is refused. */
static int take_checked(struct sock_call *c, int gfd)
{
	int r = take_socket(c, gfd);

	if (r == 0 && c->wall && c->family != AF_UNIX)
		r = -sandbox_sock_denied(c->vk->sandbox, c->req, NULL, 0, EACCES);
	return r;
}

/* ---- bind and connect ---- */

static struct verdict addr_call(struct emul_ctx *ctx, const struct sc_request *req, bool is_bind)
{
	struct sock_call c;
	int r;

	call_init(&c, ctx, req);
	/* a length the kernel refuses, or none: it reads nothing */
	if ((int32_t)req->args[2] < 0 || req->args[2] > sizeof(c.addr) || !(uint32_t)req->args[2])
		return verdict_pass();
	r = take_checked(&c, req_arg_fd(req, 0));
	if (r == 0 && !c.wall && c.family != AF_UNIX) {
		call_free(&c);
		return verdict_pass();
	}
	if (r == 0)
		r = read_addr(&c, req->args[1], (uint32_t)req->args[2]);
	if (r >= 0)
		r = judge(&c, is_bind);
	if (r >= 0 && is_bind)
		r = bind(c.sfd, (struct sockaddr *)&c.addr, c.addrlen) < 0 ? -errno : 0;
	else if (r >= 0)
		r = connect(c.sfd, (struct sockaddr *)&c.addr, c.addrlen) < 0 ? -errno : 0;
	call_free(&c);
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict h_bind(struct emul_ctx *ctx, const struct sc_request *req)
{
	return addr_call(ctx, req, true);
}

static struct verdict h_connect(struct emul_ctx *ctx, const struct sc_request *req)
{
	return addr_call(ctx, req, false);
}

/* ---- sends ---- */

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
	free(m);
}

/* The guest's control messages, made the monitor's: SCM_RIGHTS fds become
 * copies of the guest's, SCM_CREDENTIALS pids host ones; others as they are
 * (the kernel judges them). */
static int take_control(struct sock_call *c, uint64_t addr, uint64_t len, struct out_msg *m)
{
	if (!addr || !len)
		return 0;
	if (len > CTL_MAX)
		return -ENOBUFS;
	if (req_read(c->req, addr, m->ctl.buf, (size_t)len) < 0)
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
				mfd = fs_guest_fd_copy(c->req->tid, gfd);
				if (mfd < 0)
					return -EBADF;
				m->taken[m->ntaken++] = mfd;
				memcpy(data + i, &mfd, sizeof(int));
			}
		} else if (h.cmsg_level == SOL_SOCKET && h.cmsg_type == SCM_CREDENTIALS &&
			   dlen >= sizeof(struct ucred)) {
			struct ucred uc;
			memcpy(&uc, data, sizeof(uc));
			if (c->vk->pids && uc.pid > 0)
				uc.pid = pids_to_host(c->vk->pids, uc.pid, false);
			/* only root may send another process's pid (see
			 * send_one): under the wall as a user, the
			 * monitor's, as its other sends carry */
			if (geteuid() != 0)
				uc.pid = getpid();
			memcpy(data, &uc, sizeof(uc));
			m->has_creds = true;
		}
		off += CMSG_ALIGN(h.cmsg_len);
	}
	return 0;
}

/* As root, the guest's credentials go with what it sends on an AF_UNIX
 * socket, not the monitor's: its thread group, real uid and real gid, from
 * one read of its status. */
static void add_guest_creds(struct sock_call *c, struct out_msg *m)
{
	char text[FS_STATUS_MAX], pid[32], uid[64], gid[64];
	struct ucred uc;

	if (m->has_creds || c->family != AF_UNIX || geteuid() != 0 ||
	    fs_proc_read(c->req->tid, "status", text, sizeof(text)) <= 0 ||
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

/* Sends m on c's socket to c's address (if any) as the guest's call would:
 * the bytes sent, or -errno. Blocking is emulated (bounded); SIGPIPE is
 * raised in the guest. */
static ssize_t send_as_guest(struct sock_call *c, struct out_msg *m, int flags)
{
	struct iovec iov = { .iov_base = m->data, .iov_len = m->len };
	struct msghdr mh = { .msg_name = c->addrlen ? &c->addr : NULL, .msg_namelen = c->addrlen,
			     .msg_iov = &iov, .msg_iovlen = 1 };
	bool blocking = !(flags & MSG_DONTWAIT) && !(fcntl(c->sfd, F_GETFL) & O_NONBLOCK);
	int waited = 0;
	ssize_t n;

	add_guest_creds(c, m);
	mh.msg_control = m->ctllen ? m->ctl.buf : NULL;
	mh.msg_controllen = m->ctllen;
	for (;;) {
		n = sendmsg(c->sfd, &mh, flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EPIPE && !(flags & MSG_NOSIGNAL))
			syscall(SYS_tkill, c->req->tid, SIGPIPE); /* the kernel's is the thread's */
		if (errno != EAGAIN || !blocking || waited >= SEND_WAIT_MS)
			return -errno;
		struct pollfd p = { .fd = c->sfd, .events = POLLOUT };
		poll(&p, 1, 100);
		waited += 100;
	}
}

/* Whether the bytes of one send may be cut at SEND_MAX (a short count) */
static bool is_stream(const struct sock_call *c)
{
	return c->type == SOCK_STREAM;
}

/* The data of a guest message: its iovecs (x86_64 layout) gathered. */
static int gather(struct sock_call *c, uint64_t iov, uint64_t iovlen, struct out_msg *m)
{
	if (iovlen > 1024)
		return -EMSGSIZE; /* UIO_MAXIOV */
	for (uint64_t i = 0; i < iovlen && m->len < SEND_MAX; i++) {
		uint64_t v[2]; /* base, len */
		if (req_read(c->req, iov + 16 * i, v, sizeof(v)) < 0)
			return -EFAULT;
		if (v[1] > SEND_MAX - m->len) {
			if (!is_stream(c))
				return -EMSGSIZE;
			v[1] = SEND_MAX - m->len;
		}
		if (!v[1])
			continue;
		char *grown = realloc(m->data, m->len + v[1]);
		if (!grown)
			return -ENOMEM;
		m->data = grown;
		if (req_read(c->req, v[0], m->data + m->len, (size_t)v[1]) < 0)
			return -EFAULT;
		m->len += (size_t)v[1];
	}
	return 0;
}

/* One message of a sendmsg or sendmmsg at msg (x86_64 struct msghdr), on
 * c's socket: the bytes sent, or -errno; or, with *to_kernel set, nothing
 * sent: with the filesystem alone, a message with SCM_CREDENTIALS goes to
 * the kernel when the monitor is not root (the kernel takes another
 * process's pid only from a sender with CAP_SYS_ADMIN; under the wall it
 * goes with the monitor's pid, see take_control). */
static ssize_t send_one(struct sock_call *c, uint64_t msg, int flags, bool *to_kernel)
{
	uint64_t h[6]; /* name, namelen, iov, iovlen, control, controllen */
	struct out_msg *m;
	ssize_t r;

	*to_kernel = false;
	if (!msg || req_read(c->req, msg, h, sizeof(h)) < 0)
		return -EFAULT;
	call_addr_free(c);
	/* as copy_msghdr_from_user: no name, no length; a long one is cut */
	if (h[0] && (uint32_t)h[1]) {
		uint32_t len = (uint32_t)h[1];
		if ((int32_t)len < 0)
			return -EINVAL;
		r = read_addr(c, h[0], len > sizeof(c->addr) ? sizeof(c->addr) : len);
		if (r >= 0)
			r = judge(c, false);
		if (r < 0)
			return r;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = gather(c, h[2], h[3], m);
	if (r == 0)
		r = take_control(c, h[4], h[5], m);
	if (r == 0 && m->has_creds && !c->wall && geteuid() != 0)
		*to_kernel = true;
	else if (r == 0)
		r = send_as_guest(c, m, flags);
	out_msg_free(m);
	return r;
}

/* Whether a send on c's socket is made here (see the top of the file). */
static bool send_here(const struct sock_call *c, bool has_addr)
{
	if (c->wall)
		return true;
	return c->family == AF_UNIX && (has_addr || c->type == SOCK_DGRAM);
}

static struct verdict h_sendto(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct sock_call c;
	struct out_msg *m;
	ssize_t r;

	call_init(&c, ctx, req);
	/* no address: the kernel reads none (the pointer is a register) */
	if (!req->args[4] || !(uint32_t)req->args[5])
		return verdict_pass();
	r = take_checked(&c, req_arg_fd(req, 0));
	if (r == 0 && !send_here(&c, true)) {
		call_free(&c);
		return verdict_pass();
	}
	if ((int32_t)req->args[5] < 0)
		r = r < 0 ? r : -EINVAL;
	if (r == 0)
		r = read_addr(&c, req->args[4], (uint32_t)req->args[5]);
	if (r >= 0)
		r = judge(&c, false);
	if (r >= 0 && req->args[2] > SEND_MAX && !is_stream(&c))
		r = -EMSGSIZE;
	m = r >= 0 ? calloc(1, sizeof(*m)) : NULL;
	if (r >= 0 && !m)
		r = -ENOMEM;
	if (m) {
		m->len = req->args[2] > SEND_MAX ? SEND_MAX : (size_t)req->args[2];
		m->data = m->len ? malloc(m->len) : NULL;
		if (m->len && !m->data)
			r = -ENOMEM;
		else if (m->len && req_read(req, req->args[1], m->data, m->len) < 0)
			r = -EFAULT;
		else
			r = send_as_guest(&c, m, (int)req->args[3]);
		out_msg_free(m);
	}
	call_free(&c);
	return r < 0 ? verdict_deny((int)-r) : verdict_return(r);
}

/* sendmsg not made here: with the emulated pids a ucred's pid is made a host
 * one, and put back at the exit (see pids_send_ucreds). */
static struct verdict pass_sendmsg(struct sock_call *c)
{
	struct verdict v = verdict_pass();

	v.no_exit = !c->vk->pids || !pids_send_ucreds(c->vk->pids, c->req, c->req->args[1]);
	call_free(c);
	return v;
}

static struct verdict h_sendmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct sock_call c;
	bool to_kernel = false;
	ssize_t r;

	call_init(&c, ctx, req);
	r = take_checked(&c, req_arg_fd(req, 0));
	if (r == 0 && send_here(&c, false))
		r = send_one(&c, req->args[1], (int)req->args[2], &to_kernel);
	else if (r == 0)
		to_kernel = true;
	if (to_kernel)
		return pass_sendmsg(&c);
	call_free(&c);
	return r < 0 ? verdict_deny((int)-r) : verdict_return(r);
}

static int64_t exit_sendmsg(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	struct vkernel *vk = ctx->state;

	if (vk->pids)
		pids_restore_ucreds(vk->pids, req, req->args[1]);
	return ret;
}

/* sendmmsg: every message sent from here, one by one, as the kernel would
 * (msg_len of each written back; the first failure ends it). */
static struct verdict h_sendmmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	unsigned vlen = (unsigned)req->args[2], sent = 0;
	struct sock_call c;
	bool to_kernel = false;
	ssize_t r;

	call_init(&c, ctx, req);
	r = take_checked(&c, req_arg_fd(req, 0));
	if (r == 0 && !send_here(&c, false)) {
		call_free(&c);
		return verdict_pass();
	}
	if (vlen > 1024)
		vlen = 1024; /* UIO_MAXIOV */
	for (; r >= 0 && sent < vlen; sent++) {
		uint64_t at = req->args[1] + (uint64_t)MMSGHDR_SIZE * sent;
		r = send_one(&c, at, (int)req->args[3], &to_kernel);
		if (r < 0 || to_kernel)
			break;
		uint32_t len = (uint32_t)r;
		if (req_write(req, at + MSGHDR_SIZE, &len, sizeof(len)) < 0)
			r = -EFAULT;
	}
	call_free(&c);
	/* a message for the kernel first: all of it goes there; after others:
	 * those are the count (the guest sends the rest again) */
	if (to_kernel && sent == 0)
		return verdict_pass();
	if (sent > 0 || r >= 0)
		return verdict_return(sent);
	return verdict_deny((int)-r);
}

#define H64(n, f) { .name = #n, .abis = EMUL_ABI_64, .enter = f }
static const struct emul_handler sock_handlers[] = {
	H64(bind, h_bind),
	H64(connect, h_connect),
	H64(sendto, h_sendto),
	H64(sendmsg, h_sendmsg),
	H64(sendmmsg, h_sendmmsg),
};

const struct emul_feature emul_feature_sock = {
	.name = "sock",
	.handlers = sock_handlers,
	.count = sizeof(sock_handlers) / sizeof(sock_handlers[0]),
};

/* With the emulated pids, sendmsg stops under ptrace: a ucred's pid is put
 * back at its exit when the kernel makes the call. */
static const struct emul_handler sock_pids_handlers[] = {
	H64(bind, h_bind),
	H64(connect, h_connect),
	H64(sendto, h_sendto),
	{ .name = "sendmsg", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = h_sendmsg,
	  .exit = exit_sendmsg },
	H64(sendmmsg, h_sendmmsg),
};

const struct emul_feature emul_feature_sock_pids = {
	.name = "sock",
	.handlers = sock_pids_handlers,
	.count = sizeof(sock_pids_handlers) / sizeof(sock_pids_handlers[0]),
};

/* For the sandbox's wall: these handlers, in place of whatever claimed the
 * calls before (the filesystem's are these; the pid backend's sendmsg is
 * the pass half of them). */
void sock_claim(struct emul_table *t, bool pids)
{
	const struct emul_feature *f = pids ? &emul_feature_sock_pids : &emul_feature_sock;

	for (size_t i = 0; i < f->count; i++) {
		const struct sc_info *info = sc_by_name(f->handlers[i].name);
		int nr = info ? info->nr[ABI_X86_64] : -1;

		if (nr < 0 || nr >= SC_NR_LIMIT)
			continue;
		if (!t->by_nr[ABI_X86_64][nr])
			t->claimed++;
		t->by_nr[ABI_X86_64][nr] = &f->handlers[i];
		t->weak[ABI_X86_64][nr] = false;
	}
}
