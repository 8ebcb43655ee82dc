/* Instances: the state directory claimed before anything runs (so that "is
 * already running" reaches the terminal), the daemon (-d), and the control
 * server whose commands run on its own thread and reach the tracer thread,
 * which alone may make ptrace requests, through a queue and a wake-up signal.
 *
 * Threads: the tracer (main), the notification server (if any), the control
 * server. The control ops never touch the task table; they queue work and
 * wait for the tracer to answer under inst->lock. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "umld/command.h"
#include "umld/control.h"
#include "umld/instance.h"
#include "umld/statedir.h"

#define WAKE_SIGNAL (SIGRTMIN + 1) /* SIGRTMIN is the placement timer's */

enum inst_cmd { CMD_REFRESH = 1, CMD_PAUSE = 2, CMD_RESUME = 4, CMD_EXEC = 8 };

/* An exec request, from the control thread to the tracer thread, and then
 * a running exec'd process until it ends. */
struct exec_req {
	char **argv;
	char **env;
	char *cwd;
	int fds[3];
	uint64_t handle;
	pid_t pid;
	struct exec_req *next;
};

struct instance {
	struct monitor m;
	const struct instance_config *cfg;
	char dir[PATH_MAX];
	int lock_fd;
	struct control_server *ctl;
	pthread_t tracer;
	time_t started;
	/* between the control thread and the tracer thread */
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned pending;  /* enum inst_cmd bits */
	unsigned answered; /* bumped by the tracer after each batch */
	bool paused;       /* as the tracer last published it */
	bool frozen;
	size_t ntasks;
	bool ended;
	pid_t first;
	struct exec_req *queued;  /* waiting for the tracer */
	struct exec_req *running; /* started; tracer thread only */
};

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
};

/* [Files]: the layers and binds (pointing into cfg, which outlives o). A
 * lone Root=/ is the default: the host's files, nothing to mount. */
static int files_opts(const struct instance_config *cfg, struct fs_wants *fs,
		      struct umld_err *err)
{
	size_t n = 0;

	while (cfg->roots && cfg->roots[n])
		n++;
	if (n > FS_ROOTS_MAX)
		return umld_err_usage(err, "%s: [Files] Root: at most %d layers", cfg->path,
				      FS_ROOTS_MAX);
	if (cfg->nbinds > FS_BINDS_MAX)
		return umld_err_usage(err, "%s: [Files] Bind: at most %d binds", cfg->path,
				      FS_BINDS_MAX);
	if (!(n == 1 && strcmp(cfg->roots[0], "/") == 0))
		for (size_t i = 0; i < n; i++)
			fs->roots[fs->nroots++] = cfg->roots[i];
	fs->cow = cfg->cow;
	for (size_t i = 0; i < cfg->nbinds; i++)
		fs->binds[fs->nbinds++] = (struct fs_bind){ .host = cfg->binds[i].host,
							   .guest = cfg->binds[i].guest,
							   .ro = cfg->binds[i].read_only };
	return 0;
}

/* The environment: a PATH, the caller's TERM and HOME, then Environment=. */
static char **build_env(const struct instance_config *cfg)
{
	size_t n = 0, extra = 0;
	char **env;
	const char *term = getenv("TERM"), *home = getenv("HOME");

	while (cfg->environment && cfg->environment[extra])
		extra++;
	env = calloc(ARRAY_SIZE(default_env) + 3 + extra, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(default_env); i++)
		env[n++] = strdup(default_env[i]);
	if (term && asprintf(&env[n], "TERM=%s", term) > 0)
		n++;
	if (home && asprintf(&env[n], "HOME=%s", home) > 0)
		n++;
	for (size_t i = 0; i < extra; i++)
		env[n++] = strdup(cfg->environment[i]);
	return env;
}

void instance_opts_free(struct monitor_opts *o)
{
	for (size_t i = 0; o->env && o->env[i]; i++)
		free(o->env[i]);
	free(o->env);
	o->env = NULL;
}

int instance_opts(const struct instance_config *cfg, struct monitor_opts *o, struct umld_err *err)
{
	monitor_opts_init(o);
	if (files_opts(cfg, &o->vk.fs, err) < 0)
		return -EINVAL;
	o->argv = cfg->command;
	o->env = build_env(cfg);
	o->cwd = cfg->working_directory ? cfg->working_directory : "/";
	o->vk.hostname = cfg->hostname;
	o->vk.virtual_pids = cfg->virtual_pids;
	o->vk.fake_root = cfg->fake_root;
	if (cfg->intercept && intercept_mode_parse(cfg->intercept, &o->mode) < 0)
		return umld_err_usage(err, "%s: [Kernel] Intercept: '%s' is not seccomp or sysemu",
				      cfg->path, cfg->intercept);
	if (cfg->containerize && containerize_parse(cfg->containerize, &o->vk.containerize) < 0)
		return umld_err_usage(err, "%s: [Kernel] Containerize: '%s' is not auto, never or required",
				      cfg->path, cfg->containerize);
	o->name = cfg->name;
	o->limits.memory = cfg->memory;
	o->limits.file_size = cfg->file_size;
	o->limits.cpu_time = cfg->cpu_time;
	o->limits.tasks = cfg->tasks;
	o->limits.open_files = cfg->open_files;
	o->sandbox = cfg->sandbox; /* cfg keeps the strings */
	return 0;
}

/* ---- the tracer side ---- */

static void on_wake_signal(int sig)
{
	/* nothing: the point is the EINTR of the tracer's waitpid */
}

static void publish(struct instance *in)
{
	in->paused = in->m.tr.paused;
	in->frozen = tracer_frozen(&in->m.tr);
	in->ntasks = in->m.tr.tasks.count;
}

static char **strv_dup(char **v)
{
	size_t n = 0;
	char **c;

	while (v && v[n])
		n++;
	if (!v)
		return NULL;
	c = calloc(n + 1, sizeof(*c));
	for (size_t i = 0; c && i < n; i++)
		c[i] = strdup(v[i]);
	return c;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void exec_req_free(struct exec_req *r)
{
	for (int i = 0; i < 3; i++)
		if (r->fds[i] >= 0)
			close(r->fds[i]);
	strv_free(r->argv);
	strv_free(r->env);
	free(r->cwd);
	free(r);
}

/* Tracer thread: starts the queued exec requests. */
static void start_execs(struct instance *in, struct exec_req *list)
{
	while (list) {
		struct exec_req *r = list;
		struct umld_err err = { 0 };

		list = r->next;
		if (monitor_spawn_more(&in->m, r->argv, r->env, r->cwd, r->fds, &r->pid, &err) < 0) {
			/* the client hears 127/126 as from a shell, and why in the log */
			log_warn("exec in %s: %s", in->cfg->name, err.msg);
			control_exec_done(in->ctl, r->handle,
					  (err.exit_status == 127 ? 127 : 126) << 8);
			exec_req_free(r);
			continue;
		}
		for (int i = 0; i < 3; i++)
			if (r->fds[i] >= 0)
				close(r->fds[i]);
		r->fds[0] = r->fds[1] = r->fds[2] = -1;
		r->next = in->running;
		in->running = r;
	}
}

/* Tracer thread: a process that is not the first ended; if it was exec'd,
 * its client hears the status. */
static void on_exit_task(struct tracer *tr, pid_t pid, int status, void *arg)
{
	struct instance *in = arg;

	for (struct exec_req **pp = &in->running; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct exec_req *r = *pp;
			*pp = r->next;
			control_exec_done(in->ctl, r->handle, status);
			exec_req_free(r);
			return;
		}
	}
}

/* Runs queued commands on the tracer thread. */
static void on_wake(struct tracer *tr, void *arg)
{
	struct instance *in = arg;
	struct exec_req *execs;
	unsigned cmds;

	pthread_mutex_lock(&in->lock);
	cmds = in->pending;
	in->pending = 0;
	execs = in->queued;
	in->queued = NULL;
	pthread_mutex_unlock(&in->lock);
	if (cmds & CMD_PAUSE)
		tracer_pause(tr);
	if (cmds & CMD_RESUME)
		tracer_unpause(tr);
	start_execs(in, execs);
	pthread_mutex_lock(&in->lock);
	publish(in);
	in->answered++;
	pthread_cond_broadcast(&in->done);
	pthread_mutex_unlock(&in->lock);
}

/* Queues cmd for the tracer and waits (2 s at most) until it has run. The
 * wake-up signal only interrupts a waitpid under way: one that arrives while
 * the tracer handles an event is spent, so it is sent again every 10 ms
 * until the tracer answers. */
static int run_on_tracer(struct instance *in, unsigned cmd)
{
	unsigned seen;
	int tries;

	pthread_mutex_lock(&in->lock);
	if (in->ended) {
		pthread_mutex_unlock(&in->lock);
		return -ESRCH;
	}
	in->pending |= cmd;
	seen = in->answered;
	for (tries = 0; in->answered == seen && tries < 200 && !in->ended; tries++) {
		struct timespec until;

		pthread_kill(in->tracer, WAKE_SIGNAL);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 10000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&in->done, &in->lock, &until);
	}
	tries = in->answered == seen ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&in->lock);
	return tries;
}

/* ---- the control ops (control server thread) ---- */

static void add_str(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static void add_int(json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

/* CPU seconds and resident memory of the first process, from /proc. */
static void add_usage(json_object *o, pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0, cut = 0, cst = 0;
	long rss = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu %*d %*d "
			  "%*d %*d %*u %*u %ld", &ut, &st, &cut, &cst, &rss) == 5) {
		long hz = sysconf(_SC_CLK_TCK);
		json_object_object_add(o, "cpu_seconds",
				       json_object_new_double((double)(ut + st + cut + cst) / (double)hz));
		add_int(o, "rss_bytes", (int64_t)rss * sysconf(_SC_PAGESIZE));
	}
	fclose(f);
}

/* How Memory and Tasks are enforced, and the whole guest's use where a
 * cgroup counts it. */
static void add_limits(json_object *o, const struct monitor *m)
{
	json_object *l = json_object_new_object();
	long long mem, tasks;
	bool any = m->o.limits.memory >= 0 || m->o.limits.tasks >= 0;

	add_str(l, "backend", m->cg.version == 2 ? "cgroup-v2"
			      : m->cg.version == 1 ? "cgroup-v1"
			      : any		   ? "rlimit"
						   : "off");
	add_str(l, "why", m->cg.why);
	cgroup_usage(&m->cg, &mem, &tasks);
	if (mem >= 0)
		add_int(l, "memory_bytes", mem);
	if (tasks >= 0)
		add_int(l, "tasks", tasks);
	json_object_object_add(o, "limits", l);
}

static int op_status(void *arg, json_object *resp)
{
	struct instance *in = arg;
	json_object *be = json_object_new_object();
	char when[64];
	struct tm tm;
	bool paused, frozen;
	size_t ntasks;

	/* a fresh view from the tracer (ignored if it has just ended) */
	run_on_tracer(in, CMD_REFRESH);
	pthread_mutex_lock(&in->lock);
	paused = in->paused;
	frozen = in->frozen;
	ntasks = in->ntasks;
	pthread_mutex_unlock(&in->lock);
	add_str(resp, "name", in->cfg->name);
	add_str(resp, "state", paused ? "paused" : "running");
	json_object_object_add(resp, "frozen", json_object_new_boolean(frozen));
	add_int(resp, "monitor_pid", getpid());
	add_int(resp, "pid", in->first);
	add_int(resp, "guest_pid", in->m.vk.backend[SUBSYS_PID] == BACKEND_CONTAINER ? 1 : in->first);
	add_int(resp, "tasks", (int64_t)ntasks);
	gmtime_r(&in->started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_str(resp, "started", when);
	add_int(resp, "started_epoch", in->started);
	add_str(resp, "intercept", intercept_mode_name(in->m.o.mode));
	for (int s = 0; s < SUBSYS_COUNT; s++) {
		json_object *one = json_object_new_object();
		add_str(one, "backend", backend_name(in->m.vk.backend[s]));
		add_str(one, "why", in->m.vk.why[s]);
		json_object_object_add(be, subsys_name(s), one);
	}
	json_object_object_add(resp, "subsystems", be);
	add_usage(resp, in->first);
	add_limits(resp, &in->m);
	return 0;
}

struct stopper {
	pid_t first;
	int timeout;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;

	sleep((unsigned)s->timeout);
	/* still here: the first process would not end; killing it ends the
	 * instance (the tracer kills what remains) */
	kill(s->first, SIGKILL);
	free(s);
	return NULL;
}

static int op_stop(void *arg, int timeout_s, json_object *resp)
{
	struct instance *in = arg;
	struct stopper *s = malloc(sizeof(*s));
	pthread_t t;
	sigset_t all, old;

	if (!s)
		return -ENOMEM;
	/* a stopped guest must be able to act on SIGTERM */
	run_on_tracer(in, CMD_RESUME);
	kill(in->first, SIGTERM);
	kill(in->first, SIGCONT);
	s->first = in->first;
	s->timeout = timeout_s;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&t, NULL, stop_later, s) != 0) {
		free(s);
		kill(in->first, SIGKILL);
	} else {
		pthread_detach(t);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	add_int(resp, "timeout", timeout_s);
	return 0;
}

static int op_kill(void *arg, int sig, json_object *resp)
{
	struct instance *in = arg;

	if (sig <= 0 || sig >= NSIG)
		return -EINVAL;
	return kill(in->first, sig) < 0 ? -errno : 0;
}

static int op_pause(void *arg, json_object *resp)
{
	return run_on_tracer(arg, CMD_PAUSE);
}

static int op_resume(void *arg, json_object *resp)
{
	return run_on_tracer(arg, CMD_RESUME);
}

static int op_exec(void *arg, char **argv, char **env, const char *cwd, int fds[3],
		   uint64_t handle, json_object *resp)
{
	struct instance *in = arg;
	struct exec_req *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->argv = strv_dup(argv);
	r->env = strv_dup(env);
	r->cwd = cwd ? strdup(cwd) : NULL;
	r->handle = handle;
	for (int i = 0; i < 3; i++) {
		r->fds[i] = fds[i];
		fds[i] = -1; /* ours now */
	}
	if (!r->argv || !r->argv[0]) {
		exec_req_free(r);
		return -EINVAL;
	}
	pthread_mutex_lock(&in->lock);
	if (in->ended) {
		pthread_mutex_unlock(&in->lock);
		exec_req_free(r);
		return -ESRCH;
	}
	r->next = in->queued;
	in->queued = r;
	pthread_mutex_unlock(&in->lock);
	/* started by the tracer; the client waits for control_exec_done */
	return run_on_tracer(in, CMD_REFRESH) == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

static int op_logs(void *arg, json_object *resp, int *fd)
{
	struct instance *in = arg;
	char path[PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/%s", in->dir, STATEDIR_LOG);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		add_str(resp, "error", "this instance keeps no log (it runs in the foreground)");
		return -ENOENT;
	}
	return 0;
}

static const struct control_ops inst_ops = {
	.status = op_status,
	.stop = op_stop,
	.kill = op_kill,
	.pause = op_pause,
	.resume = op_resume,
	.exec = op_exec,
	.logs = op_logs,
};

/* ---- start ---- */

static int install_wake(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_wake_signal; /* no SA_RESTART: waitpid must return */
	sigemptyset(&sa.sa_mask);
	return sigaction(WAKE_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}

/* Daemon side of -d: own session, stdio to the log. */
static int become_daemon(const char *dir)
{
	char log[PATH_MAX + 8];
	int fd, null;

	if (setsid() < 0)
		return -errno;
	snprintf(log, sizeof(log), "%s/%s", dir, STATEDIR_LOG);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || null < 0)
		return -errno;
	dup2(null, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	close(null);
	umask(022);
	return 0;
}

static void tell(int fd, const char *msg)
{
	if (fd >= 0 && write(fd, msg, strlen(msg)) < 0)
		return;
}

/* Runs the instance in this process; ready_fd (or -1) hears "ok" or an error
 * once the guest runs or failed to. */
static int run_instance(struct instance *in, const struct monitor_opts *o, int ready_fd)
{
	struct umld_err err = { 0 };
	char sock[PATH_MAX + 32];
	int status;

	if (monitor_prepare(&in->m, o, &err) < 0)
		goto fail;
	in->m.tr.on_wake = on_wake;
	in->m.tr.on_exit = on_exit_task;
	in->m.tr.wake_arg = in;
	in->tracer = pthread_self();
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->done, NULL);
	if (install_wake() < 0 || monitor_start(&in->m, &err) < 0)
		goto fail;
	in->first = in->m.tr.first;
	in->started = time(NULL);
	publish(in);
	statedir_write_pid(in->dir, getpid());
	snprintf(sock, sizeof(sock), "%s/%s", in->dir, STATEDIR_SOCK);
	if (control_server_start(&in->ctl, sock, &inst_ops, in, &err) < 0)
		log_warn("instance %s: no control socket: %s", in->cfg->name, err.msg);
	syslog(LOG_INFO, "instance %s started (pid %d)", in->cfg->name, (int)in->first);
	tell(ready_fd, "ok");
	if (ready_fd >= 0)
		close(ready_fd);

	status = monitor_wait(&in->m);
	pthread_mutex_lock(&in->lock);
	in->ended = true;
	pthread_mutex_unlock(&in->lock);
	if (in->ctl)
		control_server_stop(in->ctl);
	syslog(LOG_INFO, "instance %s ended: status %d", in->cfg->name, wait_status_to_exit(status));
	monitor_free(&in->m);
	statedir_release(in->dir, in->lock_fd);
	return wait_status_to_exit(status);
fail:
	tell(ready_fd, err.msg);
	if (ready_fd < 0)
		command_report(&err);
	monitor_free(&in->m);
	statedir_release(in->dir, in->lock_fd);
	return err.exit_status ? err.exit_status : UMLD_EXIT_FAILURE;
}

int instance_run_logged(const struct instance_config *cfg)
{
	static struct instance in;
	struct umld_err err = { 0 };
	struct monitor_opts o;
	char log[PATH_MAX + 8];
	int fd, status;

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.lock_fd = -1;
	if (instance_opts(cfg, &o, &err) < 0 ||
	    statedir_claim(cfg->name, in.dir, sizeof(in.dir), &in.lock_fd, &err) < 0) {
		instance_opts_free(&o);
		return command_report(&err);
	}
	snprintf(log, sizeof(log), "%s/%s", in.dir, STATEDIR_LOG);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	umld_log_set_instance(cfg->name);
	status = run_instance(&in, &o, -1);
	instance_opts_free(&o);
	return status;
}

int instance_start(const struct instance_config *cfg, bool detach, bool explain)
{
	static struct instance in; /* large: kept off the stack */
	struct umld_err err = { 0 };
	struct monitor_opts o;
	int pipefd[2];
	char msg[600];
	int status;
	ssize_t n;
	pid_t pid;

	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.lock_fd = -1;
	if (instance_opts(cfg, &o, &err) < 0) {
		instance_opts_free(&o);
		return command_report(&err);
	}
	o.explain = explain;
	openlog("umld", LOG_PID, LOG_DAEMON);
	if (statedir_claim(cfg->name, in.dir, sizeof(in.dir), &in.lock_fd, &err) < 0) {
		instance_opts_free(&o);
		return command_report(&err);
	}
	if (!detach) {
		status = run_instance(&in, &o, -1);
		instance_opts_free(&o);
		return status;
	}

	if (pipe2(pipefd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		statedir_release(in.dir, in.lock_fd);
		instance_opts_free(&o);
		umld_err_set(&err, -errno, "cannot start the daemon: %s", strerror(errno));
		return command_report(&err);
	}
	if (pid == 0) {
		close(pipefd[0]);
		umld_log_set_instance(cfg->name);
		if (become_daemon(in.dir) < 0) {
			tell(pipefd[1], "cannot become a daemon");
			_exit(1);
		}
		_exit(run_instance(&in, &o, pipefd[1]));
	}
	/* the daemon owns the state directory now (it shares the lock) */
	close(in.lock_fd);
	instance_opts_free(&o);
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (n == 2 && memcmp(msg, "ok", 2) == 0)
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "umld: %s\n", n > 0 ? msg : "the instance's monitor died while starting");
	/* it failed before it ran anything: its status says which kind of
	 * failure (2 for bad input, such as a bad layer) */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return UMLD_EXIT_FAILURE;
	if (WIFEXITED(status) && WEXITSTATUS(status))
		return WEXITSTATUS(status);
	return UMLD_EXIT_FAILURE;
}
