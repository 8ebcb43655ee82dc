/* Directory listings under the emulated filesystem. A guest's directory fd
 * is a real directory of one layer; where the guest's view of it merges
 * several layers (or holds whiteouts, or the layer's marker), getdents64
 * and getdents are answered from cowdisk's merged listing instead. The
 * position in that listing is kept in the fd's own file offset (the
 * monitor's copy of the fd shares it), so lseek, rewinddir and telldir work
 * as they do natively. Directories seen through one layer only pass. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

struct dent {
	char *name;
	unsigned char type;
	ino_t ino;
};

struct dlist {
	struct dent *v;
	size_t n, cap;
};

static void dlist_free(struct dlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
}

static int dlist_add(const char *name, unsigned char type, ino_t ino, void *arg)
{
	struct dlist *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct dent *v = realloc(l->v, cap * sizeof(*v));
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
	l->n++;
	return 0;
}

/* Whether the guest's view of directory loc needs a merged listing. */
static bool needs_merge(const struct fs_emul *fs, const struct fs_loc *loc)
{
	if (loc->m != 0)
		return false;
	if (loc->dir.n > 1)
		return true;
	/* the upper layer alone: its root holds the marker */
	return fs->stack.upper_fd >= 0 && loc->rel[0] == '\0';
}

/* /proc and /proc/PID/task with emulated pids: the host's other names,
 * then the guest's processes (or the process's threads) by virtual id. */
static bool proc_pid_dir(const struct fs_emul *fs, const struct fs_loc *loc, pid_t *tgid)
{
	int a, n = 0;

	if (!fs->pids || !fs->mnt[loc->m].proc)
		return false;
	*tgid = 0;
	if (loc->rel[0] == '\0')
		return true;
	if (sscanf(loc->rel, "%d/task%n", &a, &n) != 1 || loc->rel[n] != '\0')
		return false;
	*tgid = pids_to_host(fs->pids, a, false);
	return *tgid > 0;
}

static int proc_list(struct fs_emul *fs, const struct fs_loc *loc, pid_t tgid, struct dlist *l)
{
	int dfd = openat(loc->dir.fd[0], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	pid_t v[4096];
	char name[32], host[32];
	struct stat st;
	int r = 0;

	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -ENOMEM;
	}
	for (struct dirent *e; r == 0 && (e = readdir(d));) {
		char *end;
		long num = strtol(e->d_name, &end, 10);
		if (!*end && num > 0)
			continue; /* the host's pids */
		if (tgid == 0 || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			r = dlist_add(e->d_name, e->d_type, e->d_ino, l);
	}
	size_t n = pids_list(fs->pids, tgid, v, ARRAY_SIZE(v));
	for (size_t i = 0; r == 0 && i < n; i++) {
		snprintf(name, sizeof(name), "%d", (int)v[i]);
		if (!pids_proc_name(fs->pids, loc->rel, name, host, sizeof(host), true) ||
		    fstatat(dirfd(d), host, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* ended meanwhile */
		r = dlist_add(name, DT_DIR, st.st_ino, l);
	}
	closedir(d);
	return r;
}

static struct verdict dents_emit(const struct sc_request *req, int gfd, struct dlist *l,
				 bool is64);

static struct verdict dents_common(struct emul_ctx *ctx, const struct sc_request *req, bool is64)
{
	struct fs_emul *fs = fs_of(ctx);
	int gfd = (int)(int32_t)req->args[0];
	char vpath[PATH_MAX + 3], link[64];
	struct fs_loc loc;
	struct dlist l = { 0 };
	struct stat st;
	int r;

	const struct fs_proc *p = fs_proc_of(fs, req->tid);
	int merge = -1;
	bool cached = p && fs_fdc_lookup(fs, p->tgid, req->tid, gfd, vpath, PATH_MAX, &merge) == 0;

	if (cached && merge == 0)
		return verdict_pass(); /* one layer: the kernel lists it */
	if (!cached) {
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)req->tid, gfd);
		if (stat(link, &st) < 0 || !S_ISDIR(st.st_mode))
			return verdict_pass(); /* not a directory: the kernel says what */
		if (fs_dirfd_vpath(fs, req->tid, gfd, vpath, PATH_MAX) < 0)
			return verdict_pass(); /* not in the guest's tree (e.g. a bind): as it is */
	}
	size_t vlen = strlen(vpath);
	strcat(vpath, "/."); /* the directory itself, with its own layers */
	r = fs_resolve(fs, req->tid, AT_FDCWD, vpath, 0, &loc);
	vpath[vlen] = '\0';
	if (r < 0)
		return verdict_pass();
	if (cached) /* a directory of the layer stack: never /proc's */
		fs_fdc_set_merge(fs, p->tgid, gfd, vpath, needs_merge(fs, &loc));
	pid_t tgid;
	if (proc_pid_dir(fs, &loc, &tgid)) {
		r = proc_list(fs, &loc, tgid, &l);
		fs_loc_free(&loc);
		if (r < 0) {
			dlist_free(&l);
			return verdict_deny(-r);
		}
		return dents_emit(req, gfd, &l, is64);
	}
	if (!needs_merge(fs, &loc)) {
		fs_loc_free(&loc);
		return verdict_pass();
	}
	/* "." and "..", then the merged entries */
	struct stat dot, dotdot;
	if (fstat(loc.dir.fd[0], &dot) < 0 || fstatat(loc.dir.fd[0], "..", &dotdot, 0) < 0)
		dotdot = dot;
	r = dlist_add(".", DT_DIR, dot.st_ino, &l);
	if (r == 0)
		r = dlist_add("..", DT_DIR, dotdot.st_ino, &l);
	if (r == 0)
		r = cow_readdir(&fs->stack, loc.rel, dlist_add, &l);
	fs_loc_free(&loc);
	if (r < 0) {
		dlist_free(&l);
		return verdict_deny(-r);
	}
	return dents_emit(req, gfd, &l, is64);
}

/* Writes the entries of l from the fd's position on; frees l. */
static struct verdict dents_emit(const struct sc_request *req, int gfd, struct dlist *lp,
				 bool is64)
{
	uint64_t buf = req->args[1];
	size_t count = (size_t)(uint32_t)req->args[2];
	struct dlist l = *lp;
	int r, fd;

	fd = fs_guest_fd_copy(req->tid, gfd);
	if (fd < 0) {
		r = -EBADF;
		goto out;
	}
	off_t pos = lseek(fd, 0, SEEK_CUR);
	if (pos < 0)
		pos = 0;
	unsigned char *out = malloc(count ? count : 1);
	size_t used = 0;
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	size_t i;
	for (i = (size_t)pos; i < l.n; i++) {
		size_t nl = strlen(l.v[i].name);
		size_t reclen = is64 ? (offsetof(struct { uint64_t a; int64_t b; uint16_t c; uint8_t d; char e[]; }, e) + nl + 1 + 7) & ~(size_t)7
				     : (2 * sizeof(unsigned long) + 2 + nl + 2 + 7) & ~(size_t)7;
		if (used + reclen > count)
			break;
		unsigned char *e = out + used;
		memset(e, 0, reclen);
		uint64_t ino = l.v[i].ino;
		int64_t off = (int64_t)i + 1;
		uint16_t rl = (uint16_t)reclen;
		if (is64) {
			memcpy(e, &ino, 8);
			memcpy(e + 8, &off, 8);
			memcpy(e + 16, &rl, 2);
			e[18] = l.v[i].type;
			memcpy(e + 19, l.v[i].name, nl + 1);
		} else {
			unsigned long ino32 = (unsigned long)ino, off32 = (unsigned long)off;
			memcpy(e, &ino32, sizeof(ino32));
			memcpy(e + sizeof(long), &off32, sizeof(off32));
			memcpy(e + 2 * sizeof(long), &rl, 2);
			memcpy(e + 2 * sizeof(long) + 2, l.v[i].name, nl + 1);
			e[reclen - 1] = l.v[i].type;
		}
		used += reclen;
	}
	if (used == 0 && i < l.n) {
		free(out);
		r = -EINVAL; /* the buffer cannot hold one entry */
		goto out;
	}
	r = used ? req_write(req, buf, out, used) : 0;
	free(out);
	if (r == 0) {
		lseek(fd, (off_t)i, SEEK_SET);
		r = (int)used;
	}
out:
	if (fd >= 0)
		close(fd);
	dlist_free(&l);
	return r < 0 ? verdict_deny(-r) : verdict_return(r);
}

static struct verdict h_getdents64(struct emul_ctx *ctx, const struct sc_request *req)
{
	return dents_common(ctx, req, true);
}

static struct verdict h_getdents(struct emul_ctx *ctx, const struct sc_request *req)
{
	return dents_common(ctx, req, false);
}

static const struct emul_handler dents_handlers[] = {
	{ .name = "getdents64", .abis = EMUL_ABI_64, .enter = h_getdents64 },
	{ .name = "getdents", .abis = EMUL_ABI_64, .enter = h_getdents },
};

const struct emul_feature emul_feature_fs_dents = {
	.name = "fs-dents",
	.handlers = dents_handlers,
	.count = ARRAY_SIZE(dents_handlers),
};
