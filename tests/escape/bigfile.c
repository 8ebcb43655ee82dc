/* A file larger than FileSize= (ESC_FILESIZE, default 1 MiB): written in
 * 64 KiB steps with SIGXFSZ ignored, so that the limit shows as EFBIG.
 * Writing past the limit is the escape. */
#include "escape.h"
#include <signal.h>


int main(int argc, char **argv)
{
	const char *limit = getenv("ESC_FILESIZE");
	long long max = limit ? atoll(limit) : 1 << 20, done = 0;
	static char block[65536];
	struct esc e;
	int fd;

	esc_init(&e, "bigfile", argc, argv);
	signal(SIGXFSZ, SIG_IGN);
	fd = open("big", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		esc_die(&e, "open big");
	while (done <= max) {
		ssize_t n = write(fd, block, sizeof(block));
		if (n <= 0) {
			esc_note(&e, "write stopped with %s at %lld bytes",
				 n < 0 ? esc_errname(errno) : "0", done);
			break;
		}
		done += n;
	}
	close(fd);
	unlink("big");
	if (done > max)
		esc_escaped(&e, "wrote past FileSize");
	return esc_finish(&e);
}
