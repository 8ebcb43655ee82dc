/* `umld bench --workloads`: whole programs natively and under umld with a
 * copy-on-write layer over the host's root, in each filesystem backend, in
 * one run. Each round runs every workload once per mode, the modes in a
 * rotating order; a round before the first warms the page cache and is not
 * counted. The figure is the median wall time over rounds, umld's start
 * included; a workload whose output under umld differs from native is a
 * failure (exit 1), not a number. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <cap-ng.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/bench.h"

/* Each runs as `sh -c COMMAND` with $W the workload directory (the same
 * path inside the guest: bound there read-write). */
static const struct bench_workload {
	const char *name;
	const char *what;
	const char *command;
} workloads[] = {
	{ "find", "find /usr | wc -l", "find /usr | wc -l" },
	{ "tar", "tar cf - /usr/include | wc -c", "tar cf - /usr/include 2>/dev/null | wc -c" },
	{ "gcc", "gcc -O2: compile and link a small program",
	  "gcc -O2 -o \"$W/hello\" \"$W/hello.c\" && \"$W/hello\"" },
	{ "make", "make -j2 -B: 20 C files and a link",
	  "make -s -j2 -B -C \"$W/proj\" && \"$W/proj/prog\"" },
	{ "exec", "1000 fork+exec of /bin/true from sh",
	  "i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i + 1)); done; echo $i" },
};
#define NWORK ARRAY_SIZE(workloads)

static const struct work_mode {
	const char *name;
	const char *what;
	const char *containerize; /* NULL: native */
	bool strict;              /* --sandbox=strict, $W read-write, no --cow */
} work_modes[] = {
	{ "native", "without umld", NULL, false },
	{ "emulated", "umld run --cow=DIR --containerize=never (paths resolved by umld)",
	  "never", false },
	{ "container", "umld run --cow=DIR --containerize=required (overlayfs, pivot_root)",
	  "required", false },
	{ "sandbox", "umld run --sandbox=strict --read-write=DIR (the backend auto chooses; output held to a native run without capabilities)",
	  "auto", true },
};
#define NWMODES ARRAY_SIZE(work_modes)
#define WORK_ROUNDS_MAX 50

struct work_run {
	const char *exe;
	char dir[PATH_MAX]; /* $W */
	int rounds;
	bool json;
	bool on[NWORK];
	bool mode_ok[NWMODES];
	char why[NWMODES][256];    /* a mode that cannot run here: why */
	char *expect[NWORK];       /* native output */
	char *expect_nocaps[NWORK]; /* native without capabilities (the sandbox's truth) */
	bool mismatch[NWMODES][NWORK];
	double ms[NWMODES][NWORK][WORK_ROUNDS_MAX];
	int count[NWMODES][NWORK];
};

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -errno;
	return r;
}

/* The sources the gcc and make workloads build. */
static int make_sources(const char *w)
{
	char proj[PATH_MAX + 8], text[1024], name[32];
	int r;

	r = write_file(w, "hello.c",
		       "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
		       "static int cmp(const void *a, const void *b)\n"
		       "{ return *(const int *)a - *(const int *)b; }\n"
		       "int main(void)\n{\n\tint v[64];\n"
		       "\tfor (int i = 0; i < 64; i++) v[i] = (i * 37) % 64;\n"
		       "\tqsort(v, 64, sizeof(v[0]), cmp);\n"
		       "\tprintf(\"hello %d %d\\n\", v[0], v[63]);\n\treturn 0;\n}\n");
	snprintf(proj, sizeof(proj), "%s/proj", w);
	if (r == 0 && mkdir(proj, 0755) < 0 && errno != EEXIST)
		r = -errno;
	for (int i = 1; r == 0 && i <= 20; i++) {
		snprintf(name, sizeof(name), "f%02d.c", i);
		snprintf(text, sizeof(text),
			 "#include <string.h>\n"
			 "unsigned long f%02d(const char *s)\n{\n\tunsigned long h = %d;\n"
			 "\tfor (size_t i = 0; i < strlen(s); i++)\n"
			 "\t\th = h * 31 + (unsigned char)s[i];\n\treturn h;\n}\n",
			 i, i);
		r = write_file(proj, name, text);
	}
	if (r == 0) {
		size_t n = 0;

		n += (size_t)snprintf(text + n, sizeof(text) - n, "#include <stdio.h>\n");
		for (int i = 1; i <= 20; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "unsigned long f%02d(const char *);\n", i);
		snprintf(text + n, sizeof(text) - n,
			 "int main(void)\n{\n\tunsigned long h = 0;\n"
			 "\th ^= f01(\"a\") ^ f20(\"b\");\n\tprintf(\"prog %%lu\\n\", h %% 1000);\n"
			 "\treturn 0;\n}\n");
		r = write_file(proj, "main.c", text);
	}
	if (r == 0)
		r = write_file(proj, "Makefile",
			       "SRCS := main.c $(wildcard f*.c)\n"
			       "prog: $(SRCS:.c=.o)\n\t$(CC) -o $@ $^\n"
			       "%.o: %.c\n\t$(CC) -O2 -c -o $@ $<\n");
	return r;
}

/* The `umld run` words of mode m (none for native) into argv, with their
 * buffers in a; returns how many. */
struct mode_args {
	char cow[PATH_MAX + 32], bind[PATH_MAX + 32], ctz[64];
};

static int mode_argv(const struct work_run *b, size_t m, struct mode_args *a, char **argv)
{
	int argc = 0;

	if (!work_modes[m].containerize)
		return 0;
	snprintf(a->cow, sizeof(a->cow), "--cow=%s/cow-%s", b->dir, work_modes[m].name);
	snprintf(a->bind, sizeof(a->bind), "--%s=%s", work_modes[m].strict ? "read-write" : "bind",
		 b->dir);
	snprintf(a->ctz, sizeof(a->ctz), "--containerize=%s", work_modes[m].containerize);
	argv[argc++] = (char *)b->exe;
	argv[argc++] = (char *)"run";
	if (work_modes[m].strict)
		argv[argc++] = (char *)"--sandbox=strict";
	else
		argv[argc++] = a->cow;
	argv[argc++] = a->bind;
	argv[argc++] = a->ctz;
	argv[argc++] = (char *)"--";
	return argc;
}

/* Runs workload k in mode m once; its wall time in *ms and stdout in *out.
 * With nocaps (native only), the program runs without any capability, as
 * the strict sandbox runs it: the truth its output is held to (find meets
 * root's mode-0700 directories that only CAP_DAC_OVERRIDE reads). */
static int run_one(struct work_run *b, size_t m, size_t k, bool nocaps, double *ms, char **out)
{
	struct mode_args a;
	char *argv[16];
	int argc = mode_argv(b, m, &a, argv), pipefd[2], status;
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	long long t;
	pid_t pid;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	argv[argc++] = (char *)"/bin/sh";
	argv[argc++] = (char *)"-c";
	argv[argc++] = (char *)workloads[k].command;
	argv[argc] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		free(buf);
		return -errno;
	}
	t = mono_ns();
	pid = fork();
	if (pid < 0) {
		free(buf);
		return -errno;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		setenv("W", b->dir, 1);
		if (nocaps) {
			capng_clear(CAPNG_SELECT_ALL);
			if (capng_apply(CAPNG_SELECT_ALL) < 0 && capng_apply(CAPNG_SELECT_CAPS) < 0)
				_exit(126);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf + len, cap - len - 1)) > 0 || (n < 0 && errno == EINTR)) {
		if (n < 0)
			continue;
		len += (size_t)n;
		if (len + 1 == cap) {
			char *more = realloc(buf, cap * 2);
			if (!more)
				break;
			buf = more;
			cap *= 2;
		}
	}
	close(pipefd[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ms = (double)(mono_ns() - t) / 1e6;
	*out = buf;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

/* Whether mode m can run here: a trial of `true` with the same words, and
 * umld's error (its first line) when not. */
static void probe_mode(struct work_run *b, size_t m)
{
	struct mode_args a;
	char *argv[16];
	int argc = mode_argv(b, m, &a, argv), pipefd[2], status;
	pid_t pid;
	ssize_t n;

	b->mode_ok[m] = true;
	if (argc == 0)
		return;
	argv[argc++] = (char *)"true";
	argv[argc] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		execv(b->exe, argv);
		_exit(127);
	}
	close(pipefd[1]);
	n = read(pipefd[0], b->why[m], sizeof(b->why[m]) - 1);
	close(pipefd[0]);
	b->why[m][n > 0 ? n : 0] = '\0';
	b->why[m][strcspn(b->why[m], "\n")] = '\0';
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		b->mode_ok[m] = false;
}

static int cmp_ms(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_ms(double *v, int n)
{
	if (n == 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_ms);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(struct work_run *b)
{
	double med[NWMODES][NWORK];

	for (size_t m = 0; m < NWMODES; m++)
		for (size_t k = 0; k < NWORK; k++)
			med[m][k] = median_ms(b->ms[m][k], b->count[m][k]);
	if (b->json) {
		for (size_t k = 0; k < NWORK; k++) {
			for (size_t m = 0; b->on[k] && m < NWMODES; m++) {
				json_object *o = json_object_new_object();

				json_object_object_add(o, "workload", json_object_new_string(workloads[k].name));
				json_object_object_add(o, "command", json_object_new_string(workloads[k].what));
				json_object_object_add(o, "mode", json_object_new_string(work_modes[m].name));
				json_object_object_add(o, "rounds", json_object_new_int(b->count[m][k]));
				if (!b->mode_ok[m]) {
					json_object_object_add(o, "unavailable", json_object_new_string(b->why[m]));
				} else if (b->mismatch[m][k] || med[m][k] < 0) {
					json_object_object_add(o, "error", json_object_new_string(
						b->mismatch[m][k] ? "output differs from native" : "failed"));
				} else {
					json_object_object_add(o, "ms", json_object_new_double(med[m][k]));
					if (med[0][k] > 0)
						json_object_object_add(o, "ratio", json_object_new_double(
							med[m][k] / med[0][k]));
				}
				printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
				json_object_put(o);
			}
		}
		return;
	}
	printf("%-10s", "workload (ms)");
	for (size_t m = 0; m < NWMODES; m++)
		printf(" %16s", work_modes[m].name);
	printf("\n");
	for (size_t k = 0; k < NWORK; k++) {
		if (!b->on[k])
			continue;
		printf("%-13s", workloads[k].name);
		for (size_t m = 0; m < NWMODES; m++) {
			char cell[64];

			if (!b->mode_ok[m])
				snprintf(cell, sizeof(cell), "-");
			else if (b->mismatch[m][k])
				snprintf(cell, sizeof(cell), "WRONG OUTPUT");
			else
				bench_cell(cell, sizeof(cell), med[m][k], med[0][k], m == 0);
			printf(" %16s", cell);
		}
		printf("\n");
	}
	printf("\n%d rounds (after one warm-up); median wall time, umld's start included.\n",
	       b->rounds);
	for (size_t k = 0; k < NWORK; k++)
		if (b->on[k])
			printf("  %-6s %s\n", workloads[k].name, workloads[k].what);
	for (size_t m = 0; m < NWMODES; m++)
		printf("  %-9s %s%s%s\n", work_modes[m].name, work_modes[m].what,
		       b->mode_ok[m] ? "" : ": unavailable here: ", b->mode_ok[m] ? "" : b->why[m]);
}

const char *bench_workload_name(size_t i)
{
	return i < NWORK ? workloads[i].name : NULL;
}

size_t bench_nworkloads(void)
{
	return NWORK;
}

void bench_workloads_help(FILE *out)
{
	for (size_t k = 0; k < NWORK; k++)
		fprintf(out, "  %-17s %s\n", workloads[k].name, workloads[k].what);
}

int bench_workloads(const char *exe, int rounds, bool json, const bool *on)
{
	static struct work_run b;
	const char *tmp = bench_tmp();
	struct privdir dir;
	int failed = 0, made;

	memset(&b, 0, sizeof(b));
	b.exe = exe;
	b.rounds = rounds > WORK_ROUNDS_MAX - 1 ? WORK_ROUNDS_MAX - 1 : rounds;
	b.json = json;
	memcpy(b.on, on, sizeof(b.on));
	made = bench_make_dir(&dir, tmp, "bench-work");
	if (made < 0) {
		fprintf(stderr, "umld: bench: cannot make the workload directory in %s: %s\n", tmp,
			strerror(-made));
		return 1;
	}
	memcpy(b.dir, dir.path, sizeof(b.dir));
	if (make_sources(b.dir) < 0) {
		fprintf(stderr, "umld: bench: cannot fill the workload directory %s: %s\n", b.dir,
			strerror(errno));
		privdir_remove(&dir);
		return 1;
	}
	for (size_t m = 0; m < NWMODES; m++)
		probe_mode(&b, m);
	for (int r = 0; r <= b.rounds; r++) {
		for (size_t i = 0; i < NWMODES; i++) {
			size_t m = (i + (size_t)r) % NWMODES;

			for (size_t k = 0; b.mode_ok[m] && k < NWORK; k++) {
				double ms = 0; /* set where e == 0 (gcc cannot tell) */
				char *out = NULL;
				int e;

				if (!b.on[k])
					continue;
				if (!json && isatty(STDERR_FILENO))
					fprintf(stderr, "\rround %d/%d: %-9s %-6s", r, b.rounds,
						work_modes[m].name, workloads[k].name);
				e = run_one(&b, m, k, false, &ms, &out);
				if (e == 0 && m == 0 && !b.expect[k]) {
					b.expect[k] = out;
					out = NULL;
				} else if (e == 0) {
					/* the sandbox's truth: native without capabilities */
					char **want = work_modes[m].strict ? &b.expect_nocaps[k]
									   : &b.expect[k];
					double ignored;

					if (!*want && work_modes[m].strict &&
					    run_one(&b, 0, k, true, &ignored, want) < 0)
						b.mismatch[m][k] = true;
					if (*want && strcmp(out, *want) != 0)
						b.mismatch[m][k] = true;
				}
				if (e == 0 && r > 0)
					b.ms[m][k][b.count[m][k]++] = ms;
				free(out);
			}
		}
	}
	if (!json && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%50s\r", "");
	report(&b);
	for (size_t m = 0; m < NWMODES; m++)
		for (size_t k = 0; b.mode_ok[m] && k < NWORK; k++)
			if (b.on[k] && (b.mismatch[m][k] || b.count[m][k] < b.rounds))
				failed = 1;
	for (size_t k = 0; k < NWORK; k++) {
		free(b.expect[k]);
		free(b.expect_nocaps[k]);
	}
	privdir_remove(&dir);
	return failed;
}
