/* A memory hog: maps and touches ESC_MEMORY*2 bytes (64 MiB*2 by default)
 * in 1 MiB steps. The guest's Memory= limit (ESC_MEMORY) must stop it
 * first; getting all of it is the escape. */
#include "escape.h"
#include <sys/mman.h>


int main(int argc, char **argv)
{
	const char *limit = getenv("ESC_MEMORY");
	long long want = (limit ? atoll(limit) : 64LL << 20) * 2, got = 0;
	struct esc e;

	esc_init(&e, "memhog", argc, argv);
	while (got < want) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED) {
			esc_note(&e, "mmap failed with %s at %lld MiB", esc_errname(errno), got >> 20);
			break;
		}
		memset(p, 1, 1 << 20);
		got += 1 << 20;
	}
	if (got >= want)
		esc_escaped(&e, "mapped twice the Memory limit");
	return esc_finish(&e);
}
