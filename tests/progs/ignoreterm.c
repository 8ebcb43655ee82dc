/* ignoreterm: ignores SIGTERM and sends it to itself, a forked child, its process
 * group and a re-executed copy; SIG_IGN must survive fork and execve. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int term_is_ignored(void)
{
	struct sigaction sa;

	if (sigaction(SIGTERM, NULL, &sa) != 0)
		return 0;
	return sa.sa_handler == SIG_IGN;
}

/* Run as "ignoreterm --exec-child": inherited the ignored SIGTERM over exec. */
static int exec_child(void)
{
	if (!term_is_ignored()) {
		fprintf(stderr, "ignoreterm: SIGTERM not ignored after execve\n");
		return 10;
	}
	if (kill(getpid(), SIGTERM) != 0)
		return 11;
	printf("ignoreterm: exec'd child survived SIGTERM\n");
	return 0;
}

int main(int argc, char **argv)
{
	int go[2], status;
	pid_t child, exec_pid;
	char c;

	if (argc == 2 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child();

	/* A process group of our own, so that signalling the group reaches
	 * only ourselves and our child, never the shell that started us. */
	if (setpgid(0, 0) != 0) {
		perror("ignoreterm: setpgid");
		return 1;
	}
	if (signal(SIGTERM, SIG_IGN) == SIG_ERR) {
		perror("ignoreterm: signal");
		return 1;
	}
	if (pipe(go) != 0) {
		perror("ignoreterm: pipe");
		return 1;
	}
	fflush(stdout);
	child = fork();
	if (child < 0) {
		perror("ignoreterm: fork");
		return 1;
	}
	if (child == 0) {
		close(go[1]);
		/* Wait until the parent has sent its signals and closed the pipe. */
		if (read(go[0], &c, 1) != 0)
			_exit(20);
		_exit(term_is_ignored() ? 0 : 21);
	}
	close(go[0]);

	if (kill(getpid(), SIGTERM) != 0) {
		perror("ignoreterm: kill self");
		return 1;
	}
	printf("ignoreterm: survived SIGTERM sent to itself\n");
	if (kill(child, SIGTERM) != 0) {
		perror("ignoreterm: kill child");
		return 1;
	}
	if (kill(0, SIGTERM) != 0) {
		perror("ignoreterm: kill process group");
		return 1;
	}
	printf("ignoreterm: survived SIGTERM sent to its process group\n");
	close(go[1]);
	if (waitpid(child, &status, 0) != child) {
		perror("ignoreterm: waitpid");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ignoreterm: child raw status %#x\n", (unsigned)status);
		return 1;
	}
	printf("ignoreterm: forked child survived SIGTERM\n");

	fflush(stdout);
	exec_pid = fork();
	if (exec_pid < 0) {
		perror("ignoreterm: fork");
		return 1;
	}
	if (exec_pid == 0) {
		execl("/proc/self/exe", argv[0], "--exec-child", (char *)NULL);
		perror("ignoreterm: execl /proc/self/exe");
		_exit(30);
	}
	if (waitpid(exec_pid, &status, 0) != exec_pid) {
		perror("ignoreterm: waitpid");
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ignoreterm: exec'd child raw status %#x\n", (unsigned)status);
		return 1;
	}
	printf("ignoreterm: all survived, exiting 0\n");
	return 0;
}
