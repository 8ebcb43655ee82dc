/* `umld bench`: the cost of system calls under umld against native, in one
 * run. Each round runs the guest side (`umld bench-guest`) once natively and
 * once under umld in each mode, in a rotating order, so that drift in the
 * machine's speed spreads evenly over the modes; the figure per op and mode
 * is the median over rounds of each run's median batch. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/bench.h"
#include "umld/command.h"

struct bench_mode {
	const char *name;
	const char *what;
	const char *const *flags; /* `umld run` flags; NULL: native, no umld */
	const char *verb;         /* the umld verb that runs the guest ("run") */
	bool opt_in;              /* measured only when --modes names it */
};

static const char *const flags_pass[] = { NULL };
static const char *const flags_notify[] = { "--test-handlers", NULL };
static const char *const flags_trace[] = { "--test-handlers", "--notify=off", NULL };
static const char *const flags_sysemu[] = { "--intercept=sysemu", "--test-handlers", NULL };
static const char *const flags_vk_emul[] = { "--hostname=bench", "--virtual-pids", "--fake-root",
					    "--containerize=never", NULL };
static const char *const flags_sandbox[] = { "--sandbox=strict", NULL };
static const char *const flags_vk_cont[] = { "--hostname=bench", "--virtual-pids",
					    "--containerize=required", NULL };

/* "@cow" stands for a fresh cow layer of the run's (cow_flag) */
static const char *const flags_fs_emul[] = { "@cow", "--containerize=never", NULL };
static const char *const flags_fs_cont[] = { "@cow", "--containerize=required", NULL };

static const struct bench_mode modes[] = {
	{ .name = "native", .what = "without umld" },
	{ .name = "pass", .what = "under umld, nothing intercepted", .flags = flags_pass },
	{ .name = "notify", .what = "getppid, uname emulated through seccomp user notification",
	  .flags = flags_notify },
	{ .name = "trace", .what = "getppid, uname emulated through a ptrace stop (RET_TRACE)",
	  .flags = flags_trace },
	{ .name = "sysemu", .what = "every call stops under PTRACE_SYSEMU; getppid, uname emulated",
	  .flags = flags_sysemu },
	{ .name = "vk-emulated",
	  .what = "--hostname --virtual-pids --fake-root emulated (uname, getpid, getppid, gettid, "
		  "opens; getuid when not root)",
	  .flags = flags_vk_emul },
	{ .name = "vk-container", .what = "--hostname --virtual-pids in UTS and PID namespaces",
	  .flags = flags_vk_cont },
	{ .name = "sandbox",
	  .what = "--sandbox=strict: its wrapped calls (fork, clone, ioctl...) through the monitor; "
		  "umld itself must lie outside /tmp",
	  .flags = flags_sandbox, .opt_in = true },
	{ .name = "fs-emulated",
	  .what = "--cow over the host's root, emulated: every path resolved by umld",
	  .flags = flags_fs_emul },
	{ .name = "fs-container", .what = "--cow over the host's root, overlayfs in a mount namespace",
	  .flags = flags_fs_cont },
	{ .name = "floor-notify",
	  .what = "the bare mechanism: a minimal supervisor answers getppid by notification",
	  .flags = flags_pass, .verb = "bench-floor" },
};
#define NMODES ARRAY_SIZE(modes)
/* modes measured unless --modes says otherwise: the containerized one needs
 * a host that allows namespaces (as root, or with user namespaces) */
#define MAX_ROUNDS 50

struct sample {
	double ns[MAX_ROUNDS];
	int count;
};

/* The instance part: `umld start -d` until the guest runs, and a
 * `umld status` round trip, each as the CLI user sees it. */
enum { INST_START, INST_STATUS, INST_OPS };
static const char *const inst_ops[INST_OPS] = { "start-detach", "status" };

struct bench_run {
	const char *exe;
	char cow_flag[PATH_MAX + 16]; /* --cow=DIR, for "@cow" */
	int rounds;
	bool json;
	bool instance;
	bool op_on[64];
	bool mode_on[NMODES];
	struct sample s[NMODES][64];
	struct sample inst[INST_OPS];
};

static void bench_help(void)
{
	printf("Usage: umld bench [--rounds=N] [--ops=OP,...] [--modes=MODE,...] [--json]\n"
	       "Measures the cost per call of system calls natively and under umld, in one\n"
	       "run, interleaved, and prints the median ns per call and the ratio to native.\n\n"
	       "Options:\n"
	       "  --rounds=N      runs per mode (default 5, at most %d)\n"
	       "  --ops=LIST      only these operations (comma-separated)\n"
	       "  --modes=LIST    only these modes (native is always measured)\n"
	       "  --json          one JSON object per op and mode: op, mode, ns, ratio, ...\n"
	       "  --instance      also time umld start -d (until the guest runs) and a\n"
	       "                  umld status round trip (mode \"instance\")\n"
	       "  --workloads[=LIST]  instead of the calls, time whole programs (all, or\n"
	       "                  these) natively and under umld with --cow over the host's\n"
	       "                  root, emulated and containerized, and under\n"
	       "                  --sandbox=strict (default 3 rounds);\n"
	       "                  an output that differs from native fails the run\n"
	       "  -h, --help      show this help and exit\n\nOperations:\n",
	       MAX_ROUNDS);
	for (size_t i = 0; i < bench_nops; i++)
		printf("  %-17s %s\n", bench_ops[i].name, bench_ops[i].what);
	printf("\nWorkloads (--workloads):\n");
	bench_workloads_help(stdout);
	printf("\nModes:\n");
	for (size_t i = 0; i < NMODES; i++)
		printf("  %-8s %s\n", modes[i].name, modes[i].what);
}

/* Runs one guest and folds its lines into the samples of mode m. */
static int run_once(struct bench_run *b, size_t m)
{
	char *argv[32];
	int argc = 0, pipefd[2], status;
	char line[256];
	FILE *f;
	pid_t pid;

	if (modes[m].flags) {
		argv[argc++] = (char *)b->exe;
		argv[argc++] = (char *)(modes[m].verb ? modes[m].verb : "run");
		for (const char *const *fl = modes[m].flags; *fl; fl++)
			argv[argc++] = strcmp(*fl, "@cow") == 0 ? b->cow_flag : (char *)*fl;
		argv[argc++] = (char *)"--";
	}
	argv[argc++] = (char *)b->exe;
	argv[argc++] = (char *)"bench-guest";
	for (size_t i = 0; i < bench_nops && argc < 30; i++)
		if (b->op_on[i])
			argv[argc++] = (char *)bench_ops[i].name;
	argv[argc] = NULL;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execv(b->exe, argv);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		char name[64];
		double ns;
		long iters;

		if (sscanf(line, "%63s %lf %ld", name, &ns, &iters) != 3)
			continue;
		for (size_t i = 0; i < bench_nops; i++) {
			struct sample *s = &b->s[m][i];
			if (strcmp(bench_ops[i].name, name) == 0 && s->count < MAX_ROUNDS)
				s->ns[s->count++] = ns;
		}
	}
	if (f)
		fclose(f);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECHILD;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Runs the umld binary with args, output discarded; its exit status. */
static int run_umld(const char *exe, char *const *args)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(exe, args);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void add_sample(struct sample *s, double ns)
{
	if (s->count < MAX_ROUNDS)
		s->ns[s->count++] = ns;
}

/* One round of the instance part. */
static int instance_round(struct bench_run *b)
{
	char conf[] = "/tmp/umld-bench-XXXXXX";
	char name[64], text[256];
	char *start[] = { (char *)b->exe, (char *)"start", (char *)"-d", conf, NULL };
	char *status[] = { (char *)b->exe, (char *)"status", (char *)"--json", name, NULL };
	char *kill_[] = { (char *)b->exe, (char *)"kill", name, NULL };
	char *stop[] = { (char *)b->exe, (char *)"stop", (char *)"--timeout=1", name, NULL };
	long long t;
	int fd = mkstemp(conf), r = 0;

	if (fd < 0)
		return -errno;
	snprintf(name, sizeof(name), "umld-bench-%d", (int)getpid());
	snprintf(text, sizeof(text), "[Instance]\nName=%s\n[Exec]\nCommand=/bin/sleep 1000\n", name);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		r = -EIO;
	close(fd);
	t = now_ns();
	if (r == 0 && run_umld(b->exe, start) != 0)
		r = -ECHILD;
	if (r == 0) {
		add_sample(&b->inst[INST_START], (double)(now_ns() - t));
		t = now_ns();
		if (run_umld(b->exe, status) == 0)
			add_sample(&b->inst[INST_STATUS], (double)(now_ns() - t));
		run_umld(b->exe, kill_);
		run_umld(b->exe, stop);
	}
	unlink(conf);
	return r;
}

void bench_cell(char *cell, size_t size, double v, double native, bool is_native)
{
	if (v < 0)
		snprintf(cell, size, "failed");
	else if (is_native)
		snprintf(cell, size, "%.1f", v);
	else
		snprintf(cell, size, "%.1f (%.2fx)", v, native > 0 ? v / native : 0.0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(struct sample *s)
{
	if (s->count == 0)
		return -1;
	qsort(s->ns, (size_t)s->count, sizeof(double), cmp_double);
	return s->count % 2 ? s->ns[s->count / 2]
			    : (s->ns[s->count / 2 - 1] + s->ns[s->count / 2]) / 2;
}

static void print_table(struct bench_run *b, double med[NMODES][64])
{
	printf("%-16s", "op (ns/call)");
	for (size_t m = 0; m < NMODES; m++)
		if (b->mode_on[m])
			printf(" %16s", modes[m].name);
	printf("\n");
	for (size_t i = 0; i < bench_nops; i++) {
		if (!b->op_on[i])
			continue;
		printf("%-16s", bench_ops[i].name);
		for (size_t m = 0; m < NMODES; m++) {
			char cell[40];
			if (!b->mode_on[m])
				continue;
			bench_cell(cell, sizeof(cell), med[m][i], med[0][i], m == 0);
			printf(" %16s", cell);
		}
		printf("\n");
	}
	printf("\n%d rounds; each figure is the median over rounds of the median of 9 batches.\n",
	       b->rounds);
	if (b->instance)
		printf("instance: umld start -d until the guest runs %.1f ms, umld status round "
		       "trip %.1f ms (medians)\n", median(&b->inst[INST_START]) / 1e6,
		       median(&b->inst[INST_STATUS]) / 1e6);
}

static void print_json(struct bench_run *b, double med[NMODES][64])
{
	struct utsname u;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	uname(&u);
	for (int k = 0; b->instance && k < INST_OPS; k++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "op", json_object_new_string(inst_ops[k]));
		json_object_object_add(o, "mode", json_object_new_string("instance"));
		json_object_object_add(o, "ns", json_object_new_double(median(&b->inst[k])));
		json_object_object_add(o, "rounds", json_object_new_int(b->inst[k].count));
		json_object_object_add(o, "kernel", json_object_new_string(u.release));
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	for (size_t i = 0; i < bench_nops; i++) {
		if (!b->op_on[i])
			continue;
		for (size_t m = 0; m < NMODES; m++) {
			json_object *o;
			if (!b->mode_on[m] || med[m][i] < 0)
				continue;
			o = json_object_new_object();
			json_object_object_add(o, "op", json_object_new_string(bench_ops[i].name));
			json_object_object_add(o, "mode", json_object_new_string(modes[m].name));
			json_object_object_add(o, "ns", json_object_new_double(med[m][i]));
			json_object_object_add(o, "ratio", json_object_new_double(
				med[0][i] > 0 ? med[m][i] / med[0][i] : 0));
			json_object_object_add(o, "rounds", json_object_new_int(b->s[m][i].count));
			json_object_object_add(o, "ns_min", json_object_new_double(b->s[m][i].ns[0]));
			json_object_object_add(o, "ns_max", json_object_new_double(
				b->s[m][i].ns[b->s[m][i].count - 1]));
			json_object_object_add(o, "kernel", json_object_new_string(u.release));
			json_object_object_add(o, "cpus", json_object_new_int((int)ncpu));
			printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		}
	}
}

/* Marks the names of a comma-separated list; returns the unknown one or NULL. */
static const char *select_names(char *list, bool *on, size_t n, const char *(*name_of)(size_t))
{
	for (char *save = NULL, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(w, name_of(i)) == 0)
				break;
		if (i == n)
			return w;
		on[i] = true;
	}
	return NULL;
}

static const char *op_name(size_t i)
{
	return bench_ops[i].name;
}

static const char *mode_name(size_t i)
{
	return modes[i].name;
}

static int run_rounds(struct bench_run *b, double med[NMODES][64]);

static int bench_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "ops", required_argument, NULL, 'o' },
		{ "modes", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "instance", no_argument, NULL, 'i' },
		{ "workloads", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct bench_run b;
	static double med[NMODES][64];
	char exe[PATH_MAX];
	bool any_op = false, any_mode = false, workloads = false, rounds_given = false;
	bool work_on[16] = { false };
	ssize_t n;
	int c, r;

	memset(&b, 0, sizeof(b));
	b.rounds = 5;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		const char *bad;
		switch (c) {
		case 'r':
			b.rounds = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg || b.rounds < 1 || b.rounds > MAX_ROUNDS)
				return command_usage_error(&cmd_bench,
							   "--rounds: '%s' is not a number from 1 to %d",
							   optarg, MAX_ROUNDS);
			rounds_given = true;
			break;
		case 'w':
			workloads = true;
			if (!optarg) {
				for (size_t k = 0; k < bench_nworkloads(); k++)
					work_on[k] = true;
				break;
			}
			bad = select_names(optarg, work_on, bench_nworkloads(), bench_workload_name);
			if (bad)
				return command_usage_error(&cmd_bench, "--workloads: unknown workload '%s'",
							   bad);
			break;
		case 'o':
			bad = select_names(optarg, b.op_on, bench_nops, op_name);
			if (bad)
				return command_usage_error(&cmd_bench, "--ops: unknown operation '%s'", bad);
			any_op = true;
			break;
		case 'm':
			bad = select_names(optarg, b.mode_on, NMODES, mode_name);
			if (bad)
				return command_usage_error(&cmd_bench, "--modes: unknown mode '%s'", bad);
			any_mode = true;
			break;
		case 'j':
			b.json = true;
			break;
		case 'i':
			b.instance = true;
			break;
		case 'h':
			bench_help();
			return 0;
		default:
			return command_usage_error(&cmd_bench, "unknown or incomplete option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return command_usage_error(&cmd_bench, "unexpected argument '%s'", argv[optind]);
	for (size_t i = 0; !any_op && i < bench_nops; i++)
		b.op_on[i] = true;
	for (size_t m = 0; !any_mode && m < NMODES; m++)
		b.mode_on[m] = !modes[m].opt_in;
	b.mode_on[0] = true; /* ratios need native */

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		fprintf(stderr, "umld: bench: cannot find the umld binary: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	b.exe = exe;
	if (workloads)
		return bench_workloads(exe, rounds_given ? b.rounds : 3, b.json, work_on);
	{
		const char *tmp = bench_tmp();
		struct privdir dir;

		r = bench_make_dir(&dir, tmp, "bench-cow");
		if (r < 0) {
			fprintf(stderr, "umld: bench: cannot make a directory in %s: %s\n", tmp,
				strerror(-r));
			return 1;
		}
		snprintf(b.cow_flag, sizeof(b.cow_flag), "--cow=%s/cow", dir.path);
		r = run_rounds(&b, med);
		privdir_remove(&dir);
		return r;
	}
}

static int run_rounds(struct bench_run *b, double med[NMODES][64])
{
	for (int r = 0; r < b->rounds; r++) {
		for (size_t k = 0; k < NMODES; k++) {
			size_t m = (k + (size_t)r) % NMODES;
			if (!b->mode_on[m])
				continue;
			if (!b->json && isatty(STDERR_FILENO))
				fprintf(stderr, "\rround %d/%d: %-8s", r + 1, b->rounds, modes[m].name);
			if (run_once(b, m) < 0)
				fprintf(stderr, "\numld: bench: the %s run of round %d failed\n",
					modes[m].name, r + 1);
		}
		if (b->instance && instance_round(b) < 0)
			fprintf(stderr, "\numld: bench: the instance part of round %d failed\n", r + 1);
	}
	if (!b->json && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%40s\r", "");
	for (size_t m = 0; m < NMODES; m++)
		for (size_t i = 0; i < bench_nops; i++)
			med[m][i] = median(&b->s[m][i]);
	if (b->json)
		print_json(b, med);
	else
		print_table(b, med);
	for (size_t m = 0; m < NMODES; m++)
		for (size_t i = 0; i < bench_nops; i++)
			if (b->mode_on[m] && b->op_on[i] && med[m][i] < 0)
				return 1;
	return 0;
}

const char *bench_tmp(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

int bench_make_dir(struct privdir *dir, const char *tmp, const char *kind)
{
	/* those of benches killed (^C) before they removed theirs first */
	privdir_sweep(tmp, kind);
	return privdir_make(dir, tmp, kind, 0700);
}

const struct umld_command cmd_bench = {
	.name = "bench",
	.args = "[--rounds=N] [--ops=OP,...] [--modes=MODE,...] [--instance] [--workloads[=W,...]] [--json]",
	.summary = "measure system-call costs under umld against native",
	.exec = bench_exec,
};

static int bench_guest_exec(int argc, char **argv)
{
	return bench_guest_main(argc, argv);
}

const struct umld_command cmd_bench_guest = {
	.name = "bench-guest",
	.args = "[OP...]",
	.summary = NULL, /* internal: the guest side of `umld bench` */
	.exec = bench_guest_exec,
};
