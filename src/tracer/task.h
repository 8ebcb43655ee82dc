/* The monitor's record of each guest task (one per host thread), kept in a
 * hash table keyed by host tid. */
#ifndef UMLD_TRACER_TASK_H
#define UMLD_TRACER_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "emul/request.h"

/* Where a task is in the PTRACE_SYSEMU pass-through sequence (sysemu mode).
 * A passed call is re-executed: the entry stop skips it, we rewind the
 * instruction pointer and resume with PTRACE_SYSCALL, the kernel reports the
 * exit of the skipped call, then the entry of the re-executed one, which we
 * resume with PTRACE_SYSEMU so that it runs and the next call stops again. */
enum task_sysemu {
	SYSEMU_IDLE = 0,     /* resume with PTRACE_SYSEMU */
	SYSEMU_SKIPPED_EXIT, /* expect the exit stop of the skipped call */
	SYSEMU_REEXEC_ENTRY, /* expect the entry stop of the re-executed call */
	SYSEMU_EXEC_EXIT,    /* a call runs under PTRACE_SYSCALL: expect its exit */
};

struct task {
	pid_t tid;
	bool attached;      /* its first stop was seen */
	bool announced;     /* its parent's fork/clone event was seen (or it is the first) */
	bool awaiting_parent; /* stopped at its first stop, held until announced */
	bool group_stopped; /* in group-stop, held with PTRACE_LISTEN */
	enum task_sysemu sysemu;
	/* held at a stop while the instance is paused: how to resume it */
	bool held;
	int held_how; /* enum resume_how */
	int held_sig;
	/* the re-executed call, to recognise its entry stop */
	uint64_t reexec_ip;
	long reexec_nr;
	uint64_t reexec_args[SC_ARGS_MAX];
	/* a handler asked for this call's exit stop (emul_handler.exit): the
	 * request as it entered, kept until then */
	bool exit_pending;
	struct sc_request exit_req;
	/* its first resume happened (the tracer's on_start hook ran) */
	bool started;
	struct task *next; /* hash chain */
};

struct task_table {
	struct task **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

int task_table_init(struct task_table *t);
void task_table_free(struct task_table *t);
struct task *task_find(const struct task_table *t, pid_t tid);
/* Finds tid, or adds a zeroed record for it; NULL when out of memory. */
struct task *task_get(struct task_table *t, pid_t tid);
void task_remove(struct task_table *t, pid_t tid);
/* Gives the record of old_tid the id new_tid (a non-leader thread's execve),
 * dropping any record new_tid had. */
void task_rename(struct task_table *t, pid_t old_tid, pid_t new_tid);
/* Calls fn for each task; fn must not add or remove tasks. */
void task_foreach(const struct task_table *t, void (*fn)(struct task *, void *), void *arg);

#endif
