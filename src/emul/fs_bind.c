/* Parsing --bind=HOST[:GUEST][:ro] (and Bind=/BindReadOnly= values). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "emul/fs.h"

int fs_bind_parse(char *s, struct fs_bind *b, const char **why)
{
	char *guest, *opt;
	size_t n = strlen(s);

	memset(b, 0, sizeof(*b));
	if (n > 3 && strcmp(s + n - 3, ":ro") == 0) {
		b->ro = true;
		s[n - 3] = '\0';
	} else if (n > 3 && strcmp(s + n - 3, ":rw") == 0) {
		s[n - 3] = '\0';
	}
	guest = strchr(s, ':');
	if (guest)
		*guest++ = '\0';
	opt = guest ? strchr(guest, ':') : NULL;
	if (opt) {
		*why = "the only option after GUEST is ':ro' (or ':rw')";
		return -EINVAL;
	}
	if (s[0] != '/') {
		*why = "HOST must be an absolute path (HOST[:GUEST][:ro])";
		return -EINVAL;
	}
	if (guest && guest[0] != '/') {
		*why = "GUEST must be an absolute path (HOST[:GUEST][:ro])";
		return -EINVAL;
	}
	b->host = s;
	b->guest = guest ? guest : s;
	return 0;
}
