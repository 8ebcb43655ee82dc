/* The task lifecycle: spawning the guest's first process under ptrace, and
 * the stop loop that follows every task it creates until the guest ends. */
#ifndef UMLD_TRACER_TRACER_H
#define UMLD_TRACER_TRACER_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "emul/fs.h"
#include "emul/sandbox.h"
#include "sysemu/engine.h"
#include "sysemu/filter.h"
#include "tracer/placement.h"
#include "tracer/task.h"

/* Namespaces the first process enters before exec (the containerized
 * backends). */
struct spawn_ns {
	int clone_flags;      /* CLONE_NEW* the first process is created in: 0 for none */
	bool userns;          /* add CLONE_NEWUSER with the caller's ids mapped to themselves */
	bool map_root;        /* ... or mapped to 0 (a fake root) */
	const char *hostname; /* set in the new UTS namespace */
	/* The containerized filesystem: built in the new mount namespace
	 * (fs_mount_enter) before exec. NULL: the host's. */
	const struct fs_wants *fs;
	/* Instead of new namespaces: join those of this running process (a
	 * process started later in an instance, umld exec). Its PID
	 * namespace is entered by a child: the spawned process then waits for
	 * that child and exits with its status. */
	pid_t join;
};

/* Resource limits set in the first process before exec; -1: inherited. */
struct spawn_limits {
	long long memory;    /* RLIMIT_AS, bytes */
	long long file_size; /* RLIMIT_FSIZE, bytes */
	long long cpu_time;  /* RLIMIT_CPU, seconds */
	long tasks;          /* RLIMIT_NPROC */
	long open_files;     /* RLIMIT_NOFILE */
};

void spawn_limits_init(struct spawn_limits *l);

struct umld_cgroup;

struct spawn_opts {
	char *const *argv;                /* the command and its arguments */
	char *const *envp;                /* NULL: the monitor's environment */
	const char *cwd;                  /* NULL: the monitor's */
	const struct filter_prog *filter; /* installed before exec; NULL in sysemu mode */
	struct spawn_ns ns;
	struct spawn_limits limits;
	/* the sandbox's walls, set up before the filter; NULL: none */
	const struct sandbox_child *sandbox;
	const struct umld_cgroup *cgroup; /* joined before the child runs; NULL: none */
	int stdio[3];  /* fds to make the command's 0, 1, 2; -1: keep the monitor's */
	bool session;  /* setsid(), and stdin as controlling terminal if it is one */
	/* the first process leads a process group of its own (virtual pids:
	 * it is the guest's pid 1); see spawn_own_group */
	bool own_group;
	bool secondary; /* not the instance's first process (tr->first unchanged) */
	/* The command is looked up by the child, in the guest's root, once
	 * it is there (a PATH search when it has no '/'): the monitor's files
	 * are not the guest's (a containerized filesystem). */
	bool resolve_in_guest;
};

/* Whether the first process o spawns leads a process group of its own
 * (o->own_group, outside an instance's own session): umld then hands it
 * the terminal and takes it back. */
static inline bool spawn_own_group(const struct spawn_opts *o)
{
	return o->own_group && !o->session && !o->secondary && o->ns.join <= 0;
}

/* tcsetpgrp with SIGTTOU blocked: the terminal's foreground given to pgrp
 * by a caller that may be in the background (async-signal-safe). */
int tty_give(int tty, pid_t pgrp);

struct tracer {
	struct engine *engine;
	struct task_table tasks;
	pid_t first;        /* host pid of the guest's first process */
	bool own_group;     /* it leads its own process group (spawn_own_group) */
	int first_status;   /* its wait status, once first_done */
	bool first_done;
	struct placement place;
	/* Called on the tracer thread when its waitpid was interrupted by a
	 * signal: how other threads (the control server) get ptrace work done,
	 * since ptrace requests must come from this thread. */
	void (*on_wake)(struct tracer *tr, void *arg);
	void *wake_arg;
	/* Called when a task that is not the first process's thread group
	 * leader exits (for instances: an exec'd process ending). */
	void (*on_exit)(struct tracer *tr, pid_t pid, int status, void *arg);
	/* The virtual kernel's view of tasks: a new task (before it runs a
	 * single instruction: it is held until its parent's event), a task
	 * whose id changed (a non-leader thread's execve), a task gone. */
	void (*on_clone)(void *arg, pid_t parent, pid_t child);
	void (*on_gone)(void *arg, pid_t tid);
	/* A new task is about to run its first instruction: it has reached
	 * its first stop (what the kernel writes into a new task as it starts,
	 * CLONE_CHILD_SETTID, is written) and its parent's event was seen. */
	void (*on_start)(void *arg, pid_t tid);
	/* At an exec event, before the new image runs: false kills it. */
	bool (*on_exec)(void *arg, pid_t tgid);
	/* At a signal-delivery stop, before the task is resumed with the
	 * signal: the siginfo it gets may be changed (regs_set_siginfo). */
	void (*on_signal)(void *arg, pid_t tid);
	void *vk_arg;
	/* Paused: every stop is held instead of resumed (see tracer_pause). */
	bool paused;
	size_t held;
};

/* Call before tracer_spawn (placement decides where the guest starts). */
int tracer_init(struct tracer *tr, struct engine *e, enum colocate_policy colocate);
void tracer_free(struct tracer *tr);

/* Resolves argv[0] the way a shell does (PATH search when it has no '/').
 * On failure err carries the shell's exit status: 127 not found, 126 not
 * executable. */
int spawn_resolve(const char *cmd, char *path, size_t size, struct umld_err *err);

/* Forks the guest's first process (or, with o->secondary, another one),
 * seizes it, lets it install the filter and exec path (with
 * o->resolve_in_guest, path is the command as given). *listener is the
 * seccomp notification fd when the filter has notify rules, else -1. *pid
 * (may be NULL) is the new process. Returns 0 or -errno (err filled; a
 * failure to set up the guest's namespaces is the child's message, "fs: ..."
 * for the filesystem). */
int tracer_spawn(struct tracer *tr, const char *path, const struct spawn_opts *o,
		 int *listener, pid_t *pid, struct umld_err *err);

/* Runs the stop loop until the first process has ended and every other task
 * is gone. Returns the first process's wait status. */
int tracer_run(struct tracer *tr);

/* Freezes every guest task: each is interrupted (PTRACE_INTERRUPT) and held
 * at the stop, unseen by the guest (no signal, no parent notification).
 * Tracer thread only. tracer_frozen tells when every task is held. */
void tracer_pause(struct tracer *tr);
void tracer_unpause(struct tracer *tr);
bool tracer_frozen(const struct tracer *tr);

/* Shell-style exit status of a wait status: the code, or 128 + signal. */
int wait_status_to_exit(int status);

#endif
