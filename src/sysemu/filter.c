/* Compiles the instance's seccomp filter: from the handler table to BPF.
 *
 * Shape: the architecture is checked first (x86_64 and i386; any other ABI,
 * and x32's numbers on x86_64, get ENOSYS, as libseccomp's did). For each of the two the number
 * then walks a binary tree of ranges of numbers with one answer each: ALLOW
 * for every call the table knows and no feature claims, USER_NOTIF for a
 * claimed call whose handler can be served from a notification, and TRACE
 * for everything else (other claimed calls, numbers nobody knows), which
 * reaches the monitor, which dispatches it or passes it. An allow-list
 * rather than a deny-list: a number umld does not know is seen by the
 * monitor, never passed unseen. A handler that wants a call for some
 * values of its second argument only (emul_handler.arg1: ioctl and fcntl
 * commands) gets a leaf that compares that argument's low word, and the
 * other values are allowed. Its length costs nothing at run time for the
 * allowed calls: since Linux 5.11 the kernel caches, per arch and number,
 * the filters whose answer depends on the number alone, which every number
 * but those with such a leaf is here.
 *
 * Built here rather than by libseccomp: its compile of the same allow-list
 * (about 400 rules per ABI) took 6-7 ms of every umld start, more than the
 * rest of the start together; this one takes microseconds. The unit test
 * (tests/unit/check_engine.c) compiles the same rules with libseccomp and
 * checks that both programs give the same answer for every arch and number.
 */
#include "config.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "sysemu/filter.h"

#define X32_BIT 0x40000000u
#define ACT_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

/* The answer for a number: ALLOW when unclaimed and known, USER_NOTIF when
 * its handler can be served from a notification, else TRACE. notify_only
 * (sysemu mode): USER_NOTIF for those, ALLOW for everything else. */
static uint32_t action_of(const struct emul_table *t, enum umld_abi abi, uint32_t nr,
			  bool use_notify, bool notify_only)
{
	const struct emul_handler *h =
		nr < SC_NR_LIMIT ? emul_table_get(t, abi, (long)nr) : NULL;

	if (notify_only)
		return h && !h->needs_ptrace ? SECCOMP_RET_USER_NOTIF : SECCOMP_RET_ALLOW;
	if (!h && nr < SC_NR_LIMIT && sc_lookup(abi, (long)nr))
		return SECCOMP_RET_ALLOW;
	if (h && use_notify && !h->needs_ptrace)
		return SECCOMP_RET_USER_NOTIF;
	return SECCOMP_RET_TRACE;
}

/* Numbers from start (to the next range's start) with one answer; with
 * cond, a single number whose answer is action for cond's arg1 values
 * only, and ALLOW for the rest. */
struct range {
	uint32_t start;
	uint32_t action;
	const struct emul_handler *cond;
};

/* The program being written. */
struct prog {
	struct sock_filter *insns;
	size_t len, cap;
	bool overflow;
};

static size_t put(struct prog *p, struct sock_filter insn)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct sock_filter *grown = cap <= BPF_MAXINSNS ?
			realloc(p->insns, cap * sizeof(*grown)) : NULL;
		if (!grown) {
			p->overflow = true;
			return p->len;
		}
		p->insns = grown;
		p->cap = cap;
	}
	p->insns[p->len] = insn;
	return p->len++;
}

/* Ranges r[lo..hi] as a tree: at each node the number is compared with the
 * first start of the upper half; the lower half follows the comparison, the
 * upper half after it (reached by the comparison's jt, or through a JA
 * when the lower half is longer than a conditional jump reaches). */
static void emit_tree(struct prog *p, const struct range *r, size_t lo, size_t hi)
{
	size_t mid, jge, ja = 0, lower;

	if (lo == hi && r[lo].cond) {
		/* the argument's low word against each value; then ALLOW, and
		 * the claimed answer where one matched */
		const struct emul_handler *h = r[lo].cond;

		put(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						     offsetof(struct seccomp_data, args[1])));
		for (unsigned i = 0; i < h->narg1; i++)
			put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, h->arg1[i],
							     (uint8_t)(h->narg1 - i), 0));
		put(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
		put(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, r[lo].action));
		return;
	}
	if (lo == hi) {
		put(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, r[lo].action));
		return;
	}
	mid = lo + (hi - lo + 1) / 2;
	jge = put(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, r[mid].start, 0, 0));
	lower = p->len;
	emit_tree(p, r, lo, mid - 1);
	if (p->overflow)
		return;
	if (p->len - lower <= 255) {
		p->insns[jge].jt = (uint8_t)(p->len - lower);
	} else {
		/* jt: the JA just after the comparison; jf: over it */
		size_t end = put(p, p->insns[lower]); /* room for one more */
		if (p->overflow)
			return;
		memmove(p->insns + lower + 1, p->insns + lower, (end - lower) * sizeof(*p->insns));
		ja = lower;
		p->insns[jge].jt = 0;
		p->insns[jge].jf = 1;
		p->insns[ja] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)(p->len - ja - 1));
	}
	emit_tree(p, r, mid, hi);
}

/* One ABI's part: the number loaded, then the tree of its ranges. */
static int emit_abi(struct prog *p, const struct emul_table *t, enum umld_abi abi,
		    bool use_notify, bool notify_only, bool *listener)
{
	struct range *r = malloc((SC_NR_LIMIT + 3) * sizeof(*r));
	size_t n = 0;

	if (!r)
		return -ENOMEM;
	for (uint32_t nr = 0; nr <= SC_NR_LIMIT; nr++) {
		/* SC_NR_LIMIT stands for every number above the table's */
		uint32_t a = action_of(t, abi, nr, use_notify, notify_only);
		const struct emul_handler *h =
			nr < SC_NR_LIMIT ? emul_table_get(t, abi, (long)nr) : NULL;
		const struct emul_handler *cond =
			a != SECCOMP_RET_ALLOW && h && h->narg1 ? h : NULL;

		*listener |= a == SECCOMP_RET_USER_NOTIF;
		if (n == 0 || r[n - 1].action != a || r[n - 1].cond || cond)
			r[n++] = (struct range){ nr, a, cond };
	}
	/* x32's numbers come with x86_64's arch: not an ABI umld serves; -1
	 * (what a tracer writes to skip a call) is not one of them */
	if (abi == ABI_X86_64) {
		uint32_t above = r[n - 1].action; /* the table's last range's */
		r[n++] = (struct range){ X32_BIT, ACT_ENOSYS, NULL };
		r[n++] = (struct range){ UINT32_MAX, above, NULL };
	}
	put(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
	emit_tree(p, r, 0, n - 1);
	free(r);
	return 0;
}

static int build(const struct emul_table *t, bool use_notify, bool notify_only,
		 struct filter_prog *out, struct umld_err *err)
{
	struct prog p = { 0 };
	size_t to32;
	int r;

	memset(out, 0, sizeof(*out));
	put(&p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch)));
	put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 3, 0));
	put(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0));
	put(&p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ACT_ENOSYS));
	to32 = put(&p, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0));
	r = emit_abi(&p, t, ABI_X86_64, use_notify, notify_only, &out->listener);
	if (r == 0 && !p.overflow) {
		p.insns[to32].k = (uint32_t)(p.len - to32 - 1);
		r = emit_abi(&p, t, ABI_I386, use_notify, notify_only, &out->listener);
	}
	if (r == 0 && p.overflow)
		r = -E2BIG;
	if (r < 0) {
		free(p.insns);
		return umld_err_set(err, r, "seccomp filter: %s",
				    r == -E2BIG ? "more than 4096 instructions" : strerror(-r));
	}
	{
		const struct emul_handler *h = emul_table_get(t, ABI_X86_64, SYS_sendmsg);
		out->stops_sendmsg = h && (!notify_only || !h->needs_ptrace);
	}
	out->insns = p.insns;
	out->len = (unsigned short)p.len;
	return 0;
}

void filter_free(struct filter_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

/* Installs with flags, and again without the optional ones where the kernel
 * does not know them (EINVAL). */
static long install(struct sock_fprog *prog, unsigned long flags, unsigned long optional)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | optional, prog);

	if (r < 0 && errno == EINVAL && optional)
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	return r;
}

int filter_install(const struct filter_prog *p)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->insns };
	unsigned long flags = p->listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	/* Once the monitor has received a notification, only a fatal signal
	 * may interrupt the guest's wait (Linux 5.19): otherwise a SIGCHLD
	 * arriving meanwhile makes even fork fail with EINTR, which it never
	 * does natively. */
	unsigned long optional = p->listener ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
	long r;

	r = install(&prog, flags, optional);
	if (r >= 0)
		return (int)r;
	if (errno != EACCES)
		return -errno;
	/* without CAP_SYS_ADMIN a filter needs no_new_privs; under ptrace by an
	 * unprivileged monitor set-id bits are ignored anyway */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	r = install(&prog, flags, optional);
	return r < 0 ? -errno : (int)r;
}

int filter_build(const struct emul_table *t, bool use_notify, struct filter_prog *out,
		 struct umld_err *err)
{
	return build(t, use_notify, false, out, err);
}

int filter_build_notify_only(const struct emul_table *t, struct filter_prog *out,
			     struct umld_err *err)
{
	return build(t, true, true, out, err);
}
