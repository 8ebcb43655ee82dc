/* `umld run`: runs a command as a guest in the foreground and exits with its
 * status. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "emul/handler.h"
#include "emul/vkernel.h"
#include "sysemu/engine.h"
#include "sysemu/filter.h"
#include "sysemu/notify.h"
#include "tracer/tracer.h"
#include "umld/command.h"

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
	       "  --virtual-pids    the guest's first process is pid 1 and sees only its own\n"
	       "                    processes (ps, /proc, kill)\n"
	       "  --containerize=WHEN  give subsystems to host namespaces: auto (default:\n"
	       "                    where the guest cannot tell), never (always emulate),\n"
	       "                    required (fail when the host does not allow it)\n"
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
};

/* Whether the fast path is usable: the mode, the flag, and the kernel. */
static bool want_notify(const struct engine *e, bool notify_flag)
{
	struct notify_support sup;

	if (e->mode != INTERCEPT_SECCOMP || !notify_flag || e->table->claimed == 0)
		return false;
	notify_probe(&sup);
	if (!sup.user_notif)
		log_info("seccomp user notification unavailable: emulating through ptrace stops");
	return sup.user_notif;
}

struct run_opts {
	struct vk_wants vk;
	bool explain;
	bool test_handlers;
	bool test_passthrough;
	bool notify;
	enum colocate_policy colocate;
};

/* The virtual kernel: backends, handlers, and what the child must set up. */
static int setup_vkernel(struct vkernel *vk, const struct run_opts *ro, struct emul_table *t,
			 struct spawn_ns *ns, struct umld_err *err)
{
	struct host_ns hn;
	int r;

	memset(&hn, 0, sizeof(hn));
	if (ro->vk.hostname || ro->vk.virtual_pids)
		host_ns_probe(&hn);
	r = vkernel_init(vk, &ro->vk, &hn, err);
	if (r == 0)
		r = vkernel_claim(vk, t, err);
	if (r < 0)
		return r;
	if (vk->backend[SUBSYS_UTS] == BACKEND_CONTAINER) {
		ns->clone_flags |= CLONE_NEWUTS;
		ns->hostname = ro->vk.hostname;
	}
	if (vk->backend[SUBSYS_PID] == BACKEND_CONTAINER)
		ns->clone_flags |= CLONE_NEWPID | CLONE_NEWNS;
	ns->userns = ns->clone_flags && vk->container_userns;
	if (ro->explain)
		vkernel_explain(vk, stderr);
	return 0;
}

static int run_guest(const struct engine *proto, char **cmd, const struct run_opts *ro)
{
	static struct notify_server notify;
	static struct vkernel vk;
	static struct emul_table table; /* large: kept off the stack */
	struct engine engine = *proto;
	struct filter_prog filter = { 0 };
	struct tracer tr;
	struct umld_err err = { 0 };
	char path[PATH_MAX];
	struct spawn_opts so = { .argv = cmd };
	int status, r, listener;
	bool use_notify;

	emul_table_init(&table);
	if (ro->test_handlers && emul_table_add(&table, &emul_feature_testing, &err) < 0)
		return command_report(&err);
	if (ro->test_passthrough && emul_table_add(&table, &emul_feature_passthrough, &err) < 0)
		return command_report(&err);
	if (setup_vkernel(&vk, ro, &table, &so.ns, &err) < 0)
		return command_report(&err);
	engine.table = &table;
	engine.ctx.state = &vk;

	if (spawn_resolve(cmd[0], path, sizeof(path), &err) < 0)
		return command_report(&err);
	use_notify = want_notify(&engine, ro->notify);
	/* With nothing claimed there is nothing to filter: even an allow-all
	 * filter costs every call the kernel's seccomp entry path. */
	if (engine.mode == INTERCEPT_SECCOMP && table.claimed > 0) {
		if (filter_build(&table, use_notify, &filter, &err) < 0)
			return command_report(&err);
		so.filter = &filter;
	}
	if (tracer_init(&tr, &engine, ro->colocate) < 0) {
		filter_free(&filter);
		umld_err_set(&err, -ENOMEM, "out of memory");
		return command_report(&err);
	}
	r = tracer_spawn(&tr, path, &so, &listener, &err);
	filter_free(&filter);
	if (r == 0 && listener >= 0)
		r = notify_start(&notify, listener, &table, &engine.ctx, &err);
	if (r < 0) {
		/* the guest is killed: it never ran a line of its command */
		tracer_free(&tr);
		return command_report(&err);
	}
	status = tracer_run(&tr);
	tracer_free(&tr);
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct engine engine = { .mode = INTERCEPT_SECCOMP };
	struct run_opts ro = { .notify = true, .colocate = COLOCATE_AUTO };
	int verbosity = 0;
	int c;

	opterr = 0;
	optind = 1;
	/* "+": options end at the first non-option, which is the command */
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_INTERCEPT:
			if (intercept_mode_parse(optarg, &engine.mode) < 0)
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
	return run_guest(&engine, argv + optind, &ro);
}

const struct umld_command cmd_run = {
	.name = "run",
	.args = "[--intercept=MODE] [--hostname=NAME] [--containerize=WHEN] [--explain] [--] COMMAND [ARG...]",
	.summary = "run a command as a guest in the foreground",
	.exec = run_exec,
};
