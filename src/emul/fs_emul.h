/* The emulated filesystem backend's own interface (fs_state.c, fs_resolve.c,
 * fs_calls.c, fs_dents.c, fs_exec.c): the guest's mount table, each guest
 * process's working directory and root, and path resolution inside them. */
#ifndef UMLD_EMUL_FS_EMUL_H
#define UMLD_EMUL_FS_EMUL_H

#include <limits.h>
#include <stdio.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cowdisk/cowdisk.h"
#include "emul/fs.h"
#include "emul/handler.h"
#include "emul/request.h"
#include "emul/vkernel.h"

#define FS_MOUNTS_MAX (FS_BINDS_MAX + 4)
#define FS_PROC_BUCKETS 256
#define FS_MAXSYMLINKS 40

/* The directory cache (fs_dcache.c): directories of the layer stack by
 * canonical guest path. */
#define FS_DCACHE_BUCKETS 1024
#define FS_DCACHE_TTL_NS 1000000000LL /* how long the host's changes to a base may go unseen */
#define FS_DCACHE_FDS 512             /* fds the cache may hold */
struct fs_dent;
struct fs_dcache {
	pthread_mutex_t lock;
	struct fs_dent *bucket[FS_DCACHE_BUCKETS];
	struct fs_dent *head, *tail;
	size_t fds, max_fds; /* max_fds 0: caching is off */
	unsigned gen;
};

void fs_dcache_init(struct fs_dcache *dc, size_t max_fds);
void fs_dcache_free(struct fs_dcache *dc);
/* The cached walk of directory vpath: a reference to its entry, with *w
 * set to its fds (borrowed: valid until fs_dent_release); NULL on a miss. */
struct fs_dent *fs_dcache_get(struct fs_dcache *dc, const char *vpath, struct cow_walk *w);
/* Hands the fds of w (all owned) to the cache as vpath's walk; w keeps them
 * borrowed. The new entry with a reference, or NULL (w unchanged). */
struct fs_dent *fs_dcache_put(struct fs_dcache *dc, const char *vpath, struct cow_walk *w);
void fs_dent_release(struct fs_dent *d);
/* The layer stack's directories changed (copy-up, rmdir, rename): every
 * entry made before is a miss from now on. */
void fs_dcache_flush(struct fs_dcache *dc);

/* The layer stack's generation: it changes with every fs_dcache_flush. */
unsigned fs_dcache_gen(struct fs_dcache *dc);

/* The cache of guest directory fds (fs_fdcache.c): for a directory fd the
 * monitor opened and injected, the guest path it stands for, believed only
 * while kcmp finds the guest's fd to be the same open file as the
 * monitor's reference to it. */
#define FS_FDC_BUCKETS 64
#define FS_FDC_MAX 128 /* references the monitor may hold */
#define FS_FDC_PIDFDS 16 /* pidfds of guest processes kept for pidfd_getfd */
struct fs_fdc_ent;
struct fs_fdcache {
	pthread_mutex_t lock;
	struct fs_fdc_ent *bucket[FS_FDC_BUCKETS];
	struct fs_fdc_ent *head, *tail;
	size_t n, max;
	struct {
		pid_t tgid; /* 0: free */
		int fd;
	} pidfd[FS_FDC_PIDFDS];
	unsigned pidfd_next; /* the slot to reuse next */
};

/* One entry of the guest's mount table. The root (index 0) is the layer
 * stack; every other is a host directory bound at a guest path. */
struct fs_mnt {
	char guest[PATH_MAX]; /* normalised absolute guest path: "/" for the root */
	size_t len;
	int fd;               /* binds: O_PATH|O_DIRECTORY fd on the host directory */
	char host[PATH_MAX];  /* binds: its host path (canonical) */
	bool ro;
	bool proc;            /* the host's /proc: its magic links are translated */
};

/* A guest process's view (threads share it). */
struct fs_proc {
	int refs;
	pid_t tgid;
	char cwd[PATH_MAX];  /* canonical guest path */
	char root[PATH_MAX]; /* its chroot, "/" by default */
	char exe[PATH_MAX];  /* what it executed, as a guest path */
	/* the file its pending execve was rewritten to (fs_exec_check) */
	bool exec_armed;
	dev_t exec_dev;
	ino_t exec_ino;
};

struct fs_task {
	pid_t tid;
	struct fs_proc *p;
	struct fs_task *next;
};

struct fs_emul {
	struct cow_stack stack;
	char lower_path[COW_LOWER_MAX][PATH_MAX]; /* canonical host paths */
	char upper_path[PATH_MAX];                /* "" without a cow layer */
	struct fs_mnt mnt[FS_MOUNTS_MAX];
	size_t nmnt;
	char cwd0[PATH_MAX]; /* the working directory of a process not seen before */
	bool fake_root;      /* ownership changes are recorded, not made */
	bool root_in_place;  /* fs_wants.root_in_place: a bind at / */
	pthread_mutex_t lock;
	struct fs_task *tasks[FS_PROC_BUCKETS];
	/* the emulated pid table (pids.h), or NULL: /proc's numbered names
	 * are then virtual pids */
	struct vk_pids *pids;
	struct fs_dcache dcache;
	struct fs_fdcache fdc;
};

/* A resolved path: the directory that holds the last component, and what
 * that component is there. A path naming a mount's root (e.g. "/") has
 * name "" and the object is dir itself. */
struct fs_loc {
	int m;                 /* the mount it is in */
	struct cow_walk dir;   /* the layers of the directory holding it (the root: its own) */
	struct fs_dent *dent;  /* the cache entry dir's fds are borrowed from, or NULL */
	char name[NAME_MAX + 1];
	struct cow_entry e;    /* where == COW_ABSENT (or COW_WHITEOUT): it does not exist */
	char vpath[PATH_MAX];  /* its canonical guest path */
	char rel[PATH_MAX];    /* its path in the mount (relative; "" for the mount's root) */
	bool trailing;         /* the path ended in a slash: a directory is meant */
};

enum {
	FS_FOLLOW = 1 << 0,    /* follow a symlink in the last component */
	FS_EMPTY_OK = 1 << 1,  /* AT_EMPTY_PATH: "" names the dirfd itself */
	FS_NO_MAGIC = 1 << 2,  /* RESOLVE_NO_MAGICLINKS */
	FS_NO_SYMLINKS = 1 << 3, /* RESOLVE_NO_SYMLINKS */
	FS_BENEATH = 1 << 4,   /* RESOLVE_BENEATH: never above the dirfd */
	FS_IN_ROOT = 1 << 5,   /* RESOLVE_IN_ROOT: the dirfd is the root */
	FS_NO_XDEV = 1 << 6,   /* RESOLVE_NO_XDEV: never cross a mount */
	FS_LAST_AS_IS = 1 << 7, /* the last component is never followed, even
				 * with a trailing slash (unlink, rmdir, rename) */
};

int fs_emul_init(struct fs_emul *fs, const struct fs_wants *w, const char *cwd, bool fake_root,
		 struct umld_err *err);
void fs_emul_free(struct fs_emul *fs);

/* The process a task belongs to (created on first sight); never NULL but
 * on allocation failure. */
struct fs_proc *fs_proc_of(struct fs_emul *fs, pid_t tid);
/* Another guest process's view by its host pid, or NULL; copies it. */
bool fs_proc_copy_by_pid(struct fs_emul *fs, pid_t pid, struct fs_proc *out);
void fs_set_cwd(struct fs_emul *fs, pid_t tid, const char *vpath);
void fs_set_root(struct fs_emul *fs, pid_t tid, const char *vpath);
void fs_set_exe(struct fs_emul *fs, pid_t tid, const char *vpath);
void fs_task_clone(struct fs_emul *fs, pid_t parent, pid_t child);
void fs_task_gone(struct fs_emul *fs, pid_t tid);

/* Resolves path for the caller (tid), relative to dirfd (a guest fd, or
 * AT_FDCWD) as the kernel does, inside the guest's root. 0 with *loc filled
 * (free it with fs_loc_free), the last component possibly absent; or -errno
 * (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES, EBADF, EXDEV...). */
int fs_resolve(struct fs_emul *fs, pid_t tid, int dirfd, const char *path, unsigned flags,
	       struct fs_loc *loc);
void fs_loc_free(struct fs_loc *loc);
/* The emulated filesystem of a handler's virtual kernel. */
static inline struct fs_emul *fs_of(struct emul_ctx *ctx)
{
	return ((struct vkernel *)ctx->state)->fs;
}

/* The length of prefix when path is prefix itself or lies below it ("/"
 * prefixes every path, with length 0); -1 otherwise. */
static inline ssize_t path_prefix_len(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return 0;
	if (strncmp(path, prefix, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return -1;
	return (ssize_t)n;
}

/* Whether the canonical guest path vpath is a directory (no symlink followed). */
bool fs_vpath_is_dir(struct fs_emul *fs, const char *vpath);
/* The guest path of a guest fd (a directory or file in the guest's tree):
 * 0, -EBADF (not open), -ENOENT (deleted, or outside every layer). */
int fs_fd_vpath(struct fs_emul *fs, pid_t tid, int fd, char *out, size_t size);
/* The same, for an fd meant as a directory (a dirfd, fchdir, getdents64):
 * one the fd cache did not know is taken in. */
int fs_dirfd_vpath(struct fs_emul *fs, pid_t tid, int fd, char *out, size_t size);
/* Where a host path lies: in a bind (or /proc, /dev, /sys), the upper
 * layer, a base layer, or none of them. */
enum fs_host_where { FS_HOST_NONE = 0, FS_HOST_BIND, FS_HOST_UPPER, FS_HOST_LOWER };
/* A host path as the guest sees it (out), and where it lies. */
enum fs_host_where fs_host_to_guest(const struct fs_emul *fs, const char *host, char *out,
				    size_t size);
/* A copy of the guest's fd in the monitor (sharing its open file); -errno. */
int fs_guest_fd_copy(pid_t tid, int fd);
/* The thread group of tid (0 if it cannot be read). */
pid_t fs_tgid(pid_t tid);
/* The start of /proc/TID/FILE (tid 0: /proc/FILE), at most size-1 bytes,
 * NUL-terminated: its length, or -errno. */
ssize_t fs_proc_read(pid_t tid, const char *file, char *buf, size_t size);
/* A field of /proc/TID/status ("Tgid:", "Umask:"...): its value after the
 * name, in buf; false when the task or the field is gone. */
bool fs_status_field(pid_t tid, const char *name, char *buf, size_t size);
/* The same, in the text of a status file read once (fs_proc_read). */
#define FS_STATUS_MAX 1536
bool fs_status_value(const char *text, const char *name, char *buf, size_t size);
/* Lexical normalisation of an absolute path in place ("//", ".", ".."; at
 * the root ".." stays there). No symlink is looked at. */
void fs_path_normalize(char *p);

static inline bool fs_loc_exists(const struct fs_loc *l)
{
	return l->e.where == COW_UPPER || l->e.where == COW_LOWER;
}

/* The fd of the layer directory holding loc's entry (where it exists). */
static inline int fs_loc_dirfd(const struct fs_loc *l)
{
	return l->dir.fd[l->e.pos >= 0 ? l->e.pos : 0];
}

/* /proc/self/fd/N/NAME with NAME up to NAME_MAX bytes */
#define FS_AT_PATH_MAX (32 + NAME_MAX + 1)
/* /proc/self/fd/N/NAME for a layer directory fd of ours and a name: how
 * the *xattr and socket calls, which have no *at form, reach an entry. */
static inline void fs_at_path(char *buf, size_t size, int dirfd, const char *name)
{
	if (name && *name)
		snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);
	else
		snprintf(buf, size, "/proc/self/fd/%d", dirfd);
}
/* Removes a whiteout (or stale temporary) that stands where loc's new
 * entry goes, in dirfd (fs_loc_change_dir's): 0 or -errno. */
int fs_loc_clear_whiteout(const struct fs_loc *loc, int dirfd);

/* Opens what loc names (which exists) with flags (O_NOFOLLOW added). */
int fs_loc_open(const struct fs_loc *loc, int flags, mode_t mode);
/* Whether writes through loc's mount are refused (EROFS). */
bool fs_loc_readonly(const struct fs_emul *fs, const struct fs_loc *loc);
/* Makes loc's entry (or, with parent_only, its directory) exist in the
 * upper layer, for a change; refreshes loc. -EROFS without one. */
int fs_loc_copy_up(struct fs_emul *fs, struct fs_loc *loc, bool parent_only);
/* The directory fd where a change to loc's name is made: the upper layer's
 * directory (after copy-up of the parent) or a bind's. */
int fs_loc_change_dir(struct fs_emul *fs, struct fs_loc *loc, int *dirfd);

/* A /proc symlink (rel: its path inside /proc) as the caller sees it:
 * 0 with target (a guest path, or a pid for "self"); 1: not a magic link;
 * 2: a magic link to something outside the guest's tree (pipe, socket);
 * -errno (EACCES: a process that is not the guest's). */
int fs_proc_magic(struct fs_emul *fs, pid_t tid, const char *rel, char *target, size_t size);

/* The guest's umask, from /proc/TID/status. */
mode_t fs_umask(pid_t tid);

/* Handler sets (fs_calls.c, fs_dents.c, fs_exec.c). */
extern const struct emul_feature emul_feature_fs;
extern const struct emul_feature emul_feature_fs_exec;
extern const struct emul_feature emul_feature_fs_dents;
extern const struct emul_feature emul_feature_fs_fake_root;
/* Socket calls with an address (sock.c): made by the monitor from one
 * copy of the address wherever umld judges addresses. With the emulated
 * filesystem; and under the sandbox where its check of abstract addresses
 * is the only wall (sock_claim, then with or without the filesystem). */
extern const struct emul_feature emul_feature_sock;
extern const struct emul_feature emul_feature_sock_pids; /* with emulated pids */
void sock_claim(struct emul_table *t, bool pids);
/* Denies (ENOSYS) every path-taking call t does not claim yet. */
void fs_claim_rest(struct emul_table *t);
/* At the exec event of tgid: whether what runs is what the rewritten
 * execve resolved to (false: kill it before it runs). */
bool fs_exec_check(struct fs_emul *fs, pid_t tgid);
/* The command's path inside the root, searched in path_env as a shell does. */
int fs_which(struct fs_emul *fs, pid_t tid, const char *cmd, const char *path_env, char *out,
	     size_t size);

/* ---- the fd cache (fs_fdcache.c); tgid is the caller's process ---- */
void fs_fdc_init(struct fs_fdcache *c, size_t max);
void fs_fdc_free(struct fs_fdcache *c);
/* A keeper for the fd of directory vpath that do_open injects (NULL on
 * allocation failure). */
struct fd_keeper *fs_fdc_keeper(struct fs_emul *fs, const char *vpath);
/* tid's directory fd gfd: 0 with its guest path (and whether getdents64
 * must merge it: 1, 0, -1 not known yet); -1 when the cache cannot tell. */
int fs_fdc_lookup(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, char *vpath, size_t size,
		  int *merge);
/* Its stat, and with dup_fd a copy of the monitor's reference (the
 * caller's to close); -1 when the cache cannot tell. */
int fs_fdc_stat(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, struct stat *st, int *dup_fd);
/* tid's fd gfd, a directory of the layer stack whose guest path is vpath
 * (read from /proc): the cache takes a reference to it (pidfd_getfd). */
void fs_fdc_adopt(struct fs_emul *fs, pid_t tgid, pid_t tid, int gfd, const char *vpath);
/* Remembers whether getdents64 of the entry found for vpath must merge. */
void fs_fdc_set_merge(struct fs_emul *fs, pid_t tgid, int gfd, const char *vpath, int merge);
/* tid's fd gfd is about to be flock()ed: the monitor lets go of that file. */
void fs_fdc_forget(struct fs_emul *fs, pid_t tid, int gfd);
/* The process is gone. */
void fs_fdc_drop_tgid(struct fs_emul *fs, pid_t tgid);

#endif
