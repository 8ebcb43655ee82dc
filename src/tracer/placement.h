/* Where the monitor's tracer thread runs relative to the guest. A ptrace stop
 * costs ~7 us when tracer and tracee share a CPU and ~30 us when each wake-up
 * has to rouse the other, idle CPU; the scheduler, left alone, puts them
 * apart (it wakes a task on an idle CPU rather than a busy one). So while
 * stops are frequent, the tracer thread and every guest task are pinned to
 * one CPU; when they become rare, the guest gets its CPUs back. */
#ifndef UMLD_TRACER_PLACEMENT_H
#define UMLD_TRACER_PLACEMENT_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "tracer/task.h"

enum colocate_policy {
	COLOCATE_AUTO = 0, /* pin while ptrace stops are frequent */
	COLOCATE_ALWAYS,   /* pin from the start */
	COLOCATE_NEVER,    /* leave placement to the scheduler */
};

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
};

int colocate_policy_parse(const char *s, enum colocate_policy *out);
const char *colocate_policy_name(enum colocate_policy p);

/* Before the guest is spawned: COLOCATE_ALWAYS pins the monitor here, so
 * that the guest inherits the pin. */
void placement_init(struct placement *p, enum colocate_policy policy);
/* Counts one ptrace stop (of any kind); may pin or unpin every task. */
void placement_on_stop(struct placement *p, const struct task_table *tasks);
/* The tracer's waitpid was interrupted: the timer may have fired. */
void placement_tick(struct placement *p, const struct task_table *tasks);

#endif
