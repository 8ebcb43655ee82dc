/* killself: dies of the signal named by its argument: SEGV by really
 * dereferencing a null pointer, any other by kill(getpid(), SIG). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },   { "ABRT", SIGABRT }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "SEGV", SIGSEGV }, { "PIPE", SIGPIPE },
	{ "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
};

static int parse_signal(const char *arg)
{
	if (strncmp(arg, "SIG", 3) == 0)
		arg += 3;
	for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (strcmp(arg, signals[i].name) == 0)
			return signals[i].sig;
	char *end;
	long n = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0' && n > 0 && n < NSIG)
		return (int)n;
	return -1;
}

int main(int argc, char **argv)
{
	struct rlimit nocore = { 0, 0 };
	sigset_t all;
	int sig;

	if (argc != 2 || (sig = parse_signal(argv[1])) < 0) {
		fprintf(stderr, "usage: killself SIGNAL (name such as SEGV, or number)\n");
		return 2;
	}
	/* No core file, whatever the caller's limit was. */
	if (setrlimit(RLIMIT_CORE, &nocore) != 0) {
		perror("killself: setrlimit");
		return 2;
	}
	printf("killself: dying of signal %d\n", sig);
	fflush(stdout);

	/* Make sure the signal is neither blocked nor ignored nor handled. */
	signal(sig, SIG_DFL);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);

	if (sig == SIGSEGV) {
		volatile int *volatile null = NULL;
		*null = 42;
	} else {
		kill(getpid(), sig);
	}
	/* Still alive: only signals whose default action is to ignore get here. */
	printf("killself: survived signal %d\n", sig);
	return 3;
}
