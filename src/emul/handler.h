/* The declarative handler table. A feature (a virtual-kernel subsystem, or the
 * test set) lists the calls it claims as struct emul_handler entries by name;
 * emul_table_add() resolves them to numbers per ABI once, and the filter
 * compiler and the dispatcher both read the one resulting table. */
#ifndef UMLD_EMUL_HANDLER_H
#define UMLD_EMUL_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "emul/request.h"
#include "emul/syscalls.h"

struct emul_handler;

/* What a handler may use: the instance's virtual kernel state (grows with
 * each subsystem) and the caller. */
struct emul_ctx {
	void *state;
};

typedef struct verdict (*emul_enter_fn)(struct emul_ctx *ctx, const struct sc_request *req);
/* At the syscall-exit stop of a call the handler let run (PASS or REWRITE):
 * req is the request as it entered (original arguments), ret what the call
 * returned; the result is what the guest gets instead. The task is stopped
 * under ptrace, so req_read/req_write reach its memory. */
typedef int64_t (*emul_exit_fn)(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret);

/* Which ABIs an entry claims the call in. */
#define EMUL_ABI_64 (1u << ABI_X86_64)
#define EMUL_ABI_32 (1u << ABI_I386)
#define EMUL_ABI_BOTH (EMUL_ABI_64 | EMUL_ABI_32)

struct emul_handler {
	const char *name; /* as in syscalls.list */
	unsigned abis;    /* EMUL_ABI_*: 0 means both */
	/* The handler needs the caller stopped under ptrace (registers, or a
	 * REWRITE verdict). Otherwise it may be served from a seccomp user
	 * notification: it then answers with RETURN, DENY, PASS, KILL or FD,
	 * touching guest memory only through sysemu/mem.h's req_* calls. */
	bool needs_ptrace;
	/* The call never fails with EINTR natively (fork, getppid, uname...):
	 * if a signal interrupts the guest while it waits for the notification
	 * to be answered, the call was not under way yet, so it is restarted
	 * (see engine_signal_stop) rather than failing with EINTR. Not for
	 * calls that can block natively (open of a FIFO, read). */
	bool never_eintr;
	/* Otherwise, asked at that moment (the guest is stopped) whether this
	 * call, with these arguments, could have been interrupted natively;
	 * false makes it restart. NULL: it could. */
	bool (*may_block)(const struct sc_request *req);
	emul_enter_fn enter;
	/* Asks for the call's exit stop when it runs on the host, to change
	 * its result (a pid it returns, or writes to guest memory). Only with
	 * needs_ptrace: a call passed from a user notification has no exit
	 * stop. The engine then resumes the entry with PTRACE_SYSCALL (see
	 * engine.c, "Exit stops"). */
	emul_exit_fn exit;
	/* Claimed only when the call's second argument, in its low 32 bits (as
	 * the kernel reads an ioctl's or an fcntl's command), is one of these
	 * narg1 values: the filter lets any other run unseen. narg1 0: every
	 * call is claimed. Where every call stops anyway (sysemu), the handler
	 * still sees the others and must pass them. */
	const uint32_t *arg1;
	unsigned narg1;
};

struct emul_feature {
	const char *name;
	const struct emul_handler *handlers;
	size_t count;
	/* its claims give way to a feature added later that claims the same
	 * call (the test pass-through set, under a virtual-kernel subsystem) */
	bool weak;
};

/* Number-to-handler, per ABI. An empty table claims nothing. */
struct emul_table {
	const struct emul_handler *by_nr[ABI_COUNT][SC_NR_LIMIT];
	bool weak[ABI_COUNT][SC_NR_LIMIT];
	unsigned claimed;
};

void emul_table_init(struct emul_table *t);
/* Adds every handler of f; fails on an unknown name or a call claimed twice. */
int emul_table_add(struct emul_table *t, const struct emul_feature *f, struct umld_err *err);

static inline const struct emul_handler *emul_table_get(const struct emul_table *t,
							 enum umld_abi abi, long nr)
{
	if ((unsigned)abi >= ABI_COUNT || nr < 0 || nr >= SC_NR_LIMIT)
		return NULL;
	return t->by_nr[abi][nr];
}

/* Runs the handler for req, or PASS when none claims it. */
struct verdict emul_dispatch(const struct emul_table *t, struct emul_ctx *ctx,
			     const struct sc_request *req);

/* The test-only handler set: getppid answers 4242 and uname answers a fixed
 * utsname (nodename "umld-test"), in both ABIs; a 64-bit memfd_create on the
 * notification path gets a memfd the monitor filled with "umld-test\n";
 * access reads its path as the kernel does (EFAULT, ENAMETOOLONG) and runs. `umld run --test-handlers`
 * and `umld bench` use it, so the emulation paths work with no subsystem. */
extern const struct emul_feature emul_feature_testing;
/* Test-only too: claims ~40 common calls and passes each unchanged (see
 * testing.c); `umld run --test-passthrough`. */
extern const struct emul_feature emul_feature_passthrough;
#define EMUL_TEST_PPID 4242
#define EMUL_TEST_NODENAME "umld-test"

#endif
