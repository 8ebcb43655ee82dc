/* `umld run`: runs a command as a guest in the foreground and exits with its
 * status. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "umld/command.h"
#include "umld/conffile.h"
#include "emul/fs.h"
#include "umld/monitor.h"

static void run_help(void)
{
	printf("Usage: umld run [OPTION...] [--] COMMAND [ARG...]\n"
	       "Runs COMMAND as a guest in the foreground: stdin, stdout, stderr and the\n"
	       "terminal pass through, and umld exits with the guest's status (128+N when\n"
	       "its first process died of signal N).\n\n"
	       "Options:\n"
	       "  --intercept=MODE  how system calls reach umld: seccomp (default: a filter\n"
	       "                    traps only the calls umld handles) or sysemu (every\n"
	       "                    call stops under PTRACE_SYSEMU)\n"
	       "  --notify=auto|off emulate through seccomp user notifications where the\n"
	       "                    kernel has them (auto, the default), or always through\n"
	       "                    ptrace stops (off)\n"
	       "  --colocate=WHEN   run the monitor and the guest on one CPU: auto (while\n"
	       "                    ptrace stops are frequent; the default), always, never\n"
	       "  --hostname=NAME   the guest's host name (uname, hostname, /proc/sys/kernel)\n"
	       "  --fake-root       the guest runs as root (uid and gid 0); set*id calls\n"
	       "                    work as for root, the host's permissions still apply\n"
	       "  --virtual-pids    the guest's first process is pid 1 and sees only its own\n"
	       "                    processes (ps, /proc, kill): a PID namespace, or umld's\n"
	       "                    translation of every pid (with the emulated filesystem)\n"
	       "  --containerize=WHEN  give subsystems to host namespaces: auto (default:\n"
	       "                    where the guest cannot tell), never (always emulate),\n"
	       "                    required (fail when the host does not allow it)\n"
	       "  --root=DIR        a read-only base layer of the guest's root (repeat: lowest\n"
	       "                    first); without it, the host's /\n"
	       "  --cow=DIR         the guest's writable copy-on-write layer over the root;\n"
	       "                    without it, the root is read-only (EROFS)\n"
	       "  --bind=HOST[:GUEST][:ro]  a host directory inside the guest (repeatable)\n"
	       "  --bind-read-only=HOST[:GUEST]  the same, read-only\n"
	       "  --environment=NAME=VALUE  set a variable for the guest (repeatable)\n"
	       "  --working-directory=DIR  the guest's working directory\n"
	       "  --memory=SIZE     memory of the whole guest (cgroup where possible, else\n"
	       "                    RLIMIT_AS per process); K, M, G, T suffixes\n"
	       "  --tasks=N         processes and threads of the guest (cgroup, else\n"
	       "                    RLIMIT_NPROC)\n"
	       "  --cpu-time=SECS   CPU seconds per process (SIGXCPU, then SIGKILL)\n"
	       "  --open-files=N    open files per process\n"
	       "  --file-size=SIZE  largest file a process may write\n"
	       "  --sandbox=strict  deny what is not allowed: read-only root with a private\n"
	       "                    /tmp and /dev, no network, no capabilities, no ptrace,\n"
	       "                    mount, namespaces, bpf, io_uring or int 0x80 (umld(8))\n"
	       "  --read-only=PATH, --read-write=PATH  a host path in the guest, read-only\n"
	       "                    or writable (repeatable)\n"
	       "  --hide=PATH       the path is absent in the guest (repeatable)\n"
	       "  --network=none|loopback|host  the guest's network (strict: none)\n"
	       "  --allow=CALL,...  --deny=CALL[:ERRNO],...  calls the sandbox lets through or\n"
	       "                    denies (EPERM unless an errno is named)\n"
	       "  --timeout=DURATION  kill the guest after this wall-clock time (s, m, h)\n"
	       "  --audit=FILE|-    one JSON line per denial, to FILE or stderr\n"
	       "                    (--profile and --audit-log are the same as --sandbox\n"
	       "                    and --audit)\n"
	       "  --explain         print each subsystem's backend and why, then run\n"
	       "  --test-handlers   answer getppid (4242), uname (nodename umld-test) and\n"
	       "                    memfd_create (a ready-made memfd) from umld's test set\n"
	       "  --test-passthrough  claim ~40 common calls and let each run unchanged\n"
	       "                    (exercises the filter and both emulation paths)\n"
	       "  -v, --verbose     log more (repeat for debug)\n"
	       "  -h, --help        show this help and exit\n");
}

enum {
	OPT_INTERCEPT = 256,
	OPT_TEST_HANDLERS,
	OPT_TEST_PASSTHROUGH,
	OPT_NOTIFY,
	OPT_COLOCATE,
	OPT_HOSTNAME,
	OPT_CONTAINERIZE,
	OPT_EXPLAIN,
	OPT_VIRTUAL_PIDS,
	OPT_FAKE_ROOT,
	OPT_ROOT,
	OPT_COW,
	OPT_BIND,
	OPT_BIND_RO,
	OPT_KEY, /* an instance-file key's flag: parsed by config_set_flag */
	OPT_SANDBOX, /* --sandbox and --audit: the [Sandbox] keys Profile and AuditLog */
};

/* The caller's environment with each NAME=VALUE of add set (replaced or
 * appended); NULL when nothing is added (the caller's, unchanged). */
static char **environment_with(char **add)
{
	extern char **environ;
	size_t n = 0, extra = 0;
	char **env;

	while (add && add[extra])
		extra++;
	if (!extra)
		return NULL;
	while (environ[n])
		n++;
	env = calloc(n + extra + 1, sizeof(*env));
	if (!env)
		return NULL;
	memcpy(env, environ, n * sizeof(*env));
	for (size_t i = 0; i < extra; i++) {
		size_t klen = strcspn(add[i], "=") + 1, j;

		for (j = 0; j < n && strncmp(env[j], add[i], klen) != 0; j++)
			;
		env[j] = add[i];
		if (j == n)
			n++;
	}
	return env;
}

static int run_guest(const struct monitor_opts *o)
{
	static struct monitor m; /* large: kept off the stack */
	struct umld_err err = { 0 };
	int status;

	if (monitor_prepare(&m, o, &err) < 0 || monitor_start(&m, &err) < 0) {
		/* a started guest is killed: it never ran a line of its command */
		monitor_free(&m);
		return command_report(&err);
	}
	status = monitor_wait(&m);
	monitor_free(&m);
	return wait_status_to_exit(status);
}

static int run_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "intercept", required_argument, NULL, OPT_INTERCEPT },
		{ "test-handlers", no_argument, NULL, OPT_TEST_HANDLERS },
		{ "test-passthrough", no_argument, NULL, OPT_TEST_PASSTHROUGH },
		{ "notify", required_argument, NULL, OPT_NOTIFY },
		{ "colocate", required_argument, NULL, OPT_COLOCATE },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "containerize", required_argument, NULL, OPT_CONTAINERIZE },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ "virtual-pids", no_argument, NULL, OPT_VIRTUAL_PIDS },
		{ "fake-root", no_argument, NULL, OPT_FAKE_ROOT },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "cow", required_argument, NULL, OPT_COW },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "bind-read-only", required_argument, NULL, OPT_BIND_RO },
		{ "environment", required_argument, NULL, OPT_KEY },
		{ "working-directory", required_argument, NULL, OPT_KEY },
		{ "memory", required_argument, NULL, OPT_KEY },
		{ "tasks", required_argument, NULL, OPT_KEY },
		{ "cpu-time", required_argument, NULL, OPT_KEY },
		{ "open-files", required_argument, NULL, OPT_KEY },
		{ "file-size", required_argument, NULL, OPT_KEY },
		{ "profile", required_argument, NULL, OPT_KEY },
		{ "read-only", required_argument, NULL, OPT_KEY },
		{ "read-write", required_argument, NULL, OPT_KEY },
		{ "hide", required_argument, NULL, OPT_KEY },
		{ "network", required_argument, NULL, OPT_KEY },
		{ "allow", required_argument, NULL, OPT_KEY },
		{ "deny", required_argument, NULL, OPT_KEY },
		{ "timeout", required_argument, NULL, OPT_KEY },
		{ "audit-log", required_argument, NULL, OPT_KEY },
		{ "sandbox", required_argument, NULL, OPT_SANDBOX },
		{ "audit", required_argument, NULL, OPT_SANDBOX },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct instance_config kc; /* what the OPT_KEY flags set */
	struct monitor_opts ro;
	struct umld_err err = { 0 };
	int verbosity = 0, index = 0;
	int c;

	monitor_opts_init(&ro);
	config_init(&kc);
	opterr = 0;
	optind = 1;
	/* "+": options end at the first non-option, which is the command */
	while ((c = getopt_long(argc, argv, "+vh", opts, &index)) != -1) {
		switch (c) {
		case OPT_INTERCEPT:
			if (intercept_mode_parse(optarg, &ro.mode) < 0)
				return command_usage_error(&cmd_run,
							   "--intercept: '%s' is not a mode (seccomp or sysemu)",
							   optarg);
			break;
		case OPT_TEST_HANDLERS:
			ro.test_handlers = true;
			break;
		case OPT_TEST_PASSTHROUGH:
			ro.test_passthrough = true;
			break;
		case OPT_NOTIFY:
			if (strcmp(optarg, "auto") == 0)
				ro.notify = true;
			else if (strcmp(optarg, "off") == 0)
				ro.notify = false;
			else
				return command_usage_error(&cmd_run,
							   "--notify: '%s' is not auto or off", optarg);
			break;
		case OPT_COLOCATE:
			if (colocate_policy_parse(optarg, &ro.colocate) < 0)
				return command_usage_error(&cmd_run,
							   "--colocate: '%s' is not auto, always or never",
							   optarg);
			break;
		case OPT_HOSTNAME:
			if (!*optarg || strlen(optarg) > VK_NAME_MAX)
				return command_usage_error(&cmd_run,
							   "--hostname: '%s' must be 1 to %d bytes",
							   optarg, VK_NAME_MAX);
			ro.vk.hostname = optarg;
			break;
		case OPT_CONTAINERIZE:
			if (containerize_parse(optarg, &ro.vk.containerize) < 0)
				return command_usage_error(&cmd_run,
							   "--containerize: '%s' is not auto, never or required",
							   optarg);
			break;
		case OPT_EXPLAIN:
			ro.explain = true;
			break;
		case OPT_VIRTUAL_PIDS:
			ro.vk.virtual_pids = true;
			break;
		case OPT_FAKE_ROOT:
			ro.vk.fake_root = true;
			break;
		case OPT_ROOT:
			if (ro.vk.fs.nroots == FS_ROOTS_MAX)
				return command_usage_error(&cmd_run, "--root: at most %d layers",
							   FS_ROOTS_MAX);
			if (optarg[0] != '/')
				return command_usage_error(&cmd_run,
							   "--root: '%s' is not an absolute path", optarg);
			ro.vk.fs.roots[ro.vk.fs.nroots++] = optarg;
			break;
		case OPT_COW:
			if (optarg[0] != '/')
				return command_usage_error(&cmd_run,
							   "--cow: '%s' is not an absolute path", optarg);
			ro.vk.fs.cow = optarg;
			break;
		case OPT_BIND:
		case OPT_BIND_RO: {
			const char *why = NULL, *flag = opts[index].name;

			if (ro.vk.fs.nbinds == FS_BINDS_MAX)
				return command_usage_error(&cmd_run, "--%s: at most %d binds", flag,
							   FS_BINDS_MAX);
			if (fs_bind_parse(optarg, &ro.vk.fs.binds[ro.vk.fs.nbinds], &why) < 0)
				return command_usage_error(&cmd_run, "--%s: %s", flag, why);
			if (c == OPT_BIND_RO)
				ro.vk.fs.binds[ro.vk.fs.nbinds].ro = true;
			ro.vk.fs.nbinds++;
			break;
		}
		case OPT_KEY:
			if (config_set_flag(&kc, opts[index].name, optarg, &err) < 0)
				return command_usage_error(&cmd_run, "%s", err.msg);
			break;
		case OPT_SANDBOX: {
			char why[256];

			if (sandbox_policy_set(&kc.sandbox, opts[index].name[0] == 's' ? "Profile" :
					       "AuditLog", optarg, why, sizeof(why)) < 0)
				return command_usage_error(&cmd_run, "--%s: %s", opts[index].name, why);
			break;
		}
		case 'v':
			verbosity++;
			break;
		case 'h':
			run_help();
			return 0;
		default:
			if (optopt && optopt < 256)
				return command_usage_error(&cmd_run, "unknown option '-%c'", optopt);
			return command_usage_error(&cmd_run, "unknown or incomplete option '%s'",
						   argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return command_usage_error(&cmd_run, "no command given");
	if (ro.test_handlers && ro.test_passthrough)
		return command_usage_error(&cmd_run,
					   "--test-handlers and --test-passthrough exclude each other");
	umld_log_set_level(verbosity >= 2 ? LOG_LVL_DEBUG : verbosity ? LOG_LVL_INFO : LOG_LVL_WARN);
	ro.argv = argv + optind;
	ro.env = environment_with(kc.environment);
	if (kc.working_directory)
		ro.cwd = kc.working_directory;
	ro.limits.memory = kc.memory;
	ro.limits.tasks = kc.tasks;
	ro.limits.cpu_time = kc.cpu_time;
	ro.limits.open_files = kc.open_files;
	ro.limits.file_size = kc.file_size;
	ro.sandbox = kc.sandbox; /* kc keeps the strings */
	return run_guest(&ro);
}

const struct umld_command cmd_run = {
	.name = "run",
	.args = "[--intercept=MODE] [--hostname=NAME] [--root=DIR]... [--cow=DIR] [--bind=HOST:GUEST]... [--containerize=WHEN] [--explain] [--] COMMAND [ARG...]",
	.summary = "run a command as a guest in the foreground",
	.exec = run_exec,
};
