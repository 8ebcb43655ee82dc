/* Path resolution inside the guest's root, as the kernel's namei does it, but
 * over the layer stack and the binds: one component at a time, every lookup
 * made by the monitor on directory fds it holds (never by host path), every
 * symlink read and followed here, inside the guest's root. Nothing the guest
 * can change afterwards is trusted: the path was copied in once, and a
 * directory swapped for a symlink meanwhile is found as that symlink and
 * resolved inside the root as well.
 *
 * /proc is the host's, bound in; its magic links are translated: "self" and
 * "thread-self" name the caller, PID/{cwd,root,exe} and PID/fd/N of guest
 * processes become the guest paths they stand for, and those of any other
 * process cannot be followed at all. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/pids.h"

void fs_loc_free(struct fs_loc *loc)
{
	cow_walk_free(&loc->dir);
	fs_dent_release(loc->dent);
	loc->dent = NULL;
}

/* The mount whose guest path is exactly vpath, or -1. */
static int mount_at(const struct fs_emul *fs, const char *vpath)
{
	for (size_t i = 1; i < fs->nmnt; i++)
		if (strcmp(fs->mnt[i].guest, vpath) == 0)
			return (int)i;
	return -1;
}

/* The mount vpath (canonical) is in: the longest guest prefix. */
static int mount_of(const struct fs_emul *fs, const char *vpath)
{
	int best = 0;
	size_t blen = 0;

	for (size_t i = 1; i < fs->nmnt; i++) {
		if (path_prefix_len(vpath, fs->mnt[i].guest) >= 0 && fs->mnt[i].len > blen) {
			best = (int)i;
			blen = fs->mnt[i].len;
		}
	}
	return best;
}

/* The layers of mount m's root, borrowed: the stack's fds and the binds'
 * live as long as fs. */
static void mount_root_walk(const struct fs_emul *fs, int m, struct cow_walk *w)
{
	if (m == 0) {
		cow_walk_root(&fs->stack, w);
		return;
	}
	memset(w, 0, sizeof(*w));
	w->fd[0] = fs->mnt[m].fd;
	w->idx[0] = 0;
	w->own[0] = false;
	w->n = 1;
}

/* Steps into name in a bind (a single host directory). */
static int plain_step(const struct cow_walk *w, const char *name, struct cow_entry *e,
		      struct cow_walk *into)
{
	memset(e, 0, sizeof(*e));
	e->pos = 0;
	if (fstatat(w->fd[0], name, &e->st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		e->where = COW_ABSENT;
		e->pos = -1;
		return 0;
	}
	e->where = COW_LOWER;
	if (into && S_ISDIR(e->st.st_mode)) {
		memset(into, 0, sizeof(*into));
		int fd = openat(w->fd[0], name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		into->fd[0] = fd;
		into->own[0] = true;
		into->n = 1;
	}
	return 0;
}

/* Resolution state: where we are. Its walk is its own, or borrowed from
 * the directory cache entry d (held until the cursor moves on). */
struct cursor {
	int m;
	char vpath[PATH_MAX];
	struct cow_walk w;
	struct fs_dent *d;
};

static void cursor_free(struct cursor *c)
{
	cow_walk_free(&c->w);
	fs_dent_release(c->d);
	c->d = NULL;
}

/* The cursor is now in directory vpath of mount m, with walk w (taken over)
 * from cache entry d (or NULL). */
static void cursor_move(struct cursor *c, int m, const char *vpath, struct cow_walk *w,
			struct fs_dent *d)
{
	cursor_free(c);
	c->m = m;
	if (vpath != c->vpath)
		snprintf(c->vpath, sizeof(c->vpath), "%s", vpath);
	c->w = *w;
	c->d = d;
	w->n = 0;
}

/* Directory nv (canonical, of the layer stack) was just walked into as w:
 * the cache keeps it, w's fds becoming borrowed. The entry, or NULL. */
static struct fs_dent *cache_keep(struct fs_emul *fs, int m, const char *nv, struct cow_walk *w)
{
	return m == 0 ? fs_dcache_put(&fs->dcache, nv, w) : NULL;
}

/* Hands the cursor's walk (and its cache entry) to loc. */
static void cursor_give(struct cursor *c, struct fs_loc *loc)
{
	loc->dir = c->w;
	loc->dent = c->d;
	c->w.n = 0;
	c->d = NULL;
}

/* Moves c to the canonical guest path vpath, walking down from the deepest
 * directory above it that the cache has (every component a directory: it
 * was canonical when recorded). */
static int cursor_set(struct fs_emul *fs, struct cursor *c, const char *vpath)
{
	char buf[PATH_MAX], at[PATH_MAX];
	int m = mount_of(fs, vpath), r;
	const char *rel;
	struct cow_walk w;
	struct fs_dent *d = NULL;
	size_t done = 0;

	cursor_free(c);
	if (strlen(vpath) >= sizeof(c->vpath))
		return -ENAMETOOLONG;
	snprintf(c->vpath, sizeof(c->vpath), "%s", vpath);
	c->m = m;
	if (m == 0 && strcmp(vpath, "/") != 0) {
		/* the deepest cached directory at or above vpath */
		snprintf(at, sizeof(at), "%s", vpath);
		for (;;) {
			d = fs_dcache_get(&fs->dcache, at, &c->w);
			if (d) {
				done = strlen(at);
				break;
			}
			char *slash = strrchr(at, '/');
			if (!slash || slash == at)
				break;
			*slash = '\0';
		}
	}
	c->d = d;
	if (!d)
		mount_root_walk(fs, m, &c->w);
	if (d && vpath[done] == '\0')
		return 0;
	rel = d ? vpath + done : vpath + (m ? fs->mnt[m].len : 0);
	snprintf(buf, sizeof(buf), "%s", rel);
	if (fs->pids && fs->mnt[m].proc && *rel) {
		/* virtual pids in the guest's path, host ones on the host */
		while (*rel == '/')
			rel++;
		if (!pids_proc_path(fs->pids, rel, buf, sizeof(buf), true))
			return -ENAMETOOLONG;
	}
	snprintf(at, sizeof(at), "%.*s", (int)(d ? done : (m ? fs->mnt[m].len : 0)), vpath);
	bool at_root = m == 0 && !d;
	for (char *save = NULL, *p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		struct cow_entry e;
		struct cow_walk nw = { 0 };

		r = m == 0 ? cow_walk_step(&c->w, p, at_root, false, &e, &nw)
			   : plain_step(&c->w, p, &e, &nw);
		at_root = false;
		if (r < 0)
			return r;
		if (e.where != COW_UPPER && e.where != COW_LOWER) {
			cow_walk_free(&nw);
			return -ENOENT;
		}
		if (!S_ISDIR(e.st.st_mode)) {
			cow_walk_free(&nw);
			return -ENOTDIR;
		}
		size_t al = strlen(at);
		snprintf(at + al, sizeof(at) - al, "/%s", p);
		w = nw;
		d = cache_keep(fs, m, at, &w);
		cursor_move(c, m, c->vpath, &w, d);
	}
	return 0;
}

bool fs_vpath_is_dir(struct fs_emul *fs, const char *vpath)
{
	struct cursor c = { 0 };
	int r = cursor_set(fs, &c, vpath);

	cursor_free(&c);
	return r == 0;
}

static void vpath_parent(char *vpath)
{
	char *slash = strrchr(vpath, '/');

	if (!slash || slash == vpath)
		strcpy(vpath, "/");
	else
		*slash = '\0';
}

enum fs_host_where fs_host_to_guest(const struct fs_emul *fs, const char *host, char *out,
				    size_t size)
{
	ssize_t best = -1, n;
	int bm = -1;

	/* binds first, the longest: a bind may lie inside a layer */
	for (size_t i = 1; i < fs->nmnt; i++) {
		n = path_prefix_len(host, fs->mnt[i].host);
		if (n > best) {
			best = n;
			bm = (int)i;
		}
	}
	if (bm > 0 && fs->pids && fs->mnt[bm].proc && host[best] == '/') {
		char rel[PATH_MAX];
		if (pids_proc_path(fs->pids, host + best + 1, rel, sizeof(rel), false)) {
			snprintf(out, size, "%s/%s", fs->mnt[bm].guest, rel);
			return FS_HOST_BIND;
		}
	}
	if (bm > 0) {
		if (fs->mnt[bm].len > 1)
			snprintf(out, size, "%s%s", fs->mnt[bm].guest, host + best);
		else /* a bind at / (fs_wants.root_in_place) */
			snprintf(out, size, "%s", host[best] ? host + best : "/");
		return FS_HOST_BIND;
	}
	/* the upper layer before the lowers: it may lie inside one */
	if (fs->upper_path[0] && (n = path_prefix_len(host, fs->upper_path)) >= 0) {
		snprintf(out, size, "%s", host[n] ? host + n : "/");
		return FS_HOST_UPPER;
	}
	for (size_t i = fs->stack.nlower; i-- > 0;) {
		n = path_prefix_len(host, fs->lower_path[i]);
		if (n >= 0) {
			snprintf(out, size, "%s", host[n] ? host + n : "/");
			return FS_HOST_LOWER;
		}
	}
	return FS_HOST_NONE;
}

/* adopt: the caller means a directory, which the fd cache then takes in
 * when /proc had to be read (a file's fd would be fetched for nothing). */
static int fd_vpath(struct fs_emul *fs, pid_t tid, int fd, char *out, size_t size, bool adopt)
{
	char link[64], host[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	const struct fs_proc *p = fs_proc_of(fs, tid);
	if (p && fs_fdc_lookup(fs, p->tgid, tid, fd, out, size, NULL) == 0)
		return 0;
	snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)tid, fd);
	n = readlink(link, host, sizeof(host) - 1);
	if (n < 0)
		return errno == ENOENT ? -EBADF : -errno;
	host[n] = '\0';
	if (host[0] != '/')
		return -ENOENT; /* a pipe, socket or anonymous inode */
	if (n > 10 && strcmp(host + n - 10, " (deleted)") == 0)
		return -ENOENT;
	enum fs_host_where k = fs_host_to_guest(fs, host, out, size);
	if (k == FS_HOST_NONE)
		return -ENOENT;
	if (adopt && p && (k == FS_HOST_LOWER || k == FS_HOST_UPPER))
		/* a dup of a directory, or one the guest got another way:
		 * the fd cache knows it from now on */
		fs_fdc_adopt(fs, p->tgid, tid, fd, out);
	return 0;
}

int fs_fd_vpath(struct fs_emul *fs, pid_t tid, int fd, char *out, size_t size)
{
	return fd_vpath(fs, tid, fd, out, size, false);
}

int fs_dirfd_vpath(struct fs_emul *fs, pid_t tid, int fd, char *out, size_t size)
{
	return fd_vpath(fs, tid, fd, out, size, true);
}

/* Translates a /proc symlink (rel: its path inside /proc) for the caller.
 * 0 with target set; 1: not magic (read it as it is); -errno. */
int fs_proc_magic(struct fs_emul *fs, pid_t tid, const char *rel, char *target, size_t size)
{
	const struct fs_proc *me = fs_proc_of(fs, tid);
	struct fs_proc other;
	char tail[PATH_MAX];
	int pid = 0, tpid = 0, fd = -1, used = 0;

	if (!me)
		return -ENOMEM;
	if (fs->pids && (strcmp(rel, "self") == 0 || strcmp(rel, "thread-self") == 0)) {
		pid_t vtid, vpid = pids_vpid_of(fs->pids, tid, &vtid);
		if (strcmp(rel, "self") == 0)
			snprintf(target, size, "%d", (int)vpid);
		else
			snprintf(target, size, "%d/task/%d", (int)vpid, (int)vtid);
		return 0;
	}
	if (strcmp(rel, "self") == 0) {
		snprintf(target, size, "%d", (int)me->tgid);
		return 0;
	}
	if (strcmp(rel, "thread-self") == 0) {
		snprintf(target, size, "%d/task/%d", (int)me->tgid, (int)tid);
		return 0;
	}
	if (sscanf(rel, "%d/%n", &pid, &used) != 1 || used == 0)
		return 1;
	if (fs->pids)
		pid = pids_to_host(fs->pids, pid, false); /* the path's are virtual */
	snprintf(tail, sizeof(tail), "%s", rel + used);
	if (sscanf(tail, "task/%d/%n", &tpid, &used) == 1 && used > 0) {
		memmove(tail, tail + used, strlen(tail + used) + 1);
		if (fs->pids)
			tpid = pids_to_host(fs->pids, tpid, false);
	}
	if (strcmp(tail, "cwd") != 0 && strcmp(tail, "root") != 0 && strcmp(tail, "exe") != 0 &&
	    sscanf(tail, "fd/%d", &fd) != 1 && strncmp(tail, "map_files/", 10) != 0 &&
	    strncmp(tail, "ns/", 3) != 0)
		return 1;
	/* a magic link: only those of the guest's own processes lead anywhere */
	if (!fs_proc_copy_by_pid(fs, pid, &other))
		return -EACCES;
	if (strcmp(tail, "cwd") == 0)
		snprintf(target, size, "%s", other.cwd);
	else if (strcmp(tail, "root") == 0)
		snprintf(target, size, "%s", other.root);
	else if (strcmp(tail, "exe") == 0)
		snprintf(target, size, "%s", other.exe[0] ? other.exe : "/");
	else if (fd >= 0) {
		int r = fs_fd_vpath(fs, tpid ? tpid : pid, fd, target, size);
		if (r == -EBADF)
			return -ENOENT;
		if (r < 0)
			return 2; /* not a guest path: opened as the kernel would */
	} else {
		return -EACCES; /* map_files, ns: not followed */
	}
	return 0;
}

struct pathbuf {
	char s[PATH_MAX * 2];
	size_t off; /* the unread rest starts here */
};

/* Puts target in front of the rest of the path (a symlink's target). */
static int prepend(struct pathbuf *pb, const char *target)
{
	size_t tl = strlen(target), rl = strlen(pb->s + pb->off);

	if (tl + 1 + rl + 1 > sizeof(pb->s))
		return -ENAMETOOLONG;
	memmove(pb->s + tl + 1, pb->s + pb->off, rl + 1);
	memcpy(pb->s, target, tl);
	pb->s[tl] = rl ? '/' : '\0';
	if (!rl)
		pb->s[tl] = '\0';
	pb->off = 0;
	return 0;
}

/* The next component; false at the end. *last: nothing follows it;
 * *trailing: it was followed by a slash only. */
static bool next_comp(struct pathbuf *pb, char *name, size_t size, bool *last, bool *trailing,
		      int *err)
{
	char *p = pb->s + pb->off;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	char *e = strchr(p, '/');
	size_t n = e ? (size_t)(e - p) : strlen(p);
	if (n >= size || n > NAME_MAX) {
		*err = -ENAMETOOLONG;
		return false;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	*trailing = false;
	if (*p == '/') {
		char *q = p;
		while (*q == '/')
			q++;
		*trailing = *q == '\0';
		p = q;
	}
	*last = *p == '\0';
	pb->off = (size_t)(p - pb->s);
	return true;
}

int fs_resolve(struct fs_emul *fs, pid_t tid, int dirfd, const char *path, unsigned flags,
	       struct fs_loc *loc)
{
	struct fs_proc *pp = fs_proc_of(fs, tid);
	char root[PATH_MAX], start[PATH_MAX], name[NAME_MAX + 1], beneath[PATH_MAX];
	struct cursor c = { 0 };
	struct pathbuf pb;
	int links = 0, r, err = 0;
	bool last = false, trailing = false;

	memset(loc, 0, sizeof(*loc));
	if (!pp)
		return -ENOMEM;
	pthread_mutex_lock(&fs->lock);
	snprintf(root, sizeof(root), "%s", pp->root);
	snprintf(start, sizeof(start), "%s", pp->cwd);
	pthread_mutex_unlock(&fs->lock);
	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!*path && !(flags & FS_EMPTY_OK))
		return -ENOENT;
	if (dirfd != AT_FDCWD && (path[0] != '/' || (flags & (FS_BENEATH | FS_IN_ROOT)))) {
		r = fs_dirfd_vpath(fs, tid, dirfd, start, sizeof(start));
		if (r < 0)
			return r == -ENOENT ? -ENOENT : r;
	}
	if (flags & FS_IN_ROOT)
		snprintf(root, sizeof(root), "%s", start);
	beneath[0] = '\0';
	if (flags & FS_BENEATH) {
		if (path[0] == '/')
			return -EXDEV;
		snprintf(beneath, sizeof(beneath), "%s", start);
	}
	snprintf(pb.s, sizeof(pb.s), "%s", path);
	pb.off = 0;
	r = cursor_set(fs, &c, path[0] == '/' ? root : start);
	if (r < 0)
		goto out;

	for (;;) {
		struct cow_entry e;
		struct cow_walk nw = { 0 };
		char nv[PATH_MAX];
		int mm;

		if (!next_comp(&pb, name, sizeof(name), &last, &trailing, &err)) {
			if (err) {
				r = err;
				goto out;
			}
			/* the path named the directory we are in */
			loc->m = c.m;
			snprintf(loc->vpath, sizeof(loc->vpath), "%s", c.vpath);
			loc->name[0] = '\0';
			loc->e.where = c.w.idx[0] < 0 ? COW_UPPER : COW_LOWER;
			loc->e.idx = c.w.idx[0];
			loc->e.pos = 0;
			if (fstat(c.w.fd[0], &loc->e.st) < 0) {
				r = -errno;
				goto out;
			}
			cursor_give(&c, loc);
			r = 0;
			goto done;
		}
		if (strcmp(name, ".") == 0)
			goto maybe_end;
		if (strcmp(name, "..") == 0) {
			if (strcmp(c.vpath, root) == 0)
				goto maybe_end;
			if (beneath[0] && strcmp(c.vpath, beneath) == 0) {
				r = -EXDEV;
				goto out;
			}
			snprintf(nv, sizeof(nv), "%s", c.vpath);
			vpath_parent(nv);
			if ((flags & FS_NO_XDEV) && mount_of(fs, nv) != c.m) {
				r = -EXDEV;
				goto out;
			}
			r = cursor_set(fs, &c, nv);
			if (r < 0)
				goto out;
			goto maybe_end;
		}
		if ((size_t)snprintf(nv, sizeof(nv), "%s/%s", strcmp(c.vpath, "/") ? c.vpath : "",
				     name) >= sizeof(nv)) {
			r = -ENAMETOOLONG;
			goto out;
		}
		if (fs->pids && fs->mnt[c.m].proc) {
			/* /proc/PID and /proc/PID/task/TID: the path keeps the
			 * virtual number, the lookup is of the host's */
			char host_name[32];
			if (pids_proc_name(fs->pids, c.vpath + fs->mnt[c.m].len, name, host_name,
					   sizeof(host_name), true))
				snprintf(name, sizeof(name), "%s", host_name);
		}
		mm = mount_at(fs, nv);
		if (mm > 0) {
			if (flags & FS_NO_XDEV) {
				r = -EXDEV;
				goto out;
			}
			/* the bind's root stands where name was */
			if (last && !trailing) {
				memset(&e, 0, sizeof(e));
				e.where = COW_LOWER;
				if (fstat(fs->mnt[mm].fd, &e.st) < 0) {
					r = -errno;
					goto out;
				}
				loc->m = mm;
				snprintf(loc->vpath, sizeof(loc->vpath), "%s", nv);
				loc->name[0] = '\0';
				mount_root_walk(fs, mm, &loc->dir);
				loc->e = e;
				loc->e.pos = 0;
				goto done;
			}
			struct cow_walk bw;
			mount_root_walk(fs, mm, &bw);
			cursor_move(&c, mm, nv, &bw, NULL);
			continue;
		}
		bool at_root = c.m == 0 && strcmp(c.vpath, "/") == 0;
		bool want_dir = !last || trailing;
		if (!last && c.m == 0) {
			/* a directory on the way that the cache knows */
			struct fs_dent *d = fs_dcache_get(&fs->dcache, nv, &nw);
			if (d) {
				cursor_move(&c, 0, nv, &nw, d);
				continue;
			}
		}
		r = c.m == 0 ? cow_walk_step(&c.w, name, at_root, last, &e, want_dir ? &nw : NULL)
			     : plain_step(&c.w, name, &e, want_dir ? &nw : NULL);
		if (r < 0)
			goto out;
		bool exists = e.where == COW_UPPER || e.where == COW_LOWER;
		if (!exists) {
			if (!last && !trailing) {
				r = -ENOENT;
				goto out;
			}
			if (trailing && !last) {
				r = -ENOENT;
				goto out;
			}
			goto found;
		}
		if (S_ISLNK(e.st.st_mode) && (!last || ((trailing || (flags & FS_FOLLOW)) &&
							 !(flags & FS_LAST_AS_IS)))) {
			char target[PATH_MAX];
			ssize_t n;
			int pm = 1;

			cow_walk_free(&nw);
			if (flags & FS_NO_SYMLINKS) {
				r = -ELOOP;
				goto out;
			}
			if (++links > FS_MAXSYMLINKS) {
				r = -ELOOP;
				goto out;
			}
			if (fs->mnt[c.m].proc) {
				pm = fs_proc_magic(fs, tid, nv + fs->mnt[c.m].len + 1, target,
						sizeof(target));
				if (pm < 0) {
					r = pm;
					goto out;
				}
				if (pm == 0 && (flags & FS_NO_MAGIC) &&
				    strcmp(name, "self") && strcmp(name, "thread-self")) {
					r = -ELOOP;
					goto out;
				}
				if (pm == 2) {
					/* a pipe, socket or file outside the guest's tree,
					 * held open by a guest process: reached only as the
					 * last component, and opened as the host has it */
					if (!last) {
						r = -ENOTDIR;
						goto out;
					}
					goto found;
				}
			}
			if (pm == 1) {
				n = readlinkat(c.w.fd[e.pos], name, target, sizeof(target) - 1);
				if (n < 0) {
					r = -errno;
					goto out;
				}
				target[n] = '\0';
			}
			if (!*target) {
				r = -ENOENT;
				goto out;
			}
			if (trailing) {
				/* keep the slash that followed it: a directory is wanted */
				size_t tl = strlen(target);
				if (tl + 2 < sizeof(target)) {
					target[tl] = '/';
					target[tl + 1] = '\0';
				}
			}
			r = prepend(&pb, target);
			if (r < 0)
				goto out;
			if (target[0] == '/') {
				if (beneath[0]) {
					r = -EXDEV;
					goto out;
				}
				r = cursor_set(fs, &c, root);
				if (r < 0)
					goto out;
			}
			continue;
		}
		if (!S_ISDIR(e.st.st_mode) && (!last || trailing)) {
			cow_walk_free(&nw);
			r = -ENOTDIR;
			goto out;
		}
		if (last && !trailing)
			goto found;
		if (last && trailing) {
			/* a directory named with a trailing slash: it is the result,
			 * in its parent as any last component */
			cow_walk_free(&nw);
			goto found;
		}
		cursor_move(&c, c.m, nv, &nw, cache_keep(fs, c.m, nv, &nw));
		continue;

found:
		loc->m = c.m;
		loc->trailing = trailing;
		memcpy(loc->name, name, strlen(name) + 1);
		snprintf(loc->vpath, sizeof(loc->vpath), "%s", nv);
		loc->e = e;
		cursor_give(&c, loc);
		r = 0;
		goto done;
maybe_end:
		continue;
	}
done:
	{
		const char *rel = loc->vpath + (loc->m ? fs->mnt[loc->m].len : 1);
		while (*rel == '/')
			rel++;
		snprintf(loc->rel, sizeof(loc->rel), "%s", rel);
	}
out:
	cursor_free(&c);
	if (r < 0)
		fs_loc_free(loc);
	return r;
}

int fs_loc_open(const struct fs_loc *loc, int flags, mode_t mode)
{
	int fd;

	if (!loc->name[0])
		fd = openat(loc->dir.fd[0], ".", (flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
	else
		fd = openat(fs_loc_dirfd(loc), loc->name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return fd < 0 ? -errno : fd;
}

bool fs_loc_readonly(const struct fs_emul *fs, const struct fs_loc *loc)
{
	if (loc->m > 0)
		return fs->mnt[loc->m].ro;
	return fs->stack.upper_fd < 0;
}

int fs_loc_change_dir(struct fs_emul *fs, struct fs_loc *loc, int *dirfd)
{
	if (fs_loc_readonly(fs, loc))
		return -EROFS;
	if (loc->m > 0) {
		*dirfd = loc->dir.fd[0];
		return 0;
	}
	/* the upper layer's copy of the directory holding name */
	if (!loc->name[0])
		return -EBUSY;
	if (!(loc->dir.n && loc->dir.idx[0] == -1)) {
		int r = fs_loc_copy_up(fs, loc, true);
		if (r < 0)
			return r;
		if (!(loc->dir.n && loc->dir.idx[0] == -1))
			return -EIO;
	}
	*dirfd = loc->dir.fd[0];
	return 0;
}

int fs_loc_copy_up(struct fs_emul *fs, struct fs_loc *loc, bool parent_only)
{
	char dirrel[PATH_MAX];
	int r;

	if (fs_loc_readonly(fs, loc))
		return -EROFS;
	if (loc->m > 0)
		return 0; /* binds are written in place */
	snprintf(dirrel, sizeof(dirrel), "%s", loc->rel);
	if (loc->name[0]) {
		char *slash = strrchr(dirrel, '/');
		if (slash)
			*slash = '\0';
		else
			dirrel[0] = '\0';
	}
	if (!parent_only && loc->e.where == COW_UPPER)
		return 0;
	r = cow_copy_up(&fs->stack, parent_only || !fs_loc_exists(loc) ? dirrel : loc->rel);
	/* directories may have gained upper copies (even on a failure) */
	fs_dcache_flush(&fs->dcache);
	if (r < 0)
		return r;
	/* the walk now starts with the upper copies: refresh it */
	struct cursor c = { 0 };
	char dirv[PATH_MAX + 1];
	snprintf(dirv, sizeof(dirv), "/%s", dirrel);
	r = cursor_set(fs, &c, dirv);
	if (r < 0) {
		cursor_free(&c);
		return r;
	}
	fs_loc_free(loc);
	cursor_give(&c, loc);
	if (loc->name[0])
		return cow_walk_step(&loc->dir, loc->name, dirrel[0] == '\0', true, &loc->e, NULL);
	loc->e.where = loc->dir.idx[0] < 0 ? COW_UPPER : COW_LOWER;
	loc->e.idx = loc->dir.idx[0];
	loc->e.pos = 0;
	return 0;
}
