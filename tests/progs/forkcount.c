/* forkcount N: forks up to N children that wait, stops at the first failure,
 * prints "forked K of N" and the failure's errno name, then ends them all.
 * For the Tasks limit: K is how many more tasks the limit allowed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, k = 0, e = 0;
	pid_t *kids = calloc((size_t)(n > 0 ? n : 1), sizeof(*kids));

	if (n <= 0 || !kids) {
		fprintf(stderr, "usage: forkcount N\n");
		return 2;
	}
	for (; k < n; k++) {
		pid_t p = fork();

		if (p < 0) {
			e = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[k] = p;
	}
	printf("forked %d of %d%s%s\n", k, n, e ? ": " : "", e == EAGAIN ? "EAGAIN" : e ? strerror(e) : "");
	for (int i = 0; i < k; i++)
		kill(kids[i], SIGKILL);
	for (int i = 0; i < k; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}
