/* exitcode: prints one line (flushed by exit) and exits with the status given
 * as its argument, so the exit status must pass through unchanged. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char *end;
	long n;

	if (argc != 2) {
		fprintf(stderr, "usage: exitcode N\n");
		return 2;
	}
	n = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || n < 0 || n > 255) {
		fprintf(stderr, "exitcode: bad status '%s'\n", argv[1]);
		return 2;
	}
	printf("exitcode: exiting with %ld\n", n);
	exit((int)n);
}
