/* A memory hog: a child maps and touches ESC_MEMORY*2 bytes (64 MiB*2 by
 * default) in 1 MiB steps. The guest's Memory= limit (ESC_MEMORY) must stop
 * it first: mmap failing (RLIMIT_AS), or the child killed by the OOM killer
 * of the guest's control group. Getting all of it is the escape. */
#include "escape.h"
#include <signal.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	const char *limit = getenv("ESC_MEMORY");
	long long want = (limit ? atoll(limit) : 64LL << 20) * 2;
	struct esc e;
	pid_t pid;
	int st;

	esc_init(&e, "memhog", argc, argv);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		esc_die(&e, "fork");
	if (pid == 0) {
		for (long long got = 0; got < want; got += 1 << 20) {
			char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) {
				fprintf(stderr, "memhog: mmap failed with %s at %lld MiB\n",
					esc_errname(errno), got >> 20);
				_exit(3);
			}
			memset(p, 1, 1 << 20);
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		esc_escaped(&e, "mapped and touched twice the Memory limit");
	else if (WIFSIGNALED(st))
		esc_note(&e, "the hog was killed by signal %d (the OOM killer)", WTERMSIG(st));
	else
		esc_note(&e, "the hog's mmap failed (exit %d)", WEXITSTATUS(st));
	return esc_finish(&e);
}
