/* The containerized filesystem backend (placeholder until it is built). */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "emul/fs.h"

int fs_mount_probe(const struct fs_wants *w, bool userns, char *why, size_t size)
{
	(void)w;
	(void)userns;
	snprintf(why, size, "not built yet");
	return -ENOSYS;
}

int fs_mount_enter(const struct fs_wants *w, const char *cwd, bool new_proc, char *why,
		   size_t size)
{
	(void)w;
	(void)cwd;
	(void)new_proc;
	snprintf(why, size, "not built yet");
	return -ENOSYS;
}
