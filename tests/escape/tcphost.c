/* TCP to a port of the host (ESC_PORT on 127.0.0.1, where the runner
 * listens and sends the token). A connection is the escape; under
 * --sandbox=strict (Network=none) no AF_INET socket can be had. */
#include "escape.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>


int main(int argc, char **argv)
{
	const char *port = getenv("ESC_PORT");
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct esc e;
	int fd;

	esc_init(&e, "tcphost", argc, argv);
	a.sin_port = htons((uint16_t)atoi(port ? port : "1"));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		esc_note(&e, "socket(AF_INET): %s", esc_errname(errno));
		return esc_finish(&e);
	}
	esc_connect(&e, "connect(127.0.0.1:ESC_PORT)", fd, &a, sizeof(a));
	return esc_finish(&e);
}
