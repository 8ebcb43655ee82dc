/* The state directory of named instances: one folder per instance, owned by
 * the monitor that holds its lock. */
#ifndef UMLD_UMLD_STATEDIR_H
#define UMLD_UMLD_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* Instance names: 1 to STATEDIR_NAME_MAX of [A-Za-z0-9_.-], not starting
 * with '.' or '-' (so a name is never a dot file, an option or a path). */
#define STATEDIR_NAME_MAX 64

/* What an instance folder holds. */
#define STATEDIR_SOCK "control.sock" /* the control socket (control.h) */
#define STATEDIR_PID "monitor.pid"   /* the monitor's pid, decimal and a newline */
#define STATEDIR_CONFIG "config"     /* the resolved configuration */
#define STATEDIR_LOG "log"
#define STATEDIR_LOCK "lock"         /* flock()ed by the live monitor */

bool statedir_name_ok(const char *name);

/* The root: /run/umld when euid is 0, else $XDG_RUNTIME_DIR/umld (an error
 * for the user when that is unset or not absolute). Does not create it. */
int statedir_root(char *buf, size_t size, struct umld_err *err);

/* Tests only: take the root from XDG_RUNTIME_DIR even when euid is 0, so a
 * test run as root can point it at a temporary folder. Call it before any
 * other statedir function, never while another thread uses them. */
void statedir_force_xdg_for_tests(bool on);

/* ROOT/NAME/FILE (FILE NULL: the folder itself), for clients that look an
 * instance up. Checks the name (a usage error). Creates nothing. */
int statedir_path(const char *name, const char *file, char *buf, size_t size,
		  struct umld_err *err);

/* Creates NAME's folder (and the root) and takes its lock: an
 * flock(LOCK_EX|LOCK_NB) on ROOT/NAME/lock, held through *lock_fd
 * (O_CLOEXEC) for the monitor's lifetime. Fails with -EEXIST and
 * "instance NAME is already running (pid N)" when a live monitor holds it.
 * A folder left by a dead monitor is emptied and reused. On success the
 * folder holds only the lock and monitor.pid (getpid()); dir receives its
 * path. A monitor that forks after claiming keeps the lock (the child
 * shares the open file) but must rewrite the pid: statedir_write_pid. */
int statedir_claim(const char *name, char *dir, size_t size, int *lock_fd,
		   struct umld_err *err);

/* Removes the folder claimed with lock_fd, then closes lock_fd. For the
 * monitor on its way out; the lock is held until the folder is gone, so no
 * one cleans or claims it half-removed. */
int statedir_release(const char *dir, int lock_fd);

/* Atomically replaces DIR/FILE with content: a temporary file in DIR,
 * fsync, rename, fsync of DIR. file is a plain name (no '/'). */
int statedir_write_file(const char *dir, const char *file, const char *content, mode_t mode);

/* Writes pid to DIR/monitor.pid (atomically). */
int statedir_write_pid(const char *dir, pid_t pid);

/* Reads DIR/monitor.pid: 0 and *pid, -ENOENT, or -EINVAL when malformed. */
int statedir_read_pid(const char *dir, pid_t *pid);

/* Calls fn(name, dir, alive, pid, arg) for each instance folder, in name
 * order. alive is false when the folder's lock is free (its monitor is
 * dead); pid is what monitor.pid says (0 if nothing). With clean, dead
 * folders are removed after fn returns (their lock held meanwhile). fn
 * returns 0 to go on, or a negative errno that ends the listing and is
 * returned. A missing root means no instances. */
int statedir_list(bool clean,
		  int (*fn)(const char *name, const char *dir, bool alive, pid_t pid, void *arg),
		  void *arg, struct umld_err *err);

/* Waits up to timeout_ms (-1: forever) for the monitor that holds the lock
 * of dir to let it go (it exited or released the folder): 0, or -ETIMEDOUT.
 * For `umld stop`, after the monitor accepted the request. */
int statedir_wait_released(const char *dir, int timeout_ms);

#endif
