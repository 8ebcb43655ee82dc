/* fork200: forks 200 children that all live at the same time, each exiting
 * with its own status, then reaps them with waitpid(-1) and checks each one. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NCHILDREN 200

static int child_status(int i)
{
	return (i * 37 + 11) % 256;
}

int main(void)
{
	pid_t pids[NCHILDREN];
	int seen[NCHILDREN] = { 0 };
	int go[2];
	int reaped = 0, good = 0, errors = 0;
	long status_sum = 0, expected_sum = 0;
	pid_t self = getpid();

	/* The children wait until the pipe is closed, so all 200 exist at once. */
	if (pipe(go) != 0) {
		perror("fork200: pipe");
		return 1;
	}
	for (int i = 0; i < NCHILDREN; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork200: fork");
			return 1;
		}
		if (pid == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(255);
			if (getppid() != self)
				_exit(254);
			_exit(child_status(i));
		}
		pids[i] = pid;
		expected_sum += child_status(i);
	}
	close(go[0]);
	close(go[1]);

	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD) {
				perror("fork200: waitpid");
				errors++;
			}
			break;
		}
		int i;
		for (i = 0; i < NCHILDREN && pids[i] != pid; i++)
			;
		if (i == NCHILDREN || seen[i]) {
			fprintf(stderr, "fork200: waitpid returned unexpected pid\n");
			errors++;
			continue;
		}
		seen[i] = 1;
		reaped++;
		if (WIFEXITED(status) && WEXITSTATUS(status) == child_status(i)) {
			good++;
			status_sum += WEXITSTATUS(status);
		} else {
			fprintf(stderr, "fork200: child %d: raw status %#x, expected exit %d\n",
				i, (unsigned)status, child_status(i));
			errors++;
		}
	}
	if (reaped != NCHILDREN)
		errors++;
	if (status_sum != expected_sum)
		errors++;
	printf("fork200: %d children forked, %d reaped, %d statuses correct, status sum %ld, %d errors\n",
	       NCHILDREN, reaped, good, status_sum, errors);
	return errors ? 1 : 0;
}
