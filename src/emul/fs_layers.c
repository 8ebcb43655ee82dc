/* Checking the guest's layers and binds in the monitor before either
 * filesystem backend uses them (the same rules for both). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "cowdisk/cowdisk.h"
#include "emul/fs.h"

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
