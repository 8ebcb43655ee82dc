/* Private working directories that a monitor killed with SIGKILL (or one
 * that crashed) does not leave behind for good: each is made as
 * PARENT/umld-KIND-PID-XXXXXX with a lock file that its maker holds locked
 * for as long as it runs, and the next maker of the same kind removes the
 * ones whose lock it can take (privdir_sweep).
 *
 * Why a lock rather than the pid (and its start time) in the name: the
 * kernel drops an flock lock exactly when the last descriptor of its open
 * file is closed, which a SIGKILL or a crash does too, and that does not
 * depend on which pid namespace the maker and the sweeper are in (a
 * monitor in a container sharing /tmp has pids the sweeper cannot look
 * up), on what /proc shows (hidepid=), or on pid reuse. flock, not fcntl
 * locks: those belong to the process, so a sweeper in a process that
 * holds another directory's lock (two monitors in one process) would get
 * it, and closing any descriptor of the file would drop it. The pid in the
 * name only tells a person whose directory it is. */
#ifndef UMLD_COMMON_PRIVDIR_H
#define UMLD_COMMON_PRIVDIR_H

#include <limits.h>
#include <sys/types.h>

/* The lock file in each directory. */
#define PRIVDIR_LOCK ".umld-lock"

struct privdir {
	char path[PATH_MAX]; /* "" when none */
	int lock;            /* the locked lock file, or -1 */
};

/* An empty privdir (nothing to remove); a zeroed one is empty too. */
void privdir_init(struct privdir *pd);
/* Makes PARENT/umld-KIND-PID-XXXXXX with mode (and the lock file, locked).
 * 0 or -errno. On a filesystem without flock the directory is made
 * unlocked: it cannot be swept then, and is removed only by privdir_remove. */
int privdir_make(struct privdir *pd, const char *parent, const char *kind, mode_t mode);
/* Removes the directory and all below it (the lock file last), then lets
 * the lock go; pd is then empty. Nothing when pd is empty. */
void privdir_remove(struct privdir *pd);
/* Removes the PARENT/umld-KIND-PID-XXXXXX directories of this user whose
 * lock nobody holds: the leftovers of makers that are gone. Symbolic links
 * below them are removed, never followed; mount points below them and
 * trees deeper than 64 levels are left (and so is the directory). */
void privdir_sweep(const char *parent, const char *kind);

#endif
