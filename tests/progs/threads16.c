/* threads16: 16 pthreads make many real system calls at the same time
 * (getpid, gettid, open/read/close, pipe write/read, nanosleep, sched_yield). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 16
#define DEFAULT_ITERATIONS 2000
/* system calls made by one iteration of worker() */
#define CALLS_PER_ITERATION 9

struct worker {
	int index;
	long iterations;
	pid_t tid;
	long errors;
	unsigned long sum; /* checksum of what came back through the pipe */
};

static pid_t main_pid;
static pthread_barrier_t start_line;

static void complain(struct worker *w, const char *what, long iteration)
{
	if (w->errors++ < 3)
		fprintf(stderr, "threads16: thread %d iteration %ld: %s (%s)\n",
			w->index, iteration, what, strerror(errno));
}

static void *worker(void *arg)
{
	struct worker *w = arg;
	int fds[2];

	w->tid = (pid_t)syscall(SYS_gettid);
	if (pipe(fds) != 0) {
		complain(w, "pipe", -1);
		return NULL;
	}
	pthread_barrier_wait(&start_line);
	for (long i = 0; i < w->iterations; i++) {
		unsigned char buf[64];
		unsigned long msg[2] = { (unsigned long)w->index, (unsigned long)i };
		unsigned long back[2] = { 0, 0 };
		struct timespec zero = { 0, 0 };

		errno = 0;
		if ((pid_t)syscall(SYS_getpid) != main_pid)
			complain(w, "getpid is not the process id", i);
		if ((pid_t)syscall(SYS_gettid) != w->tid)
			complain(w, "gettid changed", i);

		int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			complain(w, "open /dev/zero", i);
		} else {
			memset(buf, 0xa5, sizeof buf);
			if (read(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
				complain(w, "read /dev/zero", i);
			for (size_t k = 0; k < sizeof buf; k++) {
				if (buf[k] != 0) {
					complain(w, "/dev/zero gave a non-zero byte", i);
					break;
				}
			}
			if (close(fd) != 0)
				complain(w, "close", i);
		}

		if (write(fds[1], msg, sizeof msg) != (ssize_t)sizeof msg)
			complain(w, "write to pipe", i);
		if (read(fds[0], back, sizeof back) != (ssize_t)sizeof back)
			complain(w, "read from pipe", i);
		if (back[0] != msg[0] || back[1] != msg[1])
			complain(w, "pipe returned other data", i);
		w->sum += back[0] * 1000003UL + back[1];

		if (nanosleep(&zero, NULL) != 0)
			complain(w, "nanosleep", i);
		if (sched_yield() != 0)
			complain(w, "sched_yield", i);
	}
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? atol(argv[1]) : DEFAULT_ITERATIONS;
	struct worker workers[NTHREADS];
	pthread_t threads[NTHREADS];
	unsigned long total = 0, expected = 0;
	long errors = 0;
	int distinct = 1;

	if (iterations <= 0) {
		fprintf(stderr, "usage: threads16 [ITERATIONS]\n");
		return 2;
	}
	main_pid = getpid();
	pthread_barrier_init(&start_line, NULL, NTHREADS);
	for (int t = 0; t < NTHREADS; t++) {
		workers[t] = (struct worker){ .index = t, .iterations = iterations };
		int rc = pthread_create(&threads[t], NULL, worker, &workers[t]);
		if (rc != 0) {
			fprintf(stderr, "threads16: pthread_create: %s\n", strerror(rc));
			return 1;
		}
	}
	for (int t = 0; t < NTHREADS; t++) {
		int rc = pthread_join(threads[t], NULL);
		if (rc != 0) {
			fprintf(stderr, "threads16: pthread_join: %s\n", strerror(rc));
			return 1;
		}
	}
	for (int t = 0; t < NTHREADS; t++) {
		errors += workers[t].errors;
		total += workers[t].sum;
		for (long i = 0; i < iterations; i++)
			expected += (unsigned long)t * 1000003UL + (unsigned long)i;
		if (workers[t].tid == main_pid)
			distinct = 0;
		for (int u = 0; u < t; u++)
			if (workers[u].tid == workers[t].tid)
				distinct = 0;
	}
	if (!distinct) {
		fprintf(stderr, "threads16: thread ids are not distinct\n");
		errors++;
	}
	if (total != expected) {
		fprintf(stderr, "threads16: pipe checksum %lu, expected %lu\n", total, expected);
		errors++;
	}
	printf("threads16: %d threads x %ld iterations, %ld system calls, %ld errors, checksum %lu\n",
	       NTHREADS, iterations, NTHREADS * iterations * CALLS_PER_ITERATION, errors, total);
	return errors ? 1 : 0;
}
