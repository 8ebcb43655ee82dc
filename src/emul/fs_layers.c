/* Checking the guest's layers and binds in the monitor before either
 * filesystem backend uses them (the same rules for both). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

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

int fs_layers_check(const struct fs_wants *w, struct umld_err *err)
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
	return 0;
}
