/* Starting the guest's first process. The child waits on a socket until the
 * monitor has seized it (PTRACE_SEIZE, so group-stop and PTRACE_LISTEN work),
 * installs the seccomp filter (sending the notification listener back over
 * the socket), stops itself once so that the monitor sees its very first
 * call, and executes the command. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cgroup.h"
#include "common/fdpass.h"
#include "common/idmap.h"
#include "common/util.h"
#include "tracer/tracer.h"

extern char **environ;

static int exec_error(struct umld_err *err, const char *cmd, int e)
{
	int r;

	if (e == ENOENT || e == ENOTDIR) {
		r = umld_err_set(err, -e, "%s: command not found", cmd);
		if (err)
			err->exit_status = 127;
	} else {
		r = umld_err_set(err, -e, "%s: %s", cmd, strerror(e));
		if (err)
			err->exit_status = 126;
	}
	return r;
}

/* 0 when path can be executed, else an errno. In a PATH search (searching),
 * a directory we may not search counts as nothing found there, as a shell
 * counts it; a file that exists but cannot be run keeps its errno. */
static int check_exec(const char *path, bool searching)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (searching && (errno == ENOTDIR || errno == EACCES || errno == ELOOP))
			return ENOENT;
		return errno;
	}
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (access(path, X_OK) < 0)
		return errno;
	return 0;
}

int spawn_resolve(const char *cmd, char *path, size_t size, struct umld_err *err)
{
	const char *env_path = getenv("PATH");
	int first_error = 0;

	if (!cmd || !*cmd)
		return exec_error(err, cmd ? cmd : "", ENOENT);
	if (strchr(cmd, '/')) {
		int e = check_exec(cmd, false);
		if (e)
			return exec_error(err, cmd, e);
		if ((size_t)snprintf(path, size, "%s", cmd) >= size)
			return exec_error(err, cmd, ENAMETOOLONG);
		return 0;
	}
	if (!env_path)
		env_path = "/usr/local/bin:/usr/bin:/bin";
	/* like a shell: the first executable match wins; a match that exists
	 * but cannot be executed is reported when nothing better is found */
	for (const char *p = env_path;; ) {
		const char *end = strchrnul(p, ':');
		int n = (int)(end - p);
		int e;

		if (n == 0)
			snprintf(path, size, "%s", cmd);
		else
			snprintf(path, size, "%.*s/%s", n, p, cmd);
		e = check_exec(path, true);
		if (e == 0)
			return 0;
		if (e != ENOENT && !first_error)
			first_error = e;
		if (!*end)
			break;
		p = end + 1;
	}
	return exec_error(err, cmd, first_error ? first_error : ENOENT);
}

void spawn_limits_init(struct spawn_limits *l)
{
	l->memory = l->file_size = l->cpu_time = -1;
	l->tasks = l->open_files = -1;
}

/* Sets each limit that is set (async-signal-safe). */
static int child_set_limits(const struct spawn_limits *l)
{
	const struct {
		int resource;
		long long value;
	} set[] = {
		{ RLIMIT_AS, l->memory },      { RLIMIT_FSIZE, l->file_size },
		{ RLIMIT_CPU, l->cpu_time },   { RLIMIT_NPROC, l->tasks },
		{ RLIMIT_NOFILE, l->open_files },
	};

	for (size_t i = 0; i < ARRAY_SIZE(set); i++) {
		struct rlimit rl = { .rlim_cur = (rlim_t)set[i].value, .rlim_max = (rlim_t)set[i].value };
		/* CPU: SIGXCPU at the limit, which a program may catch to
		 * finish up; SIGKILL a second later (equal limits kill at once) */
		if (set[i].resource == RLIMIT_CPU && set[i].value >= 0)
			rl.rlim_max++;
		if (set[i].value >= 0 && setrlimit(set[i].resource, &rl) < 0)
			return -errno;
	}
	return 0;
}

/* Only async-signal-safe calls from here to exec. e 0: "command not
 * found". */
static void child_write_error(const char *what, const char *cmd, int e)
{
	const char *parts[] = { "umld: ", what, cmd, ": ", e ? strerror(e) : "command not found",
				"\n" };

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
		if (write(STDERR_FILENO, parts[i], strlen(parts[i])) < 0)
			break;
}


/* Copies the NULL-terminated strings into buf, truncated (async-signal-safe). */
static void str_join(char *buf, size_t size, const char *const *parts)
{
	size_t n = 0;

	for (; *parts; parts++)
		for (const char *p = *parts; *p && n + 1 < size; p++)
			buf[n++] = *p;
	buf[n] = '\0';
}

/* The containerized backends: the namespaces were created by clone(); set
 * them up. uid and gid are the monitor's, read before clone (inside a new
 * user namespace they would read as the overflow id). cwd: the guest's
 * working directory, NULL for the caller's. On failure why says what
 * failed. */
static int child_setup_ns(const struct spawn_ns *ns, unsigned uid, unsigned gid,
			  const char *cwd, char *why, size_t size)
{
	int r;

	if (ns->userns) {
		/* the caller's ids map to themselves: files keep their owners
		 * for this user, others show as the overflow id */
		r = idmap_write_self(uid, gid, ns->map_root);
		if (r < 0) {
			str_join(why, size, (const char *const[]){ "user namespace id maps: ",
								   strerror(-r), NULL });
			return r;
		}
	}
	if (ns->hostname && sethostname(ns->hostname, strlen(ns->hostname)) < 0) {
		r = -errno;
		str_join(why, size, (const char *const[]){ "sethostname: ", strerror(-r), NULL });
		return r;
	}
	if (ns->fs) {
		/* the filesystem's backend mounts /proc too; the caller's working
		 * directory is kept when the guest's root has it, else "/" */
		char here[PATH_MAX], msg[400];
		bool keep = !cwd && getcwd(here, sizeof(here)) != NULL;

		r = fs_mount_enter(ns->fs, cwd, ns->clone_flags & CLONE_NEWPID, msg, sizeof(msg));
		if (r < 0) {
			str_join(why, size, (const char *const[]){ "fs: ", msg, NULL });
			return r;
		}
		if (keep && chdir(here) < 0 && chdir("/") < 0)
			return -errno;
		return 0;
	}
	if (ns->clone_flags & CLONE_NEWPID) {
		/* a /proc of the new pid namespace, in a mount namespace of our
		 * own whose changes do not propagate to the host */
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			r = -errno;
			str_join(why, size, (const char *const[]){ "/proc of the pid namespace: ",
								   strerror(-r), NULL });
			return r;
		}
	}
	return 0;
}

/* Tells the monitor how the set-up of namespaces went: "k", or "E", the
 * errno and the message; on failure the child then exits. */
static void child_report_setup(int sync_fd, int r, const char *why)
{
	char buf[1 + sizeof(int) + 512];
	size_t n = strlen(why);

	if (r == 0) {
		if (write(sync_fd, "k", 1) != 1)
			_exit(127);
		return;
	}
	if (n > 512)
		n = 512;
	buf[0] = 'E';
	memcpy(buf + 1, &r, sizeof(r));
	memcpy(buf + 1 + sizeof(r), why, n);
	if (send(sync_fd, buf, 1 + sizeof(r) + n, MSG_NOSIGNAL) < 0)
		_exit(126);
	_exit(126);
}

/* Looks up part "NAME=" in envp (async-signal-safe). */
static const char *env_get(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; envp && *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

/* execve, or a shell for a file of no known format, as execvp does; returns
 * the errno. */
static int child_exec(const char *path, char *const *argv, char **sh_argv, char *const *envp)
{
	int e;

	execve(path, argv, envp);
	e = errno;
	if (e == ENOEXEC) {
		sh_argv[1] = (char *)path;
		execve("/bin/sh", sh_argv, envp);
		e = errno;
	}
	return e;
}

/* The command's PATH search, done in the guest's root (resolve_in_guest):
 * the first file that runs wins; a match that exists but cannot run is
 * reported when nothing runs. Returns the errno. */
static int child_exec_search(const char *cmd, char *const *argv, char **sh_argv,
			     char *const *envp)
{
	const char *dirs = env_get(envp, "PATH");
	size_t clen = strlen(cmd);
	char buf[PATH_MAX];
	int first = 0;

	if (strchr(cmd, '/'))
		return child_exec(cmd, argv, sh_argv, envp);
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = dirs;; ) {
		const char *end = strchrnul(p, ':');
		size_t n = (size_t)(end - p), k = 0;

		if (n + 1 + clen < sizeof(buf)) {
			memcpy(buf, p, n);
			k = n;
			if (n)
				buf[k++] = '/';
			memcpy(buf + k, cmd, clen + 1);
			int e = child_exec(buf, argv, sh_argv, envp);
			if (e != ENOENT && e != ENOTDIR && !first)
				first = e;
		}
		if (!*end)
			break;
		p = end + 1;
	}
	return first ? first : ENOENT;
}

/* Joins the namespaces of pid that differ from ours, user namespace first
 * (the others belong to it). Every fd is opened before the first setns:
 * once in the instance's mount namespace, /proc is the instance's, where
 * pid does not exist. Sets *pid_ns when the PID namespace was one. */
static int child_join_ns(pid_t pid, bool *pid_ns)
{
	static const struct {
		const char *name;
		int type;
	} order[] = {
		{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "uts", CLONE_NEWUTS },
		{ "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID },
	};
	int fds[ARRAY_SIZE(order)];
	char path[64], self[64];
	int r = 0;

	*pid_ns = false;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		struct stat a, b;

		fds[i] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, order[i].name);
		snprintf(self, sizeof(self), "/proc/self/ns/%s", order[i].name);
		if (stat(path, &a) < 0) {
			r = -errno;
			break;
		}
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			r = -errno;
			break;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (fds[i] < 0)
			continue;
		if (r == 0 && setns(fds[i], order[i].type) < 0)
			r = -errno;
		else if (r == 0)
			*pid_ns |= order[i].type == CLONE_NEWPID;
		close(fds[i]);
	}
	return r;
}

/* After joining a PID namespace: fork the process that is in it, wait for
 * it and exit with its status; that child returns to go on. */
static void child_enter_pid_ns(void)
{
	int status;
	pid_t p = fork();

	if (p < 0)
		_exit(126);
	if (p == 0)
		return;
	while (waitpid(p, &status, 0) < 0)
		if (errno != EINTR)
			_exit(126);
	if (WIFSIGNALED(status))
		_exit(128 + WTERMSIG(status));
	_exit(WEXITSTATUS(status));
}

/* The first process of a new PID namespace leads a process group of its
 * own, so that no kill(0) of the guest's reaches umld or the shell that
 * started it; fg_tty (>= 0: the terminal whose foreground group umld's
 * was) is handed to that group, as a shell does for a job. */
static void child_own_group(int fg_tty)
{
	setpgid(0, 0);
	if (fg_tty < 0)
		return;
	tty_give(fg_tty, getpgrp());
	close(fg_tty);
}

static __attribute__((noreturn)) void child_main(int sync_fd, const char *path,
						 char **sh_argv, const struct spawn_opts *o,
						 unsigned uid, unsigned gid, int fg_tty)
{
	char *const *argv = o->argv;
	char *const *envp = o->envp ? o->envp : environ;
	const struct filter_prog *filter = o->filter;
	const struct spawn_ns *ns = &o->ns;
	bool in_pid_ns = false;
	char why[512] = "";
	sigset_t none;
	char c;
	int r;

	/* If the monitor dies before seizing us, do not run unsupervised. The
	 * read below fails then too (the socket's other end is gone). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (read(sync_fd, &c, 1) != 1)
		_exit(127);

	/* The monitor's own signal settings must not leak into the guest. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (ns->join > 0) {
		/* the PID namespace is entered by a child, forked just before
		 * exec: a fork now would stop (ptrace event) while the monitor
		 * still waits for the start-up hand-shake */
		r = child_join_ns(ns->join, &in_pid_ns);
		if (r < 0)
			str_join(why, sizeof(why), (const char *const[]){
				"cannot join the instance's namespaces: ", strerror(-r), NULL });
	} else {
		r = child_setup_ns(ns, uid, gid, o->cwd, why, sizeof(why));
		if (r == 0 && spawn_own_group(o))
			child_own_group(fg_tty);
		/* before the monitor hears "k": from then on (sysemu mode) its
		 * calls may already be the guest's */
		if (r == 0 && o->sandbox)
			r = sandbox_child_ns(o->sandbox, why, sizeof(why));
		if (r < 0 && !why[0])
			str_join(why, sizeof(why), (const char *const[]){
				"cannot enter the guest's namespaces: ", strerror(-r), NULL });
	}
	child_report_setup(sync_fd, r, why);
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 && dup2(o->stdio[i], i) < 0)
			_exit(126);
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] > 2)
			close(o->stdio[i]);
	r = child_set_limits(&o->limits);
	if (r < 0) {
		child_write_error("cannot set the guest's resource limits", "", -r);
		_exit(126);
	}
	if (o->cwd && chdir(o->cwd) < 0) {
		child_write_error("cannot enter the working directory ", o->cwd, errno);
		_exit(126);
	}

	if (o->sandbox && (r = sandbox_child_apply(o->sandbox, why, sizeof(why))) < 0) {
		child_write_error(why, "", -r);
		_exit(126);
	}
	if (filter) {
		r = filter_install(filter);
		if (r < 0) {
			child_write_error("cannot install the seccomp filter", "", -r);
			_exit(126);
		}
		/* the listener goes over the socket where sendmsg runs unseen;
		 * otherwise the monitor finds it and takes a copy (pidfd_getfd):
		 * a call here that the filter stops (write, read...) waits for an
		 * answer that only comes once the monitor has it */
		if (filter->listener && !filter->stops_sendmsg && fd_send(sync_fd, r) < 0)
			_exit(126);
	}
	/* the monitor stops us once (PTRACE_INTERRUPT) before it says go */
	if (read(sync_fd, &c, 1) != 1)
		_exit(127);
	if (filter && filter->listener)
		close(r);
	close(sync_fd);
	if (in_pid_ns)
		child_enter_pid_ns(); /* the child goes on; we wait for it */
	if (o->session) {
		setsid();
		if (isatty(STDIN_FILENO))
			ioctl(STDIN_FILENO, TIOCSCTTY, 0);
	}

	if (o->resolve_in_guest) {
		r = child_exec_search(path, argv, sh_argv, envp);
		if (r == ENOENT && !strchr(path, '/')) {
			child_write_error("", argv[0], 0);
			_exit(127);
		}
	} else {
		/* like execvp: a file without a known format is a shell script */
		r = child_exec(path, argv, sh_argv, envp);
	}
	child_write_error("", argv[0], r);
	_exit(r == ENOENT ? 127 : 126);
}

/* The child's word on its namespaces (child_report_setup): 0, or its
 * errno and message in err. */
static int spawn_read_setup(int sock, struct umld_err *err)
{
	char buf[1 + sizeof(int) + 512 + 1];
	size_t n = 0;
	ssize_t k;
	int e;

	while (n < sizeof(buf) - 1 && (k = read(sock, buf + n, n ? sizeof(buf) - 1 - n : 1)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
		if (buf[0] == 'k')
			return 0;
	}
	if (n < 1 + sizeof(int) || buf[0] != 'E')
		return umld_err_set(err, -EPIPE, "the guest ended before it could start");
	memcpy(&e, buf + 1, sizeof(e));
	buf[n] = '\0';
	return umld_err_set(err, e < 0 ? e : -EIO, "%s", buf + 1 + sizeof(int));
}

/* The child's seccomp listener, once its filter is in place: found among
 * its fds (the kernel names it "anon_inode:seccomp notify") and copied with
 * pidfd_getfd. Waits for it, polling, as long as the child lives (sync_fd
 * then sees no end of file); the window is the child's few calls between
 * its setup report and the filter. */
static int take_listener(pid_t pid, int sync_fd)
{
	char dir[64], link[64 + NAME_MAX + 2], target[64];
	useconds_t pause = 20;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (;;) {
		DIR *d = opendir(dir);
		struct dirent *e;
		struct pollfd p = { .fd = sync_fd, .events = POLLIN };
		int found = -1;

		if (!d)
			return -errno;
		while ((e = readdir(d)) != NULL) {
			ssize_t n;
			if (e->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "anon_inode:seccomp notify") == 0) {
				found = atoi(e->d_name);
				break;
			}
		}
		closedir(d);
		if (found >= 0)
			return fd_take(pid, found);
		/* the child died (its end closed) or wrote an error */
		if (poll(&p, 1, 0) > 0)
			return -EPIPE;
		usleep(pause);
		if (pause < 5000)
			pause *= 2;
	}
}

int tracer_spawn(struct tracer *tr, const char *path, const struct spawn_opts *o,
		 int *listener, pid_t *out_pid, struct umld_err *err)
{
	unsigned long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
			     PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL |
			     PTRACE_O_TRACESECCOMP;
	cleanup_free char **sh_argv = NULL;
	int sync[2];
	size_t argc = 0;
	unsigned uid = getuid(), gid = getgid();
	int clone_flags = o->ns.clone_flags | (o->ns.userns ? CLONE_NEWUSER : 0);
	pid_t pid;
	struct task *t;
	int r, fg_tty = -1;

	while (o->argv[argc])
		argc++;
	/* prepared before fork: the child may only use async-signal-safe calls */
	sh_argv = calloc(argc + 2, sizeof(*sh_argv));
	if (!sh_argv)
		return umld_err_set(err, -ENOMEM, "out of memory");
	sh_argv[0] = (char *)"sh";
	sh_argv[1] = (char *)path;
	for (size_t i = 1; i < argc; i++)
		sh_argv[i + 1] = o->argv[i];

	*listener = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0)
		return umld_err_set(err, -errno, "socketpair: %s", strerror(errno));
	/* clone rather than fork: a new pid namespace must be entered at
	 * creation for the guest's first process to be its pid 1. The monitor
	 * is single-threaded here, and the child makes only
	 * async-signal-safe calls before exec. */
	if (spawn_own_group(o)) {
		fg_tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fg_tty >= 0 && tcgetpgrp(fg_tty) != getpgrp()) {
			close(fg_tty);
			fg_tty = -1;
		}
	}
	pid = clone_flags ? (pid_t)syscall(SYS_clone, (unsigned long)clone_flags | SIGCHLD, 0, 0, 0, 0)
			  : fork();
	if (pid < 0) {
		int e = errno;
		if (fg_tty >= 0)
			close(fg_tty);
		close(sync[0]);
		close(sync[1]);
		return umld_err_set(err, -e, "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(sync[1]);
		child_main(sync[0], path, sh_argv, o, uid, gid, fg_tty);
	}
	if (fg_tty >= 0)
		close(fg_tty);
	if (spawn_own_group(o))
		setpgid(pid, pid); /* as the child does: whichever runs first */
	close(sync[0]);
	if (ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0) {
		int e = errno;
		close(sync[1]);
		kill(pid, SIGKILL);
		return umld_err_set(err, -e, "cannot trace the guest (PTRACE_SEIZE): %s", strerror(e));
	}
	/* into the instance's cgroup while it still waits for the go: all
	 * it will run, and all it forks, is limited */
	if (o->cgroup && (r = cgroup_attach(o->cgroup, pid)) < 0) {
		close(sync[1]);
		kill(pid, SIGKILL);
		return umld_err_set(err, r, "cannot put the guest in its cgroup: %s", strerror(-r));
	}
	t = task_get(&tr->tasks, pid);
	if (!t) {
		close(sync[1]);
		kill(pid, SIGKILL);
		return umld_err_set(err, -ENOMEM, "out of memory");
	}
	t->attached = true;
	t->announced = true;
	if (!o->secondary) {
		tr->first = pid;
		tr->own_group = spawn_own_group(o);
	}
	if (out_pid)
		*out_pid = pid;
	if (write(sync[1], "g", 1) != 1) {
		int e = errno;
		close(sync[1]);
		kill(pid, SIGKILL);
		return umld_err_set(err, -e, "cannot start the guest: %s", strerror(e));
	}
	r = spawn_read_setup(sync[1], err);
	if (r < 0) {
		close(sync[1]);
		kill(pid, SIGKILL);
		return r;
	}
	if (o->filter && o->filter->listener)
		*listener = o->filter->stops_sendmsg ? take_listener(pid, sync[1]) : fd_recv(sync[1]);
	if (o->filter && o->filter->listener) {
		if (*listener < 0) {
			close(sync[1]);
			kill(pid, SIGKILL);
			return umld_err_set(err, *listener,
					    "the guest did not hand over its seccomp listener");
		}
	}
	/* Stop it once before it execs (it waits for the go below): the stop
	 * loop resumes it in the interception mode, so its execve is already a
	 * guest call. A SIGSTOP it sent itself would not do: a pid 1 ignores
	 * it. */
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || write(sync[1], "x", 1) != 1) {
		int e = errno;
		close(sync[1]);
		kill(pid, SIGKILL);
		return umld_err_set(err, -e, "cannot start the guest: %s", strerror(e));
	}
	close(sync[1]);
	return 0;
}
