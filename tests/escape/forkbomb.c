/* A fork bomb, bounded: children that wait, made until fork fails or
 * there are ESC_TASKS*4 of them. The guest's Tasks= limit (ESC_TASKS) must
 * stop it with EAGAIN below the limit, and the host must stay responsive
 * (the runner times the run). Reaching the bound is the escape. */
#include "escape.h"
#include <signal.h>


int main(int argc, char **argv)
{
	const char *limit = getenv("ESC_TASKS");
	long max = limit ? atol(limit) : 32, made = 0;
	pid_t *kids;
	struct esc e;
	int fail = 0;

	esc_init(&e, "forkbomb", argc, argv);
	kids = calloc((size_t)(max * 4 + 1), sizeof(*kids));
	if (!kids)
		esc_die(&e, "calloc");
	/* each child waits to be killed; the first fork that fails ends it */
	for (pid_t pid = 0; made < max * 4 && !fail; made += pid > 0) {
		pid = fork();
		if (pid == 0) {
			pause();
			_exit(0);
		}
		if (pid > 0)
			kids[made] = pid;
		else
			fail = errno;
	}
	for (long i = 0; i < made; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < made; i++)
		waitpid(kids[i], NULL, 0);
	if (made >= max)
		esc_escaped(&e, "forked past the Tasks limit");
	else
		esc_note(&e, "fork stopped at %s below the limit", fail ? esc_errname(fail) : "?");
	return esc_finish(&e);
}
