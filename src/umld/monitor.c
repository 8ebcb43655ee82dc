/* One guest's monitor, put together: which handlers are active, which
 * backend each virtual-kernel subsystem got, the filter, and the order of
 * starting (spawn, then the notification thread, then the stop loop). */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "emul/fs_emul.h"
#include "umld/monitor.h"

void monitor_opts_init(struct monitor_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = INTERCEPT_SECCOMP;
	o->notify = true;
	o->colocate = COLOCATE_AUTO;
	spawn_limits_init(&o->limits);
	sandbox_policy_init(&o->sandbox);
}

/* The virtual kernel: backends, handlers, and what the child must set up. */
static int setup_vkernel(struct monitor *m, struct umld_err *err)
{
	struct spawn_ns *ns = &m->so.ns;
	struct host_ns hn;
	int r;

	memset(&hn, 0, sizeof(hn));
	if (m->o.vk.hostname || m->o.vk.virtual_pids || m->o.vk.fake_root || fs_wanted(&m->o.vk.fs))
		host_ns_probe(&hn);
	r = vkernel_init(&m->vk, &m->o.vk, &hn, err);
	if (r == 0)
		r = vkernel_claim(&m->vk, &m->table, err);
	if (r < 0)
		return r;
	if (m->vk.backend[SUBSYS_UTS] == BACKEND_CONTAINER) {
		ns->clone_flags |= CLONE_NEWUTS;
		ns->hostname = m->o.vk.hostname;
	}
	if (m->vk.backend[SUBSYS_PID] == BACKEND_CONTAINER)
		ns->clone_flags |= CLONE_NEWPID | CLONE_NEWNS;
	if (m->vk.backend[SUBSYS_FS] == BACKEND_CONTAINER) {
		/* with a PID namespace too: the host's /proc would show every
		 * host process, whose /proc/PID/root leads out of the root */
		ns->clone_flags |= CLONE_NEWNS | CLONE_NEWPID;
		ns->fs = &m->o.vk.fs;
	}
	if (sandbox_policy_active(&m->o.sandbox)) {
		bool net_ns = sandbox_wants_netns(&m->sb) && (hn.privileged || m->vk.container_userns);

		if (net_ns)
			ns->clone_flags |= CLONE_NEWNET;
		m->vk.sandbox = &m->sb;
		r = sandbox_claim(&m->sb, &m->table, &m->o.vk.fs,
				  m->vk.backend[SUBSYS_FS] == BACKEND_CONTAINER,
				  (ns->clone_flags & CLONE_NEWPID) || m->vk.pids, m->vk.pids, net_ns, err);
		if (r < 0)
			return r;
		m->so.sandbox = &m->sb.child;
	}
	/* the guest's pid 1 leads its own group, in either pid backend: in a
	 * PID namespace a kill(0) in umld's group would reach umld */
	m->so.own_group = (ns->clone_flags & CLONE_NEWPID) || m->vk.pids;
	ns->userns = (ns->clone_flags || m->vk.map_root) && m->vk.container_userns;
	ns->map_root = m->vk.map_root;
	if (m->o.explain)
		vkernel_explain(&m->vk, stderr);
	if (m->o.explain && m->vk.sandbox)
		sandbox_explain(&m->sb, stderr);
	return 0;
}

/* Whether the fast path is usable: the mode, the flag, and the kernel. */
static bool want_notify(const struct monitor *m)
{
	struct notify_support sup;

	if (m->o.mode != INTERCEPT_SECCOMP || !m->o.notify || m->table.claimed == 0)
		return false;
	notify_probe(&sup);
	if (!sup.user_notif)
		log_info("seccomp user notification unavailable: emulating through ptrace stops");
	return sup.user_notif;
}

/* The command's path: on the host, or inside the emulated root. */
static int resolve_command(struct monitor *m, const char *cmd, char *path, size_t size,
			   struct umld_err *err)
{
	int r;

	if (m->so.ns.fs) {
		/* the guest's root is not the monitor's: the child looks the
		 * command up once it is there */
		if ((size_t)snprintf(path, size, "%s", cmd) >= size)
			return umld_err_set(err, -ENAMETOOLONG, "%s: %s", cmd, strerror(ENAMETOOLONG));
		m->so.resolve_in_guest = true;
		return 0;
	}
	if (!m->vk.fs)
		return spawn_resolve(cmd, path, size, err);
	r = fs_which(m->vk.fs, getpid(), cmd, getenv("PATH"), path, size);
	if (r < 0) {
		r = umld_err_set(err, r, "%s: %s", cmd,
				 r == -ENOENT || r == -ENOTDIR ? "command not found in the guest's root"
							       : strerror(-r));
		err->exit_status = r == -ENOENT || r == -ENOTDIR ? 127 : 126;
	}
	return r;
}

int monitor_prepare(struct monitor *m, const struct monitor_opts *o, struct umld_err *err)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->o = *o;
	m->engine.mode = o->mode;
	emul_table_init(&m->table);
	if (o->test_handlers && (r = emul_table_add(&m->table, &emul_feature_testing, err)) < 0)
		return r;
	if (o->test_passthrough && (r = emul_table_add(&m->table, &emul_feature_passthrough, err)) < 0)
		return r;
	if (!m->o.vk.cwd)
		m->o.vk.cwd = o->cwd ? o->cwd : getcwd(m->cwd, sizeof(m->cwd));
	/* the sandbox adds its private /tmp and /dev, and its binds, to the
	 * filesystem the virtual kernel then builds */
	if (sandbox_policy_active(&o->sandbox) &&
	    (r = sandbox_prepare(&m->sb, &o->sandbox, &m->o.vk.fs, o->limits.tasks, o->name,
				 err)) < 0)
		return r;
	r = setup_vkernel(m, err);
	if (r < 0)
		return r;
	m->engine.table = &m->table;
	m->engine.ctx.state = &m->vk;

	r = resolve_command(m, o->argv[0], m->path, sizeof(m->path), err);
	if (r < 0)
		return r;
	/* With nothing claimed there is nothing to filter: even an allow-all
	 * filter costs every call the kernel's seccomp entry path. */
	if (o->mode == INTERCEPT_SECCOMP && m->table.claimed > 0) {
		m->engine.notify = want_notify(m);
		if (m->vk.fs && !m->engine.notify)
			return umld_err_usage(err, "fs: the emulated filesystem needs seccomp user "
						   "notification (Linux 5.14, --intercept=seccomp "
						   "--notify=auto)");
		r = filter_build(&m->table, m->engine.notify, &m->filter, err);
		if (r < 0)
			return r;
		m->so.filter = &m->filter;
	} else if (o->mode == INTERCEPT_SYSEMU && m->vk.fs) {
		/* the emulated filesystem injects fds: its calls go through a
		 * notification filter even here */
		struct notify_support sup;
		notify_probe(&sup);
		if (!o->notify || !sup.user_notif || !sup.addfd_send)
			return umld_err_usage(err, "fs: the emulated filesystem needs seccomp user "
						   "notification with fd injection (Linux 5.14)");
		m->engine.notify = true;
		r = filter_build_notify_only(&m->table, &m->filter, err);
		if (r < 0)
			return r;
		m->so.filter = &m->filter;
	}
	m->so.stdio[0] = m->so.stdio[1] = m->so.stdio[2] = -1;
	m->so.argv = o->argv;
	m->so.envp = o->env;
	m->so.cwd = m->vk.fs ? NULL : o->cwd; /* the emulated fs keeps a guest path */
	m->so.limits = o->limits;
	/* the whole guest's Memory and Tasks in a cgroup where the host has
	 * one for us; the rlimits are the fallback (RLIMIT_AS bounds each
	 * process's address space, RLIMIT_NPROC the user's processes) */
	cgroup_make(&m->cg, o->name ? o->name : "run", o->limits.memory, o->limits.tasks);
	if (cgroup_has(&m->cg, CG_MEMORY))
		m->so.limits.memory = -1;
	if (cgroup_has(&m->cg, CG_PIDS))
		m->so.limits.tasks = -1;
	if (m->cg.version)
		m->so.cgroup = &m->cg;
	if (o->explain && (o->limits.memory >= 0 || o->limits.tasks >= 0))
		fprintf(stderr, "%-6s %-13s %s\n", "limits", m->cg.version ? "cgroup" : "rlimit",
			m->cg.why);
	if (tracer_init(&m->tr, &m->engine, o->colocate) < 0)
		return umld_err_set(err, -ENOMEM, "out of memory");
	m->tr.on_clone = vkernel_task_clone;
	m->tr.on_gone = vkernel_task_gone;
	m->tr.on_start = vkernel_task_start;
	m->tr.on_exec = vkernel_task_exec;
	m->tr.on_signal = vkernel_task_signal;
	m->tr.vk_arg = &m->vk;
	return 0;
}

int monitor_start(struct monitor *m, struct umld_err *err)
{
	int listener, r;

	/* the filter is kept: processes started later (umld exec) get it too */
	r = tracer_spawn(&m->tr, m->path, &m->so, &listener, NULL, err);
	if (r == 0 && m->vk.sandbox)
		sandbox_started(&m->sb, m->tr.first);
	if (r == 0)
		vkernel_task_root(&m->vk, m->tr.first); /* before any call of its is served */
	if (r == 0 && listener >= 0)
		r = notify_start(&m->notify, listener, &m->table, &m->engine.ctx, &m->tr.place, err);
	return r;
}

int monitor_spawn_more(struct monitor *m, char **argv, char **env, const char *cwd,
		       const int stdio[3], pid_t *pid, struct umld_err *err)
{
	struct spawn_opts so = m->so;
	struct notify_server *ns;
	char path[PATH_MAX];
	int listener, r;

	r = resolve_command(m, argv[0], path, sizeof(path), err);
	if (r < 0)
		return r;
	so.argv = argv;
	so.envp = env ? env : m->so.envp;
	so.cwd = cwd ? cwd : m->so.cwd;
	if (m->vk.fs)
		so.cwd = NULL; /* a guest path: the filesystem's view keeps it */
	so.ns = (struct spawn_ns){ .join = m->tr.first };
	memcpy(so.stdio, stdio, sizeof(so.stdio));
	so.session = true;
	so.secondary = true;
	r = tracer_spawn(&m->tr, path, &so, &listener, pid, err);
	if (r == 0 && pid)
		vkernel_task_root(&m->vk, *pid);
	if (r == 0 && m->vk.fs && cwd && pid)
		fs_set_cwd(m->vk.fs, *pid, cwd);
	if (r == 0 && m->vk.sandbox && pid)
		sandbox_task_clone(&m->sb, *pid);
	if (r < 0 || listener < 0)
		return r;
	/* its filter is a new one, with a listener of its own */
	ns = calloc(1, sizeof(*ns));
	if (!ns) {
		close(listener);
		return umld_err_set(err, -ENOMEM, "out of memory");
	}
	ns->heap = true; /* the thread frees it when the process is gone */
	r = notify_start(ns, listener, &m->table, &m->engine.ctx, &m->tr.place, err);
	if (r < 0)
		free(ns);
	return r;
}

int monitor_wait(struct monitor *m)
{
	return tracer_run(&m->tr);
}

void monitor_free(struct monitor *m)
{
	if (sandbox_policy_active(&m->o.sandbox))
		sandbox_free(&m->sb);
	cgroup_remove(&m->cg);
	vkernel_free(&m->vk);
	filter_free(&m->filter);
	tracer_free(&m->tr);
}
