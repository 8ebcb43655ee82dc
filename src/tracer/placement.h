/* Where the monitor's threads run relative to the guest. A ptrace stop
 * costs ~7 us when tracer and tracee share a CPU and ~30 us when each wake-up
 * has to rouse the other, idle CPU; the scheduler, left alone, puts them
 * apart (it wakes a task on an idle CPU rather than a busy one). A
 * notification answered with an injected fd is the same (the injection wakes
 * the caller the ordinary way). So while stops and notifications are
 * frequent, the tracer thread, the notification threads and every guest task
 * are pinned to one CPU; when they become rare, the guest gets its CPUs back.
 *
 * The notification threads only count and, when their rate crosses the
 * line, signal the tracer thread, which alone touches the task table. */
#ifndef UMLD_TRACER_PLACEMENT_H
#define UMLD_TRACER_PLACEMENT_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tracer/task.h"

enum colocate_policy {
	COLOCATE_AUTO = 0, /* pin while ptrace stops are frequent */
	COLOCATE_ALWAYS,   /* pin from the start */
	COLOCATE_NEVER,    /* leave placement to the scheduler */
};

#define PLACEMENT_NOTIFIERS 8

struct placement {
	enum colocate_policy policy;
	cpu_set_t orig; /* the monitor's affinity at start: the guest's own */
	bool pinned;
	int cpu;
	int64_t window_start; /* ns, CLOCK_MONOTONIC */
	uint32_t window_stops;
	uint64_t pins;        /* times it pinned (for -v and tests) */
	/* While pinned, a timer interrupts the tracer's waitpid every unpin
	 * window, so that a guest that stops making calls is unpinned too. */
	timer_t timer;
	bool have_timer;
	/* notifications: counted by the serving threads (placement_on_notify) */
	pid_t tracer_tid;
	atomic_uint notified;
	unsigned notified_seen;
	atomic_bool notify_pinned; /* what the serving threads see of pinned */
	atomic_bool want_pin;      /* a serving thread asks the tracer to pin */
	atomic_int want_cpu;
	atomic_int notify_tid[PLACEMENT_NOTIFIERS]; /* serving threads to pin along */
	/* a serving thread's own window (one at a time is enough: a race
	 * between two only delays the pin) */
	atomic_llong nwindow_start;
	atomic_uint nwindow_count;
};

int colocate_policy_parse(const char *s, enum colocate_policy *out);
const char *colocate_policy_name(enum colocate_policy p);

/* Before the guest is spawned: COLOCATE_ALWAYS pins the monitor here, so
 * that the guest inherits the pin. */
void placement_init(struct placement *p, enum colocate_policy policy);
/* Counts one ptrace stop (of any kind); may pin or unpin every task. */
void placement_on_stop(struct placement *p, const struct task_table *tasks);
/* The tracer's waitpid was interrupted: the timer may have fired, or a
 * serving thread may have asked for a pin. */
void placement_tick(struct placement *p, const struct task_table *tasks);
/* A notification serving thread starts (its tid is pinned along) or ends. */
void placement_notifier(struct placement *p, pid_t tid, bool on);
/* Counts one notification, in a serving thread. */
void placement_on_notify(struct placement *p);

#endif
