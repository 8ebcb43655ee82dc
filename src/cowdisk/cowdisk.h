/* cowdisk: a stack of read-only base layers under one writable "cow" layer,
 * kept in overlayfs's on-disk format (userxattr flavour); see docs/cow-format.md. */
#ifndef UMLD_COWDISK_COWDISK_H
#define UMLD_COWDISK_COWDISK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"

#define COW_LOWER_MAX 16
#define COW_LAYERS_MAX (COW_LOWER_MAX + 1)

/* The marker: an xattr on the cow layer's root directory, its value the
 * format version. Never copied (copy-up, commit). */
#define COW_XATTR_MARKER "user.umld.cow"
#define COW_MARKER_VERSION "1"
/* The marker of older umlds: a file at the root. cow_open converts it. */
#define COW_LEGACY_MARKER ".umld-cow"
#define COW_LEGACY_MARKER_TEXT "umld-cow 1\n"
/* The layer's own files: temporaries, anywhere. Invisible through every
 * call below. */
#define COW_TMP_PREFIX ".umld-tmp-"

#define COW_XATTR_OPAQUE "user.overlay.opaque"
#define COW_XATTR_OWNER "user.umld.owner" /* "UID:GID", decimal */
#define COW_XATTR_MODE "user.umld.mode"   /* octal mode bits */
#define COW_XATTR_RDEV "user.umld.rdev" /* c|b:MAJOR:MINOR: a device node the fake root made */

struct cow_stack {
	int lower_fd[COW_LOWER_MAX]; /* O_PATH|O_DIRECTORY fds, lowest first */
	size_t nlower;
	int upper_fd;                /* -1: a read-only stack */
};

/* Opens lowers (NULL-terminated, lowest first, at least one) and upper (NULL
 * for a read-only stack). Each must exist and be a directory. The upper
 * layer gets its marker if it is empty, and a legacy marker file becomes the
 * xattr; a non-empty directory without a marker is refused, as is an upper
 * on a read-only filesystem or on one without user xattrs, one that is a
 * base layer or contains one, and a marker of another version (all bad
 * input: exit 2, naming the path). Leftover temporaries of an interrupted
 * operation are removed from the upper layer. On failure *s holds no open
 * fd. */
int cow_open(struct cow_stack *s, char *const *lowers, const char *upper, struct umld_err *err);
void cow_close(struct cow_stack *s);

/* Whether directory dirfd carries a marker, of any version (the xattr, or a
 * legacy file that cow_open will convert): 1 or 0, or a negative errno
 * (-ENOTSUP: the filesystem has no user xattrs). */
int cow_has_marker(int dirfd);

/* Paths (rel) are relative to the layer roots: no leading '/', no ".."
 * (callers resolve those first; -EINVAL). "" and "." mean the root; "."
 * components and repeated or trailing slashes are ignored. */

/* Where rel is found: COW_UPPER (the upper layer has an entry), COW_LOWER
 * (lower layer *lower_index shows it), COW_WHITEOUT (the upper layer has a
 * whiteout at exactly rel) or COW_ABSENT (nowhere, including hidden by a
 * whiteout or opaque directory above it, or a reserved name). -ENOTDIR if
 * an ancestor is not a directory in the merged view. lower_index may be NULL. */
enum cow_where { COW_UPPER, COW_LOWER, COW_WHITEOUT, COW_ABSENT };
int cow_lookup(const struct cow_stack *s, const char *rel, enum cow_where *where,
	       size_t *lower_index);

/* Step-by-step resolution, for callers that resolve symlinks and ".."
 * themselves (the emulated filesystem): the layers of one merged directory,
 * top first. cow_walk_root borrows the stack's fds; steps own theirs. */
struct cow_walk {
	size_t n;
	int fd[COW_LAYERS_MAX];
	int idx[COW_LAYERS_MAX]; /* -1: the upper layer, else a lower index */
	bool own[COW_LAYERS_MAX];
};

struct cow_entry {
	enum cow_where where; /* COW_UPPER, COW_LOWER, COW_WHITEOUT or COW_ABSENT */
	int idx;              /* the layer that shows it (-1: upper) */
	int pos;              /* its position in the walk it was found in */
	struct stat st;       /* lstat of that entry */
	bool below;           /* a lower layer would show the name too (need_below) */
};

void cow_walk_root(const struct cow_stack *s, struct cow_walk *w);
/* Looks name (one component, not "." or "..") up in w. A directory's own
 * layers go to *into when into is not NULL (then free it). at_root: w is
 * the root. Unused since the marker became an xattr (temporaries are hidden
 * at every level); kept for the callers. */
int cow_walk_step(const struct cow_walk *w, const char *name, bool at_root, bool need_below,
		  struct cow_entry *e, struct cow_walk *into);
void cow_walk_free(struct cow_walk *w);

/* Makes rel exist in the upper layer as a copy of what the stack shows
 * (parents first), atomically: temporary ".umld-tmp-*" in the target
 * directory, data, owner (where permitted), xattrs, mode, times, fsync,
 * rename. A path already in the upper layer is left alone. -ENOENT if the
 * merged view has nothing there, -EROFS on a read-only stack. */
int cow_copy_up(const struct cow_stack *s, const char *rel);

/* Deletes a non-directory: -ENOENT, -EISDIR as unlink(2). Leaves a whiteout
 * when a lower layer would otherwise show the path again. */
int cow_unlink(const struct cow_stack *s, const char *rel);
/* Deletes a directory: -ENOTDIR, -ENOTEMPTY (the merged view has entries),
 * -EBUSY for the root. */
int cow_rmdir(const struct cow_stack *s, const char *rel);
/* Makes a directory with exactly mode (no umask); made where the upper
 * layer has a whiteout, it is opaque. -EEXIST, -ENOENT/-ENOTDIR (parent). */
int cow_mkdir(const struct cow_stack *s, const char *rel, mode_t mode);

/* The merged listing of directory rel, without "." and "..": upper entries,
 * then those of the lower layers that nothing above hides. fn gets each
 * name once, its DT_* type and the inode number in the layer it is shown
 * from; a non-zero return stops the listing and is returned. */
int cow_readdir(const struct cow_stack *s, const char *rel,
		int (*fn)(const char *name, unsigned char type, ino_t ino, void *arg), void *arg);

/* The upper layer compared with its lowers, sorted by path (byte order):
 * 'A' only in the merged view, 'C' in both and replaced by an upper entry,
 * 'D' shown by the lowers but no longer in the merged view (under a
 * whiteout, a non-directory or an opaque directory). A non-zero return of
 * fn stops and is returned. */
int cow_diff(const struct cow_stack *s,
	     int (*fn)(char kind, const char *rel, void *arg), void *arg);
/* Empties the upper layer, keeping its marker (an xattr of its root). Each
 * top-level entry goes at once (renamed to a temporary, then removed); the
 * whole is not atomic. */
int cow_reset(const struct cow_stack *s);
/* Writes new_base (which must not exist, nor lie inside a layer) as the
 * merged view in plain files: built in NEW_BASE.tmp-XXXXXXXX, synced and
 * renamed into place. */
int cow_commit(const struct cow_stack *s, const char *new_base, struct umld_err *err);

/* Test hooks (file-level state; set before use). */
enum cow_copy_method { COW_COPY_AUTO, COW_COPY_RW, COW_COPY_CFR };
void cow_force_copy_method_for_tests(enum cow_copy_method m);
void cow_force_nofollow_walk_for_tests(bool on);

#endif
