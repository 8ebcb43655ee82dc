/* Prints the pids a process is told of by signals and /proc, for vk-pid.test
 * to compare in both pid backends: the sender's si_pid of a SIGCHLD, of a
 * child's kill, tgkill and sigqueue to its parent; /proc/self/task/TID/
 * children, the first line of /proc/self/sched (and of a thread's), the
 * last field of /proc/loadavg. Run as the guest's first process, every id is
 * known in advance.
 *
 * "sigpids wait" instead prints "ready", then waits for a SIGUSR1 sent from
 * outside and prints its si_pid. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got[NSIG];
static siginfo_t info[NSIG];
static sigset_t waitmask; /* the mask with the test's signals let through */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	info[sig] = *si;
	got[sig] = 1;
}

/* The test's signals are blocked but while waiting for one. */
static void setup(void)
{
	static const int sigs[] = { SIGCHLD, SIGUSR1, SIGUSR2 };
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&block, sigs[i]);
	sa.sa_mask = block;
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigdelset(&waitmask, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
}

static void await(int sig)
{
	while (!got[sig])
		sigsuspend(&waitmask);
}

static const char *code_name(const siginfo_t *si)
{
	switch (si->si_code) {
	case SI_USER:
		return "SI_USER";
	case SI_TKILL:
		return "SI_TKILL";
	case SI_QUEUE:
		return "SI_QUEUE";
	case CLD_EXITED:
		return si->si_signo == SIGCHLD ? "CLD_EXITED" : "other";
	default:
		return "other";
	}
}

/* how a child signals its parent */
enum send { SEND_EXIT, SEND_KILL, SEND_TGKILL, SEND_QUEUE };

static void child_sends(enum send how)
{
	pid_t parent = getppid();

	switch (how) {
	case SEND_EXIT:
		_exit(3);
	case SEND_KILL:
		kill(parent, SIGUSR1);
		break;
	case SEND_TGKILL:
		syscall(SYS_tgkill, parent, parent, SIGUSR1);
		break;
	case SEND_QUEUE:
		sigqueue(parent, SIGUSR2, (union sigval){ .sival_int = 42 });
		break;
	}
	_exit(0);
}

static void sender(const char *what, enum send how, int sig)
{
	pid_t c;
	int st = 0;

	got[sig] = 0;
	c = fork();
	if (c < 0) {
		printf("%s: fork: %s\n", what, strerror(errno));
		return;
	}
	if (c == 0)
		child_sends(how);
	await(sig);
	printf("%s: si_pid %d %s", what, (int)info[sig].si_pid, code_name(&info[sig]));
	if (how == SEND_EXIT)
		printf(" status %d", info[sig].si_status);
	if (how == SEND_QUEUE)
		printf(" value %d", info[sig].si_value.sival_int);
	printf(", fork gave %d\n", (int)c);
	waitpid(c, &st, 0);
}

/* The start of a file, up to its first newline (or all of it). */
static void first_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "re");

	if (!f) {
		snprintf(out, size, "%s", strerror(errno));
		return;
	}
	if (!fgets(out, (int)size, f))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static void children(void)
{
	char path[64], line[256];
	int p[2];
	pid_t c[2];

	if (pipe(p) < 0)
		return;
	for (int i = 0; i < 2; i++) {
		c[i] = fork();
		if (c[i] == 0) {
			char b;
			close(p[1]);
			_exit(read(p[0], &b, 1) == 0 ? 0 : 1); /* until the parent closes */
		}
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	first_line(path, line, sizeof(line));
	printf("children: [%s], fork gave %d %d\n", line, (int)c[0], (int)c[1]);
	close(p[1]);
	for (int i = 0; i < 2; i++)
		waitpid(c[i], NULL, 0);
}

static pthread_barrier_t ready;
static int thread_tid;

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = (int)gettid();
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&ready); /* read meanwhile */
	return NULL;
}

static void sched_and_loadavg(void)
{
	char path[64], line[256];
	pthread_t t;

	first_line("/proc/self/sched", line, sizeof(line));
	printf("/proc/self/sched: %s\n", line);
	pthread_barrier_init(&ready, NULL, 2);
	if (pthread_create(&t, NULL, thread_main, NULL) != 0)
		return;
	pthread_barrier_wait(&ready);
	snprintf(path, sizeof(path), "/proc/self/task/%d/sched", thread_tid);
	first_line(path, line, sizeof(line));
	printf("thread %d sched: %s\n", thread_tid, line);
	first_line("/proc/loadavg", line, sizeof(line));
	const char *last = strrchr(line, ' ');
	printf("/proc/loadavg last pid %s\n", last ? last + 1 : line);
	pthread_barrier_wait(&ready);
	pthread_join(t, NULL);
}

static int wait_outside(void)
{
	printf("ready\n");
	fflush(stdout);
	await(SIGUSR1);
	printf("SIGUSR1 from outside: si_pid %d %s\n", (int)info[SIGUSR1].si_pid,
	       code_name(&info[SIGUSR1]));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	setup();
	alarm(30);
	if (argc > 1 && strcmp(argv[1], "wait") == 0)
		return wait_outside();
	sender("SIGCHLD", SEND_EXIT, SIGCHLD);
	sender("kill(getppid(), SIGUSR1)", SEND_KILL, SIGUSR1);
	sender("tgkill(getppid(), getppid(), SIGUSR1)", SEND_TGKILL, SIGUSR1);
	sender("sigqueue(getppid(), SIGUSR2, 42)", SEND_QUEUE, SIGUSR2);
	children();
	sched_and_loadavg();
	return 0;
}
