/* The filesystem subsystem: the guest's root (read-only base layers, an
 * optional copy-on-write layer on top) and host directories bound into it.
 *
 * Two backends, as for every subsystem (vkernel.h):
 * - containerized (fs_mount.c): the first process gets a mount namespace in
 *   which the layers are one overlayfs mount, the binds are bind mounts, and
 *   pivot_root makes it the root; path calls then pass through;
 * - emulated (fs_*.c): every path-taking call is answered by the monitor,
 *   which resolves the path inside the virtual root itself, as the kernel
 *   would, and does the operation on the guest's behalf (opens are injected
 *   as fds), so that nothing the guest can still change is trusted after
 *   the check. */
#ifndef UMLD_EMUL_FS_H
#define UMLD_EMUL_FS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define FS_ROOTS_MAX 16 /* as COW_LOWER_MAX */
#define FS_BINDS_MAX 32

/* --bind=HOST:GUEST[:ro] (Bind=, BindReadOnly=). */
struct fs_bind {
	const char *host;  /* an existing host directory (or file), absolute */
	const char *guest; /* absolute path inside the guest */
	bool ro;
};

/* What the user asked of the filesystem. Nothing asked (fs_wanted false):
 * the subsystem is off and the host's filesystem passes through. */
struct fs_wants {
	const char *roots[FS_ROOTS_MAX]; /* --root: base layers, lowest first; none: host / */
	size_t nroots;
	const char *cow; /* --cow: the writable layer; NULL: the root is read-only */
	struct fs_bind binds[FS_BINDS_MAX];
	size_t nbinds;
	/* not a user's flag: the host's / bound at / and written in place
	 * (the emulated pid backend's /proc needs the emulated filesystem
	 * when no --root is given) */
	bool root_in_place;
};

static inline bool fs_wanted(const struct fs_wants *w)
{
	return w->nroots || w->cow || w->nbinds;
}

/* Parses "HOST:GUEST[:ro]" or "HOST[:ro]" (GUEST = HOST) in place (s is
 * modified; b points into it). -EINVAL with *why set when malformed: both
 * paths must be absolute. */
int fs_bind_parse(char *s, struct fs_bind *b, const char **why);

/* Checks the layers for either backend, in the monitor (fs_layers.c): each
 * --root and --cow through cow_open (which refuses a non-empty unmarked cow
 * directory, a cow layer inside a base layer and the like, and marks an
 * empty one), and that each --bind HOST exists. With --cow it then takes the
 * layer's lock (flock LOCK_EX on its directory, the lock `umld cow` takes
 * too) into *lock_fd, close-on-exec, held for as long as the instance runs:
 * a layer another instance uses is refused. 0, or -errno with err filled
 * (bad input: exit 2). */
int fs_layers_check(const struct fs_wants *w, int *lock_fd, struct umld_err *err);

/* ---- containerized backend (fs_mount.c) ---- */

/* Whether the containerized backend can build w on this host, tried in a
 * short-lived child with the namespaces the guest would get (userns: a user
 * namespace too, as an unprivileged monitor needs). 0, or -errno with a
 * reason in why ("overlayfs in a user namespace: ..."). Makes the cow
 * layer's overlayfs work directory, "<parent of cow>/.<basename of
 * cow>.umld-work" (mode 0700), when it is missing. */
int fs_mount_probe(const struct fs_wants *w, bool userns, char *why, size_t size);

/* In the guest's first process, already in its own mount namespace (and
 * user namespace, ids mapped), before exec: mounts the layers with
 * overlayfs (or binds the single read-only root), the binds, /proc (a new
 * one when new_proc: a pid namespace of its own), /dev and /sys, then
 * pivot_root into it and chdir to cwd (a guest path; NULL: "/").
 * Async-signal-safe enough for a child of a threaded monitor: no malloc.
 * 0, or -errno with a reason in why. */
int fs_mount_enter(const struct fs_wants *w, const char *cwd, bool new_proc, char *why,
		   size_t size);

#endif
