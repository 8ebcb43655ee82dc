/* The containerized filesystem backend: in the guest's own mount namespace,
 * its root is one overlayfs mount of the layers (or a read-only bind of a
 * single base layer), host directories are bound into it, /proc, /dev and
 * /sys are added, and pivot_root makes it the root. fs_mount_enter runs in
 * the guest's first process between clone and exec (no malloc, no stdio:
 * stack buffers and system calls); fs_mount_probe rehearses it in a
 * short-lived child so that the backend is chosen only where it works. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/idmap.h"
#include "common/util.h"
#include "emul/fs.h"

/* Where the new root is put together before pivot_root. Any directory
 * would do: every host path the mounts need is opened before it is covered
 * and reached through /proc/self/fd, so layers and binds under /tmp (or /tmp
 * itself) still work. */
#define FS_STAGE "/tmp"

/* The fds opened before anything is mounted; -1 where unused. */
struct mount_fds {
	int roots[FS_ROOTS_MAX]; /* lowest first */
	size_t nroots;
	int cow, work;
	int binds[FS_BINDS_MAX];
	int proc, dev, sys; /* the host's, bound into the guest */
	int root;           /* the new root, once mounted */
};

/* Fills why with the NULL-terminated list of strings (truncated to size)
 * and returns -e. */
static int fail(char *why, size_t size, int e, ...)
{
	va_list ap;
	const char *s;
	size_t n = 0;

	if (!size)
		return -e;
	va_start(ap, e);
	while ((s = va_arg(ap, const char *)))
		for (; *s && n + 1 < size; s++)
			why[n++] = *s;
	va_end(ap);
	why[n] = '\0';
	return -e;
}

/* Appends s to buf (of size); false when it does not fit. */
static bool append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf), k = strlen(s);

	if (n + k >= size)
		return false;
	memcpy(buf + n, s, k + 1);
	return true;
}

/* "/proc/self/fd/FD", without stdio. */
static const char *fd_path(char buf[32], int fd)
{
	char num[12];
	int n = 0;
	unsigned v = (unsigned)fd;

	do
		num[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 11);
	memcpy(buf, "/proc/self/fd/", 14);
	for (int i = 0; i < n; i++)
		buf[14 + i] = num[n - 1 - i];
	buf[14 + n] = '\0';
	return buf;
}

/* The overlayfs work directory of cow: "<parent>/.<basename>.umld-work",
 * next to it on the same filesystem and outside it. -ENAMETOOLONG, -EINVAL
 * for a cow of "/". */
static int workdir_path(const char *cow, char *buf, size_t size)
{
	size_t n = strlen(cow), slash;

	while (n > 1 && cow[n - 1] == '/')
		n--;
	for (slash = n; slash > 0 && cow[slash - 1] != '/'; slash--)
		;
	if (slash == 0 || slash == n)
		return -EINVAL; /* relative, or "/" */
	/* parent (with its slash), ".", basename, ".umld-work" */
	if (slash + 1 + (n - slash) + sizeof(".umld-work") > size)
		return -ENAMETOOLONG;
	memcpy(buf, cow, slash);
	buf[slash] = '.';
	memcpy(buf + slash + 1, cow + slash, n - slash);
	memcpy(buf + 1 + n, ".umld-work", sizeof(".umld-work"));
	return 0;
}

/* Opens guest (an absolute guest path) in the new root: symbolic links and
 * ".." stay inside it, as they will for the guest. */
static int open_in_root(int root, const char *guest, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	while (*guest == '/')
		guest++;
	fd = syscall(SYS_openat2, root, *guest ? guest : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Makes path (absolute, in the root) if it is missing: a directory, or an
 * empty file when !dir. Its parent must exist. */
static int make_one(int root, const char *path, bool dir)
{
	char parent[PATH_MAX];
	const char *name = strrchr(path, '/') + 1;
	size_t plen = (size_t)(name - path);
	int fd = open_in_root(root, path, O_PATH), pfd, r = 0;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -ENOENT || !*name)
		return fd == -ENOENT ? 0 : fd;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	pfd = open_in_root(root, parent, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		return pfd;
	if (dir) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			r = -errno;
	} else {
		fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST)
			r = -errno;
	}
	close(pfd);
	return r;
}

/* An O_PATH fd of the mount point guest in the new root. When it is missing
 * and create is set, it is made, parents first (a directory, or an empty
 * file for a file bind): with a cow layer that change lands there. */
static int mount_point(int root, const char *guest, bool dir, bool create)
{
	char prefix[PATH_MAX];
	size_t n = strlen(guest);
	int fd = open_in_root(root, guest, O_PATH), r;

	if (fd != -ENOENT || !create)
		return fd;
	if (n >= sizeof(prefix))
		return -ENAMETOOLONG;
	memcpy(prefix, guest, n + 1);
	for (size_t i = 1; i <= n; i++) {
		char c = prefix[i];

		if (c != '/' && c != '\0')
			continue;
		prefix[i] = '\0';
		r = make_one(root, prefix, dir || i < n);
		prefix[i] = c;
		if (r < 0)
			return r;
	}
	return open_in_root(root, guest, O_PATH);
}

/* The flags a remount must keep: in a user namespace, those of a mount
 * inherited from a more privileged one are locked, and a remount that
 * would clear one is refused (EPERM). */
static unsigned long locked_flags(int fd)
{
	static const struct {
		unsigned long st, ms;
	} map[] = {
		{ ST_NOSUID, MS_NOSUID },	{ ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC },	{ ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statfs sf;
	unsigned long f = 0;

	if (fstatfs(fd, &sf) < 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if ((unsigned long)sf.f_flags & map[i].st)
			f |= map[i].ms;
	return f;
}

/* Makes the mount at target (a path that reaches the mount's root, fd an
 * fd of it) read-only. */
static int remount_ro(const char *target, int fd)
{
	if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(fd),
		  NULL) < 0)
		return -errno;
	return 0;
}

/* The mount at fd and every mount under it read-only (mount_setattr,
 * Linux 5.12). */
static int remount_ro_tree(int fd)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof(attr)) < 0)
		return -errno;
	return 0;
}

static void fds_init(struct mount_fds *f)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < FS_ROOTS_MAX; i++)
		f->roots[i] = -1;
	for (size_t i = 0; i < FS_BINDS_MAX; i++)
		f->binds[i] = -1;
	f->cow = f->work = f->proc = f->dev = f->sys = f->root = -1;
}

static void fds_close(struct mount_fds *f)
{
	int *all[] = { &f->cow, &f->work, &f->proc, &f->dev, &f->sys, &f->root };

	for (size_t i = 0; i < FS_ROOTS_MAX; i++)
		if (f->roots[i] >= 0)
			close(f->roots[i]);
	for (size_t i = 0; i < FS_BINDS_MAX; i++)
		if (f->binds[i] >= 0)
			close(f->binds[i]);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (*all[i] >= 0)
			close(*all[i]);
	fds_init(f);
}

/* Opens every host path the mounts need, before any of them is covered. */
static int open_host_paths(const struct fs_wants *w, bool new_proc, struct mount_fds *f, char *why,
			   size_t size)
{
	char work[PATH_MAX];
	int e;

	f->nroots = w->nroots ? w->nroots : 1;
	for (size_t i = 0; i < f->nroots; i++) {
		const char *p = w->nroots ? w->roots[i] : "/";

		f->roots[i] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (f->roots[i] < 0) {
			e = errno;
			return fail(why, size, e, "--root ", p, ": ", strerror(e), NULL);
		}
	}
	if (w->cow) {
		f->cow = open(w->cow, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (f->cow < 0) {
			e = errno;
			return fail(why, size, e, "--cow ", w->cow, ": ", strerror(e), NULL);
		}
		e = -workdir_path(w->cow, work, sizeof(work));
		if (e == 0 && (f->work = open(work, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			e = errno;
		if (e)
			return fail(why, size, e, "overlayfs work directory of ", w->cow, ": ",
				    strerror(e), NULL);
	}
	for (size_t i = 0; i < w->nbinds; i++) {
		f->binds[i] = open(w->binds[i].host, O_PATH | O_CLOEXEC);
		if (f->binds[i] < 0) {
			e = errno;
			return fail(why, size, e, "--bind ", w->binds[i].host, ": ", strerror(e),
				    NULL);
		}
	}
	/* a host without one of these gives the guest none either */
	if (!new_proc)
		f->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->dev = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->sys = open("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return 0;
}

/* Mounts the layers at FS_STAGE: overlayfs, or a read-only bind of the one
 * base layer when there is no cow layer. Layers are taken whole, without
 * the mounts under them (overlayfs takes no submounts either). */
static int mount_layers(const struct fs_wants *w, const struct mount_fds *f, char *why,
			size_t size)
{
	char opts[1024] = "lowerdir=", p[32];
	bool ok = true;
	int e, stage;

	if (!w->cow && f->nroots == 1) {
		bool whole = false;

		if (mount(fd_path(p, f->roots[0]), FS_STAGE, NULL, MS_BIND, NULL) < 0) {
			/* EINVAL: in a user namespace, a tree whose submounts are
			 * locked (the host's /) binds only with them; all of it is
			 * then made read-only below */
			e = errno;
			whole = e == EINVAL &&
				mount(fd_path(p, f->roots[0]), FS_STAGE, NULL, MS_BIND | MS_REC,
				      NULL) == 0;
			if (!whole)
				return fail(why, size, e, "bind of the root ",
					    w->nroots ? w->roots[0] : "/", ": ", strerror(e), NULL);
		}
		stage = open(FS_STAGE, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (stage < 0)
			e = errno;
		else if (whole)
			e = -remount_ro_tree(stage);
		else
			e = -remount_ro(FS_STAGE, stage);
		if (stage >= 0)
			close(stage);
		if (e)
			return fail(why, size, e, "read-only remount of the root: ", strerror(e),
				    NULL);
		return 0;
	}
	/* overlayfs lists lowerdir topmost first; ours is lowest first */
	for (size_t i = f->nroots; i-- > 0;) {
		ok = ok && append(opts, sizeof(opts), fd_path(p, f->roots[i]));
		if (i > 0)
			ok = ok && append(opts, sizeof(opts), ":");
	}
	if (w->cow) {
		ok = ok && append(opts, sizeof(opts), ",upperdir=") &&
		     append(opts, sizeof(opts), fd_path(p, f->cow)) &&
		     append(opts, sizeof(opts), ",workdir=") &&
		     append(opts, sizeof(opts), fd_path(p, f->work));
	}
	/* user.overlay.* xattrs, as cowdisk writes (docs/cow-format.md); also
	 * what lets a user namespace mount it */
	ok = ok && append(opts, sizeof(opts), ",userxattr");
	if (!ok)
		return fail(why, size, E2BIG, "overlayfs: too many layers for one mount", NULL);
	if (mount("overlay", FS_STAGE, "overlay", w->cow ? 0 : MS_RDONLY, opts) < 0) {
		e = errno;
		if (e == EINVAL && !w->nroots)
			return fail(why, size, e, "overlayfs: ", strerror(e),
				    " (the host's / as a base layer: its mounts, locked in a user "
				    "namespace, cannot be left out; use --root)", NULL);
		return fail(why, size, e, "overlayfs: ", strerror(e), NULL);
	}
	return 0;
}

/* Mounts src (an fd path) or, with fstype, a new filesystem at guest path
 * target in the new root. A missing mount point is made when there is a cow
 * layer; otherwise -ENOENT, which the caller decides about. */
static int mount_at(const struct fs_wants *w, int root, const char *target, const char *src,
		    const char *fstype, unsigned long flags, bool dir)
{
	char p[32];
	int t = mount_point(root, target, dir, w->cow != NULL), r = 0;

	if (t < 0)
		return t;
	if (mount(src, fd_path(p, t), fstype, flags, NULL) < 0)
		r = -errno;
	close(t);
	return r;
}

/* /proc, /dev and /sys: where the root has no such directory and none can
 * be made (no cow layer), the guest goes without. */
static int mount_system(const struct fs_wants *w, const struct mount_fds *f, bool new_proc,
			char *why, size_t size)
{
	char p[32];
	const struct {
		const char *guest;
		int fd;
		bool want;
	} binds[] = {
		{ "/proc", f->proc, !new_proc }, { "/dev", f->dev, true }, { "/sys", f->sys, true },
	};
	int r;

	if (new_proc) {
		r = mount_at(w, f->root, "/proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			     true);
		if (r < 0 && r != -ENOENT)
			return fail(why, size, -r, "/proc of the guest's pid namespace: ",
				    strerror(-r), NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(binds); i++) {
		if (!binds[i].want || binds[i].fd < 0)
			continue;
		r = mount_at(w, f->root, binds[i].guest, fd_path(p, binds[i].fd), NULL,
			     MS_BIND | MS_REC, true);
		if (r < 0 && r != -ENOENT)
			return fail(why, size, -r, "bind of the host's ", binds[i].guest, ": ",
				    strerror(-r), NULL);
	}
	return 0;
}

static int mount_binds(const struct fs_wants *w, const struct mount_fds *f, char *why,
		       size_t size)
{
	char p[32];

	for (size_t i = 0; i < w->nbinds; i++) {
		const struct fs_bind *b = &w->binds[i];
		struct stat st;
		int r, t;

		if (fstat(f->binds[i], &st) < 0)
			return fail(why, size, errno, "--bind ", b->host, ": ", strerror(errno),
				    NULL);
		r = mount_at(w, f->root, b->guest, fd_path(p, f->binds[i]), NULL,
			     MS_BIND | MS_REC, S_ISDIR(st.st_mode));
		if (r == -ENOENT && !w->cow)
			return fail(why, size, ENOENT, "--bind ", b->host, ":", b->guest, ": ",
				    b->guest, " does not exist in the root (which is read-only "
				    "without --cow)", NULL);
		if (r < 0)
			return fail(why, size, -r, "--bind ", b->host, ":", b->guest, ": ",
				    strerror(-r), NULL);
		if (!b->ro)
			continue;
		/* the fd of the mount point is below the new mount: reopen */
		t = open_in_root(f->root, b->guest, O_PATH);
		r = t < 0 ? t : remount_ro(fd_path(p, t), t);
		if (t >= 0)
			close(t);
		if (r < 0)
			return fail(why, size, -r, "--bind ", b->host, ":", b->guest,
				    ": read-only remount: ", strerror(-r), NULL);
	}
	return 0;
}

static int enter(const struct fs_wants *w, const char *cwd, bool new_proc, struct mount_fds *f,
		 char *why, size_t size)
{
	int r, e;

	/* nothing below may propagate to the host's mounts */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		e = errno;
		return fail(why, size, e, "making / private: ", strerror(e), NULL);
	}
	r = open_host_paths(w, new_proc, f, why, size);
	if (r == 0)
		r = mount_layers(w, f, why, size);
	if (r < 0)
		return r;
	f->root = open(FS_STAGE, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (f->root < 0) {
		e = errno;
		return fail(why, size, e, "the new root: ", strerror(e), NULL);
	}
	r = mount_system(w, f, new_proc, why, size);
	if (r == 0)
		r = mount_binds(w, f, why, size);
	if (r < 0)
		return r;
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one, and the detach below takes it (and everything mounted in it)
	 * out of this namespace */
	if (fchdir(f->root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
		e = errno;
		return fail(why, size, e, "pivot_root: ", strerror(e), NULL);
	}
	if (cwd && chdir(cwd) < 0) {
		e = errno;
		return fail(why, size, e, "working directory ", cwd, ": ", strerror(e), NULL);
	}
	return 0;
}

int fs_mount_enter(const struct fs_wants *w, const char *cwd, bool new_proc, char *why,
		   size_t size)
{
	struct mount_fds f;
	int r;

	fds_init(&f);
	r = enter(w, cwd, new_proc, &f, why, size);
	fds_close(&f);
	return r;
}

/* ---- the probe, in the monitor ---- */

/* Makes the work directory (mode 0700, the monitor's) if it is missing. */
static int make_workdir(const char *cow, char *why, size_t size)
{
	char work[PATH_MAX];
	struct stat st;
	int r = workdir_path(cow, work, sizeof(work));

	if (r < 0)
		return fail(why, size, -r, "--cow ", cow, ": no place for overlayfs's work "
			    "directory next to it", NULL);
	if (mkdir(work, 0700) < 0 && errno != EEXIST)
		r = -errno;
	else if (lstat(work, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r < 0)
		return fail(why, size, -r, "overlayfs work directory ", work, ": ", strerror(-r),
			    NULL);
	return 0;
}

/* The probe's child: the guest's namespaces (mount, and a user namespace
 * mapping the caller's ids to themselves), then the real thing. */
static int probe_child(const struct fs_wants *w, bool userns, unsigned uid, unsigned gid,
		       char *why, size_t size)
{
	int e;

	if (unshare(CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0)) < 0) {
		e = errno;
		return fail(why, size, e, userns ? "unshare(CLONE_NEWUSER|CLONE_NEWNS): " :
			    "unshare(CLONE_NEWNS): ", strerror(e), NULL);
	}
	if (userns) {
		e = -idmap_write_self(uid, gid, false);
		if (e)
			return fail(why, size, e, "user namespace id maps: ", strerror(e), NULL);
	}
	return fs_mount_enter(w, NULL, false, why, size);
}

int fs_mount_probe(const struct fs_wants *w, bool userns, char *why, size_t size)
{
	unsigned uid = getuid(), gid = getgid();
	int pipefd[2], status, r;
	ssize_t n;
	pid_t pid;

	if (size)
		why[0] = '\0';
	if (w->cow && (r = make_workdir(w->cow, why, size)) < 0)
		return r;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return fail(why, size, errno, "pipe: ", strerror(errno), NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return fail(why, size, -r, "fork: ", strerror(-r), NULL);
	}
	if (pid == 0) {
		char msg[256];

		close(pipefd[0]);
		r = probe_child(w, userns, uid, gid, msg, sizeof(msg));
		if (r < 0 && write(pipefd[1], msg, strlen(msg)) < 0)
			_exit(EIO);
		_exit(r < 0 ? -r : 0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], why, size ? size - 1 : 0);
	if (size)
		why[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return fail(why, size, errno, "waitpid: ", strerror(errno), NULL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!WIFEXITED(status))
		return fail(why, size, EIO, "the probe ended by signal ",
			    strsignal(WTERMSIG(status)), NULL);
	if (size && !why[0])
		fail(why, size, 0, "the probe failed: ", strerror(WEXITSTATUS(status)), NULL);
	return -WEXITSTATUS(status);
}
