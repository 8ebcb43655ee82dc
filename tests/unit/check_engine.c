/* Unit tests of the pieces between a stop and a verdict: argument decoding
 * per ABI, the handler table, dispatch, and the compiled seccomp filter
 * (installed in a child without a tracer, where RET_TRACE shows as ENOSYS). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emul/handler.h"
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

int main(void)
{
	Suite *s = suite_create("engine");
	TCase *tc = tcase_create("decode and dispatch");

	tcase_add_test(tc, test_args_x86_64);
	tcase_add_test(tc, test_args_i386);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_filter);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
