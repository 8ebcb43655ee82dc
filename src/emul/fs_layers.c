/* Checking the guest's layers and binds in the monitor before either
 * filesystem backend uses them (the same rules for both). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cowdisk/cowdisk.h"
#include "emul/fs.h"

/* mkdir -p, the last one private (0700): a layer holds the guest's files. */
static int make_dirs(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The instance's hold on its layer, released when the monitor exits. */
static int lock_cow(const char *dir, struct umld_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return umld_err_usage(err, "--cow: %s: %s", dir, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return umld_err_usage(err, "--cow: %s: in use by a running instance (or by "
						   "umld cow)", dir);
		return umld_err_usage(err, "--cow: %s: cannot lock: %s", dir, strerror(e));
	}
	return fd;
}

int fs_layers_check(const struct fs_wants *w, int *lock_fd, struct umld_err *err)
{
	char *lowers[FS_ROOTS_MAX + 1] = { 0 };
	struct cow_stack s;
	size_t n = 0;
	int r;

	for (; n < w->nroots && n < FS_ROOTS_MAX; n++)
		lowers[n] = (char *)w->roots[n];
	if (n == 0)
		lowers[n++] = (char *)"/"; /* no --root: the host's / */
	if (w->cow) {
		/* a new instance's layer is made on first use, parents too */
		r = make_dirs(w->cow);
		if (r < 0)
			return umld_err_usage(err, "--cow: cannot make %s: %s", w->cow, strerror(-r));
	}
	r = cow_open(&s, lowers, w->cow, err);
	if (r < 0)
		return r;
	cow_close(&s);
	for (size_t i = 0; i < w->nbinds; i++) {
		struct stat st;

		if (stat(w->binds[i].host, &st) < 0)
			return umld_err_usage(err, "--bind: %s: %s", w->binds[i].host,
					      strerror(errno));
	}
	*lock_fd = -1;
	if (w->cow) {
		r = lock_cow(w->cow, err);
		if (r < 0)
			return r;
		*lock_fd = r;
	}
	return 0;
}
