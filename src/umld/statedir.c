/* The state directory: instance folders and their locks, always reached
 * through O_NOFOLLOW directory fds so a swapped path cannot redirect us. */
#include "config.h"

#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/statedir.h"

/* How often a claim retries a folder that changed under it, or whose lock is
 * held by something that is not a live monitor (a `umld list` cleaning it). */
#define CLAIM_ATTEMPTS 50
#define CLAIM_RETRY_NS (10 * 1000 * 1000)

/* The one piece of file-level state: a test hook, set before any use. */
static struct {
	bool force_xdg;
} statedir_test;

void statedir_force_xdg_for_tests(bool on)
{
	statedir_test.force_xdg = on;
}

bool statedir_name_ok(const char *name)
{
	size_t n;

	if (!name || name[0] == '.' || name[0] == '-')
		return false;
	for (n = 0; name[n]; n++) {
		char c = name[n];

		if (n >= STATEDIR_NAME_MAX)
			return false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n > 0;
}

static int bad_name(const char *name, struct umld_err *err)
{
	return umld_err_usage(err,
			      "'%s' is not a valid instance name (1 to %d letters, digits, '_', '.' "
			      "or '-', not starting with '.' or '-')",
			      name ? name : "", STATEDIR_NAME_MAX);
}

int statedir_root(char *buf, size_t size, struct umld_err *err)
{
	const char *xdg;
	int n;

	if (geteuid() == 0 && !statedir_test.force_xdg) {
		n = snprintf(buf, size, "/run/umld");
	} else {
		xdg = getenv("XDG_RUNTIME_DIR");
		if (!xdg || !*xdg)
			return umld_err_set(err, -ENOENT,
					    "XDG_RUNTIME_DIR is not set: umld keeps its instances' state "
					    "there (it is usually /run/user/%u, set by the login session)",
					    (unsigned)getuid());
		if (xdg[0] != '/')
			return umld_err_set(err, -EINVAL,
					    "XDG_RUNTIME_DIR is '%s', not an absolute path", xdg);
		n = snprintf(buf, size, "%s/umld", xdg);
	}
	if (n < 0 || (size_t)n >= size)
		return umld_err_set(err, -ENAMETOOLONG, "the state directory's path is too long");
	return 0;
}

int statedir_path(const char *name, const char *file, char *buf, size_t size,
		  struct umld_err *err)
{
	char root[PATH_MAX];
	int r, n;

	if (!statedir_name_ok(name))
		return bad_name(name, err);
	r = statedir_root(root, sizeof(root), err);
	if (r < 0)
		return r;
	if (file)
		n = snprintf(buf, size, "%s/%s/%s", root, name, file);
	else
		n = snprintf(buf, size, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= size)
		return umld_err_set(err, -ENAMETOOLONG, "%s/%s: path too long", root, name);
	return 0;
}

/* A folder we trust is a real directory of ours that nobody else can write. */
static int check_dir(int fd, const char *path, struct umld_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return umld_err_set(err, -errno, "%s: %s", path, strerror(errno));
	if (st.st_uid != geteuid())
		return umld_err_set(err, -EPERM, "%s belongs to uid %u, not to uid %u", path,
				    (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return umld_err_set(err, -EPERM, "%s is writable by other users (mode %04o)", path,
				    (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Opens (and with create, makes) the root. -ENOENT without a message when
 * it does not exist and create is false. */
static int open_root(bool create, char *root, size_t size, int *out, struct umld_err *err)
{
	int fd, r;

	r = statedir_root(root, size, err);
	if (r < 0)
		return r;
	if (create && mkdir(root, 0700) < 0 && errno != EEXIST)
		return umld_err_set(err, -errno, "cannot create the state directory %s: %s", root,
				    strerror(errno));
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && !create)
			return -ENOENT;
		return umld_err_set(err, -errno, "cannot open the state directory %s: %s", root,
				    strerror(errno));
	}
	r = check_dir(fd, root, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	*out = fd;
	return 0;
}

/* Whether fd is still the file NAME in dfd: it may have been unlinked (and
 * maybe replaced) between our open and our flock. */
static bool same_file(int dfd, const char *name, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A listing of dfd's directory on a copy of dfd (closedir leaves dfd
 * open); NULL with -errno in *err. */
static DIR *opendir_dup(int dfd, int *err)
{
	int fd = dup(dfd);
	DIR *d;

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		*err = -errno;
		close(fd);
	}
	return d;
}

/* Removes what dfd holds but keep (NULL: everything). Only files and empty
 * folders: nothing of ours is deeper. Returns the first error. */
static int empty_dir(int dfd, const char *keep)
{
	struct dirent *de;
	int r = 0;
	DIR *d = opendir_dup(dfd, &r);

	if (!d)
		return r;
	rewinddir(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (keep && !strcmp(de->d_name, keep))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno == EISDIR && unlinkat(dfd, de->d_name, AT_REMOVEDIR) == 0)
			continue;
		if (r == 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

static int write_at(int dfd, const char *file, const char *content, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	size_t len = strlen(content), off = 0;
	int fd, r = 0, n;

	if (!*file || strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, ".."))
		return -EINVAL;
	/* a dot name never passes statedir_name_ok, and pid and tid make it
	 * unique among live writers */
	n = snprintf(tmp, sizeof(tmp), ".%s.%d.%d.tmp", file, (int)getpid(), (int)gettid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dfd, tmp, 0); /* left by a writer that died with our pid and tid */
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0) /* whatever the umask says */
		r = -errno;
	while (r == 0 && off < len) {
		ssize_t w = write(fd, content + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			r = -errno;
		else
			off += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dfd, tmp, dfd, file) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		return r;
	}
	/* the rename itself is durable only once the folder is */
	fsync(dfd);
	return 0;
}

static int read_pid_at(int dfd, pid_t *pid)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	*pid = 0;
	fd = openat(dfd, STATEDIR_PID, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v <= 0 || v > INT_MAX)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int statedir_write_file(const char *dir, const char *file, const char *content, mode_t mode)
{
	cleanup_close int dfd = open_dir(dir);

	if (dfd < 0)
		return dfd;
	return write_at(dfd, file, content, mode);
}

int statedir_write_pid(const char *dir, pid_t pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	return statedir_write_file(dir, STATEDIR_PID, buf, 0644);
}

int statedir_read_pid(const char *dir, pid_t *pid)
{
	cleanup_close int dfd = open_dir(dir);

	*pid = 0;
	if (dfd < 0)
		return dfd;
	return read_pid_at(dfd, pid);
}

/* A pid that names a live process (EPERM: alive, someone else's). */
static bool pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* One attempt. -EAGAIN: the folder changed under us, try again; -EBUSY: the
 * lock is held (*holder: what monitor.pid says). */
static int try_claim(int rootfd, const char *name, const char *dir, int *lock_fd,
		     pid_t *holder, struct umld_err *err)
{
	cleanup_close int dfd = -1;
	cleanup_close int lfd = -1;
	char pid[32];
	int r;

	if (mkdirat(rootfd, name, 0700) < 0 && errno != EEXIST)
		return umld_err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return -EAGAIN; /* removed by a cleaner */
	if (dfd < 0)
		return umld_err_set(err, -errno, "cannot open %s: %s", dir, strerror(errno));
	r = check_dir(dfd, dir, err);
	if (r < 0)
		return r;
	lfd = openat(dfd, STATEDIR_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (lfd < 0 && errno == ENOENT)
		return -EAGAIN;
	if (lfd < 0)
		return umld_err_set(err, -errno, "cannot open %s/%s: %s", dir, STATEDIR_LOCK,
				    strerror(errno));
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return umld_err_set(err, -errno, "cannot lock %s/%s: %s", dir,
					    STATEDIR_LOCK, strerror(errno));
		read_pid_at(dfd, holder);
		return -EBUSY;
	}
	/* locked; but if the folder was removed and made anew meanwhile, what
	 * we hold is a lock on a file nobody else will ever open */
	if (!same_file(rootfd, name, dfd) || !same_file(dfd, STATEDIR_LOCK, lfd))
		return -EAGAIN;
	r = empty_dir(dfd, STATEDIR_LOCK);
	if (r < 0)
		return umld_err_set(err, r, "cannot clean %s, left by a dead monitor: %s", dir,
				    strerror(-r));
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	r = write_at(dfd, STATEDIR_PID, pid, 0644);
	if (r < 0)
		return umld_err_set(err, r, "cannot write %s/%s: %s", dir, STATEDIR_PID,
				    strerror(-r));
	*lock_fd = umld_take_fd(&lfd);
	return 0;
}

int statedir_claim(const char *name, char *dir, size_t size, int *lock_fd,
		   struct umld_err *err)
{
	const struct timespec pause = { .tv_nsec = CLAIM_RETRY_NS };
	cleanup_close int rootfd = -1;
	char root[PATH_MAX];
	pid_t holder = 0;
	int r, n;

	*lock_fd = -1;
	if (!statedir_name_ok(name))
		return bad_name(name, err);
	r = open_root(true, root, sizeof(root), &rootfd, err);
	if (r < 0)
		return r;
	n = snprintf(dir, size, "%s/%s", root, name);
	if (n < 0 || (size_t)n >= size)
		return umld_err_set(err, -ENAMETOOLONG, "%s/%s: path too long", root, name);
	for (int i = 0; i < CLAIM_ATTEMPTS; i++) {
		holder = 0;
		r = try_claim(rootfd, name, dir, lock_fd, &holder, err);
		if (r == -EBUSY && pid_alive(holder))
			break;
		if (r != -EAGAIN && r != -EBUSY)
			return r;
		/* held by a lister that is cleaning it, or by a monitor that
		 * has not written its pid yet: it settles within moments */
		nanosleep(&pause, NULL);
	}
	if (r == -EBUSY) {
		if (pid_alive(holder))
			return umld_err_set(err, -EEXIST, "instance %s is already running (pid %d)",
					    name, (int)holder);
		return umld_err_set(err, -EEXIST, "instance %s is already running", name);
	}
	return umld_err_set(err, -EAGAIN, "%s keeps changing: cannot claim it", dir);
}

int statedir_release(const char *dir, int lock_fd)
{
	cleanup_close int dfd = open_dir(dir);
	int r;

	if (dfd < 0) {
		close(lock_fd);
		return dfd;
	}
	/* only the folder whose lock we hold */
	if (!same_file(dfd, STATEDIR_LOCK, lock_fd)) {
		close(lock_fd);
		return -ESTALE;
	}
	r = empty_dir(dfd, NULL);
	if (r == 0 && rmdir(dir) < 0)
		r = -errno;
	close(lock_fd);
	return r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The instance names in the root, sorted. */
static int list_names(int rootfd, char ***out, size_t *count)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int r = 0;
	DIR *d = opendir_dup(rootfd, &r);

	if (!d)
		return r;
	while ((de = readdir(d))) {
		if (!statedir_name_ok(de->d_name))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 16) * sizeof(*names));

			if (!nn) {
				r = -ENOMEM;
				break;
			}
			names = nn;
			cap = cap ? cap * 2 : 16;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			r = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	*out = names;
	*count = n;
	return 0;
}

/* Reports one folder (and cleans it when dead and asked to). 1: skipped. */
static int list_one(int rootfd, const char *root, const char *name, bool clean,
		    int (*fn)(const char *, const char *, bool, pid_t, void *), void *arg)
{
	cleanup_close int dfd = -1;
	cleanup_close int lfd = -1;
	char dir[PATH_MAX];
	bool alive = false;
	pid_t pid = 0;
	int r;

	if (snprintf(dir, sizeof(dir), "%s/%s", root, name) >= (int)sizeof(dir))
		return 1;
	dfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return 1; /* gone meanwhile, or not a folder of ours */
	lfd = openat(dfd, STATEDIR_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* no lock file: a folder being made, or a wreck; either way no live
	 * monitor, and a claimer that loses it to our cleaning tries again */
	if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0)
		alive = true;
	else if (lfd >= 0 && !same_file(dfd, STATEDIR_LOCK, lfd))
		return 1; /* released meanwhile */
	read_pid_at(dfd, &pid);
	r = fn(name, dir, alive, pid, arg);
	if (!alive && clean) {
		empty_dir(dfd, NULL);
		unlinkat(rootfd, name, AT_REMOVEDIR);
	}
	return r < 0 ? r : 0;
}

int statedir_list(bool clean,
		  int (*fn)(const char *name, const char *dir, bool alive, pid_t pid, void *arg),
		  void *arg, struct umld_err *err)
{
	cleanup_close int rootfd = -1;
	char root[PATH_MAX];
	char **names = NULL;
	size_t n = 0;
	int r;

	r = open_root(false, root, sizeof(root), &rootfd, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = list_names(rootfd, &names, &n);
	if (r < 0)
		return umld_err_set(err, r, "cannot read %s: %s", root, strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (r == 0) {
			r = list_one(rootfd, root, names[i], clean, fn, arg);
			if (r > 0)
				r = 0;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int statedir_wait_released(const char *dir, int timeout_ms)
{
	const struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	cleanup_close int dfd = open_dir(dir);
	cleanup_close int lfd = -1;
	struct timespec start, now;

	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	lfd = openat(dfd, STATEDIR_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (lfd < 0)
		return errno == ENOENT ? 0 : -errno;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (flock(lfd, LOCK_SH | LOCK_NB) == 0)
			return 0; /* closing lfd lets it go at once */
		if (errno != EWOULDBLOCK)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (timeout_ms >= 0 && (now.tv_sec - start.tv_sec) * 1000 +
						 (now.tv_nsec - start.tv_nsec) / 1000000 >= timeout_ms)
			return -ETIMEDOUT;
		nanosleep(&pause, NULL);
	}
}
