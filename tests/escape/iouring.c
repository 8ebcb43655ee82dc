/* io_uring: requests on a ring are run by the kernel without passing
 * through seccomp or ptrace, so a ring is a way around every check. A
 * ring set up is the escape; under --sandbox=strict io_uring_setup is
 * denied. */
#include "escape.h"
#include <linux/io_uring.h>
#include <sys/syscall.h>


int main(int argc, char **argv)
{
	struct io_uring_params p;
	struct esc e;
	long fd;

	esc_init(&e, "iouring", argc, argv);
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	esc_fd_result(&e, "io_uring_setup", fd);
	return esc_finish(&e);
}
