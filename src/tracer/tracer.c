/* The stop loop. One thread (the one that seized the guest: ptrace requests
 * must come from it) waits for every stop of every guest task and resumes
 * each the way the kernel would have run it untraced:
 * - auto-attached children (fork, vfork, clone, clone3) first stop with
 *   PTRACE_EVENT_STOP/SIGTRAP and are resumed;
 * - group-stops (PTRACE_EVENT_STOP with a stop signal) are held with
 *   PTRACE_LISTEN, so a stopped guest stays stopped until SIGCONT, and its
 *   real parent is told, as without ptrace (Linux 3.4);
 * - signal-delivery stops re-inject the signal;
 * - syscall-related stops go to the engine (src/sysemu).
 *
 * The monitor's own signals: a SIGTERM, SIGINT, SIGHUP (and the other
 * ordinary ones) that a process sends to umld are passed to the guest's first
 * process; those the terminal sends reach the guest directly (same process
 * group; or, for the first process of a PID namespace, a group of its own to
 * which umld hands the terminal, so that the guest's kill(0) stays inside),
 * so umld does not pass them twice. When the guest is stopped by job
 * control, umld stops itself too, so the shell that started umld sees its
 * job stop and takes the terminal back. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "tracer/tracer.h"

/* Signal handlers can only reach file-level state; this is all of it. */
static struct {
	volatile sig_atomic_t guest;      /* first guest process, 0 before spawn */
	volatile sig_atomic_t tty_stop;   /* a job-control stop signal reached umld */
} monitor_sig;

static void on_forwarded_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	/* si_code <= 0: sent by a process (kill, sigqueue, tkill); > 0: by the
	 * kernel, e.g. the terminal, which signalled the guest's group itself */
	if (si->si_code <= 0 && monitor_sig.guest > 0)
		kill((pid_t)monitor_sig.guest, sig);
	if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
		monitor_sig.tty_stop = 1;
	errno = saved;
}

static const int forwarded_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
					 SIGALRM, SIGTSTP, SIGTTIN, SIGTTOU, SIGWINCH };

static void install_signal_handlers(pid_t guest)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	monitor_sig.guest = guest;
	sa.sa_sigaction = on_forwarded_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded_signals); i++)
		sigaction(forwarded_signals[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int tracer_init(struct tracer *tr, struct engine *e, enum colocate_policy colocate)
{
	memset(tr, 0, sizeof(*tr));
	tr->engine = e;
	placement_init(&tr->place, colocate);
	return task_table_init(&tr->tasks);
}

void tracer_free(struct tracer *tr)
{
	task_table_free(&tr->tasks);
}

int wait_status_to_exit(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void resume_now(struct task *t, enum resume_how how, int sig)
{
	long req;

	switch (how) {
	case RESUME_NONE:
		return;
	case RESUME_SYSCALL:
		req = PTRACE_SYSCALL;
		break;
	case RESUME_SYSEMU:
		req = PTRACE_SYSEMU;
		break;
	case RESUME_CONT:
	default:
		req = PTRACE_CONT;
		break;
	}
	/* ESRCH: killed meanwhile (SIGKILL needs no tracer); its exit follows */
	if (ptrace(req, t->tid, 0, (void *)(long)sig) < 0 && errno != ESRCH)
		glog_warn(t->tid, "cannot resume: %s", strerror(errno));
}

static void resume(struct tracer *tr, struct task *t, enum resume_how how, int sig)
{
	if (tr->paused && how != RESUME_NONE) {
		if (!t->held)
			tr->held++;
		t->held = true;
		t->held_how = how;
		t->held_sig = sig;
		return;
	}
	resume_now(t, how, sig);
}

static void interrupt_task(struct task *t, void *arg)
{
	/* group-stopped tasks are stopped already; held ones are held */
	if (!t->held && !t->group_stopped && !t->awaiting_parent)
		ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
}

void tracer_pause(struct tracer *tr)
{
	if (tr->paused)
		return;
	tr->paused = true;
	task_foreach(&tr->tasks, interrupt_task, tr);
}

static void release_task(struct task *t, void *arg)
{
	if (t->held) {
		t->held = false;
		resume_now(t, (enum resume_how)t->held_how, t->held_sig);
	}
}

void tracer_unpause(struct tracer *tr)
{
	if (!tr->paused)
		return;
	tr->paused = false;
	tr->held = 0;
	task_foreach(&tr->tasks, release_task, NULL);
}

static void count_frozen(struct task *t, void *arg)
{
	if (t->held || t->group_stopped || t->awaiting_parent)
		(*(size_t *)arg)++;
}

bool tracer_frozen(const struct tracer *tr)
{
	size_t n = 0;

	if (!tr->paused)
		return false;
	task_foreach(&tr->tasks, count_frozen, &n);
	return n == tr->tasks.count;
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* The guest's first process is stopped by job control: stop umld as well when
 * a terminal is involved, so the shell that runs umld sees the job stop. A
 * guest in a group of its own is stopped by the terminal alone when it is
 * the foreground (umld is not), or when, in the background, it reads or
 * writes the terminal (SIGTTIN, SIGTTOU). */
static void mirror_stop(struct tracer *tr, int sig)
{
	cleanup_close int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	pid_t guest_pgrp = getpgid(tr->first);
	pid_t own_pgrp = getpgrp();
	bool fg = tty >= 0 && guest_pgrp > 0 && tcgetpgrp(tty) == guest_pgrp;
	bool bg_tty = tr->own_group && tty >= 0 && (sig == SIGTTIN || sig == SIGTTOU);

	if (!monitor_sig.tty_stop && !fg && !bg_tty)
		return; /* stopped by someone else's kill: keep serving */
	monitor_sig.tty_stop = 0;
	kill(getpid(), SIGSTOP);
	/* continued by the shell (fg or bg) */
	if (guest_pgrp > 0 && guest_pgrp != own_pgrp) {
		/* the guest runs its own job control: hand it the terminal back
		 * if the shell gave it to us, and continue it */
		if (tty >= 0 && tcgetpgrp(tty) == own_pgrp)
			tcsetpgrp(tty, guest_pgrp);
		killpg(guest_pgrp, SIGCONT);
	}
}

/* The guest, which led its own process group, has ended: if the terminal's
 * foreground is still its group, it is umld's again, for whatever umld
 * still writes and for the shell that waits for umld. */
static void take_terminal_back(const struct tracer *tr)
{
	cleanup_close int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (tty >= 0 && tcgetpgrp(tty) == tr->first)
		tty_give(tty, getpgrp());
}

int tty_give(int tty, pid_t pgrp)
{
	sigset_t ttou, old;
	int r;

	/* from the background the kernel would stop the caller with SIGTTOU */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	r = tcsetpgrp(tty, pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* Before a task's first resume. */
static void task_start(struct tracer *tr, struct task *t)
{
	if (t->started)
		return;
	t->started = true;
	if (tr->on_start)
		tr->on_start(tr->vk_arg, t->tid);
}

static void on_event_stop(struct tracer *tr, struct task *t, int sig)
{
	if (is_stop_signal(sig)) {
		/* group-stop: stay stopped, but let the kernel wake us on SIGCONT */
		t->group_stopped = true;
		if (ptrace(PTRACE_LISTEN, t->tid, 0, 0) < 0 && errno != ESRCH)
			glog_warn(t->tid, "PTRACE_LISTEN: %s", strerror(errno));
		if (t->tid == tr->first)
			mirror_stop(tr, sig);
		return;
	}
	/* SIGTRAP: the first stop of an auto-attached task, the monitor's
	 * PTRACE_INTERRUPT of the first process before its exec, or the end of
	 * a group-stop (SIGCONT) while listening */
	t->group_stopped = false;
	if (!t->announced) {
		/* its parent's fork/clone event is still to come: hold it, so
		 * that it never runs before the virtual kernel knows whose it is */
		t->awaiting_parent = true;
		return;
	}
	task_start(tr, t);
	resume(tr, t, engine_resume_how(tr->engine, t), 0);
}

static void on_new_task(struct tracer *tr, struct task *parent)
{
	unsigned long msg = 0;
	struct task *child;

	if (ptrace(PTRACE_GETEVENTMSG, parent->tid, 0, &msg) == 0 && msg > 0) {
		child = task_get(&tr->tasks, (pid_t)msg);
		if (!child) {
			glog_warn(parent->tid, "out of memory for task %lu", msg);
		} else {
			child->announced = true;
			if (tr->on_clone)
				tr->on_clone(tr->vk_arg, parent->tid, child->tid);
			if (child->awaiting_parent) {
				child->awaiting_parent = false;
				task_start(tr, child);
				resume(tr, child, engine_resume_how(tr->engine, child), 0);
			}
		}
	}
	resume(tr, parent, engine_resume_how(tr->engine, parent), 0);
}

static void on_exec(struct tracer *tr, struct task *t)
{
	unsigned long former = 0;
	pid_t tgid = t->tid;

	/* A non-leader thread that called execve now has the leader's id: its
	 * record (syscall state) replaces the vanished leader's, which t
	 * points to and which task_rename frees. */
	if (ptrace(PTRACE_GETEVENTMSG, tgid, 0, &former) == 0 && former > 0 &&
	    (pid_t)former != tgid) {
		task_rename(&tr->tasks, (pid_t)former, tgid);
		if (tr->on_clone) {
			tr->on_clone(tr->vk_arg, (pid_t)former, tgid);
			tr->on_gone(tr->vk_arg, (pid_t)former);
		}
		t = task_get(&tr->tasks, tgid);
		if (!t)
			return;
		t->attached = true;
	}
	if (tr->on_exec && !tr->on_exec(tr->vk_arg, tgid))
		kill(tgid, SIGKILL); /* dies at this stop, its new image never ran */
	resume(tr, t, engine_resume_how(tr->engine, t), 0);
}

static void on_signal_stop(struct tracer *tr, struct task *t, int sig)
{
	engine_signal_stop(tr->engine, t);
	if (tr->on_signal)
		tr->on_signal(tr->vk_arg, t->tid);
	resume(tr, t, engine_resume_how(tr->engine, t), sig);
}

static void on_stopped(struct tracer *tr, pid_t pid, int status)
{
	struct task *t = task_get(&tr->tasks, pid);
	int sig = WSTOPSIG(status);
	int event = (unsigned)status >> 16;

	if (!t) {
		/* out of memory: keep the guest running rather than stuck */
		ptrace(PTRACE_CONT, pid, 0, 0);
		return;
	}
	t->attached = true;
	/* every stop costs a wake-up each way, fork and exec events too */
	placement_on_stop(&tr->place, &tr->tasks);
	switch (event) {
	case 0:
		if (sig == (SIGTRAP | 0x80))
			resume(tr, t, engine_syscall_stop(tr->engine, t), 0);
		else
			on_signal_stop(tr, t, sig);
		break;
	case PTRACE_EVENT_STOP:
		on_event_stop(tr, t, sig);
		break;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		on_new_task(tr, t);
		break;
	case PTRACE_EVENT_EXEC:
		on_exec(tr, t);
		break;
	case PTRACE_EVENT_SECCOMP:
		resume(tr, t, engine_seccomp_stop(tr->engine, t), 0);
		break;
	default:
		resume(tr, t, engine_resume_how(tr->engine, t), 0);
		break;
	}
}

static void kill_task(struct task *t, void *arg)
{
	kill(t->tid, SIGKILL);
}

int tracer_run(struct tracer *tr)
{
	install_signal_handlers(tr->first);
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, __WALL);

		if (pid < 0) {
			if (errno == EINTR) {
				placement_tick(&tr->place, &tr->tasks);
				if (tr->on_wake)
					tr->on_wake(tr, tr->wake_arg);
				continue;
			}
			break; /* ECHILD: every task is gone */
		}
		if (WIFSTOPPED(status)) {
			on_stopped(tr, pid, status);
			continue;
		}
		if (!WIFEXITED(status) && !WIFSIGNALED(status))
			continue;
		{
			struct task *gone = task_find(&tr->tasks, pid);
			if (gone && gone->held && tr->held)
				tr->held--;
		}
		task_remove(&tr->tasks, pid);
		if (tr->on_gone)
			tr->on_gone(tr->vk_arg, pid);
		if (pid != tr->first && tr->on_exit)
			tr->on_exit(tr, pid, status, tr->wake_arg);
		if (pid == tr->first && !tr->first_done) {
			tr->first_done = true;
			tr->first_status = status;
			/* the instance ends with its first process, as a pid
			 * namespace ends with its init */
			task_foreach(&tr->tasks, kill_task, NULL);
		}
		if (tr->first_done && tr->tasks.count == 0)
			break;
	}
	monitor_sig.guest = 0;
	if (tr->own_group)
		take_terminal_back(tr);
	return tr->first_status;
}
