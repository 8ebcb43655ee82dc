/* Unit tests of the pieces between a stop and a verdict: argument decoding
 * per ABI, the handler table, dispatch, and the compiled seccomp filter
 * (installed in a child without a tracer, where RET_TRACE shows as ENOSYS). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/handler.h"
#include "emul/pids.h"
#include "sysemu/filter.h"
#include "sysemu/regs.h"
#include "unit.h"

START_TEST(test_args_x86_64)
{
	umld_regs r;
	uint64_t a[SC_ARGS_MAX];
	const uint64_t w[SC_ARGS_MAX] = { 10, 20, 30, 40, 50, 60 };

	memset(&r, 0, sizeof(r));
	r.rdi = 1, r.rsi = 2, r.rdx = 3, r.r10 = 4, r.r8 = 5, r.r9 = 0xffffffffffffffffULL;
	r.rcx = 99; /* clobbered by the syscall instruction: never an argument */
	regs_get_args(&r, ABI_X86_64, a);
	ck_assert_uint_eq(a[0], 1);
	ck_assert_uint_eq(a[3], 4);
	ck_assert_uint_eq(a[5], 0xffffffffffffffffULL);
	regs_set_args(&r, ABI_X86_64, w);
	ck_assert_uint_eq(r.rdi, 10);
	ck_assert_uint_eq(r.r10, 40);
	ck_assert_uint_eq(r.r9, 60);
	ck_assert_uint_eq(r.rcx, 99);
}
END_TEST

START_TEST(test_args_i386)
{
	umld_regs r;
	uint64_t a[SC_ARGS_MAX];
	const uint64_t w[SC_ARGS_MAX] = { 0x100000001ULL, 2, 3, 4, 5, 6 };

	memset(&r, 0, sizeof(r));
	r.rbx = 0xdeadbeef00000001ULL, r.rcx = 2, r.rdx = 3, r.rsi = 4, r.rdi = 5, r.rbp = 6;
	regs_get_args(&r, ABI_I386, a);
	ck_assert_uint_eq(a[0], 1); /* upper half dropped */
	ck_assert_uint_eq(a[1], 2);
	ck_assert_uint_eq(a[4], 5);
	ck_assert_uint_eq(a[5], 6);
	regs_set_args(&r, ABI_I386, w);
	ck_assert_uint_eq(r.rbx, 1);
	ck_assert_uint_eq(r.rbp, 6);
}
END_TEST

static struct emul_table table;

static struct verdict deny_eperm(struct emul_ctx *ctx, const struct sc_request *req)
{
	return verdict_deny(EPERM);
}

START_TEST(test_table)
{
	static const struct emul_handler again[] = { { .name = "getppid", .enter = deny_eperm } };
	static const struct emul_handler bogus[] = { { .name = "no_such_call", .enter = deny_eperm } };
	static const struct emul_handler only64[] = {
		{ .name = "getpid", .abis = EMUL_ABI_64, .enter = deny_eperm },
	};
	const struct emul_feature f_again = { "again", again, 1, false };
	const struct emul_feature f_bogus = { "bogus", bogus, 1, false };
	const struct emul_feature f_only64 = { "only64", only64, 1, false };
	struct umld_err err = { 0 };
	struct sc_request req = { .abi = ABI_X86_64, .nr = SYS_getppid };
	struct verdict v;

	emul_table_init(&table);
	ck_assert_int_eq(emul_table_add(&table, &emul_feature_testing, &err), 0);
	/* getppid, uname and access in both ABIs, memfd_create in x86_64 */
	ck_assert_uint_eq(table.claimed, 7);
	ck_assert_ptr_nonnull(emul_table_get(&table, ABI_I386, 64));
	ck_assert_ptr_nonnull(emul_table_get(&table, ABI_I386, 122));
	ck_assert_ptr_null(emul_table_get(&table, ABI_I386, SYS_getppid));
	ck_assert_ptr_null(emul_table_get(&table, ABI_X86_64, -1));
	ck_assert_ptr_null(emul_table_get(&table, ABI_X86_64, SC_NR_LIMIT));

	ck_assert_int_eq(emul_table_add(&table, &f_again, &err), -EEXIST);
	ck_assert_msg(strstr(err.msg, "getppid") != NULL, "message: %s", err.msg);
	ck_assert_int_eq(emul_table_add(&table, &f_bogus, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "no_such_call") != NULL, "message: %s", err.msg);
	ck_assert_int_eq(emul_table_add(&table, &f_only64, &err), 0);
	ck_assert_ptr_nonnull(emul_table_get(&table, ABI_X86_64, SYS_getpid));
	ck_assert_ptr_null(emul_table_get(&table, ABI_I386, 20));

	v = emul_dispatch(&table, NULL, &req);
	ck_assert_int_eq(v.kind, VERDICT_RETURN);
	ck_assert_int_eq(verdict_result(&v), EMUL_TEST_PPID);
	req.nr = SYS_getpid;
	v = emul_dispatch(&table, NULL, &req);
	ck_assert_int_eq(v.kind, VERDICT_DENY);
	ck_assert_int_eq(verdict_result(&v), -EPERM);
	req.nr = SYS_gettid;
	ck_assert_int_eq(emul_dispatch(&table, NULL, &req).kind, VERDICT_PASS);
	req.nr = 100000;
	ck_assert_int_eq(emul_dispatch(&table, NULL, &req).kind, VERDICT_PASS);
}
END_TEST

/* In a child: install the filter, then report what a few calls return. With
 * no tracer, RET_TRACE makes a call fail with ENOSYS. */
static int filtered_child(const struct filter_prog *p)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int bits = 0;
		if (filter_install(p) < 0)
			_exit(100);
		if (syscall(SYS_getpid) == getpid() && syscall(SYS_getpid) > 0)
			bits |= 1; /* allowed */
		errno = 0;
		if (syscall(SYS_getppid) == -1 && errno == ENOSYS)
			bits |= 2; /* trapped */
		errno = 0;
		if (syscall(400) == -1 && errno == ENOSYS)
			bits |= 4; /* unknown number: trapped (or plain ENOSYS) */
		_exit(bits);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_filter)
{
	struct emul_table *t = calloc(1, sizeof(*t));
	struct filter_prog p = { 0 };
	struct umld_err err = { 0 };

	emul_table_init(t);
	ck_assert_int_eq(filter_build(t, false, &p, &err), 0);
	ck_assert_uint_gt(p.len, 10);
	ck_assert_uint_le(p.len, 4096);
	ck_assert_int_eq(filtered_child(&p), 1 | 4);
	filter_free(&p);
	ck_assert_ptr_null(p.insns);

	ck_assert_int_eq(emul_table_add(t, &emul_feature_testing, &err), 0);
	ck_assert_int_eq(filter_build(t, false, &p, &err), 0);
	ck_assert_int_eq(filtered_child(&p), 1 | 2 | 4);
	filter_free(&p);
	free(t);
}
END_TEST


/* ---- the compiled filter against libseccomp's compile of the same rules ---- */

/* Runs a seccomp program on (arch, nr, second argument's low word; its
 * high word 0) as the kernel would: its answer. Only what the two
 * compilers emit is known; anything else fails. */
static uint32_t bpf_run_arg(const struct sock_filter *f, size_t len, uint32_t arch, uint32_t nr,
			    uint32_t arg1)
{
	uint32_t a = 0;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k == offsetof(struct seccomp_data, nr))
				a = nr;
			else if (i->k == offsetof(struct seccomp_data, arch))
				a = arch;
			else if (i->k == offsetof(struct seccomp_data, args[1]))
				a = arg1;
			else if (i->k == offsetof(struct seccomp_data, args[1]) + 4)
				a = 0;
			else
				ck_abort_msg("instruction %zu: load of %u", pc, i->k);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_ST:
		case BPF_LDX | BPF_W | BPF_MEM:
		case BPF_LD | BPF_MEM:
			ck_abort_msg("instruction %zu: scratch memory", pc);
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			ck_abort_msg("instruction %zu: code 0x%x", pc, i->code);
		}
	}
	ck_abort_msg("the program ran off its end");
	return 0;
}

static uint32_t bpf_run(const struct sock_filter *f, size_t len, uint32_t arch, uint32_t nr)
{
	return bpf_run_arg(f, len, arch, nr, 0x5a5a5a5a);
}

/* libseccomp's compile (what filter.c used until its own compiler): the
 * same allow-list, per ABI. An i386 number libseccomp cannot name gets no
 * rule there (noted in unnamed32[]). */
static void oracle_rule(scmp_filter_ctx c, const struct emul_table *t, enum umld_abi abi,
			int nr, bool use_notify, bool notify_only, bool *unnamed32)
{
	const struct emul_handler *h = emul_table_get(t, abi, nr);
	uint32_t action;
	int sys = nr;

	if (notify_only) {
		if (!h || h->needs_ptrace)
			return;
		action = SCMP_ACT_NOTIFY;
	} else if (!h) {
		action = SCMP_ACT_ALLOW;
	} else if (use_notify && !h->needs_ptrace) {
		action = SCMP_ACT_NOTIFY;
	} else {
		return;
	}
	if (abi == ABI_I386) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
		sys = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
		if (!name || sys == __NR_SCMP_ERROR ||
		    seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name) != nr)
			sys = __NR_SCMP_ERROR;
		free(name);
		if (sys == __NR_SCMP_ERROR) {
			unnamed32[nr] = true;
			return;
		}
	}
	if (h && h->narg1)
		return; /* claimed for some values of an argument: checked apart */
	ck_assert_int_eq(seccomp_rule_add(c, action, sys, 0), 0);
}

static struct sock_fprog oracle_build(const struct emul_table *t, bool use_notify,
				      bool notify_only, bool *unnamed32)
{
	scmp_filter_ctx c[2];
	struct sock_fprog out;
	off_t size;
	int fd;

	for (int k = 0; k < 2; k++) {
		c[k] = seccomp_init(notify_only ? SCMP_ACT_ALLOW : SCMP_ACT_TRACE(0));
		ck_assert_ptr_nonnull(c[k]);
		if (k == 1) {
			ck_assert_int_eq(seccomp_arch_add(c[k], SCMP_ARCH_X86), 0);
			ck_assert_int_eq(seccomp_arch_remove(c[k], SCMP_ARCH_NATIVE), 0);
		}
		ck_assert_int_eq(seccomp_attr_set(c[k], SCMP_FLTATR_ACT_BADARCH,
						  SCMP_ACT_ERRNO(ENOSYS)), 0);
	}
	for (size_t i = 0; i < sc_count(); i++) {
		const struct sc_info *s = sc_at(i);
		if (s->nr[ABI_X86_64] >= 0)
			oracle_rule(c[0], t, ABI_X86_64, s->nr[ABI_X86_64], use_notify, notify_only,
				    unnamed32);
		if (s->nr[ABI_I386] >= 0)
			oracle_rule(c[1], t, ABI_I386, s->nr[ABI_I386], use_notify, notify_only,
				    unnamed32);
	}
	ck_assert_int_eq(seccomp_merge(c[0], c[1]), 0);
	/* libseccomp exports to an fd */
	fd = memfd_create("oracle", MFD_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(seccomp_export_bpf(c[0], fd), 0);
	seccomp_release(c[0]);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	out.filter = malloc((size_t)size);
	ck_assert_ptr_nonnull(out.filter);
	ck_assert_int_eq(pread(fd, out.filter, (size_t)size, 0), size);
	close(fd);
	out.len = (unsigned short)((size_t)size / sizeof(struct sock_filter));
	return out;
}

static void compare_with_oracle(const struct emul_table *t, bool use_notify, bool notify_only)
{
	static const uint32_t nrs_high[] = { SC_NR_LIMIT, SC_NR_LIMIT + 1, 1000, 0x3fffffff,
					     0x40000000, 0x40000001, 0x40000200, 0xffffffff };
	bool unnamed32[SC_NR_LIMIT] = { false };
	struct filter_prog p = { 0 };
	struct umld_err err = { 0 };
	struct sock_fprog o;

	o = oracle_build(t, use_notify, notify_only, unnamed32);
	ck_assert_int_eq(notify_only ? filter_build_notify_only(t, &p, &err)
				     : filter_build(t, use_notify, &p, &err), 0);
	for (int k = 0; k < 2; k++) {
		uint32_t arch = k == 0 ? AUDIT_ARCH_X86_64 : AUDIT_ARCH_I386;
		for (uint32_t i = 0; i < SC_NR_LIMIT + ARRAY_SIZE(nrs_high); i++) {
			uint32_t nr = i < SC_NR_LIMIT ? i : nrs_high[i - SC_NR_LIMIT];
			uint32_t ours = bpf_run(p.insns, p.len, arch, nr);
			uint32_t theirs = bpf_run(o.filter, o.len, arch, nr);
			const struct emul_handler *h = nr < SC_NR_LIMIT ?
				emul_table_get(t, k == 0 ? ABI_X86_64 : ABI_I386, (long)nr) : NULL;
			if (h && h->narg1) {
				/* claimed for some values of its second argument
				 * (libseccomp cannot say "none of these"): each of
				 * them gets the claimed answer, two others ALLOW */
				uint32_t want = notify_only ? (h->needs_ptrace ? SECCOMP_RET_ALLOW
									       : SECCOMP_RET_USER_NOTIF)
						: use_notify && !h->needs_ptrace ? SECCOMP_RET_USER_NOTIF
										 : SECCOMP_RET_TRACE;
				for (unsigned v = 0; v < h->narg1 + 2; v++) {
					uint32_t a1 = v < h->narg1 ? h->arg1[v] : v - h->narg1;
					ours = bpf_run_arg(p.insns, p.len, arch, nr, a1);
					ck_assert_msg(ours == (v < h->narg1 ? want : SECCOMP_RET_ALLOW),
						      "arch 0x%x nr %u arg1 0x%x: 0x%x", arch, nr, a1,
						      ours);
				}
				continue;
			}
			if (k == 1 && nr < SC_NR_LIMIT && unnamed32[nr])
				continue; /* libseccomp has no rule for it: TRACE there */
			ck_assert_msg(ours == theirs, "arch 0x%x nr %u: 0x%x here, 0x%x by libseccomp",
				      arch, nr, ours, theirs);
		}
	}
	ck_assert_uint_eq(bpf_run(p.insns, p.len, AUDIT_ARCH_AARCH64, 0),
			  bpf_run(o.filter, o.len, AUDIT_ARCH_AARCH64, 0));
	filter_free(&p);
	free(o.filter);
}

START_TEST(test_filter_oracle)
{
	struct emul_table *t = calloc(1, sizeof(*t));
	struct umld_err err = { 0 };

	emul_table_init(t);
	compare_with_oracle(t, false, false);
	compare_with_oracle(t, true, false);
	ck_assert_int_eq(emul_table_add(t, &emul_feature_testing, &err), 0);
	compare_with_oracle(t, true, false);
	compare_with_oracle(t, true, true);
	emul_table_init(t);
	/* the emulated filesystem with the emulated pids: many claimed calls,
	 * some of them ptrace-only */
	ck_assert_int_eq(emul_table_add(t, &emul_feature_pids, &err), 0);
	ck_assert_int_eq(emul_table_add(t, &emul_feature_fs, &err), 0);
	ck_assert_int_eq(emul_table_add(t, &emul_feature_sock_pids, &err), 0);
	ck_assert_int_eq(emul_table_add(t, &emul_feature_fs_exec, &err), 0);
	ck_assert_int_eq(emul_table_add(t, &emul_feature_fs_dents, &err), 0);
	fs_claim_rest(t);
	compare_with_oracle(t, false, false);
	compare_with_oracle(t, true, false);
	compare_with_oracle(t, true, true);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("decode and dispatch");

	tcase_add_test(tc, test_args_x86_64);
	tcase_add_test(tc, test_args_i386);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_filter_oracle);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
