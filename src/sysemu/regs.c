/* Register access through ptrace for x86_64 hosts. The ABI of a call comes
 * from PTRACE_GET_SYSCALL_INFO (Linux 5.3), which reports the kernel's own
 * view (in_ia32_syscall), so a 64-bit program using int 0x80 is not mistaken
 * for a 64-bit call, whatever its code segment or instruction bytes say. */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <stddef.h>
#include <string.h>
#include <sys/ptrace.h>

#include "sysemu/regs.h"

int regs_get(pid_t tid, umld_regs *r)
{
	return ptrace(PTRACE_GETREGS, tid, 0, r) < 0 ? -errno : 0;
}

int regs_set(pid_t tid, const umld_regs *r)
{
	return ptrace(PTRACE_SETREGS, tid, 0, r) < 0 ? -errno : 0;
}

int regs_get_siginfo(pid_t tid, siginfo_t *si)
{
	return ptrace(PTRACE_GETSIGINFO, tid, 0, si) < 0 ? -errno : 0;
}

int regs_set_siginfo(pid_t tid, const siginfo_t *si)
{
	return ptrace(PTRACE_SETSIGINFO, tid, 0, si) < 0 ? -errno : 0;
}

void regs_get_args(const umld_regs *r, enum umld_abi abi, uint64_t a[SC_ARGS_MAX])
{
	if (abi == ABI_I386) {
		/* 32-bit values: the upper halves are not part of the call */
		a[0] = (uint32_t)r->rbx;
		a[1] = (uint32_t)r->rcx;
		a[2] = (uint32_t)r->rdx;
		a[3] = (uint32_t)r->rsi;
		a[4] = (uint32_t)r->rdi;
		a[5] = (uint32_t)r->rbp;
	} else {
		a[0] = r->rdi;
		a[1] = r->rsi;
		a[2] = r->rdx;
		a[3] = r->r10;
		a[4] = r->r8;
		a[5] = r->r9;
	}
}

void regs_set_args(umld_regs *r, enum umld_abi abi, const uint64_t a[SC_ARGS_MAX])
{
	if (abi == ABI_I386) {
		r->rbx = (uint32_t)a[0];
		r->rcx = (uint32_t)a[1];
		r->rdx = (uint32_t)a[2];
		r->rsi = (uint32_t)a[3];
		r->rdi = (uint32_t)a[4];
		r->rbp = (uint32_t)a[5];
	} else {
		r->rdi = a[0];
		r->rsi = a[1];
		r->rdx = a[2];
		r->r10 = a[3];
		r->r8 = a[4];
		r->r9 = a[5];
	}
}

int regs_decode_stop(pid_t tid, struct sc_request *req)
{
	struct __ptrace_syscall_info si;
	long n;

	memset(&si, 0, sizeof(si));
	n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(si), &si);
	if (n < 0)
		return -errno;
	req->tid = tid;
	req->ip = si.instruction_pointer;
	req->sp = si.stack_pointer;
	switch (si.op) {
	case PTRACE_SYSCALL_INFO_ENTRY:
		req->nr = (long)si.entry.nr;
		memcpy(req->args, si.entry.args, sizeof(req->args));
		break;
	case PTRACE_SYSCALL_INFO_SECCOMP:
		req->nr = (long)si.seccomp.nr;
		memcpy(req->args, si.seccomp.args, sizeof(req->args));
		break;
	case PTRACE_SYSCALL_INFO_EXIT:
		return SC_STOP_EXIT;
	default:
		return SC_STOP_OTHER;
	}
	/* x32 never gets here: the filter and the kernel refuse it */
	req->abi = si.arch == AUDIT_ARCH_I386 ? ABI_I386 : ABI_X86_64;
	if (req->abi == ABI_I386)
		for (int i = 0; i < SC_ARGS_MAX; i++)
			req->args[i] = (uint32_t)req->args[i];
	req->info = sc_lookup(req->abi, req->nr);
	return si.op == PTRACE_SYSCALL_INFO_ENTRY ? SC_STOP_ENTRY : SC_STOP_SECCOMP;
}

int regs_set_result(pid_t tid, int64_t value)
{
	if (ptrace(PTRACE_POKEUSER, tid, (void *)offsetof(struct user, regs.rax),
		   (void *)(intptr_t)value) < 0)
		return -errno;
	return 0;
}

int regs_skip_call(pid_t tid, int64_t value)
{
	/* orig_rax = -1: the kernel runs no call and leaves rax as set here
	 * (x86 since Linux 4.17 does not overwrite it with -ENOSYS). */
	if (ptrace(PTRACE_POKEUSER, tid, (void *)offsetof(struct user, regs.orig_rax),
		   (void *)-1L) < 0)
		return -errno;
	return regs_set_result(tid, value);
}
