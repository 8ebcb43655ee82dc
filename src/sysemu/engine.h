/* The interception engine: how guest system calls reach the handler table
 * (seccomp RET_TRACE or PTRACE_SYSEMU) and how a verdict is applied at the
 * stop. The tracer calls it for every syscall-related stop and resumes the
 * task the way it answers. */
#ifndef UMLD_SYSEMU_ENGINE_H
#define UMLD_SYSEMU_ENGINE_H

#include <stdint.h>

#include "emul/handler.h"
#include "tracer/task.h"

enum intercept_mode {
	INTERCEPT_SECCOMP = 0, /* default: a filter traps only claimed calls */
	INTERCEPT_SYSEMU,      /* every call stops under PTRACE_SYSEMU */
};

/* How to resume a task after a stop. */
enum resume_how {
	RESUME_CONT,    /* PTRACE_CONT */
	RESUME_SYSCALL, /* PTRACE_SYSCALL */
	RESUME_SYSEMU,  /* PTRACE_SYSEMU */
	RESUME_NONE,    /* do not resume: the task was killed */
};

struct engine_stats {
	uint64_t stops;    /* syscall-related ptrace stops */
	uint64_t handled;  /* calls a handler answered */
	uint64_t passed;   /* calls that ran on the host */
};

struct engine {
	enum intercept_mode mode;
	bool notify; /* some calls are served from seccomp user notifications */
	const struct emul_table *table;
	struct emul_ctx ctx;
	struct engine_stats stats;
};

const char *intercept_mode_name(enum intercept_mode m);
/* Parses "seccomp" or "sysemu"; -EINVAL otherwise. */
int intercept_mode_parse(const char *s, enum intercept_mode *out);

/* The resume request for a task outside any syscall stop (signal, event). */
enum resume_how engine_resume_how(const struct engine *e, const struct task *t);
/* A PTRACE_EVENT_SECCOMP stop. */
enum resume_how engine_seccomp_stop(struct engine *e, struct task *t);
/* A syscall-entry or -exit stop (SIGTRAP|0x80). */
enum resume_how engine_syscall_stop(struct engine *e, struct task *t);
/* A signal-delivery stop: a call interrupted while it waited for its
 * notification to be answered is made to restart when the call never fails
 * with EINTR natively. */
void engine_signal_stop(struct engine *e, struct task *t);

#endif
