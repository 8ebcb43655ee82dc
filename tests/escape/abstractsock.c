/* An abstract unix socket of the host (ESC_ABSTRACT, without its leading
 * NUL; the runner listens there and sends the token). Abstract names live
 * in the network namespace, not in the filesystem, so no root confines
 * them. A connection is the escape. */
#include "escape.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>


int main(int argc, char **argv)
{
	const char *name = getenv("ESC_ABSTRACT");
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct esc e;
	socklen_t len;
	int fd;

	esc_init(&e, "abstractsock", argc, argv);
	if (!name)
		name = "umld-escape-none";
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "%s", name);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		esc_die(&e, "socket(AF_UNIX)");
	esc_connect(&e, "connect(@ABSTRACT)", fd, &a, len);
	return esc_finish(&e);
}
