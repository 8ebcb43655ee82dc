/* fork while SIGCHLD keeps arriving, with a handler installed without
 * SA_RESTART: natively fork never fails with EINTR (the kernel restarts it);
 * under an emulation path it must not either. Prints the failures (0). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

int main(void)
{
	struct sigaction sa;
	int failures = 0, reaped = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld; /* no SA_RESTART */
	sigaction(SIGCHLD, &sa, NULL);
	for (int i = 0; i < 3000; i++) {
		pid_t p = fork();
		if (p < 0) {
			failures++;
			continue;
		}
		if (p == 0)
			_exit(0);
		/* reap what has ended, without waiting for this one */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped++;
	}
	/* the rest; a wait the handler interrupts (EINTR) reaps nothing */
	for (;;) {
		if (waitpid(-1, NULL, 0) > 0)
			reaped++;
		else if (errno != EINTR)
			break;
	}
	printf("fork failures: %d, children reaped: %d\n", failures, reaped);
	return failures != 0;
}
