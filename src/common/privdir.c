/* Private working directories, swept when their maker is gone (see
 * privdir.h for why a lock decides). */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/privdir.h"
#include "common/util.h"

/* Deeper trees are left: each level holds a descriptor while it is read. */
#define DEPTH_MAX 64

void privdir_init(struct privdir *pd)
{
	pd->path[0] = '\0';
	pd->lock = -1;
}

static void remove_entry(int dfd, const char *name, dev_t dev, int depth);

/* A listing of directory dfd, through an open file of its own (dfd stays
 * usable for *at calls). NULL on failure. */
static DIR *list_dir(int dfd)
{
	int fd = dfd >= 0 ? openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !d)
		close(fd);
	return d;
}

/* Removes what directory dfd (on device dev) holds, but keep (NULL: none). */
static void empty_dir(int dfd, dev_t dev, const char *keep, int depth)
{
	struct dirent *e;
	DIR *d = list_dir(dfd);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (keep && strcmp(e->d_name, keep) == 0))
			continue;
		remove_entry(dfd, e->d_name, dev, depth);
	}
	closedir(d);
}

/* Removes dfd's entry name: a symbolic link as the link itself, a directory
 * with what it holds, through descriptors only, so that a link swapped in
 * meanwhile is never followed. A directory of another device (a mount
 * point) is left. */
static void remove_entry(int dfd, const char *name, dev_t dev, int depth)
{
	struct stat st, now;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlinkat(dfd, name, 0);
		return;
	}
	if (st.st_dev != dev || depth >= DEPTH_MAX)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* a directory the guest made unreadable: ours, so made readable
	 * (AT_SYMLINK_NOFOLLOW: glibc refuses a link rather than follow it) */
	if (fd < 0 && errno == EACCES &&
	    fchmodat(dfd, name, 0700, AT_SYMLINK_NOFOLLOW) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino) {
		if ((now.st_mode & 0700) != 0700)
			fchmod(fd, 0700); /* so that its entries can be unlinked */
		empty_dir(fd, dev, NULL, depth + 1);
		unlinkat(dfd, name, AT_REMOVEDIR);
	}
	close(fd);
}

/* Removes parent's entry name, the directory dfd (st: its stat): all it
 * holds, the lock file last, then the directory if the name is still it.
 * A maker that lost the race to a sweeper sees its lock file unlinked. */
static void remove_locked(int pfd, const char *name, int dfd, const struct stat *st)
{
	struct stat now;

	empty_dir(dfd, st->st_dev, PRIVDIR_LOCK, 0);
	unlinkat(dfd, PRIVDIR_LOCK, 0);
	if (fstatat(pfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_dev == st->st_dev &&
	    now.st_ino == st->st_ino)
		unlinkat(pfd, name, AT_REMOVEDIR);
}

/* One try: -EAGAIN when a sweeper took the new directory first. */
static int try_make(struct privdir *pd, const char *parent, const char *kind, mode_t mode)
{
	cleanup_close int dfd = -1;
	struct stat dst, lst;
	int r;

	if ((size_t)snprintf(pd->path, sizeof(pd->path), "%s/umld-%s-%d-XXXXXX", parent, kind,
			     (int)getpid()) >= sizeof(pd->path)) {
		pd->path[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(pd->path)) {
		r = -errno;
		pd->path[0] = '\0';
		return r;
	}
	/* From here until the lock is held a sweeper may take the directory:
	 * it makes the lock file if there is none yet and removes the
	 * directory while it holds the lock, the lock file last. */
	dfd = open(pd->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0)
		pd->lock = openat(dfd, PRIVDIR_LOCK, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				  0600);
	if (dfd < 0 || pd->lock < 0) {
		r = errno == ENOENT ? -EAGAIN : -errno;
		goto fail;
	}
	if (flock(pd->lock, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			r = -EAGAIN; /* a sweeper holds it: it removes the directory */
			goto fail;
		}
		log_debug("%s: no flock here (%s): it cannot be swept if left", pd->path,
			  strerror(errno));
		close(pd->lock);
		pd->lock = -1;
	} else if (fstat(dfd, &dst) < 0 || fstat(pd->lock, &lst) < 0 || dst.st_nlink == 0 ||
		   lst.st_nlink == 0) {
		r = -EAGAIN; /* a sweeper had it and let it go: removed */
		goto fail;
	}
	if ((mode & 07777) != 0700 && fchmod(dfd, mode) < 0) {
		r = -errno;
		privdir_remove(pd);
		return r;
	}
	return 0;
fail:
	if (pd->lock >= 0)
		close(pd->lock);
	pd->lock = -1;
	if (r != -EAGAIN)
		rmdir(pd->path); /* empty, or a sweeper's: then it stays */
	pd->path[0] = '\0';
	return r;
}

int privdir_make(struct privdir *pd, const char *parent, const char *kind, mode_t mode)
{
	int r = -EAGAIN;

	privdir_init(pd);
	/* losing twice in a row needs two sweepers starting just then */
	for (int i = 0; i < 8 && r == -EAGAIN; i++)
		r = try_make(pd, parent, kind, mode);
	return r;
}

void privdir_remove(struct privdir *pd)
{
	const char *slash = strrchr(pd->path, '/');
	char parent[PATH_MAX];
	cleanup_close int pfd = -1;
	cleanup_close int dfd = -1;
	struct stat st;

	if (!pd->path[0] || !slash) {
		privdir_init(pd); /* the lock of a zeroed privdir is no descriptor */
		return;
	}
	snprintf(parent, sizeof(parent), "%.*s", slash == pd->path ? 1 : (int)(slash - pd->path),
		 pd->path);
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0)
		dfd = openat(pfd, slash + 1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd >= 0 && fstat(dfd, &st) == 0)
		remove_locked(pfd, slash + 1, dfd, &st);
	if (pd->lock >= 0)
		close(pd->lock);
	privdir_init(pd);
}

/* Whether name is umld-KIND-PID-XXXXXX (mkdtemp's six letters and digits). */
static bool our_name(const char *name, const char *kind)
{
	size_t n = strlen(kind), digits;
	const char *p;

	if (strncmp(name, "umld-", 5) != 0 || strncmp(name + 5, kind, n) != 0 || name[5 + n] != '-')
		return false;
	p = name + 5 + n + 1;
	digits = strspn(p, "0123456789");
	if (digits == 0 || digits > 10 || p[digits] != '-')
		return false;
	p += digits + 1;
	for (int i = 0; i < 6; i++)
		if (!isalnum((unsigned char)p[i]))
			return false;
	return p[6] == '\0';
}

static void sweep_one(int pfd, const char *name)
{
	cleanup_close int dfd = -1;
	cleanup_close int lfd = -1;
	struct stat st;

	dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0 || st.st_uid != geteuid())
		return; /* gone, not a directory, or another user's */
	/* made when missing: a maker that has not made its own yet then finds
	 * it locked, or unlinked, and makes another directory */
	lfd = openat(dfd, PRIVDIR_LOCK, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0)
		return; /* its maker runs (or no flock here: nobody can tell) */
	log_debug("removing %s: its monitor is gone", name);
	remove_locked(pfd, name, dfd, &st);
}

void privdir_sweep(const char *parent, const char *kind)
{
	cleanup_close int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	DIR *d = list_dir(pfd);

	if (!d)
		return;
	while ((e = readdir(d)))
		if ((e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) && our_name(e->d_name, kind))
			sweep_one(pfd, e->d_name);
	closedir(d);
}
