/* Virtual files: the /proc files whose content the emulated subsystems own
 * (uts: /proc/sys/kernel/{hostname,domainname}; ident: the status files of
 * tasks). One handler set claims the open calls for all of them; each open
 * is resolved to an absolute guest path, and a matching file's content is
 * made for the caller:
 * - on the notification path, a fresh memfd holding it is injected;
 * - at a ptrace stop, where there is no injection, the content is written to
 *   a file in the monitor's private folder under /tmp (which every guest
 *   mount namespace shares; /proc/MONITOR/fd would not do in a guest with
 *   its own /proc) and the open is rewritten to it, the path written below
 *   the stopped thread's red zone. The last 64 such files are kept, so the
 *   guest has long opened its file before it goes. */
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
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

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
	fs_path_normalize(abs);
	return true;
}

/* Asks each emulated subsystem for path's content. 0 and *len: a virtual
 * file; -ENOENT: not one; another -errno: the open fails with it. */
static int content_for(struct vkernel *vk, const struct sc_request *req, const char *abs,
		       char *buf, size_t size, size_t *len)
{
	int r = -ENOENT;

	if (vk->backend[SUBSYS_UTS] == BACKEND_EMULATED)
		r = uts_vfile(vk, abs, buf, size, len);
	if (r == -ENOENT && vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED)
		r = ident_vfile(vk, req, abs, buf, size, len);
	if (r == -ENOENT && vk->pids)
		r = pids_vfile(vk, req, abs, buf, size, len);
	return r;
}

static int memfd_with(const char *buf, size_t len)
{
	int fd = memfd_create("umld-vfile", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Writes buf to a new file of the private folder; its path in out. */
static int file_with(struct vkernel *vk, const char *buf, size_t len, char *out, size_t size)
{
	int fd, r = 0;

	pthread_mutex_lock(&vk->lock);
	if (!vk->vfiles.dir.path[0]) {
		/* first, the folders of monitors killed before they removed theirs */
		privdir_sweep("/tmp", "vfiles");
		/* 0755: a guest with other ids reads it too */
		r = privdir_make(&vk->vfiles.dir, "/tmp", "vfiles", 0755);
		if (r < 0)
			goto out;
	}
	unsigned slot = vk->vfiles.next++ % VK_VFILES_KEPT;
	if ((size_t)snprintf(out, size, "%s/%u", vk->vfiles.dir.path, slot) >= size) {
		r = -ENAMETOOLONG;
		goto out;
	}
	unlink(out); /* the one made 64 opens ago */
	fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (write(fd, buf, len) != (ssize_t)len)
		r = -EIO;
	close(fd);
out:
	pthread_mutex_unlock(&vk->lock);
	return r;
}

void vkernel_vfiles_free(struct vkernel *vk)
{
	privdir_remove(&vk->vfiles.dir);
}

static struct verdict rewrite_to(const struct sc_request *req, const char *file, bool has_dirfd,
				 int path_arg)
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
	char abs[PATH_MAX], buf[8192], file[128];
	size_t len = 0;
	int fail, fd, r;

	if (!open_target(req, dirfd, req->args[path_arg], abs, sizeof(abs), &fail))
		return fail ? verdict_deny(fail) : verdict_pass();
	r = content_for(ctx->state, req, abs, buf, sizeof(buf), &len);
	if (r == -ENOENT)
		return verdict_pass();
	if (r < 0)
		return verdict_deny(-r);
	/* writing a virtual file would change the host's: never */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
		return verdict_deny(EACCES);
	if (req->path == SC_PATH_NOTIFY) {
		fd = memfd_with(buf, len);
		return fd < 0 ? verdict_deny(-fd) : verdict_fd(fd, (flags & O_CLOEXEC) ? O_CLOEXEC : 0);
	}
	r = file_with(ctx->state, buf, len, file, sizeof(file));
	return r < 0 ? verdict_deny(-r) : rewrite_to(req, file, path_arg == 1, path_arg);
}

int procfile_open(struct vkernel *vk, const struct sc_request *req, const char *abs,
		  uint64_t flags, struct verdict *v)
{
	char buf[8192];
	size_t len = 0;
	int r, fd;

	r = content_for(vk, req, abs, buf, sizeof(buf), &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		*v = verdict_deny(-r);
		return 1;
	}
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) {
		*v = verdict_deny(EACCES);
		return 1;
	}
	fd = memfd_with(buf, len);
	*v = fd < 0 ? verdict_deny(-fd) : verdict_fd(fd, (flags & O_CLOEXEC) ? O_CLOEXEC : 0);
	return 1;
}

static struct verdict pf_open(struct emul_ctx *ctx, const struct sc_request *req)
{
	return open_common(ctx, req, AT_FDCWD, 0, req->args[1]);
}

static struct verdict pf_openat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return open_common(ctx, req, req_arg_fd(req, 0), 1, req->args[2]);
}

static struct verdict pf_openat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	uint64_t flags = 0;

	/* struct open_how starts with the 64-bit flags */
	if (req->args[3] >= sizeof(flags) && req_read(req, req->args[2], &flags, sizeof(flags)) < 0)
		return verdict_pass(); /* the kernel reports the bad struct */
	return open_common(ctx, req, req_arg_fd(req, 0), 1, flags);
}

/* Whether an open could block natively, hence be interrupted: only when
 * it names a FIFO, a socket or a device (what does not exist, or cannot be
 * read, cannot block either). Asked at a signal stop (engine_signal_stop). */
static bool open_may_block(const struct sc_request *req, int dirfd, int path_arg)
{
	char abs[PATH_MAX], at_root[PATH_MAX + 32];
	struct stat st;
	int fail;

	if (!open_target(req, dirfd, req->args[path_arg], abs, sizeof(abs), &fail))
		return fail == 0; /* unknown: keep what the kernel decided */
	/* the guest's view of the path: through its root, as it resolves */
	snprintf(at_root, sizeof(at_root), "/proc/%d/root%s", (int)req->tid, abs);
	if (stat(at_root, &st) < 0)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) ||
	       S_ISBLK(st.st_mode);
}

static bool pf_open_may_block(const struct sc_request *req)
{
	return open_may_block(req, AT_FDCWD, 0);
}

static bool pf_openat_may_block(const struct sc_request *req)
{
	return open_may_block(req, req_arg_fd(req, 0), 1);
}

static const struct emul_handler procfile_handlers[] = {
	{ .name = "open", .may_block = pf_open_may_block, .enter = pf_open },
	{ .name = "openat", .may_block = pf_openat_may_block, .enter = pf_openat },
	{ .name = "openat2", .may_block = pf_openat_may_block, .enter = pf_openat2 },
};

const struct emul_feature emul_feature_procfile = {
	.name = "procfile",
	.handlers = procfile_handlers,
	.count = ARRAY_SIZE(procfile_handlers),
};
