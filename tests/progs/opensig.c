/* open() of a regular file while SIGALRM fires every 50 us, with a handler
 * installed without SA_RESTART: natively such an open never fails with
 * EINTR; under an emulation path it must not either. Prints the count (0). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void on_alrm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/etc/passwd";
	struct itimerval every = { { 0, 500 }, { 0, 500 } };
	struct sigaction sa;
	int eintr = 0, other = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &every, NULL);
	for (int i = 0; i < 5000; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		else if (errno == EINTR)
			eintr++;
		else
			other++;
	}
	printf("open failures: %d EINTR, %d other\n", eintr, other);
	return eintr || other;
}
