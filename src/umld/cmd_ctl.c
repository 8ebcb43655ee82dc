/* The commands that talk to a running instance's monitor through its control
 * socket: list, status, stop, kill, pause, resume, logs. Each is one
 * struct umld_command; they share the name check and the call. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/command.h"
#include "umld/control.h"
#include "umld/statedir.h"

/* Sends {"cmd": cmd, ...extra} to NAME's monitor. */
static int call(const char *name, const char *cmd, json_object *extra, json_object **resp,
		int *rfd, struct umld_err *err)
{
	char sock[PATH_MAX];
	json_object *req = extra ? extra : json_object_new_object();
	int nfds = 0, r;

	if (statedir_path(name, STATEDIR_SOCK, sock, sizeof(sock), err) < 0) {
		json_object_put(req);
		return -EINVAL;
	}
	if (access(sock, F_OK) < 0) {
		json_object_put(req);
		umld_err_set(err, -ESRCH, "no instance named %s is running", name);
		return -ESRCH;
	}
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	r = control_call_fds(sock, req, NULL, 0, resp, rfd, rfd ? &nfds : NULL, err);
	json_object_put(req);
	if (r == -ECONNREFUSED || r == -ENOENT) {
		err->exit_status = UMLD_EXIT_FAILURE;
		snprintf(err->msg, sizeof(err->msg), "no instance named %s is running", name);
	}
	if (r == 0 && rfd && nfds == 0)
		*rfd = -1;
	return r;
}

/* Parses "umld VERB [--json] NAME" style arguments. */
static int name_args(const struct umld_command *c, int argc, char **argv, bool *json,
		     const char **name, const char *help)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'j' && json) {
			*json = true;
		} else if (ch == 'h') {
			printf("Usage: umld %s %s\n%s\n", c->name, c->args, help);
			return 0;
		} else {
			return command_usage_error(c, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return command_usage_error(c, optind >= argc ? "no instance name given"
							     : "one instance name only");
	*name = argv[optind];
	if (!statedir_name_ok(*name))
		return command_usage_error(c, "'%s' is not an instance name", *name);
	return -1; /* go on */
}

/* ---- list ---- */

struct list_ctx {
	bool json;
	int count;
};

static int list_one(const char *name, const char *dir, bool alive, pid_t pid, void *arg)
{
	struct list_ctx *lc = arg;
	json_object *resp = NULL;
	struct umld_err err = { 0 };
	const char *state = alive ? "unreachable" : "dead (cleaned)";

	if (alive && call(name, "status", NULL, &resp, NULL, &err) == 0)
		state = json_object_get_string(json_object_object_get(resp, "state"));
	if (lc->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "state", json_object_new_string(state));
		json_object_object_add(o, "monitor_pid", json_object_new_int(pid));
		if (resp) {
			json_object_object_add(o, "pid", json_object_get(json_object_object_get(resp, "pid")));
			json_object_object_add(o, "started",
					       json_object_get(json_object_object_get(resp, "started")));
		}
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		if (lc->count == 0)
			printf("%-20s %-16s %8s %8s  %s\n", "NAME", "STATE", "MONITOR", "PID", "STARTED");
		printf("%-20s %-16s %8d %8s  %s\n", name, state, (int)pid,
		       resp ? json_object_get_string(json_object_object_get(resp, "pid")) : "-",
		       resp ? json_object_get_string(json_object_object_get(resp, "started")) : "-");
	}
	lc->count++;
	json_object_put(resp);
	return 0;
}

static int list_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct list_ctx lc = { 0 };
	struct umld_err err = { 0 };
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 'j') {
			lc.json = true;
		} else if (ch == 'h') {
			printf("Usage: umld list [--json]\nLists the running instances; folders "
			       "left by dead monitors are reported once and removed.\n");
			return 0;
		} else {
			return command_usage_error(&cmd_list, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return command_usage_error(&cmd_list, "unexpected argument '%s'", argv[optind]);
	if (statedir_list(true, list_one, &lc, &err) < 0)
		return command_report(&err);
	return 0;
}

const struct umld_command cmd_list = {
	.name = "list",
	.args = "[--json]",
	.summary = "list the running instances",
	.exec = list_exec,
};

/* ---- status ---- */

static int status_exec(int argc, char **argv)
{
	struct umld_err err = { 0 };
	json_object *resp = NULL, *subs;
	const char *name;
	bool json = false;
	int r = name_args(&cmd_status, argc, argv, &json, &name,
			  "Shows an instance's state, pids, start time, backends and resource use.");

	if (r >= 0)
		return r;
	if (call(name, "status", NULL, &resp, NULL, &err) < 0)
		return command_report(&err);
	json_object_object_del(resp, "ok");
	if (json) {
		printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	} else {
		printf("name:      %s\nstate:     %s\nmonitor:   %s\npid:       %s (in the guest: %s)\n"
		       "started:   %s\ntasks:     %s\nintercept: %s\n",
		       json_object_get_string(json_object_object_get(resp, "name")),
		       json_object_get_string(json_object_object_get(resp, "state")),
		       json_object_get_string(json_object_object_get(resp, "monitor_pid")),
		       json_object_get_string(json_object_object_get(resp, "pid")),
		       json_object_get_string(json_object_object_get(resp, "guest_pid")),
		       json_object_get_string(json_object_object_get(resp, "started")),
		       json_object_get_string(json_object_object_get(resp, "tasks")),
		       json_object_get_string(json_object_object_get(resp, "intercept")));
		if (json_object_object_get(resp, "cpu_seconds"))
			printf("cpu:       %.2f s\nmemory:    %lld bytes resident\n",
			       json_object_get_double(json_object_object_get(resp, "cpu_seconds")),
			       (long long)json_object_get_int64(json_object_object_get(resp, "rss_bytes")));
		subs = json_object_object_get(resp, "limits");
		if (subs)
			printf("limits:    %s: %s\n",
			       json_object_get_string(json_object_object_get(subs, "backend")),
			       json_object_get_string(json_object_object_get(subs, "why")));
		if (subs && json_object_object_get(subs, "memory_bytes"))
			printf("cgroup:    %lld bytes of memory in use\n",
			       (long long)json_object_get_int64(json_object_object_get(subs, "memory_bytes")));
		subs = json_object_object_get(resp, "subsystems");
		json_object_object_foreach(subs, sub, val) {
			printf("%-10s %s: %s\n", sub,
			       json_object_get_string(json_object_object_get(val, "backend")),
			       json_object_get_string(json_object_object_get(val, "why")));
		}
	}
	json_object_put(resp);
	return 0;
}

const struct umld_command cmd_status = {
	.name = "status",
	.args = "[--json] NAME",
	.summary = "show an instance's state and resource use",
	.exec = status_exec,
};

/* ---- stop ---- */

static int stop_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct umld_err err = { 0 };
	json_object *resp = NULL, *req;
	char dir[PATH_MAX];
	long timeout = 10;
	char *end;
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (ch == 't') {
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 0 || timeout > 3600)
				return command_usage_error(&cmd_stop,
							   "--timeout: '%s' is not 0 to 3600 seconds", optarg);
		} else if (ch == 'h') {
			printf("Usage: umld stop [--timeout=SECONDS] NAME\nSends SIGTERM to the "
			       "instance's first process and SIGKILL to everything left after the\n"
			       "timeout (default 10 s); returns when the instance is gone.\n");
			return 0;
		} else {
			return command_usage_error(&cmd_stop, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1 || !statedir_name_ok(argv[optind]))
		return command_usage_error(&cmd_stop, "one instance name, please");
	req = json_object_new_object();
	json_object_object_add(req, "timeout", json_object_new_int((int)timeout));
	if (call(argv[optind], "stop", req, &resp, NULL, &err) < 0)
		return command_report(&err);
	json_object_put(resp);
	if (statedir_path(argv[optind], NULL, dir, sizeof(dir), &err) < 0)
		return command_report(&err);
	if (statedir_wait_released(dir, (int)(timeout + 5) * 1000) < 0) {
		umld_err_set(&err, -ETIMEDOUT, "instance %s did not end within %ld s", argv[optind],
			     timeout + 5);
		return command_report(&err);
	}
	return 0;
}

const struct umld_command cmd_stop = {
	.name = "stop",
	.args = "[--timeout=SECONDS] NAME",
	.summary = "stop an instance (SIGTERM, then SIGKILL after a timeout)",
	.exec = stop_exec,
};

/* ---- kill ---- */

static int kill_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "signal", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct umld_err err = { 0 };
	json_object *resp = NULL, *req;
	int sig = SIGKILL, ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (ch == 's') {
			char *end;
			long n = strtol(optarg, &end, 10);
			const char *nm = strncmp(optarg, "SIG", 3) == 0 ? optarg + 3 : optarg;
			sig = 0;
			if (!*end && end != optarg && n > 0 && n < NSIG)
				sig = (int)n;
			for (int s = 1; !sig && s < NSIG; s++)
				if (sigabbrev_np(s) && strcmp(sigabbrev_np(s), nm) == 0)
					sig = s;
			if (!sig)
				return command_usage_error(&cmd_kill, "--signal: '%s' is not a signal",
							   optarg);
		} else if (ch == 'h') {
			printf("Usage: umld kill [--signal=SIG] NAME\nSends SIG (default KILL) to the "
			       "instance's first process; when it dies the instance ends.\n");
			return 0;
		} else {
			return command_usage_error(&cmd_kill, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1 || !statedir_name_ok(argv[optind]))
		return command_usage_error(&cmd_kill, "one instance name, please");
	req = json_object_new_object();
	json_object_object_add(req, "signal", json_object_new_int(sig));
	if (call(argv[optind], "kill", req, &resp, NULL, &err) < 0)
		return command_report(&err);
	json_object_put(resp);
	return 0;
}

const struct umld_command cmd_kill = {
	.name = "kill",
	.args = "[--signal=SIG] NAME",
	.summary = "send a signal to an instance's first process",
	.exec = kill_exec,
};

/* ---- pause, resume ---- */

/* Waits until status reports every task frozen (pause) or not (resume). */
static int wait_frozen(const char *name, bool want, struct umld_err *err)
{
	for (int i = 0; i < 200; i++) {
		json_object *resp = NULL;
		bool frozen;

		if (call(name, "status", NULL, &resp, NULL, err) < 0)
			return -1;
		frozen = json_object_get_boolean(json_object_object_get(resp, "frozen"));
		json_object_put(resp);
		if (frozen == want)
			return 0;
		usleep(10000);
	}
	umld_err_set(err, -ETIMEDOUT, "instance %s: not every task stopped within 2 s", name);
	return -1;
}

static int pause_resume(const struct umld_command *c, int argc, char **argv, bool pause)
{
	struct umld_err err = { 0 };
	json_object *resp = NULL;
	const char *name;
	int r = name_args(c, argc, argv, NULL, &name,
			  pause ? "Freezes every task of the instance (UML mconsole's stop); the guest "
				  "cannot tell." : "Lets a paused instance run again.");

	if (r >= 0)
		return r;
	if (call(name, pause ? "pause" : "resume", NULL, &resp, NULL, &err) < 0)
		return command_report(&err);
	json_object_put(resp);
	if (pause && wait_frozen(name, true, &err) < 0)
		return command_report(&err);
	return 0;
}

static int pause_exec(int argc, char **argv)
{
	return pause_resume(&cmd_pause, argc, argv, true);
}

static int resume_exec(int argc, char **argv)
{
	return pause_resume(&cmd_resume, argc, argv, false);
}

const struct umld_command cmd_pause = {
	.name = "pause",
	.args = "NAME",
	.summary = "freeze every task of an instance",
	.exec = pause_exec,
};

const struct umld_command cmd_resume = {
	.name = "resume",
	.args = "NAME",
	.summary = "let a paused instance run again",
	.exec = resume_exec,
};

/* ---- logs ---- */

static int logs_exec(int argc, char **argv)
{
	struct umld_err err = { 0 };
	json_object *resp = NULL;
	const char *name;
	char buf[65536];
	ssize_t n;
	int fd = -1;
	int r = name_args(&cmd_logs, argc, argv, NULL, &name,
			  "Prints the log of a detached instance: its monitor's messages and the "
			  "guest's output.");

	if (r >= 0)
		return r;
	if (call(name, "logs", NULL, &resp, &fd, &err) < 0)
		return command_report(&err);
	json_object_put(resp);
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	if (fd >= 0)
		close(fd);
	return 0;
}

const struct umld_command cmd_logs = {
	.name = "logs",
	.args = "NAME",
	.summary = "print a detached instance's log",
	.exec = logs_exec,
};
