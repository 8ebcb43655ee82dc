/* The caller's ids in a new user namespace; see idmap.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/idmap.h"

/* Writes s to a /proc/self file. */
static int write_proc(const char *file, const char *s)
{
	int fd = open(file, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Formats "INSIDE ID 1\n" without stdio; INSIDE is ID, or 0 when as_root. */
static void id_map_line(char *buf, unsigned id, bool as_root)
{
	char num[16];
	int n = 0;

	do
		num[n++] = (char)('0' + id % 10);
	while ((id /= 10) && n < 15);
	for (int i = 0; i < 2; i++) {
		if (i == 0 && as_root)
			*buf++ = '0';
		else
			for (int k = n - 1; k >= 0; k--)
				*buf++ = num[k];
		*buf++ = ' ';
	}
	memcpy(buf, "1\n", 3);
}

int idmap_write_self(unsigned uid, unsigned gid, bool as_root)
{
	char line[48];
	int r;

	id_map_line(line, uid, as_root);
	r = write_proc("/proc/self/uid_map", line);
	/* gid_map may only be written once setgroups is denied */
	if (r == 0)
		r = write_proc("/proc/self/setgroups", "deny");
	id_map_line(line, gid, as_root);
	if (r == 0)
		r = write_proc("/proc/self/gid_map", line);
	return r;
}
