/* `umld exec NAME -- CMD...`: runs a command inside a running instance (its
 * namespaces, filter and limits), attached to the caller's stdio. On a
 * terminal the command gets a pseudo-terminal of its own, as its controlling
 * terminal, which this process relays to the caller's (raw) terminal: job
 * control and Ctrl-C then work inside. umld exits with the command's status. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "tracer/tracer.h"
#include "umld/command.h"
#include "umld/control.h"
#include "umld/statedir.h"

extern char **environ;

/* Set by SIGWINCH: the relay copies the window size on. */
static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	winch = 1;
}

static int open_pty(int *master, int *slave)
{
	char name[64];
	struct termios t;
	struct winsize ws;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0 ||
	    ptsname_r(*master, name, sizeof(name)) != 0)
		return -errno;
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		return -errno;
	/* the caller's terminal settings and size, for a start */
	if (tcgetattr(STDIN_FILENO, &t) == 0)
		tcsetattr(*slave, TCSANOW, &t);
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(*slave, TIOCSWINSZ, &ws);
	return 0;
}

static bool copy_once(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return false;
	for (ssize_t done = 0; done < n;) {
		ssize_t w = write(to, buf + done, (size_t)(n - done));
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		done += w;
	}
	return true;
}

/* Relays between the caller's terminal and the master until the monitor
 * reports the end (conn readable); returns the status. */
static int relay(int master, int conn, int *status, struct umld_err *err)
{
	struct pollfd p[3] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = master, .events = POLLIN },
		{ .fd = conn, .events = POLLIN },
	};
	bool in_open = true, out_open = true;

	for (;;) {
		if (winch) {
			struct winsize ws;
			winch = 0;
			if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
				ioctl(master, TIOCSWINSZ, &ws);
		}
		p[0].fd = in_open ? STDIN_FILENO : -1;
		p[1].fd = out_open ? master : -1;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return umld_err_set(err, -errno, "poll: %s", strerror(errno));
		}
		if (p[0].revents && !copy_once(STDIN_FILENO, master))
			in_open = false;
		if (p[1].revents && !copy_once(master, STDOUT_FILENO))
			out_open = false;
		if (p[2].revents) {
			int r;
			/* what the command wrote last is still in the master */
			while (out_open && poll(&p[1], 1, 50) > 0 && copy_once(master, STDOUT_FILENO))
				;
			do
				r = control_wait_exit(conn, status, err);
			while (r == -EINTR);
			return r;
		}
	}
}

static int exec_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct umld_err err = { 0 };
	json_object *req, *args, *resp = NULL;
	char sock[PATH_MAX];
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	int master = -1, slave = -1, conn = -1, status = 0, c, r;
	bool tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	struct termios saved;
	const char *name;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("Usage: umld exec NAME [--] COMMAND [ARG...]\n"
			       "Runs COMMAND inside the running instance NAME (its namespaces, filter,\n"
			       "limits, environment and working directory), attached to this terminal\n"
			       "or to this process's stdin, stdout and stderr; exits with its status.\n");
			return 0;
		}
		return command_usage_error(&cmd_exec, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind >= argc || !statedir_name_ok(argv[optind]))
		return command_usage_error(&cmd_exec, "an instance name, please");
	name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc)
		return command_usage_error(&cmd_exec, "no command given");
	if (statedir_path(name, STATEDIR_SOCK, sock, sizeof(sock), &err) < 0)
		return command_report(&err);

	req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("exec"));
	args = json_object_new_array();
	for (int i = optind; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(req, "argv", args);
	if (tty) {
		r = open_pty(&master, &slave);
		if (r < 0) {
			json_object_put(req);
			umld_err_set(&err, r, "cannot make a terminal: %s", strerror(-r));
			return command_report(&err);
		}
		fds[0] = fds[1] = fds[2] = slave;
	}
	r = control_exec_start(sock, req, fds, &conn, &resp, &err);
	json_object_put(req);
	json_object_put(resp);
	if (slave >= 0)
		close(slave);
	if (r < 0) {
		if (r == -ENOENT || r == -ECONNREFUSED)
			snprintf(err.msg, sizeof(err.msg), "no instance named %s is running", name);
		return command_report(&err);
	}
	if (tty) {
		struct termios raw;
		struct sigaction sa = { .sa_handler = on_winch };

		sigaction(SIGWINCH, &sa, NULL);
		tcgetattr(STDIN_FILENO, &saved);
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		r = relay(master, conn, &status, &err);
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		close(master);
	} else {
		do
			r = control_wait_exit(conn, &status, &err);
		while (r == -EINTR);
	}
	close(conn);
	if (r < 0)
		return command_report(&err);
	return wait_status_to_exit(status);
}

const struct umld_command cmd_exec = {
	.name = "exec",
	.args = "NAME [--] COMMAND [ARG...]",
	.summary = "run a command inside a running instance",
	.exec = exec_exec,
};
