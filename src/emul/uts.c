/* The emulated UTS subsystem: the guest's host and domain names live in the
 * virtual kernel. uname in every ABI form, sethostname/setdomainname (with
 * the kernel's checks in the kernel's order: capability, length, copy), and
 * reads of /proc/sys/kernel/{hostname,domainname}. The host's names are never
 * changed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#define CAP_SYS_ADMIN_BIT 21
#define OLD_UTS_LEN 8

static void guest_utsname(struct vkernel *vk, struct utsname *u)
{
	uname(u);
	pthread_mutex_lock(&vk->lock);
	memcpy(u->nodename, vk->uts.nodename, sizeof(vk->uts.nodename));
	memcpy(u->domainname, vk->uts.domainname, sizeof(vk->uts.domainname));
	pthread_mutex_unlock(&vk->lock);
}

static struct verdict answer_write(const struct sc_request *req, const void *buf, size_t len)
{
	int r = req_write(req, req->args[0], buf, len);

	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict uts_uname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;

	guest_utsname(ctx->state, &u);
	return answer_write(req, &u, sizeof(u));
}

/* i386 olduname: five 65-byte fields, no domain name */
static struct verdict uts_olduname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;
	char old[5][65];

	if (!req->args[0])
		return verdict_deny(EFAULT);
	guest_utsname(ctx->state, &u);
	memcpy(old[0], u.sysname, 65);
	memcpy(old[1], u.nodename, 65);
	memcpy(old[2], u.release, 65);
	memcpy(old[3], u.version, 65);
	memcpy(old[4], u.machine, 65);
	return answer_write(req, old, sizeof(old));
}

/* i386 oldolduname: five 9-byte fields, truncated as the kernel does */
static struct verdict uts_oldolduname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;
	char old[5][OLD_UTS_LEN + 1];
	const char *src[5];

	if (!req->args[0])
		return verdict_deny(EFAULT);
	guest_utsname(ctx->state, &u);
	src[0] = u.sysname, src[1] = u.nodename, src[2] = u.release, src[3] = u.version;
	src[4] = u.machine;
	for (int i = 0; i < 5; i++) {
		memcpy(old[i], src[i], OLD_UTS_LEN);
		old[i][OLD_UTS_LEN] = '\0';
	}
	return answer_write(req, old, sizeof(old));
}

/* Whether the caller has CAP_SYS_ADMIN in its effective set. */
static bool caller_has_sys_admin(pid_t tid)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

static int fill_name(struct vkernel *vk, int fd, bool host);
static int write_name_file(struct vkernel *vk, bool host);

static struct verdict set_name(struct emul_ctx *ctx, const struct sc_request *req, bool host)
{
	struct vkernel *vk = ctx->state;
	char name[VK_NAME_MAX + 1];
	int len = (int)req->args[1]; /* the kernel takes an int */
	int r;

	if (!caller_has_sys_admin(req->tid))
		return verdict_deny(EPERM);
	if (len < 0 || len > VK_NAME_MAX)
		return verdict_deny(EINVAL);
	memset(name, 0, sizeof(name));
	r = req_read(req, req->args[0], name, (size_t)len);
	if (r < 0)
		return verdict_deny(-r);
	pthread_mutex_lock(&vk->lock);
	memcpy(host ? vk->uts.nodename : vk->uts.domainname, name, sizeof(name));
	if (vk->uts.dir[0])
		write_name_file(vk, host);
	pthread_mutex_unlock(&vk->lock);
	return verdict_return(0);
}

static struct verdict uts_sethostname(struct emul_ctx *ctx, const struct sc_request *req)
{
	return set_name(ctx, req, true);
}

static struct verdict uts_setdomainname(struct emul_ctx *ctx, const struct sc_request *req)
{
	return set_name(ctx, req, false);
}

/* Lexically normalises an absolute path in place: "//", "." and ".." (at
 * the root ".." stays there). Symlinks are not followed: the names it is
 * compared with contain none. */
static void normalize(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t n = (size_t)(in - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/* The absolute guest path an open call names, or false when it cannot be
 * known (the kernel then decides). */
static bool open_target(const struct sc_request *req, int dirfd, uint64_t path_addr, char *abs,
			size_t size, int *fail)
{
	char path[PATH_MAX], base[PATH_MAX], link[64];
	ssize_t n = req_read_str(req, path_addr, path, sizeof(path));

	*fail = 0;
	if (n < 0) {
		*fail = (int)-n; /* the kernel's getname() would fail the same way */
		return false;
	}
	if (path[0] == '/') {
		snprintf(abs, size, "%s", path);
	} else {
		if (dirfd == AT_FDCWD)
			snprintf(link, sizeof(link), "/proc/%d/cwd", (int)req->tid);
		else
			snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)req->tid, dirfd);
		n = readlink(link, base, sizeof(base) - 1);
		if (n <= 0 || base[0] != '/')
			return false;
		base[n] = '\0';
		if ((size_t)snprintf(abs, size, "%s/%s", base, path) >= size)
			return false;
	}
	normalize(abs);
	return true;
}

/* Writes "NAME\n" into fd from offset 0. Called with vk->lock held. */
static int fill_name(struct vkernel *vk, int fd, bool host)
{
	char buf[VK_NAME_MAX + 2];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\n",
				    host ? vk->uts.nodename : vk->uts.domainname);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, n, 0) != (ssize_t)n)
		return -EIO;
	return 0;
}

/* A fresh memfd holding the name, for injection (the guest gets its own
 * file description, so its offset is its own). */
static int name_memfd(struct vkernel *vk, bool host)
{
	int fd = memfd_create(host ? "hostname" : "domainname", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	pthread_mutex_lock(&vk->lock);
	r = fill_name(vk, fd, host);
	pthread_mutex_unlock(&vk->lock);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static const char *name_file(bool host)
{
	return host ? "hostname" : "domainname";
}

/* Writes the name's file in the private folder, atomically (the guest may
 * be reading the old one). Called with vk->lock held. */
static int write_name_file(struct vkernel *vk, bool host)
{
	char tmp[128], path[128], buf[VK_NAME_MAX + 2];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "%s\n",
				    host ? vk->uts.nodename : vk->uts.domainname);
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.%s", vk->uts.dir, name_file(host));
	snprintf(path, sizeof(path), "%s/%s", vk->uts.dir, name_file(host));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != (ssize_t)n) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return rename(tmp, path) < 0 ? -errno : 0;
}

/* The path of the name's file, made (with the folder) on first use. */
static int name_path(struct vkernel *vk, bool host, char *out, size_t size)
{
	int r = 0;

	pthread_mutex_lock(&vk->lock);
	if (!vk->uts.dir[0]) {
		snprintf(vk->uts.dir, sizeof(vk->uts.dir), "/tmp/umld-uts-XXXXXX");
		if (!mkdtemp(vk->uts.dir)) {
			r = -errno;
			vk->uts.dir[0] = '\0';
		} else {
			chmod(vk->uts.dir, 0755); /* a guest with other ids reads it too */
			if ((r = write_name_file(vk, true)) == 0)
				r = write_name_file(vk, false);
		}
	}
	snprintf(out, size, "%s/%s", vk->uts.dir, name_file(host));
	pthread_mutex_unlock(&vk->lock);
	return r;
}

void vkernel_uts_free(struct vkernel *vk)
{
	char path[128];

	if (!vk->uts.dir[0])
		return;
	for (int host = 0; host < 2; host++) {
		snprintf(path, sizeof(path), "%s/%s", vk->uts.dir, name_file(host));
		unlink(path);
	}
	rmdir(vk->uts.dir);
	vk->uts.dir[0] = '\0';
}

/* On a ptrace stop there is no fd injection: the call is rewritten to open
 * the name's file in the monitor's private folder instead, with that path
 * written below the guest's red zone (the thread is stopped; the kernel
 * reads the path before the guest runs again). */
static struct verdict reopen_rewrite(const struct sc_request *req, const char *file,
				     bool has_dirfd, int path_arg)
{
	char path[128];
	uint64_t at = ((req->sp - 128 - sizeof(path)) & ~(uint64_t)15);
	struct verdict v = { .kind = VERDICT_REWRITE };
	int r;

	snprintf(path, sizeof(path), "%s", file);
	r = req_write(req, at, path, strlen(path) + 1);
	if (r < 0)
		return verdict_deny(-r);
	memcpy(v.args, req->args, sizeof(v.args));
	v.args[path_arg] = at;
	if (has_dirfd)
		v.args[0] = (uint64_t)(int64_t)AT_FDCWD;
	return v;
}

static struct verdict open_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				  int path_arg, uint64_t flags)
{
	char abs[PATH_MAX];
	bool host;
	int fail, fd;

	if (!open_target(req, dirfd, req->args[path_arg], abs, sizeof(abs), &fail))
		return fail ? verdict_deny(fail) : verdict_pass();
	if (strcmp(abs, "/proc/sys/kernel/hostname") == 0)
		host = true;
	else if (strcmp(abs, "/proc/sys/kernel/domainname") == 0)
		host = false;
	else
		return verdict_pass();
	/* writing there would set the host's name: never */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return verdict_deny(EACCES);
	if (req->path == SC_PATH_NOTIFY) {
		fd = name_memfd(ctx->state, host);
		return fd < 0 ? verdict_deny(-fd) : verdict_fd(fd, (flags & O_CLOEXEC) ? O_CLOEXEC : 0);
	}
	{
		char file[128];
		int r = name_path(ctx->state, host, file, sizeof(file));
		return r < 0 ? verdict_deny(-r) : reopen_rewrite(req, file, path_arg == 1, path_arg);
	}
}

static int dirfd_arg(const struct sc_request *req, int i)
{
	return (int)(int32_t)req->args[i];
}

static struct verdict uts_open(struct emul_ctx *ctx, const struct sc_request *req)
{
	return open_common(ctx, req, AT_FDCWD, 0, req->args[1]);
}

static struct verdict uts_openat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return open_common(ctx, req, dirfd_arg(req, 0), 1, req->args[2]);
}

static struct verdict uts_openat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	uint64_t flags = 0;

	/* struct open_how starts with the 64-bit flags */
	if (req->args[3] >= sizeof(flags) && req_read(req, req->args[2], &flags, sizeof(flags)) < 0)
		return verdict_pass(); /* the kernel reports the bad struct */
	return open_common(ctx, req, dirfd_arg(req, 0), 1, flags);
}

static const struct emul_handler uts_handlers[] = {
	{ .name = "uname", .enter = uts_uname },
	{ .name = "olduname", .enter = uts_olduname },
	{ .name = "oldolduname", .enter = uts_oldolduname },
	{ .name = "sethostname", .enter = uts_sethostname },
	{ .name = "setdomainname", .enter = uts_setdomainname },
	{ .name = "open", .enter = uts_open },
	{ .name = "openat", .enter = uts_openat },
	{ .name = "openat2", .enter = uts_openat2 },
};

const struct emul_feature emul_feature_uts = {
	.name = "uts",
	.handlers = uts_handlers,
	.count = ARRAY_SIZE(uts_handlers),
};
