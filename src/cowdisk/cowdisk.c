/* cowdisk: lookups, copy-up, deletion and listing over a stack of layers in
 * overlayfs's format (docs/cow-format.md), and the `umld cow` operations. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "cowdisk/cowdisk.h"

#define TMP_NAME_SIZE 32

/* The one piece of file-level state: test hooks, set before any use. */
static struct {
	enum cow_copy_method copy;
	bool nofollow_walk;
} cow_test;

void cow_force_copy_method_for_tests(enum cow_copy_method m)
{
	cow_test.copy = m;
}

void cow_force_nofollow_walk_for_tests(bool on)
{
	cow_test.nofollow_walk = on;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
#define cleanup_closedir __attribute__((cleanup(closedirp)))

/* ---- names and paths ---- */

static bool is_tmp_name(const char *name)
{
	return strncmp(name, COW_TMP_PREFIX, sizeof(COW_TMP_PREFIX) - 1) == 0;
}

/* The layer's own files, never part of what the guest sees. */
static bool is_reserved(const char *name)
{
	return is_tmp_name(name);
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* Copies rel into out as "a/b/c": no empty or "." components. */
static int norm_rel(const char *rel, char *out, size_t size)
{
	size_t n = 0;
	const char *p = rel;

	if (!rel || rel[0] == '/')
		return -EINVAL;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (n + 1 + len + 1 > size)
				return -ENAMETOOLONG;
			if (n)
				out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = *e ? e + 1 : e;
	}
	out[n] = '\0';
	return 0;
}

/* Splits a normalised, non-empty rel in place: *parent ("" for the root)
 * and *name. */
static void split_rel(char *rel, const char **parent, const char **name)
{
	char *slash = strrchr(rel, '/');

	if (!slash) {
		*parent = "";
		*name = rel;
	} else {
		*slash = '\0';
		*parent = rel;
		*name = slash + 1;
	}
}

static char *join_rel(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (!p)
		return NULL;
	if (a) {
		memcpy(p, dir, a);
		p[a++] = '/';
	}
	memcpy(p + a, name, b + 1);
	return p;
}

static void tmp_name(char *buf, size_t size)
{
	uint64_t v;

	if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v)) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = ((uint64_t)getpid() << 40) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 8);
	}
	snprintf(buf, size, COW_TMP_PREFIX "%016llx", (unsigned long long)v);
}

/* ---- opening without following symlinks ---- */

/* The fallback for kernels without openat2: one component at a time. */
static int walk_open(int root, const char *rel, int flags, int *out)
{
	char buf[PATH_MAX];
	cleanup_close int cur = -1;
	char *p = buf;
	int fd;

	if (strlen(rel) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, rel);
	if (!*p) {
		fd = openat(root, ".", flags | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*out = fd;
		return 0;
	}
	for (;;) {
		char *slash = strchr(p, '/');
		int dir = cur >= 0 ? cur : root;

		if (slash)
			*slash = '\0';
		fd = openat(dir, p,
			    (slash ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		umld_closep(&cur);
		cur = fd;
		if (!slash)
			break;
		p = slash + 1;
	}
	*out = umld_take_fd(&cur);
	return 0;
}

/* Opens rel (normalised) beneath root: no symlink anywhere, nothing outside. */
static int open_beneath(int root, const char *rel, int flags, int *out)
{
	if (!cow_test.nofollow_walk) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};

		/* EAGAIN: a rename raced with the lookup; the kernel asks us to retry. */
		for (int tries = 0; tries < 16; tries++) {
			long fd = syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));

			if (fd >= 0) {
				*out = (int)fd;
				return 0;
			}
			if (errno != EAGAIN && errno != EINTR)
				break;
		}
		if (errno != ENOSYS && errno != EAGAIN)
			return -errno;
	}
	return walk_open(root, rel, flags, out);
}

/* A directory, readable when we may (for its xattrs and entries), else O_PATH. */
static int open_dir_at(int dirfd, const char *name, int *out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES)
		fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*out = fd;
	return 0;
}

/* xattr calls that also work on O_PATH fds, through their /proc magic link. */
static ssize_t fd_getxattr(int fd, const char *name, void *buf, size_t size)
{
	ssize_t n = fgetxattr(fd, name, buf, size);

	if (n < 0 && errno == EBADF) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n = getxattr(p, name, buf, size);
	}
	return n < 0 ? -errno : n;
}

static ssize_t fd_listxattr(int fd, char *buf, size_t size)
{
	ssize_t n = flistxattr(fd, buf, size);

	if (n < 0 && errno == EBADF) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		n = listxattr(p, buf, size);
	}
	return n < 0 ? -errno : n;
}

static bool is_opaque(int fd)
{
	char v[4];

	return fd_getxattr(fd, COW_XATTR_OPAQUE, v, sizeof(v)) == 1 && v[0] == 'y';
}

/* ---- resolution ---- */

static void walk_free(struct cow_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->own[i])
			close(w->fd[i]);
	w->n = 0;
}

void cow_walk_free(struct cow_walk *w)
{
	walk_free(w);
}

struct res {
	enum cow_where where;
	int idx;         /* the layer the entry is shown from (-1: upper) */
	struct stat st;  /* that entry */
	bool below;      /* a layer under it would show the path if it went */
	struct cow_walk dir; /* when it is a directory: its layers, top first */
};

static void res_free(struct res *r)
{
	walk_free(&r->dir);
}

static void walk_root(const struct cow_stack *s, bool skip_upper, struct cow_walk *w)
{
	memset(w, 0, sizeof(*w));
	if (s->upper_fd >= 0 && !skip_upper) {
		w->fd[w->n] = s->upper_fd;
		w->idx[w->n++] = -1;
	}
	for (size_t i = s->nlower; i-- > 0;) {
		w->fd[w->n] = s->lower_fd[i];
		w->idx[w->n++] = (int)i;
	}
}

void cow_walk_root(const struct cow_stack *s, struct cow_walk *w)
{
	walk_root(s, false, w);
}

/* One component down all layers at once, as overlayfs's lookup does: the
 * topmost entry wins; a directory merges with the directories below it
 * until an opaque one, a whiteout or a non-directory. */
int cow_walk_step(const struct cow_walk *w, const char *name, bool at_root, bool need_below,
		  struct cow_entry *e, struct cow_walk *into)
{
	bool found = false, merging = into != NULL, below_known = false;
	struct cow_walk nw = { 0 };
	int ret;

	memset(e, 0, sizeof(*e));
	e->where = COW_ABSENT;
	e->pos = -1;
	if (is_reserved(name))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		struct stat st;
		int fd = -1;

		if (fstatat(w->fd[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			ret = -errno;
			goto fail;
		}
		if (!found) {
			found = true;
			e->idx = w->idx[i];
			e->pos = (int)i;
			e->st = st;
		} else if (!below_known) {
			e->below = !is_whiteout(&st);
			below_known = true;
		}
		if (!merging) {
			if (below_known || !need_below)
				break;
			continue;
		}
		if (is_whiteout(&st) || !S_ISDIR(st.st_mode)) {
			merging = false;
			continue;
		}
		ret = open_dir_at(w->fd[i], name, &fd);
		if (ret < 0)
			goto fail;
		nw.fd[nw.n] = fd;
		nw.idx[nw.n] = w->idx[i];
		nw.own[nw.n++] = true;
		if (i + 1 < w->n && is_opaque(fd))
			merging = false;
	}
	if (!found)
		return 0;
	if (is_whiteout(&e->st)) {
		walk_free(&nw);
		e->where = e->idx < 0 ? COW_WHITEOUT : COW_ABSENT;
		return 0;
	}
	e->where = e->idx < 0 ? COW_UPPER : COW_LOWER;
	if (into)
		*into = nw;
	return 0;

fail:
	walk_free(&nw);
	return ret;
}

/* Walks rel (normalised) down all layers. skip_upper gives the view of the
 * lower layers alone. */
static int resolve(const struct cow_stack *s, const char *rel, bool skip_upper, struct res *r)
{
	struct cow_walk w;
	char buf[PATH_MAX];
	char *p = buf;

	memset(r, 0, sizeof(*r));
	if (strlen(rel) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, rel);
	walk_root(s, skip_upper, &w);
	r->where = COW_ABSENT;
	if (w.n == 0)
		return 0;
	r->idx = w.idx[0];
	if (fstat(w.fd[0], &r->st) < 0)
		return -errno;
	r->where = r->idx < 0 ? COW_UPPER : COW_LOWER;

	while (*p) {
		char *slash = strchr(p, '/');
		bool last = !slash;
		struct cow_walk nw = { 0 };
		struct cow_entry e;
		int ret;

		if (slash)
			*slash = '\0';
		ret = cow_walk_step(&w, p, p == buf, last, &e, &nw);
		walk_free(&w);
		if (ret < 0)
			return ret;
		w = nw;
		r->below = e.below;
		if (e.where == COW_ABSENT || e.where == COW_WHITEOUT) {
			walk_free(&w);
			r->where = last ? e.where : COW_ABSENT;
			if (e.where == COW_WHITEOUT && !last)
				r->where = COW_ABSENT;
			return 0;
		}
		r->idx = e.idx;
		r->st = e.st;
		if (!last && !S_ISDIR(r->st.st_mode)) {
			walk_free(&w);
			return -ENOTDIR;
		}
		r->where = e.where;
		p = last ? p + strlen(p) : slash + 1;
	}
	r->dir = w;
	return 0;
}

int cow_lookup(const struct cow_stack *s, const char *rel, enum cow_where *where,
	       size_t *lower_index)
{
	char buf[PATH_MAX];
	struct res r = { 0 };
	int ret = norm_rel(rel, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	ret = resolve(s, buf, false, &r);
	if (ret < 0)
		return ret;
	res_free(&r);
	*where = r.where;
	if (lower_index)
		*lower_index = r.where == COW_LOWER ? (size_t)r.idx : 0;
	return 0;
}

/* ---- merged listings ---- */

/* A set of names, for hiding what a higher layer already showed or whited out. */
struct nameset {
	char **slot;
	size_t cap, n;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void nameset_free(struct nameset *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slot[i]);
	free(set->slot);
	set->slot = NULL;
	set->cap = set->n = 0;
}

static size_t nameset_find(char **slot, size_t cap, const char *name)
{
	size_t i = (size_t)name_hash(name) & (cap - 1);

	while (slot[i] && strcmp(slot[i], name) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

/* 1 if name was added, 0 if it was there already. */
static int nameset_add(struct nameset *set, const char *name)
{
	size_t i;

	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		char **slot = calloc(cap, sizeof(*slot));

		if (!slot)
			return -ENOMEM;
		for (size_t j = 0; j < set->cap; j++)
			if (set->slot[j])
				slot[nameset_find(slot, cap, set->slot[j])] = set->slot[j];
		free(set->slot);
		set->slot = slot;
		set->cap = cap;
	}
	i = nameset_find(set->slot, set->cap, name);
	if (set->slot[i])
		return 0;
	set->slot[i] = strdup(name);
	if (!set->slot[i])
		return -ENOMEM;
	set->n++;
	return 1;
}

struct entry {
	char *name;
	unsigned char type;
	ino_t ino;
	size_t pos; /* which layer of the walk shows it */
};

struct listing {
	struct entry *v;
	size_t n, cap;
};

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int listing_add(struct listing *l, const char *name, unsigned char type, ino_t ino,
		       size_t pos)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].name = strdup(name);
	if (!l->v[l->n].name)
		return -ENOMEM;
	l->v[l->n].type = type;
	l->v[l->n].ino = ino;
	l->v[l->n].pos = pos;
	l->n++;
	return 0;
}

/* Lists the merged directory dir: each layer's entries in order, each name
 * once, the first layer that has it deciding (a whiteout hides it). */
static int list_dir(const struct cow_walk *dir, struct listing *out)
{
	struct nameset seen = { 0 };
	int ret = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < dir->n && ret == 0; i++) {
		cleanup_closedir DIR *d = NULL;
		struct dirent *de;
		int fd = openat(dir->fd[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || !(d = fdopendir(fd))) {
			ret = -errno;
			if (fd >= 0)
				close(fd);
			break;
		}
		while (ret == 0 && (errno = 0, de = readdir(d))) {
			unsigned char type = de->d_type;
			struct stat st;
			int added;

			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
			    is_reserved(de->d_name))
				continue;
			added = nameset_add(&seen, de->d_name);
			if (added <= 0) {
				ret = added;
				continue;
			}
			if (type == DT_UNKNOWN || type == DT_CHR) {
				if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
					if (errno != ENOENT)
						ret = -errno;
					continue;
				}
				if (is_whiteout(&st))
					continue;
				type = IFTODT(st.st_mode);
			}
			ret = listing_add(out, de->d_name, type, de->d_ino, i);
		}
		if (ret == 0 && errno)
			ret = -errno;
	}
	nameset_free(&seen);
	if (ret < 0)
		listing_free(out);
	return ret;
}

/* Resolves rel as a directory of the merged view and lists it. */
static int list_path(const struct cow_stack *s, const char *rel, bool skip_upper,
		     struct res *r, struct listing *l)
{
	int ret = resolve(s, rel, skip_upper, r);

	if (ret < 0)
		return ret;
	if (r->where != COW_UPPER && r->where != COW_LOWER)
		ret = -ENOENT;
	else if (!S_ISDIR(r->st.st_mode))
		ret = -ENOTDIR;
	else
		ret = list_dir(&r->dir, l);
	if (ret < 0)
		res_free(r);
	return ret;
}

int cow_readdir(const struct cow_stack *s, const char *rel,
		int (*fn)(const char *name, unsigned char type, ino_t ino, void *arg), void *arg)
{
	char buf[PATH_MAX];
	struct listing l = { 0 };
	struct res r = { 0 };
	int ret = norm_rel(rel, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	ret = list_path(s, buf, false, &r, &l);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < l.n && ret == 0; i++)
		ret = fn(l.v[i].name, l.v[i].type, l.v[i].ino, arg);
	listing_free(&l);
	res_free(&r);
	return ret;
}

/* ---- copying ---- */

static int copy_data(int src, int dst, off_t size)
{
	cleanup_free char *buf = NULL;
	off_t done = 0;

	if (cow_test.copy == COW_COPY_AUTO && ioctl(dst, FICLONE, src) == 0)
		return 0;
	if (cow_test.copy != COW_COPY_RW) {
		for (;;) {
			ssize_t n = copy_file_range(src, NULL, dst, NULL, 1 << 30, 0);

			if (n > 0) {
				done += n;
				continue;
			}
			if (n == 0 && (done > 0 || size == 0))
				return 0;
			if (n < 0 && errno == EINTR)
				continue;
			/* Not across these filesystems, or a filesystem that
			 * reports 0 bytes for content it has: read and write. */
			if (done == 0 && (n == 0 || errno == EXDEV || errno == ENOSYS ||
					  errno == EOPNOTSUPP || errno == EINVAL))
				break;
			return -errno;
		}
	}
	buf = malloc(1 << 16);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(src, buf, 1 << 16), w = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		while (w < n) {
			ssize_t k = write(dst, buf + w, (size_t)(n - w));

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			w += k;
		}
	}
}

/* overlayfs's own xattrs and umld's marker describe the layer they are in,
 * not the file. */
static bool xattr_is_layer(const char *name)
{
	return !strncmp(name, "user.overlay.", 13) || !strncmp(name, "trusted.overlay.", 16) ||
	       !strcmp(name, COW_XATTR_MARKER);
}

/* Copies the xattrs; those of namespaces we may not write (security.*,
 * trusted.* as a user) are skipped, but user.* ones (umld's fake owner and
 * mode among them) must arrive. */
static int copy_xattrs(int src, int dst)
{
	cleanup_free char *list = NULL;
	ssize_t n;

	for (int tries = 0;; tries++) {
		n = fd_listxattr(src, NULL, 0);
		if (n == -ENOTSUP || n == 0)
			return 0;
		if (n < 0)
			return (int)n;
		free(list);
		list = malloc((size_t)n);
		if (!list)
			return -ENOMEM;
		n = fd_listxattr(src, list, (size_t)n);
		if (n >= 0)
			break;
		if (n != -ERANGE || tries > 8)
			return (int)n;
	}
	for (char *name = list; name < list + n; name += strlen(name) + 1) {
		bool must = !strncmp(name, "user.", 5);
		cleanup_free char *val = NULL;
		ssize_t len;

		if (xattr_is_layer(name))
			continue;
		len = fd_getxattr(src, name, NULL, 0);
		if (len >= 0) {
			val = malloc(len ? (size_t)len : 1);
			if (!val)
				return -ENOMEM;
			len = fd_getxattr(src, name, val, (size_t)len);
		}
		if (len >= 0 && fsetxattr(dst, name, val, (size_t)len, 0) < 0)
			len = -errno;
		if (len < 0 && must)
			return (int)len;
	}
	return 0;
}

/* Owner (where we may: a user cannot give files away), xattrs, mode, times.
 * In this order: chown clears set-id bits and file capabilities, and
 * setting user xattrs needs the write permission the final mode may lack. */
static int apply_meta(int dst, int src, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	int ret;

	if (fchown(dst, st->st_uid, st->st_gid) < 0 && errno != EPERM && errno != EINVAL)
		return -errno;
	if (src >= 0) {
		ret = copy_xattrs(src, dst);
		if (ret < 0)
			return ret;
	}
	if (fchmod(dst, st->st_mode & 07777) < 0)
		return -errno;
	if (futimens(dst, ts) < 0)
		return -errno;
	return 0;
}

/* Same for objects we cannot open: symlinks and special files. */
static int apply_meta_at(int dirfd, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (fchownat(dirfd, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno != EPERM && errno != EINVAL)
		return -errno;
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, st->st_mode & 07777, 0) < 0)
		return -errno;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

/* Copies regular file sdir/name (which resolve saw as *st) to ddir/dname. */
static int copy_file(int sdir, const char *name, const struct stat *st, int ddir,
		     const char *dname, bool sync)
{
	cleanup_close int src = -1, dst = -1;
	struct stat cur;
	int ret;

	src = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (src < 0)
		return -errno;
	if (fstat(src, &cur) < 0)
		return -errno;
	if (cur.st_dev != st->st_dev || cur.st_ino != st->st_ino || !S_ISREG(cur.st_mode))
		return -EAGAIN; /* replaced since it was looked up */
	dst = openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0)
		return -errno;
	ret = copy_data(src, dst, cur.st_size);
	if (ret == 0)
		ret = apply_meta(dst, src, &cur);
	if (ret == 0 && sync && fsync(dst) < 0)
		ret = -errno;
	return ret;
}

static int copy_symlink(int sdir, const char *name, const struct stat *st, int ddir,
			const char *dname)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(sdir, name, target, sizeof(target));

	if (n < 0)
		return -errno;
	if ((size_t)n >= sizeof(target))
		return -ENAMETOOLONG;
	target[n] = '\0';
	if (symlinkat(target, ddir, dname) < 0)
		return -errno;
	return apply_meta_at(ddir, dname, st);
}

/* FIFOs, sockets, devices (these need CAP_MKNOD). */
static int copy_node(const struct stat *st, int ddir, const char *dname)
{
	if (mknodat(ddir, dname, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
		return -errno;
	return apply_meta_at(ddir, dname, st);
}

/* An empty directory with the metadata of sdir/name. */
static int copy_dir_node(int sdir, const char *name, const struct stat *st, int ddir,
			 const char *dname, bool sync)
{
	cleanup_close int src = -1, dst = -1;
	int ret;

	if (mkdirat(ddir, dname, 0700) < 0)
		return -errno;
	dst = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dst < 0)
		return -errno;
	ret = open_dir_at(sdir, name, &src);
	if (ret == 0)
		ret = apply_meta(dst, src, st);
	if (ret == 0 && sync && fsync(dst) < 0)
		ret = -errno;
	return ret;
}

/* Removes name and, for a directory, all below it. Directories we own are
 * made writable first so that a read-only one does not stop us. */
static int remove_tree(int parent, const char *name)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd, ret = 0;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
		fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	(void)fchmod(fd, 0700);
	d = fdopendir(fd);
	if (!d) {
		ret = -errno;
		close(fd);
		return ret;
	}
	while ((de = readdir(d))) {
		int r;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = remove_tree(dirfd(d), de->d_name);
		if (r < 0 && ret == 0)
			ret = r;
	}
	if (ret == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
		ret = -errno;
	return ret;
}

/* Creates ddir/name as a copy of sdir/name, through a temporary renamed
 * into place, so that name is either absent or complete. */
static int copy_entry_atomic(int sdir, int ddir, const char *name, const struct stat *st)
{
	char tmp[TMP_NAME_SIZE];
	int ret;

	tmp_name(tmp, sizeof(tmp));
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		ret = copy_file(sdir, name, st, ddir, tmp, true);
		break;
	case S_IFDIR:
		ret = copy_dir_node(sdir, name, st, ddir, tmp, true);
		break;
	case S_IFLNK:
		ret = copy_symlink(sdir, name, st, ddir, tmp);
		break;
	default:
		ret = copy_node(st, ddir, tmp);
		break;
	}
	if (ret == 0 && renameat2(ddir, tmp, ddir, name, RENAME_NOREPLACE) < 0)
		ret = errno == EEXIST ? 1 : -errno; /* 1: a concurrent copy-up won */
	if (ret != 0) {
		remove_tree(ddir, tmp);
		return ret > 0 ? 0 : ret;
	}
	return fsync(ddir) < 0 ? -errno : 0;
}

/* Copies up one path whose parent is already in the upper layer. */
static int copy_up_one(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX];
	const char *parent, *name;
	cleanup_close int ud = -1, ld = -1;
	struct res r = { 0 };
	int ret = resolve(s, rel, false, &r);

	if (ret < 0)
		return ret;
	res_free(&r);
	if (r.where == COW_UPPER)
		return 0;
	if (r.where != COW_LOWER)
		return -ENOENT;
	strcpy(buf, rel);
	split_rel(buf, &parent, &name);
	ret = open_beneath(s->upper_fd, parent, O_RDONLY | O_DIRECTORY, &ud);
	if (ret == 0)
		ret = open_beneath(s->lower_fd[r.idx], parent, O_PATH | O_DIRECTORY, &ld);
	if (ret == 0)
		ret = copy_entry_atomic(ld, ud, name, &r.st);
	return ret;
}

/* rel normalised. Ancestors first, each one complete before the next. */
static int copy_up(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX];
	enum cow_where where;
	int ret;

	if (s->upper_fd < 0)
		return -EROFS;
	if (!*rel)
		return 0;
	ret = cow_lookup(s, rel, &where, NULL);
	if (ret < 0)
		return ret;
	if (where == COW_UPPER)
		return 0;
	if (where != COW_LOWER)
		return -ENOENT;
	strcpy(buf, rel);
	for (char *p = buf;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;

			*p = '\0';
			ret = copy_up_one(s, buf);
			*p = c;
			if (ret < 0 || !c)
				return ret;
		}
	}
}

int cow_copy_up(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX];
	int ret = norm_rel(rel, buf, sizeof(buf));

	return ret < 0 ? ret : copy_up(s, buf);
}

/* ---- changing the merged view ---- */

/* Normalises and resolves rel for a change. */
static int resolve_for_change(const struct cow_stack *s, const char *rel, char *buf, size_t size,
			      struct res *r)
{
	int ret = norm_rel(rel, buf, size);

	if (ret < 0)
		return ret;
	if (s->upper_fd < 0)
		return -EROFS;
	if (!*buf)
		return -EBUSY;
	ret = resolve(s, buf, false, r);
	if (ret < 0)
		return ret;
	res_free(r);
	return 0;
}

/* Copies up the parent of rel (normalised, not the root) and opens it in
 * the upper layer. Splits rel in place: *name points into it. */
static int upper_parent(const struct cow_stack *s, char *rel, const char **name, int *ud)
{
	const char *parent;
	int ret;

	split_rel(rel, &parent, name);
	ret = copy_up(s, parent);
	if (ret < 0)
		return ret;
	return open_beneath(s->upper_fd, parent, O_RDONLY | O_DIRECTORY, ud);
}

static int mkwhiteout(int dirfd, const char *name)
{
	return mknodat(dirfd, name, S_IFCHR | 0, makedev(0, 0)) < 0 ? -errno : 0;
}

/* A whiteout made aside (named into tmp) and renamed onto name in one step,
 * so the lower entry never shows: flags 0 replaces name; RENAME_EXCHANGE
 * swaps, leaving name's old entry as tmp. */
static int whiteout_onto(int ud, const char *name, char *tmp, size_t tsize, unsigned flags)
{
	int ret;

	tmp_name(tmp, tsize);
	ret = mkwhiteout(ud, tmp);
	if (ret == 0 && renameat2(ud, tmp, ud, name, flags) < 0) {
		ret = -errno;
		unlinkat(ud, tmp, 0);
	}
	return ret;
}

int cow_unlink(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX], tmp[TMP_NAME_SIZE];
	cleanup_close int ud = -1;
	const char *name;
	struct res r = { 0 };
	int ret = resolve_for_change(s, rel, buf, sizeof(buf), &r);

	if (ret < 0)
		return ret == -EBUSY ? -EISDIR : ret;
	if (r.where != COW_UPPER && r.where != COW_LOWER)
		return -ENOENT;
	if (S_ISDIR(r.st.st_mode))
		return -EISDIR;
	ret = upper_parent(s, buf, &name, &ud);
	if (ret < 0)
		return ret;
	if (r.where == COW_LOWER)
		return mkwhiteout(ud, name);
	if (!r.below)
		return unlinkat(ud, name, 0) < 0 ? -errno : 0;
	return whiteout_onto(ud, name, tmp, sizeof(tmp), 0);
}

static int count_entry(const char *name, unsigned char type, ino_t ino, void *arg)
{
	return 1;
}

int cow_rmdir(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX], tmp[TMP_NAME_SIZE];
	cleanup_close int ud = -1;
	const char *name;
	struct res r = { 0 };
	int ret = resolve_for_change(s, rel, buf, sizeof(buf), &r);

	if (ret < 0)
		return ret;
	if (r.where != COW_UPPER && r.where != COW_LOWER)
		return -ENOENT;
	if (!S_ISDIR(r.st.st_mode))
		return -ENOTDIR;
	/* Checked before anything is copied up. */
	ret = cow_readdir(s, buf, count_entry, NULL);
	if (ret < 0)
		return ret;
	if (ret > 0)
		return -ENOTEMPTY;
	ret = upper_parent(s, buf, &name, &ud);
	if (ret < 0)
		return ret;
	if (r.where == COW_LOWER)
		return mkwhiteout(ud, name);
	if (r.below) {
		/* The whiteout takes the directory's place atomically; the
		 * directory (now a temporary) holds only whiteouts. */
		ret = whiteout_onto(ud, name, tmp, sizeof(tmp), RENAME_EXCHANGE);
	} else {
		tmp_name(tmp, sizeof(tmp));
		if (renameat(ud, name, ud, tmp) < 0)
			ret = -errno;
	}
	if (ret == 0)
		remove_tree(ud, tmp); /* a leftover goes at the next cow_open */
	return ret;
}

int cow_mkdir(const struct cow_stack *s, const char *rel, mode_t mode)
{
	char buf[PATH_MAX], pbuf[PATH_MAX], tmp[TMP_NAME_SIZE];
	cleanup_close int ud = -1, dfd = -1;
	const char *name, *parent;
	struct res r = { 0 }, pr = { 0 };
	int ret = resolve_for_change(s, rel, buf, sizeof(buf), &r);

	if (ret < 0)
		return ret == -EBUSY ? -EEXIST : ret;
	if (r.where == COW_UPPER || r.where == COW_LOWER)
		return -EEXIST;
	/* The parent must be a directory of the merged view. */
	strcpy(pbuf, buf);
	split_rel(pbuf, &parent, &name);
	if (is_reserved(name))
		return -EPERM;
	ret = resolve(s, parent, false, &pr);
	if (ret < 0)
		return ret;
	res_free(&pr);
	if (pr.where != COW_UPPER && pr.where != COW_LOWER)
		return -ENOENT;
	if (!S_ISDIR(pr.st.st_mode))
		return -ENOTDIR;
	ret = upper_parent(s, buf, &name, &ud);
	if (ret < 0)
		return ret;
	tmp_name(tmp, sizeof(tmp));
	if (mkdirat(ud, tmp, 0700) < 0)
		return -errno;
	dfd = openat(ud, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		ret = -errno;
	if (ret == 0 && r.where == COW_WHITEOUT &&
	    fsetxattr(dfd, COW_XATTR_OPAQUE, "y", 1, 0) < 0)
		ret = -errno;
	if (ret == 0 && fchmod(dfd, mode & 07777) < 0)
		ret = -errno;
	if (ret == 0 && r.where == COW_WHITEOUT) {
		/* Directory and whiteout swap places in one step; the old
		 * whiteout, now the temporary, then goes. */
		if (renameat2(ud, tmp, ud, name, RENAME_EXCHANGE) < 0)
			ret = -errno;
		else
			unlinkat(ud, tmp, 0);
	} else if (ret == 0 && renameat2(ud, tmp, ud, name, RENAME_NOREPLACE) < 0) {
		ret = -errno;
	}
	if (ret < 0)
		remove_tree(ud, tmp);
	return ret;
}

/* ---- opening a stack ---- */

void cow_close(struct cow_stack *s)
{
	for (size_t i = 0; i < s->nlower; i++)
		close(s->lower_fd[i]);
	s->nlower = 0;
	if (s->upper_fd >= 0)
		close(s->upper_fd);
	s->upper_fd = -1;
}

/* Whether the directory fd is (dev, ino) or lies below it. */
static int dir_inside(int fd, const struct stat *of, bool *yes)
{
	cleanup_close int cur = openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	*yes = false;
	if (cur < 0)
		return -errno;
	for (int depth = 0; depth < 4096; depth++) {
		struct stat st, pst;
		int parent;

		if (fstat(cur, &st) < 0)
			return -errno;
		if (st.st_dev == of->st_dev && st.st_ino == of->st_ino) {
			*yes = true;
			return 0;
		}
		parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return -errno;
		if (fstat(parent, &pst) < 0) {
			close(parent);
			return -errno;
		}
		close(cur);
		cur = parent;
		if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)
			return 0; /* "/" */
	}
	return -ELOOP;
}

static int open_error(struct umld_err *err, const char *what, const char *path, int e)
{
	if (e == ENOENT)
		return umld_err_usage(err, "%s %s does not exist", what, path);
	if (e == ENOTDIR)
		return umld_err_usage(err, "%s %s is not a directory", what, path);
	return umld_err_set(err, -e, "%s %s: %s", what, path, strerror(e));
}

/* Removes the temporaries an interrupted operation left, anywhere below. */
static int clean_tmps(int parent)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		cleanup_close int sub = -1;
		int r = 0;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (is_tmp_name(de->d_name)) {
			r = remove_tree(dirfd(d), de->d_name);
		} else if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) {
			sub = openat(dirfd(d), de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				r = clean_tmps(sub);
			else if (errno != ENOTDIR && errno != ELOOP && errno != EACCES)
				r = -errno;
		}
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

/* Sets the marker on the upper layer's root. A concurrent cow_open may have
 * set it first. */
static int write_marker(int ud)
{
	if (fsetxattr(ud, COW_XATTR_MARKER, COW_MARKER_VERSION, sizeof(COW_MARKER_VERSION) - 1,
		      XATTR_CREATE) < 0 && errno != EEXIST)
		return -errno;
	return fsync(ud) < 0 ? -errno : 0;
}

/* Whether the directory has the legacy marker file (format 1): 1 or 0, or a
 * negative errno. */
static int legacy_marker(int dfd)
{
	char text[sizeof(COW_LEGACY_MARKER_TEXT) + 1];
	cleanup_close int fd = openat(dfd, COW_LEGACY_MARKER,
				      O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	return strcmp(text, COW_LEGACY_MARKER_TEXT) == 0;
}

int cow_has_marker(int dirfd)
{
	if (fgetxattr(dirfd, COW_XATTR_MARKER, NULL, 0) >= 0)
		return 1;
	if (errno != ENODATA)
		return -errno;
	return legacy_marker(dirfd);
}

/* Whether the directory holds anything but temporaries. */
static int dir_has_entries(int fd, bool *yes)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*yes = false;
	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !is_tmp_name(de->d_name))
			*yes = true;
	return 0;
}

/* Checks the marker xattr; an empty directory gets one, and a legacy marker
 * file is replaced by one (xattr first: a crash in between leaves a layer
 * with both, which works, the file showing in the guest's root). */
static int check_marker(int ud, const char *upper, struct umld_err *err)
{
	char v[16];
	ssize_t n = fgetxattr(ud, COW_XATTR_MARKER, v, sizeof(v) - 1);
	bool used = false;
	int legacy, ret;

	if (n >= 0) {
		v[n] = '\0';
		if (strcmp(v, COW_MARKER_VERSION) != 0 || strlen(v) != (size_t)n)
			return umld_err_usage(err,
					      "cow layer %s has format version '%.*s', this umld "
					      "knows only version " COW_MARKER_VERSION,
					      upper, (int)strcspn(v, "\n"), v);
		return 0;
	}
	if (errno == ERANGE)
		return umld_err_usage(err,
				      "cow layer %s has a format version this umld does not know "
				      "(it knows only version " COW_MARKER_VERSION ")", upper);
	if (errno == ENOTSUP)
		goto no_xattrs;
	if (errno != ENODATA)
		return umld_err_set(err, -errno, "%s: %s", upper, strerror(errno));
	legacy = legacy_marker(ud);
	if (legacy < 0)
		return umld_err_set(err, legacy, "%s/%s: %s", upper, COW_LEGACY_MARKER,
				    strerror(-legacy));
	if (!legacy) {
		ret = dir_has_entries(ud, &used);
		if (ret < 0)
			return umld_err_set(err, ret, "%s: %s", upper, strerror(-ret));
		if (used)
			return umld_err_usage(err,
					      "%s is not empty and is not a umld cow layer (no "
					      COW_XATTR_MARKER " attribute)", upper);
	}
	ret = write_marker(ud);
	if (ret == 0 && legacy) {
		if (unlinkat(ud, COW_LEGACY_MARKER, 0) < 0 && errno != ENOENT)
			ret = -errno;
		else if (fsync(ud) < 0)
			ret = -errno;
	}
	if (ret == -EROFS)
		return umld_err_usage(err, "cow layer %s is on a read-only filesystem", upper);
	if (ret == -ENOTSUP)
		goto no_xattrs;
	if (ret < 0)
		return umld_err_set(err, ret, "cannot mark %s as a cow layer: %s", upper,
				    strerror(-ret));
	return 0;

no_xattrs:
	return umld_err_usage(err,
			      "cow layer %s needs user extended attributes, which its filesystem "
			      "does not support", upper);
}

static int check_upper(struct cow_stack *s, char *const *lowers, const char *upper,
		       struct umld_err *err)
{
	struct statvfs vfs;
	struct stat ust;
	int ret;

	if (fstatvfs(s->upper_fd, &vfs) < 0 || fstat(s->upper_fd, &ust) < 0)
		return umld_err_set(err, -errno, "%s: %s", upper, strerror(errno));
	if (vfs.f_flag & ST_RDONLY)
		return umld_err_usage(err, "cow layer %s is on a read-only filesystem", upper);
	for (size_t i = 0; i < s->nlower; i++) {
		struct stat lst;
		bool in;

		if (fstat(s->lower_fd[i], &lst) < 0)
			return umld_err_set(err, -errno, "%s: %s", lowers[i], strerror(errno));
		/* The upper layer may lie inside a lower one: a layer over the
		 * host's / always does (the guest's view must not show it; that
		 * is the path layer's job). Being the very same directory makes
		 * no sense, and a lower inside the upper would loop. */
		if (lst.st_dev == ust.st_dev && lst.st_ino == ust.st_ino)
			return umld_err_usage(err, "cow layer %s is base layer %s itself", upper,
					      lowers[i]);
		ret = dir_inside(s->lower_fd[i], &ust, &in);
		if (ret == 0 && in)
			return umld_err_usage(err, "base layer %s lies inside cow layer %s",
					      lowers[i], upper);
		if (ret < 0)
			return umld_err_set(err, ret, "%s: %s", upper, strerror(-ret));
	}
	ret = check_marker(s->upper_fd, upper, err);
	if (ret < 0)
		return ret;
	ret = clean_tmps(s->upper_fd);
	if (ret < 0)
		return umld_err_set(err, ret, "cannot remove temporary files in %s: %s", upper,
				    strerror(-ret));
	return 0;
}

int cow_open(struct cow_stack *s, char *const *lowers, const char *upper, struct umld_err *err)
{
	int fd, ret;

	s->nlower = 0;
	s->upper_fd = -1;
	if (!lowers || !lowers[0])
		return umld_err_usage(err, "no base layer given");
	for (size_t i = 0; lowers[i]; i++) {
		if (i >= COW_LOWER_MAX) {
			cow_close(s);
			return umld_err_usage(err, "too many base layers (at most %d)",
					      COW_LOWER_MAX);
		}
		fd = open(lowers[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			ret = open_error(err, "base layer", lowers[i], errno);
			cow_close(s);
			return ret;
		}
		s->lower_fd[s->nlower++] = fd;
	}
	if (!upper)
		return 0;
	fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		ret = open_error(err, "cow layer", upper, errno);
		cow_close(s);
		return ret;
	}
	s->upper_fd = fd;
	ret = check_upper(s, lowers, upper, err);
	if (ret < 0)
		cow_close(s);
	return ret;
}

/* ---- umld cow: diff, reset, commit ---- */

struct dline {
	char kind;
	char *rel;
};

struct dlist {
	struct dline *v;
	size_t n, cap;
};

/* Takes rel. */
static int dlist_add(struct dlist *dl, char kind, char *rel)
{
	if (dl->n == dl->cap) {
		size_t cap = dl->cap ? dl->cap * 2 : 32;
		struct dline *v = realloc(dl->v, cap * sizeof(*v));

		if (!v) {
			free(rel);
			return -ENOMEM;
		}
		dl->v = v;
		dl->cap = cap;
	}
	dl->v[dl->n].kind = kind;
	dl->v[dl->n++].rel = rel;
	return 0;
}

static int dline_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dline *)a)->rel, ((const struct dline *)b)->rel);
}

static bool upper_has(const struct cow_stack *s, const char *rel)
{
	char buf[PATH_MAX];
	const char *parent, *name;
	cleanup_close int fd = -1;
	struct stat st;

	if (strlen(rel) >= sizeof(buf))
		return false;
	strcpy(buf, rel);
	split_rel(buf, &parent, &name);
	return open_beneath(s->upper_fd, parent, O_PATH | O_DIRECTORY, &fd) == 0 &&
	       fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* 'D' for what the lower layers show below rel and the upper layer no
 * longer lets through; with check_upper, paths the upper layer has itself
 * are left to diff_dir. */
static int diff_hidden(const struct cow_stack *s, const char *rel, bool check_upper,
		       struct dlist *dl)
{
	struct listing l = { 0 };
	struct res r = { 0 };
	int ret = list_path(s, rel, true, &r, &l);

	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	if (ret < 0)
		return ret;
	res_free(&r);
	for (size_t i = 0; i < l.n && ret == 0; i++) {
		char *child = join_rel(rel, l.v[i].name);

		if (!child) {
			ret = -ENOMEM;
			break;
		}
		if (check_upper && upper_has(s, child)) {
			free(child);
			continue;
		}
		if (l.v[i].type == DT_DIR)
			ret = diff_hidden(s, child, false, dl);
		if (ret == 0)
			ret = dlist_add(dl, 'D', child);
		else
			free(child);
	}
	listing_free(&l);
	return ret;
}

static int read_names(int dirfd, struct listing *l)
{
	cleanup_closedir DIR *d = NULL;
	struct dirent *de;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	memset(l, 0, sizeof(*l));
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while (ret == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !is_reserved(de->d_name))
			ret = listing_add(l, de->d_name, de->d_type, de->d_ino, 0);
	if (ret < 0)
		listing_free(l);
	return ret;
}

static int diff_dir(const struct cow_stack *s, const char *rel, struct dlist *dl)
{
	cleanup_close int dfd = -1;
	struct listing l = { 0 };
	int ret = open_beneath(s->upper_fd, rel, O_RDONLY | O_DIRECTORY, &dfd);

	if (ret == 0)
		ret = read_names(dfd, &l);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < l.n && ret == 0; i++) {
		const char *name = l.v[i].name;
		char *child = join_rel(rel, name);
		bool in_lower, lower_dir;
		struct stat st;
		struct res b = { 0 };

		if (!child) {
			ret = -ENOMEM;
			break;
		}
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = errno == ENOENT ? 0 : -errno;
			free(child);
			continue;
		}
		ret = resolve(s, child, true, &b);
		if (ret < 0 && ret != -ENOTDIR) {
			free(child);
			break;
		}
		in_lower = ret == 0 && b.where == COW_LOWER;
		lower_dir = in_lower && S_ISDIR(b.st.st_mode);
		if (ret == 0)
			res_free(&b);
		ret = 0;
		if (is_whiteout(&st)) {
			if (lower_dir)
				ret = diff_hidden(s, child, true, dl);
			if (ret == 0 && in_lower)
				ret = dlist_add(dl, 'D', child);
			else
				free(child);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			cleanup_close int sub = -1;

			ret = open_dir_at(dfd, name, &sub);
			if (ret == 0 && lower_dir && is_opaque(sub))
				ret = diff_hidden(s, child, true, dl);
			if (ret == 0)
				ret = diff_dir(s, child, dl);
		} else if (lower_dir) {
			ret = diff_hidden(s, child, true, dl);
		}
		if (ret == 0)
			ret = dlist_add(dl, in_lower ? 'C' : 'A', child);
		else
			free(child);
	}
	listing_free(&l);
	return ret;
}

int cow_diff(const struct cow_stack *s, int (*fn)(char kind, const char *rel, void *arg),
	     void *arg)
{
	struct dlist dl = { 0 };
	int ret;

	if (s->upper_fd < 0)
		return 0;
	ret = diff_dir(s, "", &dl);
	if (ret == 0 && dl.n) {
		qsort(dl.v, dl.n, sizeof(*dl.v), dline_cmp);
		for (size_t i = 0; i < dl.n && ret == 0; i++)
			ret = fn(dl.v[i].kind, dl.v[i].rel, arg);
	}
	for (size_t i = 0; i < dl.n; i++)
		free(dl.v[i].rel);
	free(dl.v);
	return ret;
}

int cow_reset(const struct cow_stack *s)
{
	cleanup_close int ud = -1;
	struct listing l = { 0 };
	int ret = 0;

	if (s->upper_fd < 0)
		return -EROFS;
	ud = openat(s->upper_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ud < 0)
		return -errno;
	/* The marker is an xattr of ud: it stays. Temporaries go too. */
	ret = read_names(ud, &l);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < l.n && ret == 0; i++) {
		char tmp[TMP_NAME_SIZE];

		tmp_name(tmp, sizeof(tmp));
		if (renameat(ud, l.v[i].name, ud, tmp) < 0)
			ret = errno == ENOENT ? 0 : -errno;
		else
			ret = remove_tree(ud, tmp);
	}
	listing_free(&l);
	if (ret == 0)
		ret = clean_tmps(ud);
	if (ret == 0 && fsync(ud) < 0)
		ret = -errno;
	return ret;
}

/* Fills the directory dfd with the merged content of rel. */
static int commit_dir(const struct cow_stack *s, const char *rel, int dfd, struct umld_err *err)
{
	struct listing l = { 0 };
	struct res r = { 0 };
	int ret = list_path(s, rel, false, &r, &l);

	if (ret < 0)
		return umld_err_set(err, ret, "/%s: %s", rel, strerror(-ret));
	for (size_t i = 0; i < l.n && ret == 0; i++) {
		const char *name = l.v[i].name;
		int sdir = r.dir.fd[l.v[i].pos];
		cleanup_free char *child = join_rel(rel, name);
		cleanup_close int sub = -1, src = -1;
		struct stat st;

		if (!child) {
			ret = umld_err_set(err, -ENOMEM, "out of memory");
			break;
		}
		if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
		} else if (S_ISREG(st.st_mode)) {
			ret = copy_file(sdir, name, &st, dfd, name, false);
		} else if (S_ISLNK(st.st_mode)) {
			ret = copy_symlink(sdir, name, &st, dfd, name);
		} else if (!S_ISDIR(st.st_mode)) {
			ret = copy_node(&st, dfd, name);
		} else if (mkdirat(dfd, name, 0700) < 0) {
			ret = -errno;
		} else if ((sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					 O_CLOEXEC)) < 0) {
			ret = -errno;
		} else {
			/* Metadata last: the mode may forbid filling it. */
			ret = commit_dir(s, child, sub, err);
			if (ret < 0)
				break; /* err already names the path */
			ret = open_dir_at(sdir, name, &src);
			if (ret == 0)
				ret = apply_meta(sub, src, &st);
		}
		if (ret < 0)
			umld_err_set(err, ret, "/%s: %s", child, strerror(-ret));
	}
	listing_free(&l);
	res_free(&r);
	return ret;
}

int cow_commit(const struct cow_stack *s, const char *new_base, struct umld_err *err)
{
	char path[PATH_MAX], tmp[NAME_MAX + 1];
	cleanup_close int pfd = -1, tfd = -1, rootsrc = -1;
	const char *base, *dir;
	char *slash;
	struct stat st;
	struct res root = { 0 };
	uint32_t rnd = 0;
	size_t len;
	int ret;

	if (!new_base || !*new_base)
		return umld_err_usage(err, "no path given for the new base layer");
	if (fstatat(AT_FDCWD, new_base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return umld_err_usage(err, "%s already exists", new_base);
	if (errno != ENOENT)
		return umld_err_set(err, -errno, "%s: %s", new_base, strerror(errno));
	len = strlen(new_base);
	if (len >= sizeof(path))
		return umld_err_usage(err, "%s: path too long", new_base);
	memcpy(path, new_base, len + 1);
	while (len > 1 && path[len - 1] == '/')
		path[--len] = '\0';
	slash = strrchr(path, '/');
	if (!slash) {
		dir = ".";
		base = path;
	} else {
		*slash = '\0';
		base = slash + 1;
		dir = slash == path ? "/" : path;
	}
	if (!strcmp(base, ".") || !strcmp(base, "..") || strlen(base) + 14 > NAME_MAX)
		return umld_err_usage(err, "%s: not a usable name for the new base layer",
				      new_base);
	pfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return open_error(err, "directory", dir, errno);
	for (size_t i = 0; i <= s->nlower; i++) {
		int lfd = i < s->nlower ? s->lower_fd[i] : s->upper_fd;
		struct stat lst;
		bool in;

		if (lfd < 0)
			continue;
		ret = fstat(lfd, &lst) < 0 ? -errno : dir_inside(pfd, &lst, &in);
		if (ret < 0)
			return umld_err_set(err, ret, "%s: %s", dir, strerror(-ret));
		if (in)
			return umld_err_usage(err, "%s would lie inside one of the layers", new_base);
	}
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%08x", base, (unsigned)rnd) >= (int)sizeof(tmp))
		return umld_err_usage(err, "%s: name too long", new_base);
	if (mkdirat(pfd, tmp, 0700) < 0)
		return umld_err_set(err, -errno, "cannot create %s/%s: %s", dir, tmp,
				    strerror(errno));
	tfd = openat(pfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0) {
		ret = umld_err_set(err, -errno, "%s/%s: %s", dir, tmp, strerror(errno));
		goto fail;
	}
	ret = commit_dir(s, "", tfd, err);
	if (ret < 0)
		goto fail;
	ret = resolve(s, "", false, &root);
	if (ret == 0) {
		res_free(&root);
		rootsrc = openat(root.idx < 0 ? s->upper_fd : s->lower_fd[root.idx], ".",
				 O_PATH | O_DIRECTORY | O_CLOEXEC);
		ret = rootsrc < 0 ? -errno : apply_meta(tfd, rootsrc, &root.st);
	}
	if (ret == 0 && syncfs(tfd) < 0)
		ret = -errno;
	if (ret < 0) {
		umld_err_set(err, ret, "%s: %s", new_base, strerror(-ret));
		goto fail;
	}
	if (renameat2(pfd, tmp, pfd, base, RENAME_NOREPLACE) < 0) {
		ret = errno == EEXIST ? umld_err_usage(err, "%s already exists", new_base)
				      : umld_err_set(err, -errno, "cannot rename %s/%s to %s: %s",
						     dir, tmp, new_base, strerror(errno));
		goto fail;
	}
	if (fsync(pfd) < 0)
		return umld_err_set(err, -errno, "%s: %s", dir, strerror(errno));
	return 0;

fail:
	remove_tree(pfd, tmp);
	return ret;
}
