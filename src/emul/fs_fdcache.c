/* The emulated filesystem's cache of guest directory fds: which guest path a
 * directory fd the monitor opened for the guest stands for, so that a call
 * relative to it (openat, newfstatat, getdents64, fstat) does not read
 * /proc/PID/fd/N again each time (2.4 us a readlink or stat there, on the
 * machine of docs/performance.md, where the whole call costs 8 to 10 us).
 *
 * The guest can close, dup2 over or pass its fds without the monitor seeing
 * it, so an entry is only believed after kcmp(KCMP_FILE) says that the
 * guest's fd N is still the very open file the monitor installed there: the
 * monitor keeps its own reference to that file (the fd it injected) while
 * the entry lives. The path it holds was resolved inside the guest's root
 * when the file was opened; like the directory cache's entries (fs_dcache.c)
 * it stops being trusted when the layer stack's directories change
 * (generation) or after FS_DCACHE_TTL_NS, and is then read from /proc again.
 *
 * Holding a reference changes one thing the guest could see: a flock() on
 * the directory outlives the guest's last close. flock is claimed with the
 * emulated filesystem, and the file flock()ed leaves the cache first
 * (fs_fdc_forget). Only directories of the layer stack are kept, never a
 * regular file (a writer's reference would make its exec fail with ETXTBSY,
 * a FIFO's would hold its other end open). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "emul/fs_emul.h"

#ifndef KCMP_FILE
#define KCMP_FILE 0
#endif

struct fs_fdc_ent {
	struct fs_fdc_ent *hnext;
	struct fs_fdc_ent *prev, *next; /* LRU list, most recent first */
	pid_t tgid;
	int gfd, mfd;
	dev_t dev;
	ino_t ino;
	unsigned gen;
	int64_t born;
	int merge; /* getdents64 must merge layers: 1, 0, or -1 not known yet */
	char vpath[];
};

/* What do_open hands to the notification server with the fd it injects. */
struct fdc_keeper {
	struct fd_keeper base;
	struct fs_emul *fs;
	int merge;
	char vpath[];
};

static int64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t bucket_of(pid_t tgid, int gfd)
{
	return ((unsigned)tgid * 31u + (unsigned)gfd) % FS_FDC_BUCKETS;
}

void fs_fdc_init(struct fs_fdcache *c, size_t max)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->max = max;
	for (size_t i = 0; i < FS_FDC_PIDFDS; i++)
		c->pidfd[i].fd = -1;
}

/* A pidfd of process tgid, kept (lock held); -1 when none can be had. */
static int pidfd_locked(struct fs_fdcache *c, pid_t tgid)
{
	unsigned i;
	int fd;

	for (i = 0; i < FS_FDC_PIDFDS; i++)
		if (c->pidfd[i].tgid == tgid)
			return c->pidfd[i].fd;
	fd = (int)syscall(SYS_pidfd_open, tgid, 0);
	if (fd < 0)
		return -1;
	i = c->pidfd_next++ % FS_FDC_PIDFDS;
	if (c->pidfd[i].fd >= 0)
		close(c->pidfd[i].fd);
	c->pidfd[i].tgid = tgid;
	c->pidfd[i].fd = fd;
	return fd;
}

/* The LRU list, most recent first (lock held). */
static void lru_unlink(struct fs_fdcache *c, struct fs_fdc_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
}

static void lru_push(struct fs_fdcache *c, struct fs_fdc_ent *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

/* Takes e off the hash and the LRU list and closes its reference (lock held). */
static void drop(struct fs_fdcache *c, struct fs_fdc_ent *e)
{
	struct fs_fdc_ent **pp = &c->bucket[bucket_of(e->tgid, e->gfd)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(c, e);
	c->n--;
	close(e->mfd);
	free(e);
}

void fs_fdc_free(struct fs_fdcache *c)
{
	pthread_mutex_lock(&c->lock);
	while (c->head)
		drop(c, c->head);
	for (size_t i = 0; i < FS_FDC_PIDFDS; i++)
		if (c->pidfd[i].fd >= 0)
			close(c->pidfd[i].fd);
	pthread_mutex_unlock(&c->lock);
}

/* Whether tid's fd gfd is the open file the monitor holds as mfd. The
 * monitor's pid is asked each time: a daemon's monitor may have forked
 * since the cache was made. */
static bool same_file(pid_t tid, int gfd, int mfd)
{
	return syscall(SYS_kcmp, getpid(), tid, KCMP_FILE, mfd, gfd) == 0;
}

static struct fs_fdc_ent *find_locked(struct fs_fdcache *c, pid_t tgid, int gfd)
{
	struct fs_fdc_ent *e;

	for (e = c->bucket[bucket_of(tgid, gfd)]; e; e = e->hnext)
		if (e->tgid == tgid && e->gfd == gfd)
			return e;
	return NULL;
}

/* The valid entry for tid's fd gfd, moved to the front (lock held), or NULL
 * (a stale one is dropped). */
static struct fs_fdc_ent *get_locked(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e = gfd >= 0 ? find_locked(c, tgid, gfd) : NULL;

	if (!e)
		return NULL;
	if (e->gen != fs_dcache_gen(&fs->dcache) || coarse_ns() - e->born > FS_DCACHE_TTL_NS ||
	    !same_file(tid, gfd, e->mfd)) {
		drop(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_push(c, e);
	return e;
}

int fs_fdc_lookup(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, char *vpath, size_t size,
		  int *merge)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e;
	int r = -1;

	pthread_mutex_lock(&c->lock);
	e = get_locked(fs, tgid, tid, gfd);
	if (e && strlen(e->vpath) < size) {
		memcpy(vpath, e->vpath, strlen(e->vpath) + 1);
		if (merge)
			*merge = e->merge;
		r = 0;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

int fs_fdc_stat(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, struct stat *st, int *dup_fd)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e;
	int r = -1;

	pthread_mutex_lock(&c->lock);
	e = get_locked(fs, tgid, tid, gfd);
	if (e && fstat(e->mfd, st) == 0) {
		r = 0;
		if (dup_fd) {
			*dup_fd = fcntl(e->mfd, F_DUPFD_CLOEXEC, 3);
			if (*dup_fd < 0)
				r = -1;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void fs_fdc_set_merge(struct fs_emul *fs, pid_t tgid, int gfd, const char *vpath, int merge)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e;

	pthread_mutex_lock(&c->lock);
	e = find_locked(c, tgid, gfd);
	/* the entry the caller looked up, unless it was replaced meanwhile */
	if (e && strcmp(e->vpath, vpath) == 0)
		e->merge = merge;
	pthread_mutex_unlock(&c->lock);
}

static void put(struct fs_emul *fs, pid_t tgid, int gfd, int mfd, const char *vpath, int merge)
{
	struct fs_fdcache *c = &fs->fdc;
	size_t len = strlen(vpath);
	struct fs_fdc_ent *e, *o;
	struct stat st;

	if (gfd < 0 || fstat(mfd, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    !(e = malloc(sizeof(*e) + len + 1))) {
		close(mfd);
		return;
	}
	memcpy(e->vpath, vpath, len + 1);
	e->tgid = tgid;
	e->gfd = gfd;
	e->mfd = mfd;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->merge = merge;
	e->born = coarse_ns();
	pthread_mutex_lock(&c->lock);
	e->gen = fs_dcache_gen(&fs->dcache);
	o = find_locked(c, tgid, gfd);
	if (o) /* the number was closed and reused: that file is gone */
		drop(c, o);
	while (c->tail && c->n >= c->max)
		drop(c, c->tail);
	e->hnext = c->bucket[bucket_of(tgid, gfd)];
	c->bucket[bucket_of(tgid, gfd)] = e;
	lru_push(c, e);
	c->n++;
	pthread_mutex_unlock(&c->lock);
}

void fs_fdc_adopt(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, const char *vpath)
{
	struct fs_fdcache *c = &fs->fdc;
	int pfd, fd = -1;

	if (gfd < 0)
		return;
	pthread_mutex_lock(&c->lock);
	pfd = pidfd_locked(c, tgid);
	if (pfd >= 0)
		fd = (int)syscall(SYS_pidfd_getfd, pfd, gfd, 0);
	pthread_mutex_unlock(&c->lock);
	if (fd < 0)
		return;
	if (!same_file(tid, gfd, fd)) { /* tid has a table of its own */
		close(fd);
		return;
	}
	put(fs, tgid, gfd, fd, vpath, -1);
}

static void keeper_done(struct fd_keeper *base, pid_t tid, int gfd, int fd)
{
	struct fdc_keeper *k = (struct fdc_keeper *)base;
	const struct fs_proc *p = gfd >= 0 ? fs_proc_of(k->fs, tid) : NULL;

	if (p)
		put(k->fs, p->tgid, gfd, fd, k->vpath, k->merge);
	else if (fd >= 0)
		close(fd);
	free(k);
}

struct fd_keeper *fs_fdc_keeper(struct fs_emul *fs, const char *vpath)
{
	size_t len = strlen(vpath);
	struct fdc_keeper *k;
	struct cow_walk w;
	struct fs_dent *d;

	k = malloc(sizeof(*k) + len + 1);
	if (!k)
		return NULL;
	k->base.kept = keeper_done;
	k->fs = fs;
	memcpy(k->vpath, vpath, len + 1);
	/* whether its listing merges layers, if the resolution that found
	 * it walked into it (fs_dents.c's rule: several layers, or the root
	 * of the upper layer, which holds the marker) */
	k->merge = -1;
	d = fs_dcache_get(&fs->dcache, vpath, &w);
	if (d) {
		k->merge = w.n > 1 || (fs->stack.upper_fd >= 0 && strcmp(vpath, "/") == 0);
		fs_dent_release(d);
	}
	return &k->base;
}

void fs_fdc_forget(struct fs_emul *fs, pid_t tid, int gfd)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e, *next;
	char link[64];
	struct stat st;

	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, gfd);
	if (stat(link, &st) < 0 || !S_ISDIR(st.st_mode))
		return;
	pthread_mutex_lock(&c->lock);
	for (e = c->head; e; e = next) {
		next = e->next;
		/* the same directory first: kcmp only for those */
		if (e->dev == st.st_dev && e->ino == st.st_ino && same_file(tid, gfd, e->mfd))
			drop(c, e);
	}
	pthread_mutex_unlock(&c->lock);
}

void fs_fdc_drop_tgid(struct fs_emul *fs, pid_t tgid)
{
	struct fs_fdcache *c = &fs->fdc;
	struct fs_fdc_ent *e, *next;

	pthread_mutex_lock(&c->lock);
	for (e = c->head; e; e = next) {
		next = e->next;
		if (e->tgid == tgid)
			drop(c, e);
	}
	for (size_t i = 0; i < FS_FDC_PIDFDS; i++) {
		if (c->pidfd[i].tgid == tgid) {
			close(c->pidfd[i].fd);
			c->pidfd[i].tgid = 0;
			c->pidfd[i].fd = -1;
		}
	}
	pthread_mutex_unlock(&c->lock);
}
