/* Decoding a stop into one request, dispatching it, and applying the verdict.
 *
 * Two kinds of entry stop differ in what the kernel does next:
 * - "executing" (seccomp RET_TRACE, or a PTRACE_SYSCALL entry): the call runs
 *   when resumed unless its number is set to -1;
 * - "skipping" (PTRACE_SYSEMU): the call never runs; passing it means
 *   re-executing it (see enum task_sysemu).
 *
 * Exit stops: a handler with an exit hook (emul_handler.exit) that lets its
 * call run gets the call's syscall-exit stop, where it may change the
 * result. The entry is resumed with PTRACE_SYSCALL instead of PTRACE_CONT
 * (seccomp mode: the kernel reads the trace flag again on the way out, so a
 * flag set at the seccomp stop is seen), or, in sysemu mode, the
 * re-executed call's entry is; the request is kept in the task until then.
 * Event stops in between (a fork's) are resumed the same way. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sysemu/engine.h"
#include "sysemu/regs.h"

const char *intercept_mode_name(enum intercept_mode m)
{
	return m == INTERCEPT_SYSEMU ? "sysemu" : "seccomp";
}

int intercept_mode_parse(const char *s, enum intercept_mode *out)
{
	if (strcmp(s, "seccomp") == 0)
		*out = INTERCEPT_SECCOMP;
	else if (strcmp(s, "sysemu") == 0)
		*out = INTERCEPT_SYSEMU;
	else
		return -EINVAL;
	return 0;
}

enum resume_how engine_resume_how(const struct engine *e, const struct task *t)
{
	if (e->mode == INTERCEPT_SECCOMP)
		return t->exit_pending ? RESUME_SYSCALL : RESUME_CONT;
	switch (t->sysemu) {
	case SYSEMU_SKIPPED_EXIT:
	case SYSEMU_REEXEC_ENTRY:
	case SYSEMU_EXEC_EXIT:
		return RESUME_SYSCALL;
	case SYSEMU_IDLE:
	default:
		return RESUME_SYSEMU;
	}
}

static enum resume_how kill_caller(const struct sc_request *req)
{
	glog_warn(req->tid, "killed by verdict at %s", req->info ? req->info->name : "?");
	/* kill() of a thread id signals its whole thread group */
	kill(req->tid, SIGKILL);
	return RESUME_NONE;
}

/* Applies v at an executing entry stop: the kernel runs the call next. */
static int apply_executing(struct engine *e, const struct sc_request *req, const struct verdict *v)
{
	umld_regs regs;
	int r;

	switch (v->kind) {
	case VERDICT_PASS:
		e->stats.passed++;
		return 0;
	case VERDICT_REWRITE:
		e->stats.passed++;
		r = regs_get(req->tid, &regs);
		if (r < 0)
			return r;
		regs_set_args(&regs, req->abi, v->args);
		return regs_set(req->tid, &regs);
	case VERDICT_RETURN:
	case VERDICT_DENY:
		e->stats.handled++;
		return regs_skip_call(req->tid, verdict_result(v));
	case VERDICT_FD:
		/* fd injection needs a user notification: a handler bug */
		verdict_fd_done(v, req->tid, -1);
		glog_warn(req->tid, "fd verdict on a ptrace stop for %ld", req->nr);
		return regs_skip_call(req->tid, -ENOSYS);
	case VERDICT_KILL:
		break;
	}
	return 0;
}

/* ---- Exit stops ---- */

/* Keeps req for its exit stop when its handler has an exit hook and the
 * call runs. */
static bool exit_arm(const struct engine *e, struct task *t, const struct sc_request *req,
		     const struct verdict *v)
{
	const struct emul_handler *h = emul_table_get(e->table, req->abi, req->nr);

	t->exit_pending = false;
	if (!h || !h->exit || v->no_exit ||
	    (v->kind != VERDICT_PASS && v->kind != VERDICT_REWRITE))
		return false;
	t->exit_req = *req;
	t->exit_pending = true;
	return true;
}

/* At the exit stop of an armed call: the hook's result replaces the call's. */
static void exit_apply(struct engine *e, struct task *t)
{
	const struct emul_handler *h = emul_table_get(e->table, t->exit_req.abi, t->exit_req.nr);
	umld_regs regs;

	t->exit_pending = false;
	if (!h || !h->exit || regs_get(t->tid, &regs) < 0)
		return;
	int64_t ret = t->exit_req.abi == ABI_I386 ? (int64_t)(int32_t)regs.rax : (int64_t)regs.rax;
	int64_t now = h->exit(&e->ctx, &t->exit_req, ret);
	if (now != ret)
		regs_set_result(t->tid, now);
}

enum resume_how engine_seccomp_stop(struct engine *e, struct task *t)
{
	struct sc_request req = { .path = SC_PATH_TRACE, .memfd = -1 };
	struct verdict v;
	int op;

	e->stats.stops++;
	op = regs_decode_stop(t->tid, &req);
	if (op != SC_STOP_SECCOMP) {
		if (op < 0 && op != -ESRCH)
			glog_warn(t->tid, "cannot decode seccomp stop: %s", strerror(-op));
		return engine_resume_how(e, t);
	}
	v = emul_dispatch(e->table, &e->ctx, &req);
	if (v.kind == VERDICT_KILL)
		return kill_caller(&req);
	if (apply_executing(e, &req, &v) < 0)
		glog_debug(t->tid, "applying the verdict for %ld failed (task gone?)", req.nr);
	exit_arm(e, t, &req, &v);
	return engine_resume_how(e, t);
}

/* A PTRACE_SYSEMU entry: the kernel will skip the call. */
/* In sysemu mode with a notification filter: calls it serves are passed at
 * the sysemu stop, and answered once they reach the filter. */
static bool served_by_notify(const struct engine *e, const struct sc_request *req)
{
	const struct emul_handler *h;

	if (!e->notify)
		return false;
	h = emul_table_get(e->table, req->abi, req->nr);
	return h && !h->needs_ptrace;
}

static enum resume_how sysemu_entry(struct engine *e, struct task *t, const struct sc_request *req)
{
	struct verdict v = served_by_notify(e, req) ? verdict_pass()
						    : emul_dispatch(e->table, &e->ctx, req);
	umld_regs regs;

	switch (v.kind) {
	case VERDICT_RETURN:
	case VERDICT_DENY:
		e->stats.handled++;
		regs_set_result(t->tid, verdict_result(&v));
		return RESUME_SYSEMU;
	case VERDICT_FD:
		verdict_fd_done(&v, t->tid, -1);
		glog_warn(t->tid, "fd verdict on a ptrace stop for %ld", req->nr);
		regs_set_result(t->tid, -ENOSYS);
		return RESUME_SYSEMU;
	case VERDICT_KILL:
		return kill_caller(req);
	case VERDICT_PASS:
	case VERDICT_REWRITE:
		break;
	}
	e->stats.passed++;
	if (regs_get(t->tid, &regs) < 0)
		return RESUME_SYSEMU;
	if (v.kind == VERDICT_REWRITE)
		regs_set_args(&regs, req->abi, v.args);
	/* back over the syscall instruction, with the number where the
	 * instruction expects it */
	regs.rip -= SYSCALL_INSN_LEN;
	regs.rax = regs.orig_rax;
	if (regs_set(t->tid, &regs) < 0)
		return RESUME_SYSEMU;
	t->reexec_ip = req->ip;
	t->reexec_nr = req->nr;
	regs_get_args(&regs, req->abi, t->reexec_args);
	t->sysemu = SYSEMU_SKIPPED_EXIT;
	exit_arm(e, t, req, &v);
	return RESUME_SYSCALL;
}

#define ERESTARTSYS_ 512     /* the kernel's, not in user headers */
#define ERESTARTNOINTR_ 513
#define CS_64BIT 0x33        /* x86_64 user code segment */

void engine_signal_stop(struct engine *e, struct task *t)
{
	const struct emul_handler *h;
	umld_regs regs;

	if (!e->notify || regs_get(t->tid, &regs) < 0)
		return;
	if ((int64_t)regs.rax != -ERESTARTSYS_ || (int64_t)regs.orig_rax < 0)
		return;
	/* the ABI of the interrupted call: that of the code segment (an int
	 * 0x80 from 64-bit code reads as 64-bit here: only the restart choice
	 * could be off, for such a call) */
	enum umld_abi abi = regs.cs == CS_64BIT ? ABI_X86_64 : ABI_I386;
	h = emul_table_get(e->table, abi, (long)regs.orig_rax);
	if (!h || h->needs_ptrace)
		return;
	if (!h->never_eintr) {
		struct sc_request req = { .tid = t->tid, .abi = abi, .nr = (long)regs.orig_rax,
					  .path = SC_PATH_TRACE, .memfd = -1 };

		regs_get_args(&regs, abi, req.args);
		req.info = sc_lookup(abi, req.nr);
		if (!h->may_block || h->may_block(&req))
			return;
	}
	/* the kernel reads the restart code after this stop */
	regs.rax = (uint64_t)(int64_t)-ERESTARTNOINTR_;
	regs_set(t->tid, &regs);
}

static int is_reexec(const struct task *t, const struct sc_request *req)
{
	return req->ip == t->reexec_ip && req->nr == t->reexec_nr &&
	       memcmp(req->args, t->reexec_args, sizeof(req->args)) == 0;
}

enum resume_how engine_syscall_stop(struct engine *e, struct task *t)
{
	struct sc_request req = { .path = SC_PATH_SYSEMU, .memfd = -1 };
	struct verdict v;
	int op;

	e->stats.stops++;
	if (e->mode != INTERCEPT_SYSEMU) {
		/* seccomp mode asks only for the exit stops of armed calls */
		if (t->exit_pending)
			exit_apply(e, t);
		return RESUME_CONT;
	}
	if (t->sysemu == SYSEMU_EXEC_EXIT) {
		/* the exit of a re-executed call whose handler wants it */
		t->sysemu = SYSEMU_IDLE;
		if (t->exit_pending)
			exit_apply(e, t);
		return RESUME_SYSEMU;
	}

	if (t->sysemu == SYSEMU_SKIPPED_EXIT) {
		/* the exit of the call we skipped: nothing else can come between */
		t->sysemu = SYSEMU_REEXEC_ENTRY;
		return RESUME_SYSCALL;
	}
	op = regs_decode_stop(t->tid, &req);
	if (op != SC_STOP_ENTRY) {
		/* an exit stop we did not expect, or the task is gone */
		t->sysemu = SYSEMU_IDLE;
		return RESUME_SYSEMU;
	}
	if (t->sysemu == SYSEMU_IDLE)
		return sysemu_entry(e, t, &req);

	/* SYSEMU_REEXEC_ENTRY: resuming with PTRACE_SYSEMU from this
	 * PTRACE_SYSCALL entry runs the call (the kernel sampled its work
	 * flags before the stop) and stops at the next call's entry. */
	t->sysemu = SYSEMU_IDLE;
	if (is_reexec(t, &req)) {
		if (!t->exit_pending)
			return RESUME_SYSEMU;
		/* it runs now: stop again at its exit */
		t->sysemu = SYSEMU_EXEC_EXIT;
		return RESUME_SYSCALL;
	}
	/* not the armed call: it is entered again later and armed then */
	t->exit_pending = false;
	/* A signal handler ran first and this is its call, and it will run:
	 * dispatch it as an executing stop. The interrupted call is retried
	 * after the handler returns and stops again then. */
	req.path = SC_PATH_TRACE;
	if (served_by_notify(e, &req))
		return RESUME_SYSEMU;
	v = emul_dispatch(e->table, &e->ctx, &req);
	if (v.kind == VERDICT_KILL)
		return kill_caller(&req);
	apply_executing(e, &req, &v);
	if (exit_arm(e, t, &req, &v)) {
		t->sysemu = SYSEMU_EXEC_EXIT;
		return RESUME_SYSCALL;
	}
	return RESUME_SYSEMU;
}
