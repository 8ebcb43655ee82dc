/* The operations `umld bench` times, and the guest side that times them:
 * each op runs in batches of about 2 ms after a calibration, and the median
 * batch gives ns per call. Only the vDSO clock is used for timing, so that
 * the timing itself is never intercepted. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/bench.h"

extern char **environ;

static int op_getpid(void *st, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
	return 0;
}

static int op_getppid(void *st, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

static int op_gettid(void *st, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_gettid);
	return 0;
}

static int op_getuid(void *st, long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getuid);
	return 0;
}

static int op_uname(void *st, long n)
{
	struct utsname u;

	for (long i = 0; i < n; i++)
		if (uname(&u) < 0)
			return -errno;
	return 0;
}

static int op_gettimeofday(void *st, long n)
{
	struct timeval tv;

	for (long i = 0; i < n; i++)
		gettimeofday(&tv, NULL);
	return 0;
}

static int op_gettimeofday_raw(void *st, long n)
{
	struct timeval tv;

	for (long i = 0; i < n; i++)
		syscall(SYS_gettimeofday, &tv, NULL);
	return 0;
}

static int op_clock_gettime(void *st, long n)
{
	struct timespec ts;

	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return 0;
}

static int op_open_close(void *st, long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	return 0;
}

static int op_stat(void *st, long n)
{
	struct stat sb;

	for (long i = 0; i < n; i++)
		if (stat("/dev/null", &sb) < 0)
			return -errno;
	return 0;
}

static int open_state(void **state, const char *path, int flags)
{
	int *fd = malloc(sizeof(*fd));

	if (!fd)
		return -ENOMEM;
	*fd = open(path, flags | O_CLOEXEC);
	if (*fd < 0) {
		int e = errno;
		free(fd);
		return -e;
	}
	*state = fd;
	return 0;
}

static void close_state(void *state)
{
	close(*(int *)state);
	free(state);
}

static int setup_zero(void **state)
{
	return open_state(state, "/dev/zero", O_RDONLY);
}

static int setup_null(void **state)
{
	return open_state(state, "/dev/null", O_WRONLY);
}

static int setup_usr(void **state)
{
	return open_state(state, "/usr", O_RDONLY | O_DIRECTORY);
}

/* What find and tar do for every entry: a lookup relative to a directory
 * fd, and fstat of the directory they opened. */
static int op_fstatat_dirfd(void *st, long n)
{
	struct stat sb;

	for (long i = 0; i < n; i++)
		if (fstatat(*(int *)st, "bin", &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
	return 0;
}

static int op_fstat_dir(void *st, long n)
{
	struct stat sb;

	for (long i = 0; i < n; i++)
		if (fstat(*(int *)st, &sb) < 0)
			return -errno;
	return 0;
}

static int op_read1(void *st, long n)
{
	char c;

	for (long i = 0; i < n; i++)
		if (read(*(int *)st, &c, 1) != 1)
			return -EIO;
	return 0;
}

static int op_write1(void *st, long n)
{
	for (long i = 0; i < n; i++)
		if (write(*(int *)st, "x", 1) != 1)
			return -EIO;
	return 0;
}

static int op_fork_wait(void *st, long n)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t p = fork();
		if (p < 0)
			return -errno;
		if (p == 0)
			_exit(0);
		if (waitpid(p, &status, 0) != p)
			return -errno;
	}
	return 0;
}

static int op_fork_exec_wait(void *st, long n)
{
	char *const argv[] = { (char *)"true", NULL };

	for (long i = 0; i < n; i++) {
		int status;
		pid_t p = fork();
		if (p < 0)
			return -errno;
		if (p == 0) {
			execve("/bin/true", argv, environ);
			_exit(127);
		}
		if (waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status))
			return -ECHILD;
	}
	return 0;
}

const struct bench_op bench_ops[] = {
	{ .name = "getpid", .what = "getpid(2), raw syscall", .run = op_getpid },
	{ .name = "getppid", .what = "getppid(2), raw syscall", .run = op_getppid },
	{ .name = "gettid", .what = "gettid(2), raw syscall", .run = op_gettid },
	{ .name = "getuid", .what = "getuid(2), raw syscall", .run = op_getuid },
	{ .name = "uname", .what = "uname(2)", .run = op_uname },
	{ .name = "gettimeofday", .what = "gettimeofday(2) through the vDSO", .run = op_gettimeofday },
	{ .name = "gettimeofday-raw", .what = "gettimeofday(2) as a real syscall",
	  .run = op_gettimeofday_raw },
	{ .name = "clock_gettime", .what = "clock_gettime(CLOCK_MONOTONIC) through the vDSO",
	  .run = op_clock_gettime },
	{ .name = "open+close", .what = "open(\"/dev/null\") and close", .run = op_open_close },
	{ .name = "stat", .what = "stat(\"/dev/null\")", .run = op_stat },
	{ .name = "fstatat-dirfd", .what = "fstatat(fd of /usr, \"bin\", AT_SYMLINK_NOFOLLOW)",
	  .run = op_fstatat_dirfd, .setup = setup_usr, .teardown = close_state },
	{ .name = "fstat-dir", .what = "fstat of a directory fd (/usr)", .run = op_fstat_dir,
	  .setup = setup_usr, .teardown = close_state },
	{ .name = "read1", .what = "read 1 byte from /dev/zero", .run = op_read1,
	  .setup = setup_zero, .teardown = close_state },
	{ .name = "write1", .what = "write 1 byte to /dev/null", .run = op_write1,
	  .setup = setup_null, .teardown = close_state },
	{ .name = "fork+wait", .what = "fork, child exits, waitpid", .run = op_fork_wait },
	{ .name = "fork+exec+wait", .what = "fork, exec /bin/true, waitpid",
	  .run = op_fork_exec_wait },
};
const size_t bench_nops = ARRAY_SIZE(bench_ops);

const struct bench_op *bench_op_find(const char *name)
{
	for (size_t i = 0; i < bench_nops; i++)
		if (strcmp(bench_ops[i].name, name) == 0)
			return &bench_ops[i];
	return NULL;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

#define BATCHES 9
#define BATCH_NS 2000000LL

/* Calibrates a batch size of about BATCH_NS, then times BATCHES batches. */
static int time_op(const struct bench_op *op, double *median, long *iters)
{
	double per_call[BATCHES];
	void *state = NULL;
	long n = 1;
	long long t;
	int r = 0;

	if (op->setup && (r = op->setup(&state)) < 0)
		return r;
	for (;;) {
		t = now_ns();
		r = op->run(state, n);
		t = now_ns() - t;
		if (r < 0)
			goto out;
		if (t >= BATCH_NS / 4 || n >= (1L << 24))
			break;
		n *= 4;
	}
	n = (long)((double)n * (double)BATCH_NS / (double)(t > 0 ? t : 1));
	if (n < 1)
		n = 1;
	for (int b = 0; b < BATCHES; b++) {
		t = now_ns();
		r = op->run(state, n);
		t = now_ns() - t;
		if (r < 0)
			goto out;
		per_call[b] = (double)t / (double)n;
	}
	qsort(per_call, BATCHES, sizeof(per_call[0]), cmp_double);
	*median = per_call[BATCHES / 2];
	*iters = n * BATCHES;
out:
	if (op->teardown)
		op->teardown(state);
	return r;
}

int bench_guest_main(int argc, char **argv)
{
	int failed = 0;

	for (size_t i = 0; i < bench_nops; i++) {
		const struct bench_op *op = &bench_ops[i];
		double med = 0;
		long iters = 0;
		int r;
		bool wanted = argc <= 1;

		for (int a = 1; a < argc && !wanted; a++)
			wanted = strcmp(argv[a], op->name) == 0;
		if (!wanted)
			continue;
		r = time_op(op, &med, &iters);
		if (r < 0) {
			fprintf(stderr, "umld bench-guest: %s: %s\n", op->name, strerror(-r));
			failed = 1;
			continue;
		}
		printf("%s %.1f %ld\n", op->name, med, iters);
	}
	fflush(stdout);
	return failed;
}
