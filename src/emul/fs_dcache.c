/* The emulated filesystem's directory cache: for a directory of the layer
 * stack, by its canonical guest path, the fds of its copies in each layer
 * (its cow_walk), so that resolving /usr/include/stdio.h does not open
 * /usr and /usr/include in every layer again on each call. It is what the
 * kernel's dentry cache is to a lookup, for directories only and without
 * negative entries: a name that is absent is always looked up.
 *
 * When an entry stops being true:
 * - the monitor changes the layer stack's directories itself (a copy-up
 *   makes upper copies of directories, rmdir and rename remove or move
 *   them): fs_dcache_flush, called there, bumps a generation and every
 *   older entry is a miss from then on;
 * - the host changes a base layer under a running guest (base layers are
 *   meant not to change, as overlayfs's lowers; but the host's own root is
 *   the default base): an entry is trusted for FS_DCACHE_TTL_NS only, after
 *   which the walk is made again. A directory the host removed or renamed
 *   meanwhile is seen where it was for at most that long, as an open
 *   directory fd would see it.
 * Binds (host directories in the guest, /proc, /dev) are never cached: the
 * host changes them freely.
 *
 * Entries are counted references: a resolution holds the entry whose fds it
 * borrows until its fs_loc is freed, so evicting (least recently used first,
 * within a budget of fds) never closes an fd in use. One mutex; the serving
 * threads of several guest processes share the cache. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "emul/fs_emul.h"

struct fs_dent {
	struct fs_dcache *dc;
	struct fs_dent *hnext;
	struct fs_dent *prev, *next; /* LRU list, most recent first */
	uint64_t hash;
	unsigned gen;
	int64_t born;
	int refs; /* the cache's one while listed, and one per holder */
	bool listed;
	struct cow_walk w; /* owns its fds */
	char vpath[];
};

static int64_t coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

void fs_dcache_init(struct fs_dcache *dc, size_t max_fds)
{
	memset(dc, 0, sizeof(*dc));
	pthread_mutex_init(&dc->lock, NULL);
	dc->max_fds = max_fds;
}

static void dent_destroy(struct fs_dent *d)
{
	cow_walk_free(&d->w);
	free(d);
}

/* Takes d off the hash and the LRU list (lock held); drops the cache's
 * reference. */
static void unlist(struct fs_dcache *dc, struct fs_dent *d)
{
	struct fs_dent **pp = &dc->bucket[d->hash % FS_DCACHE_BUCKETS];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	if (d->prev)
		d->prev->next = d->next;
	else
		dc->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		dc->tail = d->prev;
	d->listed = false;
	dc->fds -= d->w.n;
	if (--d->refs == 0)
		dent_destroy(d);
}

void fs_dcache_free(struct fs_dcache *dc)
{
	pthread_mutex_lock(&dc->lock);
	while (dc->head)
		unlist(dc, dc->head);
	pthread_mutex_unlock(&dc->lock);
}

struct fs_dent *fs_dcache_get(struct fs_dcache *dc, const char *vpath, struct cow_walk *w)
{
	uint64_t h = hash_path(vpath);
	struct fs_dent *d;

	if (!dc->max_fds)
		return NULL;
	pthread_mutex_lock(&dc->lock);
	for (d = dc->bucket[h % FS_DCACHE_BUCKETS]; d; d = d->hnext)
		if (d->hash == h && strcmp(d->vpath, vpath) == 0)
			break;
	if (d && (d->gen != dc->gen || coarse_ns() - d->born > FS_DCACHE_TTL_NS)) {
		unlist(dc, d);
		d = NULL;
	}
	if (!d) {
		pthread_mutex_unlock(&dc->lock);
		return NULL;
	}
	if (d != dc->head) { /* to the front of the LRU list */
		d->prev->next = d->next;
		if (d->next)
			d->next->prev = d->prev;
		else
			dc->tail = d->prev;
		d->prev = NULL;
		d->next = dc->head;
		dc->head->prev = d;
		dc->head = d;
	}
	d->refs++;
	pthread_mutex_unlock(&dc->lock);
	*w = d->w;
	for (size_t i = 0; i < w->n; i++)
		w->own[i] = false;
	return d;
}

struct fs_dent *fs_dcache_put(struct fs_dcache *dc, const char *vpath, struct cow_walk *w)
{
	size_t len = strlen(vpath);
	struct fs_dent *d, *o;

	if (!dc->max_fds || w->n == 0 || w->n > dc->max_fds)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		if (!w->own[i])
			return NULL; /* only walks whose fds can be handed over */
	d = malloc(sizeof(*d) + len + 1);
	if (!d)
		return NULL;
	memcpy(d->vpath, vpath, len + 1);
	d->dc = dc;
	d->hash = hash_path(vpath);
	d->w = *w;
	d->refs = 2; /* the cache's and the caller's */
	d->listed = true;
	d->born = coarse_ns();
	pthread_mutex_lock(&dc->lock);
	for (o = dc->bucket[d->hash % FS_DCACHE_BUCKETS]; o; o = o->hnext)
		if (o->hash == d->hash && strcmp(o->vpath, vpath) == 0)
			break;
	if (o) /* another thread walked it meanwhile: ours is the fresher */
		unlist(dc, o);
	while (dc->tail && dc->fds + w->n > dc->max_fds)
		unlist(dc, dc->tail);
	d->gen = dc->gen;
	d->hnext = dc->bucket[d->hash % FS_DCACHE_BUCKETS];
	dc->bucket[d->hash % FS_DCACHE_BUCKETS] = d;
	d->prev = NULL;
	d->next = dc->head;
	if (dc->head)
		dc->head->prev = d;
	dc->head = d;
	if (!dc->tail)
		dc->tail = d;
	dc->fds += w->n;
	pthread_mutex_unlock(&dc->lock);
	/* the caller keeps using the same fds, borrowed now */
	for (size_t i = 0; i < w->n; i++)
		w->own[i] = false;
	return d;
}

void fs_dent_release(struct fs_dent *d)
{
	struct fs_dcache *dc;

	if (!d)
		return;
	dc = d->dc;
	pthread_mutex_lock(&dc->lock);
	if (--d->refs == 0)
		dent_destroy(d);
	pthread_mutex_unlock(&dc->lock);
}

void fs_dcache_flush(struct fs_dcache *dc)
{
	pthread_mutex_lock(&dc->lock);
	dc->gen++;
	pthread_mutex_unlock(&dc->lock);
}

unsigned fs_dcache_gen(struct fs_dcache *dc)
{
	unsigned g;

	pthread_mutex_lock(&dc->lock);
	g = dc->gen;
	pthread_mutex_unlock(&dc->lock);
	return g;
}
