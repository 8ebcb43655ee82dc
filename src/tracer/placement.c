/* The co-location policy of placement.h. Windows of stops decide: 64 or more
 * stops (or notifications) in 6.4 ms (10,000/s: a third of the time spent
 * waking CPUs) pin; fewer than 100 in a 100 ms window (checked by a timer)
 * unpin. The guest's view of its own affinity is not virtualized yet: while
 * pinned, sched_getaffinity shows one CPU. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "tracer/placement.h"

#define PIN_WINDOW_NS 6400000LL
#define PIN_STOPS 64
#define UNPIN_WINDOW_NS 100000000LL
#define UNPIN_STOPS 100

int colocate_policy_parse(const char *s, enum colocate_policy *out)
{
	if (strcmp(s, "auto") == 0)
		*out = COLOCATE_AUTO;
	else if (strcmp(s, "always") == 0)
		*out = COLOCATE_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*out = COLOCATE_NEVER;
	else
		return -EINVAL;
	return 0;
}

const char *colocate_policy_name(enum colocate_policy p)
{
	static const char *const names[] = { "auto", "always", "never" };

	return (unsigned)p < 3 ? names[p] : "?";
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_tick(int sig)
{
	/* nothing: the point is the EINTR of the tracer's waitpid */
}

/* A per-thread CPU-time-free timer that signals the tracer thread with a
 * real-time signal no guest ever receives from us. */
static void timer_setup(struct placement *p)
{
	struct sigaction sa;
	struct sigevent sev;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick; /* no SA_RESTART: waitpid must return */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL) < 0)
		return;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGRTMIN;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	p->have_timer = timer_create(CLOCK_MONOTONIC, &sev, &p->timer) == 0;
}

static void timer_arm(struct placement *p, bool on)
{
	struct itimerspec its;

	if (!p->have_timer)
		return;
	memset(&its, 0, sizeof(its));
	if (on) {
		its.it_value.tv_nsec = UNPIN_WINDOW_NS;
		its.it_interval.tv_nsec = UNPIN_WINDOW_NS;
	}
	timer_settime(p->timer, 0, &its, NULL);
}

static void set_task_affinity(struct task *t, void *arg)
{
	/* ESRCH: the task is exiting; its exit is reported anyway */
	sched_setaffinity(t->tid, sizeof(cpu_set_t), arg);
}

static void set_notifiers_affinity(struct placement *p, const cpu_set_t *set)
{
	for (int i = 0; i < PLACEMENT_NOTIFIERS; i++) {
		pid_t tid = atomic_load(&p->notify_tid[i]);
		if (tid > 0)
			sched_setaffinity(tid, sizeof(*set), set);
	}
}

static void pin(struct placement *p, const struct task_table *tasks, int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0 || !CPU_ISSET(cpu, &p->orig))
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		return;
	set_notifiers_affinity(p, &one);
	if (tasks)
		task_foreach(tasks, set_task_affinity, &one);
	p->pinned = true;
	atomic_store(&p->notify_pinned, true);
	p->cpu = cpu;
	p->pins++;
	timer_arm(p, true);
	log_debug("ptrace stops are frequent: monitor and guest pinned to CPU %d", cpu);
}

static void unpin(struct placement *p, const struct task_table *tasks)
{
	sched_setaffinity(0, sizeof(p->orig), &p->orig);
	set_notifiers_affinity(p, &p->orig);
	task_foreach(tasks, set_task_affinity, &p->orig);
	p->pinned = false;
	atomic_store(&p->notify_pinned, false);
	atomic_store(&p->nwindow_start, 0);
	atomic_store(&p->nwindow_count, 0);
	timer_arm(p, false);
	log_debug("ptrace stops are rare again: guest unpinned");
}

void placement_init(struct placement *p, enum colocate_policy policy)
{
	memset(p, 0, sizeof(*p));
	p->policy = policy;
	p->tracer_tid = (pid_t)syscall(SYS_gettid);
	if (sched_getaffinity(0, sizeof(p->orig), &p->orig) < 0 || CPU_COUNT(&p->orig) < 2) {
		p->policy = COLOCATE_NEVER; /* one CPU: nothing to decide */
		return;
	}
	if (policy == COLOCATE_ALWAYS)
		pin(p, NULL, -1);
	else
		timer_setup(p);
}

static void evaluate(struct placement *p, const struct task_table *tasks)
{
	int64_t now, span;

	now = now_ns();
	if (p->window_start == 0)
		p->window_start = now;
	span = now - p->window_start;
	if (!p->pinned) {
		if (p->window_stops >= PIN_STOPS && span <= PIN_WINDOW_NS)
			pin(p, tasks, -1);
		if (p->pinned || span > PIN_WINDOW_NS) {
			p->window_start = now;
			p->window_stops = 0;
		}
	} else if (span > UNPIN_WINDOW_NS) {
		unsigned n = atomic_load(&p->notified);

		p->window_stops += n - p->notified_seen;
		p->notified_seen = n;
		if (p->window_stops < UNPIN_STOPS)
			unpin(p, tasks);
		p->window_start = now;
		p->window_stops = 0;
	}
}

void placement_on_stop(struct placement *p, const struct task_table *tasks)
{
	if (p->policy != COLOCATE_AUTO)
		return;
	p->window_stops++;
	/* read the clock every 16 stops while unpinned; while pinned the
	 * timer does the reading */
	if (!p->pinned && (p->window_stops & 15) == 1)
		evaluate(p, tasks);
}

void placement_tick(struct placement *p, const struct task_table *tasks)
{
	if (p->policy != COLOCATE_AUTO)
		return;
	if (atomic_exchange(&p->want_pin, false) && !p->pinned) {
		pin(p, tasks, atomic_load(&p->want_cpu));
		if (p->pinned) {
			p->window_start = now_ns();
			p->window_stops = 0;
			p->notified_seen = atomic_load(&p->notified);
		}
		return;
	}
	if (p->pinned)
		evaluate(p, tasks);
}

void placement_notifier(struct placement *p, pid_t tid, bool on)
{
	for (int i = 0; i < PLACEMENT_NOTIFIERS; i++) {
		int expect = on ? 0 : tid;
		if (atomic_compare_exchange_strong(&p->notify_tid[i], &expect, on ? tid : 0))
			break;
	}
	if (on && p->policy == COLOCATE_AUTO && atomic_load(&p->notify_pinned)) {
		/* a server started while pinned (umld exec): join the others */
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(p->cpu, &one);
		sched_setaffinity(tid, sizeof(one), &one);
	}
}

void placement_on_notify(struct placement *p)
{
	unsigned c;
	int64_t now, start;

	if (p->policy != COLOCATE_AUTO)
		return;
	atomic_fetch_add_explicit(&p->notified, 1, memory_order_relaxed);
	if (atomic_load_explicit(&p->notify_pinned, memory_order_relaxed))
		return;
	/* the clock every 16 notifications, as for stops */
	c = atomic_fetch_add_explicit(&p->nwindow_count, 1, memory_order_relaxed) + 1;
	if ((c & 15) != 1)
		return;
	now = now_ns();
	start = atomic_load(&p->nwindow_start);
	if (start == 0 || now - start > PIN_WINDOW_NS) {
		atomic_store(&p->nwindow_start, now);
		atomic_store(&p->nwindow_count, 1);
		return;
	}
	if (c >= PIN_STOPS && !atomic_load(&p->want_pin)) {
		atomic_store(&p->want_cpu, sched_getcpu());
		atomic_store(&p->want_pin, true);
		atomic_store(&p->nwindow_start, 0);
		atomic_store(&p->nwindow_count, 0);
		/* the tracer thread does it: its waitpid returns EINTR */
		syscall(SYS_tgkill, getpid(), p->tracer_tid, SIGRTMIN);
	}
}
