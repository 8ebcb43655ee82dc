/* Small helpers shared by every part of umld: cleanup attributes that close
 * and free on every return path, and array sizes. */
#ifndef UMLD_COMMON_UTIL_H
#define UMLD_COMMON_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void umld_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void umld_freep(void *p)
{
	free(*(void **)p);
}

#define cleanup_close __attribute__((cleanup(umld_closep)))
#define cleanup_free __attribute__((cleanup(umld_freep)))

/* Hands ownership of *fd to the caller: the cleanup will not close it. */
static inline int umld_take_fd(int *fd)
{
	int r = *fd;
	*fd = -1;
	return r;
}

#define UMLD_UNUSED __attribute__((unused))

#endif
