/* The emulated filesystem's handlers: every system call that takes a path
 * is answered here, on the notification path. The path is copied out of the
 * guest once, resolved by fs_resolve(), and the operation is made by the
 * monitor on the directory fds resolution yielded; opens come back to the
 * guest as injected fds. A write to a base layer's file copies it up first
 * (cowdisk); a deletion leaves a whiteout. Calls that take a path and are
 * not emulated are denied, never passed: see fs_claim_rest(). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
#endif
#ifndef __O_TMPFILE
#define __O_TMPFILE 020000000
#endif

/* Copies the path at addr in: 0, -EFAULT, -ENAMETOOLONG. */
static int get_path(const struct sc_request *req, uint64_t addr, char *buf)
{
	ssize_t n;

	if (!addr)
		return -EFAULT;
	n = req_read_str(req, addr, buf, PATH_MAX);
	return n < 0 ? (int)n : 0;
}

static struct verdict ret_errno(int r)
{
	return r < 0 ? verdict_deny(-r) : verdict_return(r);
}


/* The guest's fd N, reached through /proc: for calls on an fd (AT_EMPTY_PATH). */
static void guest_fd_path(char *buf, size_t size, pid_t tid, int fd)
{
	snprintf(buf, size, "/proc/%d/fd/%d", (int)tid, fd);
}

/* ---- ownership as a fake root sees it ---- */

/* The recorded owner and mode of an upper-layer entry, over what the host
 * has; and the monitor's own ids shown as root, as a user namespace would.
 * A device node the virtual root made (an empty file, see mknod_common)
 * shows as the node, its type in *mode and its number in *rdev: callers
 * pass rdev only for an empty regular file, so that no other stat pays
 * for the lookup. */
static void fake_owner(const struct fs_emul *fs, const char *path, uid_t *uid, gid_t *gid,
		       mode_t *mode, dev_t *rdev)
{
	char v[64];
	ssize_t n;

	if (!fs->fake_root)
		return;
	if (*uid == geteuid())
		*uid = 0;
	if (*gid == getegid())
		*gid = 0;
	n = lgetxattr(path, COW_XATTR_OWNER, v, sizeof(v) - 1);
	if (n > 0) {
		unsigned u, g;
		v[n] = '\0';
		if (sscanf(v, "%u:%u", &u, &g) == 2) {
			*uid = u;
			*gid = g;
		}
	}
	n = lgetxattr(path, COW_XATTR_MODE, v, sizeof(v) - 1);
	if (n > 0) {
		v[n] = '\0';
		*mode = (*mode & S_IFMT) | ((mode_t)strtoul(v, NULL, 8) & 07777);
	}
	n = rdev && S_ISREG(*mode) ? lgetxattr(path, COW_XATTR_RDEV, v, sizeof(v) - 1) : -1;
	if (n > 0) {
		unsigned ma, mi;
		char kind;
		v[n] = '\0';
		if (sscanf(v, "%c:%u:%u", &kind, &ma, &mi) == 3 && (kind == 'c' || kind == 'b')) {
			*mode = (*mode & 07777) | (kind == 'c' ? S_IFCHR : S_IFBLK);
			*rdev = makedev(ma, mi);
		}
	}
}

/* ---- resolution helpers ---- */

static int resolve_at(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
		      uint64_t addr, unsigned flags, struct fs_loc *loc)
{
	char path[PATH_MAX];
	int r = get_path(req, addr, path);

	if (r < 0)
		return r;
	return fs_resolve(fs_of(ctx), req->tid, dirfd, path, flags, loc);
}

/* ---- open ---- */

static unsigned resolve_flags(uint64_t resolve)
{
	unsigned f = 0;

	if (resolve & RESOLVE_NO_MAGICLINKS)
		f |= FS_NO_MAGIC;
	if (resolve & RESOLVE_NO_SYMLINKS)
		f |= FS_NO_SYMLINKS;
	if (resolve & RESOLVE_BENEATH)
		f |= FS_BENEATH;
	if (resolve & RESOLVE_IN_ROOT)
		f |= FS_IN_ROOT;
	if (resolve & RESOLVE_NO_XDEV)
		f |= FS_NO_XDEV;
	return f;
}

int fs_loc_clear_whiteout(const struct fs_loc *loc, int dirfd)
{
	if (loc->e.where != COW_WHITEOUT)
		return 0;
	if (unlinkat(dirfd, loc->name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* What stands for O_PATH: read-only, without blocking (a FIFO), without
 * becoming a controlling terminal, and without following. A symlink or an
 * unreadable file cannot be had so (ELOOP, EACCES). */
static int opath_flags(uint64_t flags, mode_t type)
{
	int f = O_RDONLY | O_NOCTTY | O_NOFOLLOW | (int)(flags & (O_DIRECTORY | O_CLOEXEC));

	if (type != S_IFREG && type != S_IFDIR)
		f |= O_NONBLOCK;
	return f;
}

static struct verdict do_open(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
			      uint64_t addr, uint64_t flags, mode_t mode, uint64_t resolve)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc loc;
	unsigned rf = resolve_flags(resolve);
	int acc = (int)(flags & O_ACCMODE), fd, r, cdir;
	bool opath = flags & O_PATH, tmpfile = (flags & __O_TMPFILE) == __O_TMPFILE;
	bool creat = (flags & O_CREAT) && !tmpfile;
	bool writing = !opath && (acc != O_RDONLY || (flags & O_TRUNC));
	struct fd_keeper *keeper = NULL;

	if (!(flags & O_NOFOLLOW) && !(creat && (flags & O_EXCL)))
		rf |= FS_FOLLOW;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	/* seccomp cannot inject an O_PATH file (its fget() refuses them): such
	 * an open is made as a read-only one, which never blocks nor changes
	 * what it opens (see opath_flags); a symlink's is EOPNOTSUPP */
	r = resolve_at(ctx, req, dirfd, addr, rf, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (fs->mnt[loc.m].proc && fs_loc_exists(&loc)) {
		/* the virtual kernel's own files (/proc/sys/kernel/hostname...) */
		struct verdict v;
		if (procfile_open(ctx->state, req, loc.vpath, flags, &v)) {
			fs_loc_free(&loc);
			return v;
		}
	}
	if (fs->mnt[loc.m].proc && loc.e.pos == -1 && loc.name[0] == '\0') {
		fs_loc_free(&loc);
		return verdict_deny(ENOENT);
	}
	if (tmpfile) {
		if (!fs_loc_exists(&loc))
			r = -ENOENT;
		else if (!S_ISDIR(loc.e.st.st_mode))
			r = -ENOTDIR;
		else if (fs_loc_readonly(fs, &loc))
			r = -EROFS;
		else if ((r = fs_loc_copy_up(fs, &loc, false)) == 0)
			r = fs_loc_open(&loc, (int)(flags & ~O_NOFOLLOW), mode & ~fs_umask(req->tid));
		goto done;
	}
	if (fs_loc_exists(&loc)) {
		mode_t t = loc.e.st.st_mode & S_IFMT;

		if (creat && (flags & O_EXCL)) {
			r = -EEXIST;
			goto done;
		}
		if (t == S_IFLNK) {
			/* an O_PATH fd of a symlink cannot be injected: EOPNOTSUPP,
			 * which is what glibc's fchmodat(AT_SYMLINK_NOFOLLOW), its
			 * main user, answers for a symlink anyway */
			r = opath ? -EOPNOTSUPP : -ELOOP;
			goto done;
		}
		if ((flags & O_DIRECTORY) && t != S_IFDIR && !(t == S_IFLNK && opath)) {
			r = -ENOTDIR;
			goto done;
		}
		if (t == S_IFDIR && writing) {
			r = -EISDIR;
			goto done;
		}
		if (writing && (t == S_IFREG || t == S_IFDIR)) {
			if (fs_loc_readonly(fs, &loc)) {
				r = -EROFS;
				goto done;
			}
			r = fs_loc_copy_up(fs, &loc, false);
			if (r < 0)
				goto done;
		}
		if (t == S_IFDIR && loc.m == 0)
			/* the fd cache remembers what it stands for */
			keeper = fs_fdc_keeper(fs, loc.vpath);
		if (opath)
			r = fs_loc_open(&loc, opath_flags(flags, t), 0);
		else if (!loc.name[0])
			r = fs_loc_open(&loc, (int)(flags & ~(O_CREAT | O_EXCL)), 0);
		else if (t == S_IFIFO && !(flags & O_NONBLOCK) && acc != O_RDWR) {
			/* the kernel's open waits for the other end; the monitor
			 * must not: the answer comes later (fifo_wait, notify.c) */
			struct verdict v = { .kind = VERDICT_FD };

			if (acc == O_RDONLY) {
				r = fs_loc_open(&loc, (int)((flags & ~(O_CREAT | O_EXCL)) | O_NONBLOCK), 0);
				v.fifo_wait = FIFO_WAIT_WRITER;
			} else {
				r = fs_loc_open(&loc, O_PATH, 0);
				v.fifo_wait = FIFO_WAIT_READER;
				v.open_flags = (int)(flags & ~(O_CREAT | O_EXCL | O_CLOEXEC));
			}
			fs_loc_free(&loc);
			if (r < 0)
				return verdict_deny(-r);
			v.fd = r;
			v.fd_flags = (flags & O_CLOEXEC) ? O_CLOEXEC : 0;
			return v;
		} else {
			r = fs_loc_open(&loc, (int)(flags & ~(O_CREAT | O_EXCL)), 0);
		}
		goto done;
	}
	if (loc.e.pos == -1 && loc.name[0] == '\0') {
		r = -ENOENT;
		goto done;
	}
	if (!creat) {
		r = -ENOENT;
		goto done;
	}
	if (!loc.name[0] || loc.trailing) {
		r = -EISDIR;
		goto done;
	}
	r = fs_loc_change_dir(fs, &loc, &cdir);
	if (r < 0)
		goto done;
	r = fs_loc_clear_whiteout(&loc, cdir);
	if (r < 0)
		goto done;
	fd = openat(cdir, loc.name, (int)(flags | O_NOFOLLOW | O_CLOEXEC), mode & ~fs_umask(req->tid) & 07777);
	r = fd < 0 ? -errno : fd;
done:
	fs_loc_free(&loc);
	if (r < 0) {
		if (keeper)
			keeper->kept(keeper, req->tid, -1, -1);
		return verdict_deny(-r);
	}
	struct verdict v = verdict_fd(r, (flags & O_CLOEXEC) ? O_CLOEXEC : 0);
	v.keeper = keeper;
	return v;
}

static struct verdict h_open(struct emul_ctx *ctx, const struct sc_request *req)
{
	return do_open(ctx, req, AT_FDCWD, req->args[0], req->args[1], (mode_t)req->args[2], 0);
}

static struct verdict h_creat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return do_open(ctx, req, AT_FDCWD, req->args[0], O_CREAT | O_WRONLY | O_TRUNC,
		       (mode_t)req->args[1], 0);
}

static struct verdict h_openat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return do_open(ctx, req, req_arg_fd(req, 0), req->args[1], req->args[2], (mode_t)req->args[3], 0);
}

static struct verdict h_openat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct open_how how = { 0 };
	size_t size = (size_t)req->args[3];

	if (size < sizeof(how))
		return verdict_deny(EINVAL);
	if (req_read(req, req->args[2], &how, sizeof(how)) < 0)
		return verdict_deny(EFAULT);
	if (size > sizeof(how)) {
		/* a larger struct from a newer guest: the rest must be zero */
		unsigned char extra[64];
		size_t n = size - sizeof(how);
		if (n > sizeof(extra))
			return verdict_deny(E2BIG);
		if (req_read(req, req->args[2] + sizeof(how), extra, n) < 0)
			return verdict_deny(EFAULT);
		for (size_t i = 0; i < n; i++)
			if (extra[i])
				return verdict_deny(E2BIG);
	}
	if (how.flags >> 32 || (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS |
							  RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |
							  RESOLVE_IN_ROOT | RESOLVE_CACHED)))
		return verdict_deny(EINVAL);
	if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
		return verdict_deny(EINVAL);
	if (!(how.flags & (O_CREAT | __O_TMPFILE)) && how.mode)
		return verdict_deny(EINVAL);
	if (how.mode & ~(uint64_t)07777)
		return verdict_deny(EINVAL);
	if ((how.flags & O_PATH) && (how.flags & ~(uint64_t)(O_PATH | O_DIRECTORY | O_NOFOLLOW |
							       O_CLOEXEC)))
		return verdict_deny(EINVAL);
	if (how.resolve & RESOLVE_CACHED)
		return verdict_deny(EAGAIN); /* the kernel may always refuse a cached-only lookup */
	return do_open(ctx, req, req_arg_fd(req, 0), req->args[1], how.flags, (mode_t)how.mode,
		       how.resolve);
}

/* ---- flock ---- */

/* A lock belongs to the open file, which lives while any reference does:
 * the fd cache lets go of its own first, so that the lock ends with the
 * guest's last close, as without umld. */
static struct verdict h_flock(struct emul_ctx *ctx, const struct sc_request *req)
{
	if ((int)req->args[1] & (LOCK_SH | LOCK_EX))
		fs_fdc_forget(fs_of(ctx), req->tid, req_arg_fd(req, 0));
	return verdict_pass();
}

/* ---- stat ---- */

static int stat_loc(struct fs_emul *fs, const struct fs_loc *loc, struct stat *st)
{
	char p[FS_AT_PATH_MAX];

	if (!fs_loc_exists(loc))
		return -ENOENT;
	*st = loc->e.st;
	fs_at_path(p, sizeof(p), fs_loc_dirfd(loc), loc->name);
	fake_owner(fs, p, &st->st_uid, &st->st_gid, &st->st_mode,
		   st->st_size == 0 ? &st->st_rdev : NULL);
	return 0;
}

/* The stat of guest fd's file (AT_EMPTY_PATH). */
static int stat_guest_fd(struct fs_emul *fs, pid_t tid, int fd, struct stat *st)
{
	char p[64];

	if (fd == AT_FDCWD) {
		struct fs_loc loc;
		int r = fs_resolve(fs, tid, AT_FDCWD, ".", 0, &loc);
		if (r < 0)
			return r;
		r = stat_loc(fs, &loc, st);
		fs_loc_free(&loc);
		return r;
	}
	const struct fs_proc *pr = fs_proc_of(fs, tid);
	int dup_fd = -1;
	if (pr && fs_fdc_stat(fs, pr->tgid, tid, fd, st, fs->fake_root ? &dup_fd : NULL) == 0) {
		/* a directory the monitor opened: its own reference */
		if (dup_fd >= 0) {
			snprintf(p, sizeof(p), "/proc/self/fd/%d", dup_fd);
			fake_owner(fs, p, &st->st_uid, &st->st_gid, &st->st_mode, NULL);
			close(dup_fd);
		}
		return 0;
	}
	guest_fd_path(p, sizeof(p), tid, fd);
	if (stat(p, st) < 0)
		return errno == ENOENT ? -EBADF : -errno;
	fake_owner(fs, p, &st->st_uid, &st->st_gid, &st->st_mode,
		   st->st_size == 0 ? &st->st_rdev : NULL);
	return 0;
}

static struct verdict stat_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				  uint64_t addr, int flags, uint64_t buf)
{
	struct fs_emul *fs = fs_of(ctx);
	char path[PATH_MAX];
	struct stat st;
	struct fs_loc loc;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return verdict_deny(EINVAL);
	r = addr ? get_path(req, addr, path) : (path[0] = '\0', (flags & AT_EMPTY_PATH) ? 0 : -EFAULT);
	if (r < 0)
		return verdict_deny(-r);
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		r = stat_guest_fd(fs, req->tid, dirfd, &st);
	} else {
		r = fs_resolve(fs, req->tid, dirfd, path,
			       (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
		if (r < 0)
			return verdict_deny(-r);
		r = stat_loc(fs, &loc, &st);
		fs_loc_free(&loc);
	}
	if (r < 0)
		return verdict_deny(-r);
	r = req_write(req, buf, &st, sizeof(st));
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict h_stat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return stat_common(ctx, req, AT_FDCWD, req->args[0], 0, req->args[1]);
}

static struct verdict h_lstat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return stat_common(ctx, req, AT_FDCWD, req->args[0], AT_SYMLINK_NOFOLLOW, req->args[1]);
}

static struct verdict h_newfstatat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return stat_common(ctx, req, req_arg_fd(req, 0), req->args[1], (int)req->args[3], req->args[2]);
}

static struct verdict h_fstat(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct stat st;
	int r;

	r = stat_guest_fd(fs_of(ctx), req->tid, req_arg_fd(req, 0), &st);
	if (r < 0)
		return verdict_deny(-r);
	r = req_write(req, req->args[1], &st, sizeof(st));
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static void statx_fake_owner(const struct fs_emul *fs, const char *p, struct statx *stx)
{
	uid_t u = stx->stx_uid;
	gid_t g = stx->stx_gid;
	mode_t m = stx->stx_mode;
	dev_t rdev = makedev(stx->stx_rdev_major, stx->stx_rdev_minor);

	if (!fs->fake_root)
		return;
	fake_owner(fs, p, &u, &g, &m, stx->stx_size == 0 ? &rdev : NULL);
	stx->stx_uid = u;
	stx->stx_gid = g;
	stx->stx_mode = (uint16_t)m;
	stx->stx_rdev_major = major(rdev);
	stx->stx_rdev_minor = minor(rdev);
}

static struct verdict h_statx(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	int dirfd = req_arg_fd(req, 0), flags = (int)req->args[2];
	unsigned mask = (unsigned)req->args[3];
	char path[PATH_MAX], p[FS_AT_PATH_MAX];
	struct statx stx;
	struct fs_loc loc;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return verdict_deny(EINVAL);
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return verdict_deny(EINVAL);
	if (mask & STATX__RESERVED)
		return verdict_deny(EINVAL);
	r = req->args[1] ? get_path(req, req->args[1], path)
			 : (path[0] = '\0', (flags & AT_EMPTY_PATH) ? 0 : -EFAULT);
	if (r < 0)
		return verdict_deny(-r);
	if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		guest_fd_path(p, sizeof(p), req->tid, dirfd);
		r = statx(AT_FDCWD, p, flags & AT_STATX_SYNC_TYPE, mask, &stx) < 0 ? -errno : 0;
		if (r == -ENOENT)
			r = -EBADF;
		if (r == 0)
			statx_fake_owner(fs, p, &stx);
	} else {
		r = fs_resolve(fs, req->tid, dirfd, path[0] ? path : ".",
			       (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
		if (r < 0)
			return verdict_deny(-r);
		if (!fs_loc_exists(&loc)) {
			r = -ENOENT;
		} else {
			fs_at_path(p, sizeof(p), fs_loc_dirfd(&loc), loc.name);
			r = statx(fs_loc_dirfd(&loc), loc.name,
				  AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | (flags & AT_STATX_SYNC_TYPE), mask,
				  &stx) < 0 ? -errno : 0;
			if (r == 0)
				statx_fake_owner(fs, p, &stx); /* while p's fd is open */
		}
		fs_loc_free(&loc);
	}
	if (r < 0)
		return verdict_deny(-r);
	r = req_write(req, req->args[4], &stx, sizeof(stx));
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

/* ---- access ---- */

static struct verdict access_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				    uint64_t addr, int mode, int flags)
{
	struct fs_loc loc;
	int r;

	if (mode & ~(F_OK | R_OK | W_OK | X_OK))
		return verdict_deny(EINVAL);
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return verdict_deny(EINVAL);
	if (flags & AT_EMPTY_PATH) {
		char path[PATH_MAX], p[64];
		if (get_path(req, addr, path) == 0 && !path[0]) {
			/* the fd's own file (the working directory's: addr 0 below) */
			if (dirfd == AT_FDCWD)
				return access_common(ctx, req, AT_FDCWD, 0, mode, flags & ~AT_EMPTY_PATH);
			guest_fd_path(p, sizeof(p), req->tid, dirfd);
			r = faccessat(AT_FDCWD, p, mode, flags & AT_EACCESS) < 0 ? -errno : 0;
			return ret_errno(r == -ENOENT ? -EBADF : r);
		}
	}
	r = addr ? resolve_at(ctx, req, dirfd, addr, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc)
		 : fs_resolve(fs_of(ctx), req->tid, AT_FDCWD, ".", FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc)) {
		r = -ENOENT;
	} else if (mode == F_OK) {
		r = 0;
	} else {
		bool special = S_ISCHR(loc.e.st.st_mode) || S_ISBLK(loc.e.st.st_mode) ||
			       S_ISFIFO(loc.e.st.st_mode) || S_ISSOCK(loc.e.st.st_mode);
		if ((mode & W_OK) && !special && fs_loc_readonly(fs_of(ctx), &loc))
			r = -EROFS;
		else if (!loc.name[0])
			r = faccessat(loc.dir.fd[0], ".", mode, flags & AT_EACCESS) < 0 ? -errno : 0;
		else
			r = faccessat(fs_loc_dirfd(&loc), loc.name, mode,
				      AT_SYMLINK_NOFOLLOW | (flags & AT_EACCESS)) < 0 ? -errno : 0;
		/* a base layer on a read-only filesystem is writable through the cow layer */
		if (r == -EROFS && !fs_loc_readonly(fs_of(ctx), &loc))
			r = faccessat(fs_loc_dirfd(&loc), loc.name[0] ? loc.name : ".",
				      mode & ~W_OK, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
		if (r == -EACCES && fs_of(ctx)->fake_root && !(mode & X_OK))
			r = 0; /* the virtual root reads and writes what it likes */
	}
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_access(struct emul_ctx *ctx, const struct sc_request *req)
{
	return access_common(ctx, req, AT_FDCWD, req->args[0], (int)req->args[1], 0);
}

static struct verdict h_faccessat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return access_common(ctx, req, req_arg_fd(req, 0), req->args[1], (int)req->args[2], 0);
}

static struct verdict h_faccessat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	return access_common(ctx, req, req_arg_fd(req, 0), req->args[1], (int)req->args[2],
			     (int)req->args[3]);
}

/* ---- readlink ---- */

static struct verdict readlink_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				      uint64_t addr, uint64_t buf, int64_t size)
{
	struct fs_emul *fs = fs_of(ctx);
	char target[PATH_MAX];
	struct fs_loc loc;
	ssize_t n = 0;
	int r;

	if (size <= 0)
		return verdict_deny(EINVAL);
	r = resolve_at(ctx, req, dirfd, addr, 0, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc)) {
		r = -ENOENT;
	} else if (!S_ISLNK(loc.e.st.st_mode) || !loc.name[0]) {
		r = -EINVAL;
	} else {
		int pm = 1;
		if (fs->mnt[loc.m].proc)
			pm = fs_proc_magic(fs, req->tid, loc.rel, target, sizeof(target));
		if (pm < 0 && pm != -EACCES) {
			r = pm;
		} else if (pm == 0) {
			n = (ssize_t)strlen(target);
		} else {
			n = readlinkat(fs_loc_dirfd(&loc), loc.name, target, sizeof(target));
			if (n < 0)
				r = -errno;
		}
	}
	fs_loc_free(&loc);
	if (r < 0)
		return verdict_deny(-r);
	if (n > size)
		n = (ssize_t)size;
	r = req_write(req, buf, target, (size_t)n);
	return r < 0 ? verdict_deny(-r) : verdict_return(n);
}

static struct verdict h_readlink(struct emul_ctx *ctx, const struct sc_request *req)
{
	return readlink_common(ctx, req, AT_FDCWD, req->args[0], req->args[1],
			       (int64_t)(int32_t)req->args[2]);
}

static struct verdict h_readlinkat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return readlink_common(ctx, req, req_arg_fd(req, 0), req->args[1], req->args[2],
			       (int64_t)(int32_t)req->args[3]);
}

/* ---- making and removing names ---- */

/* Resolves a name to be made: it must not exist. *cdir: where to make it. */
static int prepare_new(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
		       uint64_t addr, bool want_dir, struct fs_loc *loc, int *cdir)
{
	int r = resolve_at(ctx, req, dirfd, addr, 0, loc);

	if (r < 0)
		return r;
	if (fs_loc_exists(loc) || !loc->name[0])
		r = -EEXIST;
	else if (loc->trailing && !want_dir)
		r = -ENOENT; /* "name/" can only be made as a directory */
	else if (strcmp(loc->name, ".") == 0 || strcmp(loc->name, "..") == 0)
		r = -EEXIST;
	else
		r = fs_loc_change_dir(fs_of(ctx), loc, cdir);
	if (r == 0)
		r = fs_loc_clear_whiteout(loc, *cdir);
	if (r < 0)
		fs_loc_free(loc);
	return r;
}

/* Marks a new directory opaque when a base layer has one by that name. */
static void opaque_if_below(struct fs_emul *fs, struct fs_loc *loc, int cdir)
{
	struct cow_walk skip;
	struct cow_entry e;
	int fd;

	if (loc->m > 0 || loc->dir.n < 2)
		return;
	skip = loc->dir;
	skip.n = loc->dir.n - 1;
	memmove(skip.fd, loc->dir.fd + 1, sizeof(int) * skip.n);
	memmove(skip.idx, loc->dir.idx + 1, sizeof(int) * skip.n);
	memset(skip.own, 0, sizeof(skip.own));
	if (cow_walk_step(&skip, loc->name, false, false, &e, NULL) < 0 || e.where != COW_LOWER)
		return;
	(void)fs;
	fd = openat(cdir, loc->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		fsetxattr(fd, COW_XATTR_OPAQUE, "y", 1, 0);
		close(fd);
	}
}

static struct verdict mkdir_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				   uint64_t addr, mode_t mode)
{
	struct fs_loc loc;
	int cdir, r = prepare_new(ctx, req, dirfd, addr, true, &loc, &cdir);

	if (r < 0)
		return verdict_deny(-r);
	r = mkdirat(cdir, loc.name, mode & ~fs_umask(req->tid) & 07777) < 0 ? -errno : 0;
	if (r == 0)
		opaque_if_below(fs_of(ctx), &loc, cdir);
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_mkdir(struct emul_ctx *ctx, const struct sc_request *req)
{
	return mkdir_common(ctx, req, AT_FDCWD, req->args[0], (mode_t)req->args[1]);
}

static struct verdict h_mkdirat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return mkdir_common(ctx, req, req_arg_fd(req, 0), req->args[1], (mode_t)req->args[2]);
}

static struct verdict mknod_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				   uint64_t addr, mode_t mode, dev_t dev)
{
	struct fs_emul *fs = fs_of(ctx);
	mode_t type = mode & S_IFMT;
	struct fs_loc loc;
	int cdir, r;

	if (type == S_IFDIR)
		return verdict_deny(EPERM); /* as the kernel: mkdir's job */
	if (type != 0 && type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return verdict_deny(EINVAL);
	r = prepare_new(ctx, req, dirfd, addr, false, &loc, &cdir);
	if (r < 0)
		return verdict_deny(-r);
	mode = (mode & ~S_IFMT & ~fs_umask(req->tid) & 07777) | (type ? type : S_IFREG);
	r = mknodat(cdir, loc.name, mode, dev) < 0 ? -errno : 0;
	if (r == -EPERM && fs->fake_root && (type == S_IFCHR || type == S_IFBLK)) {
		/* a device node made by the virtual root: an empty file that
		 * records what it stands for (shown by stat) */
		char v[32];
		int fd = openat(cdir, loc.name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		r = fd < 0 ? -errno : 0;
		if (fd >= 0) {
			snprintf(v, sizeof(v), "%o", (unsigned)(mode & 07777));
			fsetxattr(fd, COW_XATTR_MODE, v, strlen(v), 0);
			snprintf(v, sizeof(v), "%c:%u:%u", type == S_IFCHR ? 'c' : 'b',
				 major(dev), minor(dev));
			fsetxattr(fd, COW_XATTR_RDEV, v, strlen(v), 0);
			close(fd);
		}
	}
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_mknod(struct emul_ctx *ctx, const struct sc_request *req)
{
	return mknod_common(ctx, req, AT_FDCWD, req->args[0], (mode_t)req->args[1],
			    (dev_t)req->args[2]);
}

static struct verdict h_mknodat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return mknod_common(ctx, req, req_arg_fd(req, 0), req->args[1], (mode_t)req->args[2],
			    (dev_t)req->args[3]);
}

static struct verdict symlink_common(struct emul_ctx *ctx, const struct sc_request *req,
				     uint64_t taddr, int dirfd, uint64_t addr)
{
	char target[PATH_MAX];
	struct fs_loc loc;
	int cdir, r = get_path(req, taddr, target);

	if (r < 0)
		return verdict_deny(-r);
	if (!target[0])
		return verdict_deny(ENOENT);
	r = prepare_new(ctx, req, dirfd, addr, false, &loc, &cdir);
	if (r < 0)
		return verdict_deny(-r);
	r = symlinkat(target, cdir, loc.name) < 0 ? -errno : 0;
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_symlink(struct emul_ctx *ctx, const struct sc_request *req)
{
	return symlink_common(ctx, req, req->args[0], AT_FDCWD, req->args[1]);
}

static struct verdict h_symlinkat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return symlink_common(ctx, req, req->args[0], req_arg_fd(req, 1), req->args[2]);
}

static struct verdict unlink_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				    uint64_t addr, int flags)
{
	struct fs_emul *fs = fs_of(ctx);
	bool rmdir_ = flags & AT_REMOVEDIR;
	struct fs_loc loc;
	int r;

	if (flags & ~AT_REMOVEDIR)
		return verdict_deny(EINVAL);
	r = resolve_at(ctx, req, dirfd, addr, FS_LAST_AS_IS, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc)) {
		r = -ENOENT;
	} else if (!loc.name[0]) {
		r = rmdir_ ? -EBUSY : -EISDIR;
	} else if (rmdir_ && !S_ISDIR(loc.e.st.st_mode)) {
		r = -ENOTDIR;
	} else if (!rmdir_ && S_ISDIR(loc.e.st.st_mode)) {
		r = -EISDIR;
	} else if (fs_loc_readonly(fs, &loc)) {
		r = -EROFS;
	} else if (loc.m > 0) {
		r = unlinkat(loc.dir.fd[0], loc.name, flags) < 0 ? -errno : 0;
	} else {
		r = rmdir_ ? cow_rmdir(&fs->stack, loc.rel) : cow_unlink(&fs->stack, loc.rel);
		/* a directory gone, or upper copies of the parents made for a
		 * whiteout: cached walks of them are wrong now */
		if (rmdir_ || !(loc.dir.n && loc.dir.idx[0] == -1))
			fs_dcache_flush(&fs->dcache);
	}
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_unlink(struct emul_ctx *ctx, const struct sc_request *req)
{
	return unlink_common(ctx, req, AT_FDCWD, req->args[0], 0);
}

static struct verdict h_rmdir(struct emul_ctx *ctx, const struct sc_request *req)
{
	char path[PATH_MAX];
	int r = get_path(req, req->args[0], path);
	size_t n;

	if (r < 0)
		return verdict_deny(-r);
	/* rmdir of "." or a path ending in "/." is EINVAL, of ".." ENOTEMPTY */
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if ((n == 1 && path[0] == '.') || (n >= 2 && path[n - 1] == '.' && path[n - 2] == '/'))
		return verdict_deny(EINVAL);
	if ((n == 2 && path[0] == '.' && path[1] == '.') ||
	    (n >= 3 && path[n - 1] == '.' && path[n - 2] == '.' && path[n - 3] == '/'))
		return verdict_deny(ENOTEMPTY);
	return unlink_common(ctx, req, AT_FDCWD, req->args[0], AT_REMOVEDIR);
}

static struct verdict h_unlinkat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return unlink_common(ctx, req, req_arg_fd(req, 0), req->args[1], (int)req->args[2]);
}

static struct verdict link_common(struct emul_ctx *ctx, const struct sc_request *req, int odirfd,
				  uint64_t oaddr, int ndirfd, uint64_t naddr, int flags)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc from, to;
	int cdir, r;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return verdict_deny(EINVAL);
	char opath[PATH_MAX];
	r = get_path(req, oaddr, opath);
	if (r == 0 && !opath[0] && (flags & AT_EMPTY_PATH)) {
		/* the fd's own file, by its guest path */
		r = fs_fd_vpath(fs_of(ctx), req->tid, odirfd, opath, sizeof(opath));
		if (r == 0)
			r = fs_resolve(fs_of(ctx), req->tid, AT_FDCWD, opath, 0, &from);
	} else if (r == 0) {
		r = fs_resolve(fs_of(ctx), req->tid, odirfd, opath,
			       (flags & AT_SYMLINK_FOLLOW) ? FS_FOLLOW : 0, &from);
	}
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&from)) {
		fs_loc_free(&from);
		return verdict_deny(ENOENT);
	}
	if (S_ISDIR(from.e.st.st_mode) || !from.name[0]) {
		fs_loc_free(&from);
		return verdict_deny(EPERM);
	}
	r = prepare_new(ctx, req, ndirfd, naddr, false, &to, &cdir);
	if (r < 0) {
		fs_loc_free(&from);
		return verdict_deny(-r);
	}
	if (from.m != to.m)
		r = -EXDEV;
	else if (fs_loc_readonly(fs, &from))
		r = -EROFS;
	else
		r = fs_loc_copy_up(fs, &from, false);
	if (r == 0)
		r = linkat(fs_loc_dirfd(&from), from.name, cdir, to.name, 0) < 0 ? -errno : 0;
	fs_loc_free(&from);
	fs_loc_free(&to);
	return ret_errno(r);
}

static struct verdict h_link(struct emul_ctx *ctx, const struct sc_request *req)
{
	return link_common(ctx, req, AT_FDCWD, req->args[0], AT_FDCWD, req->args[1], 0);
}

static struct verdict h_linkat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return link_common(ctx, req, req_arg_fd(req, 0), req->args[1], req_arg_fd(req, 2), req->args[3],
			   (int)req->args[4]);
}

/* Whether a lower layer (not the upper) shows name in loc's directory. */
static bool lower_has(const struct fs_loc *loc)
{
	struct cow_walk skip;
	struct cow_entry e;
	size_t from = loc->dir.n && loc->dir.idx[0] == -1 ? 1 : 0;

	if (loc->m > 0 || loc->dir.n <= from)
		return false;
	skip.n = loc->dir.n - from;
	memcpy(skip.fd, loc->dir.fd + from, sizeof(int) * skip.n);
	memcpy(skip.idx, loc->dir.idx + from, sizeof(int) * skip.n);
	memset(skip.own, 0, sizeof(skip.own));
	return cow_walk_step(&skip, loc->name, false, false, &e, NULL) == 0 && e.where == COW_LOWER;
}

static int make_whiteout(int dirfd, const char *name)
{
	return mknodat(dirfd, name, S_IFCHR | 0, 0) < 0 ? -errno : 0;
}

static struct verdict rename_common(struct emul_ctx *ctx, const struct sc_request *req,
				    int odirfd, uint64_t oaddr, int ndirfd, uint64_t naddr,
				    unsigned flags)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc from, to;
	int r, odir, ndir;
	bool old_below, dir;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return verdict_deny(EINVAL);
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return verdict_deny(EINVAL);
	if (flags & RENAME_WHITEOUT)
		return verdict_deny(EPERM);
	r = resolve_at(ctx, req, odirfd, oaddr, FS_LAST_AS_IS, &from);
	if (r < 0)
		return verdict_deny(-r);
	r = resolve_at(ctx, req, ndirfd, naddr, FS_LAST_AS_IS, &to);
	if (r < 0) {
		fs_loc_free(&from);
		return verdict_deny(-r);
	}
	if (!fs_loc_exists(&from)) {
		r = -ENOENT;
		goto out;
	}
	if (!from.name[0] || !to.name[0]) {
		r = -EBUSY;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && !fs_loc_exists(&to)) {
		r = -ENOENT;
		goto out;
	}
	if ((flags & RENAME_NOREPLACE) && fs_loc_exists(&to)) {
		r = -EEXIST;
		goto out;
	}
	if (from.m != to.m) {
		r = -EXDEV;
		goto out;
	}
	if (fs_loc_readonly(fs, &from)) {
		r = -EROFS;
		goto out;
	}
	if (strcmp(from.vpath, to.vpath) == 0) {
		r = 0; /* the same name: nothing to do */
		goto out;
	}
	dir = S_ISDIR(from.e.st.st_mode);
	if (dir && strncmp(to.vpath, from.vpath, strlen(from.vpath)) == 0 &&
	    to.vpath[strlen(from.vpath)] == '/') {
		r = -EINVAL; /* into itself */
		goto out;
	}
	if (fs_loc_exists(&to)) {
		if (dir && !S_ISDIR(to.e.st.st_mode) && !(flags & RENAME_EXCHANGE)) {
			r = -ENOTDIR;
			goto out;
		}
		if (!dir && S_ISDIR(to.e.st.st_mode) && !(flags & RENAME_EXCHANGE)) {
			r = -EISDIR;
			goto out;
		}
	}
	if (from.m > 0) {
		r = syscall(SYS_renameat2, from.dir.fd[0], from.name, to.dir.fd[0], to.name, flags) < 0
			    ? -errno : 0;
		goto out;
	}
	/* a directory the base layers have (or merge into) cannot move in the
	 * upper layer alone: EXDEV, as overlayfs says, and mv copies instead */
	old_below = lower_has(&from);
	if (dir && (from.e.where == COW_LOWER || old_below)) {
		r = -EXDEV;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && S_ISDIR(to.e.st.st_mode) &&
	    (to.e.where == COW_LOWER || lower_has(&to))) {
		r = -EXDEV;
		goto out;
	}
	if (dir && fs_loc_exists(&to) && S_ISDIR(to.e.st.st_mode) && !(flags & RENAME_EXCHANGE)) {
		/* replacing a directory: it must be empty in the merged view */
		r = cow_rmdir(&fs->stack, to.rel);
		if (r < 0)
			goto out;
		fs_loc_free(&to);
		r = resolve_at(ctx, req, ndirfd, naddr, 0, &to);
		if (r < 0) {
			to.dir.n = 0;
			goto out;
		}
	}
	r = fs_loc_copy_up(fs, &from, false);
	if (r == 0 && (flags & RENAME_EXCHANGE))
		r = fs_loc_copy_up(fs, &to, false);
	if (r == 0)
		r = fs_loc_change_dir(fs, &to, &ndir);
	if (r == 0)
		r = fs_loc_change_dir(fs, &from, &odir);
	if (r < 0)
		goto out;
	if (!(flags & RENAME_EXCHANGE) && to.e.where == COW_WHITEOUT)
		unlinkat(ndir, to.name, 0);
	r = syscall(SYS_renameat2, odir, from.name, ndir, to.name, flags) < 0 ? -errno : 0;
	if (r == 0 && !(flags & RENAME_EXCHANGE)) {
		if (old_below || from.e.where == COW_LOWER)
			r = make_whiteout(odir, from.name);
		if (dir)
			opaque_if_below(fs, &to, ndir);
	}
out:
	/* directories moved or replaced: no cached walk of theirs holds */
	fs_dcache_flush(&fs->dcache);
	fs_loc_free(&from);
	fs_loc_free(&to);
	return ret_errno(r);
}

static struct verdict h_rename(struct emul_ctx *ctx, const struct sc_request *req)
{
	return rename_common(ctx, req, AT_FDCWD, req->args[0], AT_FDCWD, req->args[1], 0);
}

static struct verdict h_renameat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return rename_common(ctx, req, req_arg_fd(req, 0), req->args[1], req_arg_fd(req, 2), req->args[3], 0);
}

static struct verdict h_renameat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	return rename_common(ctx, req, req_arg_fd(req, 0), req->args[1], req_arg_fd(req, 2), req->args[3],
			     (unsigned)req->args[4]);
}

/* ---- directories: chdir, getcwd, chroot ---- */

static int check_dir_search(const struct fs_loc *loc)
{
	if (!fs_loc_exists(loc))
		return -ENOENT;
	if (!S_ISDIR(loc->e.st.st_mode))
		return -ENOTDIR;
	if (faccessat(fs_loc_dirfd(loc), loc->name[0] ? loc->name : ".", X_OK,
		      loc->name[0] ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		return -errno;
	return 0;
}

static struct verdict h_chdir(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_loc loc;
	int r = resolve_at(ctx, req, AT_FDCWD, req->args[0], FS_FOLLOW, &loc);

	if (r < 0)
		return verdict_deny(-r);
	r = check_dir_search(&loc);
	if (r == 0)
		fs_set_cwd(fs_of(ctx), req->tid, loc.vpath);
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_fchdir(struct emul_ctx *ctx, const struct sc_request *req)
{
	char vpath[PATH_MAX], p[64];
	struct stat st;
	int fd = req_arg_fd(req, 0), r;

	guest_fd_path(p, sizeof(p), req->tid, fd);
	if (stat(p, &st) < 0)
		return verdict_deny(EBADF);
	if (!S_ISDIR(st.st_mode))
		return verdict_deny(ENOTDIR);
	r = fs_dirfd_vpath(fs_of(ctx), req->tid, fd, vpath, sizeof(vpath));
	if (r < 0)
		return verdict_deny(r == -EBADF ? EBADF : ENOENT);
	fs_set_cwd(fs_of(ctx), req->tid, vpath);
	return verdict_return(0);
}

static struct verdict h_getcwd(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_proc *p = fs_proc_of(fs, req->tid);
	char out[PATH_MAX + 16], cwd[PATH_MAX], root[PATH_MAX];
	size_t n, size = (size_t)req->args[1];
	int r;

	if (!p)
		return verdict_deny(ENOMEM);
	pthread_mutex_lock(&fs->lock);
	snprintf(cwd, sizeof(cwd), "%s", p->cwd);
	snprintf(root, sizeof(root), "%s", p->root);
	pthread_mutex_unlock(&fs->lock);
	if (!fs_vpath_is_dir(fs, cwd))
		return verdict_deny(ENOENT); /* removed since */
	ssize_t k = path_prefix_len(cwd, root);
	if (k >= 0)
		snprintf(out, sizeof(out), "%s", cwd[k] ? cwd + k : "/");
	else
		snprintf(out, sizeof(out), "(unreachable)%s", cwd);
	n = strlen(out) + 1;
	if (size < n)
		return verdict_deny(ERANGE);
	r = req_write(req, req->args[0], out, n);
	return r < 0 ? verdict_deny(-r) : verdict_return((int64_t)n);
}

/* Whether the caller may chroot: root in the guest's eyes (the virtual
 * root, or a real euid 0). */
static bool may_chroot(struct emul_ctx *ctx, const struct sc_request *req)
{
	char v[64];
	unsigned ruid, euid;

	if (fs_of(ctx)->fake_root)
		return true;
	return fs_status_field(req->tid, "Uid:", v, sizeof(v)) &&
	       sscanf(v, "%u %u", &ruid, &euid) == 2 && euid == 0;
}

static struct verdict h_chroot(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_loc loc;
	int r;

	r = resolve_at(ctx, req, AT_FDCWD, req->args[0], FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	r = check_dir_search(&loc);
	if (r == 0 && !may_chroot(ctx, req))
		r = -EPERM;
	if (r == 0)
		fs_set_root(fs_of(ctx), req->tid, loc.vpath);
	fs_loc_free(&loc);
	return ret_errno(r);
}

/* ---- metadata changes ---- */

/* What a metadata change applies to: loc copied up, then its upper path. */
static int change_target(struct fs_emul *fs, struct fs_loc *loc, char *p, size_t size)
{
	int r;

	if (!fs_loc_exists(loc))
		return -ENOENT;
	if (fs_loc_readonly(fs, loc))
		return -EROFS;
	r = fs_loc_copy_up(fs, loc, false);
	if (r < 0)
		return r;
	fs_at_path(p, size, fs_loc_dirfd(loc), loc->name);
	return 0;
}

/* For calls on a guest fd: the fd's file, copied up when it is a base
 * layer's (the guest's fd keeps reading the same bytes). 1: not one of
 * the layers' files, let the call run on the fd. */
static int fd_change_target(struct fs_emul *fs, const struct sc_request *req, int fd,
			    struct fs_loc *loc, char *p, size_t size)
{
	char vpath[PATH_MAX], host[PATH_MAX], link[64];
	ssize_t n;
	int r;

	guest_fd_path(link, sizeof(link), req->tid, fd);
	n = readlink(link, host, sizeof(host) - 1);
	if (n < 0)
		return -EBADF;
	host[n] = '\0';
	/* only files of the base layers need care: everything else (the
	 * upper layer, binds, pipes) is changed through the fd itself */
	if (host[0] != '/' || fs_host_to_guest(fs, host, vpath, sizeof(vpath)) != FS_HOST_LOWER)
		return 1;
	r = fs_resolve(fs, req->tid, AT_FDCWD, vpath, 0, loc);
	if (r < 0)
		return r;
	r = change_target(fs, loc, p, size);
	if (r < 0)
		fs_loc_free(loc);
	return r;
}

static int do_chmod(struct fs_emul *fs, const char *p, mode_t mode)
{
	int r = chmod(p, mode & 07777) < 0 ? -errno : 0;

	if (r == -EPERM && fs->fake_root) {
		char v[16];
		snprintf(v, sizeof(v), "%o", (unsigned)(mode & 07777));
		r = setxattr(p, COW_XATTR_MODE, v, strlen(v), 0) < 0 ? -errno : 0;
	} else if (r == 0 && fs->fake_root) {
		removexattr(p, COW_XATTR_MODE);
	}
	return r;
}

static struct verdict chmod_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				   uint64_t addr, mode_t mode, int flags)
{
	struct fs_emul *fs = fs_of(ctx);
	char p[FS_AT_PATH_MAX];
	struct fs_loc loc;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return verdict_deny(EINVAL);
	r = resolve_at(ctx, req, dirfd, addr, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (fs_loc_exists(&loc) && S_ISLNK(loc.e.st.st_mode))
		r = -EOPNOTSUPP;
	else
		r = change_target(fs, &loc, p, sizeof(p));
	if (r == 0)
		r = do_chmod(fs, p, mode);
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_chmod(struct emul_ctx *ctx, const struct sc_request *req)
{
	return chmod_common(ctx, req, AT_FDCWD, req->args[0], (mode_t)req->args[1], 0);
}

static struct verdict h_fchmodat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return chmod_common(ctx, req, req_arg_fd(req, 0), req->args[1], (mode_t)req->args[2], 0);
}

static struct verdict h_fchmodat2(struct emul_ctx *ctx, const struct sc_request *req)
{
	return chmod_common(ctx, req, req_arg_fd(req, 0), req->args[1], (mode_t)req->args[2],
			    (int)req->args[3]);
}

static struct verdict h_fchmod(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc loc;
	char p[FS_AT_PATH_MAX];
	int r = fd_change_target(fs, req, req_arg_fd(req, 0), &loc, p, sizeof(p));

	if (r == 1) {
		if (!fs->fake_root)
			return verdict_pass();
		char link[64];
		guest_fd_path(link, sizeof(link), req->tid, req_arg_fd(req, 0));
		return ret_errno(do_chmod(fs, link, (mode_t)req->args[1]));
	}
	if (r < 0)
		return verdict_deny(-r);
	r = do_chmod(fs, p, (mode_t)req->args[1]);
	fs_loc_free(&loc);
	return ret_errno(r);
}

static int do_chown(struct fs_emul *fs, const char *p, uint32_t uid, uint32_t gid, bool follow)
{
	if (fs->fake_root) {
		/* the virtual root's chown is recorded: the host keeps the file
		 * as the user's, stat shows the recorded owner */
		char v[32];
		struct stat st;
		uid_t cu;
		gid_t cg;
		mode_t m;

		if ((follow ? stat(p, &st) : lstat(p, &st)) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return 0; /* user.* xattrs cannot be set on symlinks */
		cu = st.st_uid;
		cg = st.st_gid;
		m = st.st_mode;
		fake_owner(fs, p, &cu, &cg, &m, NULL);
		snprintf(v, sizeof(v), "%u:%u", uid == (uint32_t)-1 ? (unsigned)cu : uid,
			 gid == (uint32_t)-1 ? (unsigned)cg : gid);
		return (follow ? setxattr(p, COW_XATTR_OWNER, v, strlen(v), 0)
			       : lsetxattr(p, COW_XATTR_OWNER, v, strlen(v), 0)) < 0 ? -errno : 0;
	}
	return (follow ? chown(p, uid, gid) : lchown(p, uid, gid)) < 0 ? -errno : 0;
}

static struct verdict chown_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				   uint64_t addr, uint32_t uid, uint32_t gid, int flags)
{
	struct fs_emul *fs = fs_of(ctx);
	char p[FS_AT_PATH_MAX];
	struct fs_loc loc;
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return verdict_deny(EINVAL);
	r = resolve_at(ctx, req, dirfd, addr, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	r = change_target(fs, &loc, p, sizeof(p));
	if (r == 0)
		r = do_chown(fs, p, uid, gid, false);
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_chown(struct emul_ctx *ctx, const struct sc_request *req)
{
	return chown_common(ctx, req, AT_FDCWD, req->args[0], (uint32_t)req->args[1],
			    (uint32_t)req->args[2], 0);
}

static struct verdict h_lchown(struct emul_ctx *ctx, const struct sc_request *req)
{
	return chown_common(ctx, req, AT_FDCWD, req->args[0], (uint32_t)req->args[1],
			    (uint32_t)req->args[2], AT_SYMLINK_NOFOLLOW);
}

static struct verdict h_fchownat(struct emul_ctx *ctx, const struct sc_request *req)
{
	char path[PATH_MAX];
	int flags = (int)req->args[4];

	if ((flags & AT_EMPTY_PATH) && get_path(req, req->args[1], path) == 0 && !path[0]) {
		struct fs_emul *fs = fs_of(ctx);
		struct fs_loc loc;
		char p[FS_AT_PATH_MAX];
		int r = fd_change_target(fs, req, req_arg_fd(req, 0), &loc, p, sizeof(p));
		if (r == 1 && !fs->fake_root)
			return verdict_pass();
		if (r == 1) {
			guest_fd_path(p, sizeof(p), req->tid, req_arg_fd(req, 0));
			return ret_errno(do_chown(fs, p, (uint32_t)req->args[2],
						  (uint32_t)req->args[3], true));
		}
		if (r < 0)
			return verdict_deny(-r);
		r = do_chown(fs, p, (uint32_t)req->args[2], (uint32_t)req->args[3], false);
		fs_loc_free(&loc);
		return ret_errno(r);
	}
	return chown_common(ctx, req, req_arg_fd(req, 0), req->args[1], (uint32_t)req->args[2],
			    (uint32_t)req->args[3], flags);
}

static struct verdict h_fchown(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc loc;
	char p[FS_AT_PATH_MAX];
	int r = fd_change_target(fs, req, req_arg_fd(req, 0), &loc, p, sizeof(p));

	if (r == 1 && !fs->fake_root)
		return verdict_pass();
	if (r == 1) {
		guest_fd_path(p, sizeof(p), req->tid, req_arg_fd(req, 0));
		return ret_errno(do_chown(fs, p, (uint32_t)req->args[1], (uint32_t)req->args[2], true));
	}
	if (r < 0)
		return verdict_deny(-r);
	r = do_chown(fs, p, (uint32_t)req->args[1], (uint32_t)req->args[2], false);
	fs_loc_free(&loc);
	return ret_errno(r);
}

/* utimensat(dirfd, path, times, flags); times already read (NULL: now). */
static struct verdict utimes_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				    uint64_t addr, const struct timespec *ts, int flags)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc loc;
	char p[FS_AT_PATH_MAX];
	int r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return verdict_deny(EINVAL);
	if (!addr) {
		/* futimens(fd): the fd's file */
		r = fd_change_target(fs, req, dirfd, &loc, p, sizeof(p));
		if (r == 1)
			return verdict_pass();
		if (r < 0)
			return verdict_deny(-r);
		r = utimensat(AT_FDCWD, p, ts, 0) < 0 ? -errno : 0;
		fs_loc_free(&loc);
		return ret_errno(r);
	}
	r = resolve_at(ctx, req, dirfd, addr, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	r = change_target(fs, &loc, p, sizeof(p));
	if (r == 0)
		r = utimensat(fs_loc_dirfd(&loc), loc.name[0] ? loc.name : ".", ts,
			      loc.name[0] ? AT_SYMLINK_NOFOLLOW : 0) < 0 ? -errno : 0;
	fs_loc_free(&loc);
	return ret_errno(r);
}

static struct verdict h_utimensat(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct timespec ts[2];

	if (req->args[2] && req_read(req, req->args[2], ts, sizeof(ts)) < 0)
		return verdict_deny(EFAULT);
	return utimes_common(ctx, req, req_arg_fd(req, 0), req->args[1], req->args[2] ? ts : NULL,
			     (int)req->args[3]);
}

static struct verdict timeval_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				     uint64_t addr, uint64_t tvaddr)
{
	struct timeval tv[2];
	struct timespec ts[2];

	if (!tvaddr)
		return utimes_common(ctx, req, dirfd, addr, NULL, 0);
	if (req_read(req, tvaddr, tv, sizeof(tv)) < 0)
		return verdict_deny(EFAULT);
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return verdict_deny(EINVAL);
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return utimes_common(ctx, req, dirfd, addr, ts, 0);
}

static struct verdict h_utimes(struct emul_ctx *ctx, const struct sc_request *req)
{
	return timeval_common(ctx, req, AT_FDCWD, req->args[0], req->args[1]);
}

static struct verdict h_futimesat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return timeval_common(ctx, req, req_arg_fd(req, 0), req->args[1], req->args[2]);
}

static struct verdict h_utime(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct { int64_t actime, modtime; } ub;
	struct timespec ts[2];

	if (!req->args[1])
		return utimes_common(ctx, req, AT_FDCWD, req->args[0], NULL, 0);
	if (req_read(req, req->args[1], &ub, sizeof(ub)) < 0)
		return verdict_deny(EFAULT);
	ts[0] = (struct timespec){ .tv_sec = ub.actime };
	ts[1] = (struct timespec){ .tv_sec = ub.modtime };
	return utimes_common(ctx, req, AT_FDCWD, req->args[0], ts, 0);
}

static struct verdict h_truncate(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	int64_t len = (int64_t)req->args[1];
	struct fs_loc loc;
	int r, fd;

	if (len < 0)
		return verdict_deny(EINVAL);
	r = resolve_at(ctx, req, AT_FDCWD, req->args[0], FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc))
		r = -ENOENT;
	else if (S_ISDIR(loc.e.st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(loc.e.st.st_mode))
		r = -EINVAL;
	else if (fs_loc_readonly(fs, &loc))
		r = -EROFS;
	else
		r = fs_loc_copy_up(fs, &loc, false);
	if (r == 0) {
		fd = fs_loc_open(&loc, O_WRONLY, 0);
		r = fd < 0 ? fd : (ftruncate(fd, len) < 0 ? -errno : 0);
		if (fd >= 0)
			close(fd);
	}
	fs_loc_free(&loc);
	return ret_errno(r);
}

/* ---- xattrs ---- */

static bool xattr_hidden(const char *name)
{
	return strncmp(name, "user.umld.", 10) == 0 || strncmp(name, "user.overlay.", 13) == 0 ||
	       strncmp(name, "trusted.overlay.", 16) == 0;
}

enum xop { XGET, XSET, XLIST, XREMOVE };

static struct verdict xattr_common(struct emul_ctx *ctx, const struct sc_request *req,
				   enum xop op, bool follow)
{
	struct fs_emul *fs = fs_of(ctx);
	char name[256], p[FS_AT_PATH_MAX];
	struct fs_loc loc;
	int r;
	ssize_t n = 0;
	uint64_t value = op == XLIST ? req->args[1] : req->args[2];
	size_t size = (size_t)(op == XLIST ? req->args[2] : req->args[3]);

	if (op != XLIST) {
		ssize_t nl = req_read_str(req, req->args[1], name, sizeof(name));
		if (nl < 0)
			return verdict_deny(nl == -ENAMETOOLONG ? ERANGE : (int)-nl);
		if (!name[0])
			return verdict_deny(ERANGE);
		if (xattr_hidden(name))
			return verdict_deny(op == XGET ? ENODATA : EPERM);
	}
	if (size > 65536)
		size = 65536;
	r = resolve_at(ctx, req, AT_FDCWD, req->args[0], follow ? FS_FOLLOW : 0, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc)) {
		fs_loc_free(&loc);
		return verdict_deny(ENOENT);
	}
	if (op == XSET || op == XREMOVE) {
		r = change_target(fs, &loc, p, sizeof(p));
		if (r < 0)
			goto out;
	} else {
		fs_at_path(p, sizeof(p), fs_loc_dirfd(&loc), loc.name);
	}
	switch (op) {
	case XGET: {
		char *buf = size ? malloc(size) : NULL;
		if (size && !buf) {
			r = -ENOMEM;
			break;
		}
		n = lgetxattr(p, name, buf, size);
		r = n < 0 ? -errno : 0;
		if (r == 0 && size)
			r = req_write(req, value, buf, (size_t)n);
		free(buf);
		break;
	}
	case XSET: {
		char *buf = malloc(size ? size : 1);
		if (!buf) {
			r = -ENOMEM;
			break;
		}
		r = req_read(req, value, buf, size);
		if (r == 0)
			r = lsetxattr(p, name, buf, size, (int)req->args[4]) < 0 ? -errno : 0;
		free(buf);
		break;
	}
	case XREMOVE:
		r = lremovexattr(p, name) < 0 ? -errno : 0;
		break;
	case XLIST: {
		char all[65536], out[65536];
		ssize_t m = llistxattr(p, all, sizeof(all));
		size_t o = 0;
		if (m < 0) {
			r = -errno;
			break;
		}
		for (ssize_t i = 0; i < m; i += (ssize_t)strlen(all + i) + 1) {
			size_t l = strlen(all + i) + 1;
			if (xattr_hidden(all + i))
				continue;
			memcpy(out + o, all + i, l);
			o += l;
		}
		n = (ssize_t)o;
		if (size && o > size)
			r = -ERANGE;
		else if (size)
			r = req_write(req, value, out, o);
		break;
	}
	}
out:
	fs_loc_free(&loc);
	if (r < 0)
		return verdict_deny(-r);
	return verdict_return(op == XSET || op == XREMOVE ? 0 : n);
}

static struct verdict h_getxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XGET, true);
}

static struct verdict h_lgetxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XGET, false);
}

static struct verdict h_setxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XSET, true);
}

static struct verdict h_lsetxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XSET, false);
}

static struct verdict h_listxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XLIST, true);
}

static struct verdict h_llistxattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XLIST, false);
}

static struct verdict h_removexattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XREMOVE, true);
}

static struct verdict h_lremovexattr(struct emul_ctx *c, const struct sc_request *r)
{
	return xattr_common(c, r, XREMOVE, false);
}

/* fsetxattr/fremovexattr on a base layer's file change its upper copy. */
static struct verdict h_fsetxattr(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_emul *fs = fs_of(ctx);
	struct fs_loc loc;
	char p[FS_AT_PATH_MAX], name[256];
	int r;

	if (req_read_str(req, req->args[1], name, sizeof(name)) >= 0 && xattr_hidden(name))
		return verdict_deny(EPERM);
	r = fd_change_target(fs, req, req_arg_fd(req, 0), &loc, p, sizeof(p));
	if (r == 1)
		return verdict_pass();
	if (r < 0)
		return verdict_deny(-r);
	fs_loc_free(&loc);
	return verdict_deny(EROFS); /* the fd reads the base layer: reopen to change it */
}

/* ---- statfs, inotify ---- */

static struct verdict h_statfs(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct fs_loc loc;
	struct statfs sf;
	char p[FS_AT_PATH_MAX];
	int r = resolve_at(ctx, req, AT_FDCWD, req->args[0], FS_FOLLOW, &loc);

	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc))
		r = -ENOENT;
	else {
		fs_at_path(p, sizeof(p), fs_loc_dirfd(&loc), loc.name);
		r = statfs(p, &sf) < 0 ? -errno : 0;
		if (r == 0 && fs_loc_readonly(fs_of(ctx), &loc))
			sf.f_flags |= ST_RDONLY;
	}
	fs_loc_free(&loc);
	if (r == 0)
		r = req_write(req, req->args[1], &sf, sizeof(sf));
	return ret_errno(r);
}

static struct verdict h_inotify_add_watch(struct emul_ctx *ctx, const struct sc_request *req)
{
	uint32_t mask = (uint32_t)req->args[2];
	struct fs_loc loc;
	char p[FS_AT_PATH_MAX];
	int r, ifd, wd;

	r = resolve_at(ctx, req, AT_FDCWD, req->args[1], (mask & 0x02000000) ? 0 : FS_FOLLOW, &loc);
	if (r < 0)
		return verdict_deny(-r);
	if (!fs_loc_exists(&loc)) {
		fs_loc_free(&loc);
		return verdict_deny(ENOENT);
	}
	ifd = fs_guest_fd_copy(req->tid, req_arg_fd(req, 0));
	if (ifd < 0) {
		fs_loc_free(&loc);
		return verdict_deny(EBADF);
	}
	fs_at_path(p, sizeof(p), fs_loc_dirfd(&loc), loc.name);
	wd = inotify_add_watch(ifd, p, mask);
	r = wd < 0 ? -errno : wd;
	close(ifd);
	fs_loc_free(&loc);
	return ret_errno(r);
}

/* ---- denied ---- */

static struct verdict h_eperm(struct emul_ctx *ctx, const struct sc_request *req)
{
	(void)ctx;
	(void)req;
	return verdict_deny(EPERM);
}

static struct verdict h_enosys(struct emul_ctx *ctx, const struct sc_request *req)
{
	(void)ctx;
	glog_debug(req->tid, "%s with a path is not emulated: ENOSYS",
		  req->info ? req->info->name : "?");
	return verdict_deny(ENOSYS);
}

#define H64(n, f) { .name = #n, .abis = EMUL_ABI_64, .enter = f }

static const struct emul_handler fs_handlers[] = {
	H64(open, h_open),
	H64(openat, h_openat),
	H64(openat2, h_openat2),
	H64(creat, h_creat),
	H64(stat, h_stat),
	H64(lstat, h_lstat),
	H64(newfstatat, h_newfstatat),
	H64(statx, h_statx),
	H64(access, h_access),
	H64(faccessat, h_faccessat),
	H64(faccessat2, h_faccessat2),
	H64(readlink, h_readlink),
	H64(readlinkat, h_readlinkat),
	H64(mkdir, h_mkdir),
	H64(mkdirat, h_mkdirat),
	H64(mknod, h_mknod),
	H64(mknodat, h_mknodat),
	H64(symlink, h_symlink),
	H64(symlinkat, h_symlinkat),
	H64(unlink, h_unlink),
	H64(unlinkat, h_unlinkat),
	H64(rmdir, h_rmdir),
	H64(link, h_link),
	H64(linkat, h_linkat),
	H64(rename, h_rename),
	H64(renameat, h_renameat),
	H64(renameat2, h_renameat2),
	H64(chdir, h_chdir),
	H64(fchdir, h_fchdir),
	H64(getcwd, h_getcwd),
	H64(chroot, h_chroot),
	H64(chmod, h_chmod),
	H64(fchmodat, h_fchmodat),
	H64(fchmodat2, h_fchmodat2),
	H64(fchmod, h_fchmod),
	H64(chown, h_chown),
	H64(lchown, h_lchown),
	H64(fchownat, h_fchownat),
	H64(fchown, h_fchown),
	H64(utime, h_utime),
	H64(utimes, h_utimes),
	H64(utimensat, h_utimensat),
	H64(futimesat, h_futimesat),
	H64(truncate, h_truncate),
	H64(getxattr, h_getxattr),
	H64(lgetxattr, h_lgetxattr),
	H64(setxattr, h_setxattr),
	H64(lsetxattr, h_lsetxattr),
	H64(listxattr, h_listxattr),
	H64(llistxattr, h_llistxattr),
	H64(removexattr, h_removexattr),
	H64(lremovexattr, h_lremovexattr),
	H64(fsetxattr, h_fsetxattr),
	H64(fremovexattr, h_fsetxattr),
	H64(statfs, h_statfs),
	H64(inotify_add_watch, h_inotify_add_watch),
	H64(flock, h_flock),
	/* the mount family and handles: a guest has no mounts of its own */
	H64(mount, h_eperm),
	H64(umount2, h_eperm),
	H64(pivot_root, h_eperm),
	H64(open_tree, h_eperm),
	H64(move_mount, h_eperm),
	H64(fspick, h_eperm),
	H64(fsopen, h_eperm),
	H64(fsmount, h_eperm),
	H64(mount_setattr, h_eperm),
	H64(name_to_handle_at, h_eperm),
	H64(open_by_handle_at, h_eperm),
	H64(fanotify_mark, h_eperm),
	H64(swapon, h_eperm),
	H64(swapoff, h_eperm),
	H64(acct, h_eperm),
	H64(quotactl, h_eperm),
};

/* fstat passes unless stat must show the fake root's recorded owners:
 * claimed only then (it is a frequent call). */
static const struct emul_handler fs_fake_root_handlers[] = {
	H64(fstat, h_fstat),
};

const struct emul_feature emul_feature_fs_fake_root = {
	.name = "fs-fake-root",
	.handlers = fs_fake_root_handlers,
	.count = ARRAY_SIZE(fs_fake_root_handlers),
};

const struct emul_feature emul_feature_fs = {
	.name = "fs",
	.handlers = fs_handlers,
	.count = ARRAY_SIZE(fs_handlers),
};

/* Every other call that takes a path (the i386 ABI's, and the rarer ones):
 * denied with ENOSYS, so that none runs on the host's tree unseen. */
static const struct emul_handler deny_path = { .name = "path call", .enter = h_enosys };

void fs_claim_rest(struct emul_table *t)
{
	for (size_t i = 0; i < sc_count(); i++) {
		const struct sc_info *info = sc_at(i);
		bool path = false;

		for (unsigned a = 0; a < info->nargs; a++)
			if (info->args[a] == ARG_PATH)
				path = true;
		if (!path)
			continue;
		for (int abi = 0; abi < ABI_COUNT; abi++) {
			int nr = info->nr[abi];
			if (nr < 0 || nr >= SC_NR_LIMIT || t->by_nr[abi][nr])
				continue;
			t->by_nr[abi][nr] = &deny_path;
			t->claimed++;
		}
	}
}
