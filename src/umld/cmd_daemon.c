/* `umld daemon`: starts every instance file of a directory, each in a child
 * process that is its monitor, starts again those that fail when their file
 * says Restart=on-failure, and stops them all on SIGTERM or SIGINT. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "tracer/tracer.h"
#include "umld/command.h"
#include "umld/conffile.h"
#include "umld/instance.h"
#include "umld/statedir.h"

#define MAX_INSTANCES 256
#define STOP_GRACE_S 10

struct supervised {
	char path[PATH_MAX];
	struct instance_config cfg;
	pid_t pid;          /* its monitor, 0 when not running */
	time_t started;
	time_t restart_at;  /* 0: not to be restarted */
	unsigned restarts;
};

struct daemon_state {
	struct supervised inst[MAX_INSTANCES];
	size_t n;
};

/* Set by the handler: the signal that asks the daemon to stop. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

static int load_dir(struct daemon_state *d, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		fprintf(stderr, "umld: daemon: %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = names[i]->d_name;
		size_t len = strlen(nm);
		struct supervised *s = &d->inst[d->n];
		struct umld_err err = { 0 };

		if (len > 5 && strcmp(nm + len - 5, ".conf") == 0 && d->n < MAX_INSTANCES) {
			snprintf(s->path, sizeof(s->path), "%s/%s", dir, nm);
			if (config_load(s->path, &s->cfg, &err) < 0) {
				/* one bad file does not stop the others */
				fprintf(stderr, "umld: daemon: %s (skipped)\n", err.msg);
				syslog(LOG_ERR, "%s (skipped)", err.msg);
			} else {
				d->n++;
			}
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

static void launch(struct supervised *s)
{
	pid_t pid = fork();

	if (pid < 0) {
		syslog(LOG_ERR, "instance %s: fork: %s", s->cfg.name, strerror(errno));
		s->restart_at = time(NULL) + 1;
		return;
	}
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		_exit(instance_run_logged(&s->cfg));
	}
	s->pid = pid;
	s->started = time(NULL);
	s->restart_at = 0;
	syslog(LOG_INFO, "instance %s: monitor %d started", s->cfg.name, (int)pid);
}

static void reaped(struct daemon_state *d, pid_t pid, int status)
{
	for (size_t i = 0; i < d->n; i++) {
		struct supervised *s = &d->inst[i];
		bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;

		if (s->pid != pid)
			continue;
		s->pid = 0;
		syslog(LOG_INFO, "instance %s ended: status %d", s->cfg.name,
		       wait_status_to_exit(status));
		if (failed && s->cfg.restart_on_failure && !stop_requested) {
			/* at most one start a second, so a command that fails at
			 * once does not spin */
			time_t now = time(NULL);
			s->restart_at = now > s->started ? now : now + 1;
			s->restarts++;
		}
	}
}

static void stop_all(struct daemon_state *d)
{
	time_t deadline = time(NULL) + STOP_GRACE_S;
	size_t running;

	/* each monitor passes SIGTERM to its guest's first process */
	for (size_t i = 0; i < d->n; i++)
		if (d->inst[i].pid > 0)
			kill(d->inst[i].pid, SIGTERM);
	do {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			reaped(d, pid, status);
			continue;
		}
		running = 0;
		for (size_t i = 0; i < d->n; i++)
			running += d->inst[i].pid > 0;
		if (running && time(NULL) >= deadline) {
			/* a monitor's death kills its guests (PTRACE_O_EXITKILL) */
			for (size_t i = 0; i < d->n; i++)
				if (d->inst[i].pid > 0)
					kill(d->inst[i].pid, SIGKILL);
			deadline = time(NULL) + STOP_GRACE_S;
		}
		if (running)
			usleep(20000);
	} while (running);
}

static int sweep_one(const char *name, const char *dir, bool alive, pid_t pid, void *arg)
{
	return 0;
}

static int daemon_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct daemon_state d;
	const char *dir = "/etc/umld/instances";
	struct sigaction sa;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'D') {
			dir = optarg;
		} else if (c == 'h') {
			printf("Usage: umld daemon [--dir=DIR]\n"
			       "Starts every instance file (*.conf) in DIR (default /etc/umld/instances),\n"
			       "each as its own monitor with its output in the instance's log; starts\n"
			       "again those that fail when their file says Restart=on-failure; stops\n"
			       "them all on SIGTERM or SIGINT (SIGKILL after %d s). For systemd: umld.service.\n",
			       STOP_GRACE_S);
			return 0;
		} else {
			return command_usage_error(&cmd_daemon, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return command_usage_error(&cmd_daemon, "unexpected argument '%s'", argv[optind]);
	openlog("umld-daemon", LOG_PID, LOG_DAEMON);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: the sleeps below return */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (load_dir(&d, dir) < 0)
		return UMLD_EXIT_USAGE;
	for (size_t i = 0; i < d.n; i++)
		launch(&d.inst[i]);
	while (!stop_requested) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		time_t now = time(NULL);

		if (pid > 0) {
			reaped(&d, pid, status);
			continue;
		}
		for (size_t i = 0; i < d.n; i++)
			if (d.inst[i].pid == 0 && d.inst[i].restart_at && now >= d.inst[i].restart_at)
				launch(&d.inst[i]);
		usleep(100000);
	}
	syslog(LOG_INFO, "stopping every instance (signal %d)", (int)stop_requested);
	stop_all(&d);
	/* a monitor that the signal reached before it had set up its handlers
	 * died at once (its guest with it) and left its folder: sweep those */
	{
		struct umld_err err = { 0 };
		statedir_list(true, sweep_one, NULL, &err);
	}
	for (size_t i = 0; i < d.n; i++)
		config_free(&d.inst[i].cfg);
	return 0;
}

const struct umld_command cmd_daemon = {
	.name = "daemon",
	.args = "[--dir=DIR]",
	.summary = "run every instance of a directory, restarting the failed ones",
	.exec = daemon_exec,
};
