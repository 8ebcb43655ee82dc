/* x86_64 register access for a stopped tracee: reading a system call's
 * number and arguments per ABI, and changing them or its result. */
#ifndef UMLD_SYSEMU_REGS_H
#define UMLD_SYSEMU_REGS_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "emul/request.h"

typedef struct user_regs_struct umld_regs;

int regs_get(pid_t tid, umld_regs *r);
int regs_set(pid_t tid, const umld_regs *r);

/* The siginfo of a task at a signal-delivery stop, and one to deliver
 * instead (PTRACE_SETSIGINFO; same signal). The layout is the monitor's
 * (64-bit), for a 32-bit task too: ptrace converts. 0 or -errno. */
int regs_get_siginfo(pid_t tid, siginfo_t *si);
int regs_set_siginfo(pid_t tid, const siginfo_t *si);

void regs_get_args(const umld_regs *r, enum umld_abi abi, uint64_t args[SC_ARGS_MAX]);
void regs_set_args(umld_regs *r, enum umld_abi abi, const uint64_t args[SC_ARGS_MAX]);

/* Length of every syscall instruction (syscall, int 0x80; sysenter returns
 * to an int 0x80 in the vDSO): going back this much re-executes the call. */
#define SYSCALL_INSN_LEN 2

/* What PTRACE_GET_SYSCALL_INFO says a stop is. */
enum sc_stop_kind {
	SC_STOP_OTHER = 0, /* not a syscall stop */
	SC_STOP_ENTRY,     /* syscall-entry stop (PTRACE_SYSCALL or PTRACE_SYSEMU) */
	SC_STOP_EXIT,      /* syscall-exit stop */
	SC_STOP_SECCOMP,   /* PTRACE_EVENT_SECCOMP stop */
};

/* Fills req from PTRACE_GET_SYSCALL_INFO at a syscall-entry or seccomp stop.
 * Returns the stop kind, or -errno. */
int regs_decode_stop(pid_t tid, struct sc_request *req);

/* Sets the result register only (for a call the kernel already skipped). */
int regs_set_result(pid_t tid, int64_t value);
/* Makes the kernel skip the call about to run, returning value. */
int regs_skip_call(pid_t tid, int64_t value);

#endif
