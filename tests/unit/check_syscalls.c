/* Unit tests of the syscall table built from syscalls.list: lookups per ABI,
 * bounds, names and argument counts. */
#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "emul/syscalls.h"
#include "unit.h"

START_TEST(test_lookup_known)
{
	const struct sc_info *s = sc_lookup(ABI_X86_64, SYS_getpid);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->name, "getpid");
	ck_assert_uint_eq(s->nargs, 0);
	ck_assert_int_eq(s->nr[ABI_I386], 20);
	ck_assert_ptr_eq(sc_lookup(ABI_I386, 20), s);

	s = sc_lookup(ABI_X86_64, SYS_openat);
	ck_assert_str_eq(s->name, "openat");
	ck_assert_uint_eq(s->nargs, 4);
	ck_assert_int_eq(s->args[0], ARG_DIRFD);
	ck_assert_int_eq(s->args[1], ARG_PATH);
	ck_assert_int_eq(s->nr[ABI_I386], 295);
}
END_TEST

START_TEST(test_lookup_abi_specific)
{
	/* i386 90 is the old struct-pointer mmap, not x86_64's mmap (9) */
	const struct sc_info *s = sc_lookup(ABI_I386, 90);

	ck_assert_str_eq(s->name, "old_mmap");
	ck_assert_int_eq(s->nr[ABI_X86_64], -1);
	ck_assert_str_eq(sc_lookup(ABI_I386, 102)->name, "socketcall");
	ck_assert_str_eq(sc_lookup(ABI_X86_64, 102)->name, "getuid");
	ck_assert_str_eq(sc_lookup(ABI_X86_64, SYS_arch_prctl)->name, "arch_prctl");
	ck_assert_str_eq(sc_lookup(ABI_X86_64, 435)->name, "clone3");
	ck_assert_str_eq(sc_lookup(ABI_I386, 435)->name, "clone3");
}
END_TEST

START_TEST(test_lookup_bounds)
{
	const long bad[] = { -1, -4096, LONG_MIN, SC_NR_LIMIT, SC_NR_LIMIT + 1, 100000, LONG_MAX,
			     0x40000000L | 39 /* x32 getpid */ };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ptr_null(sc_lookup(ABI_X86_64, bad[i]));
		ck_assert_ptr_null(sc_lookup(ABI_I386, bad[i]));
	}
	ck_assert_ptr_null(sc_lookup(ABI_COUNT, 39));
	ck_assert_ptr_null(sc_lookup((enum umld_abi)-1, 39));
	/* a gap in the x86_64 numbering */
	ck_assert_ptr_null(sc_lookup(ABI_X86_64, 400));
}
END_TEST

START_TEST(test_every_entry_round_trips)
{
	size_t n64 = 0, n32 = 0;

	ck_assert_uint_gt(sc_count(), 400);
	for (size_t i = 0; i < sc_count(); i++) {
		const struct sc_info *s = sc_at(i);

		ck_assert_ptr_nonnull(s);
		ck_assert_uint_le(s->nargs, SC_ARGS_MAX);
		ck_assert_msg(s->nr[0] >= 0 || s->nr[1] >= 0, "%s has no number", s->name);
		ck_assert_ptr_eq(sc_by_name(s->name), s);
		for (int abi = 0; abi < ABI_COUNT; abi++) {
			if (s->nr[abi] < 0)
				continue;
			ck_assert_int_lt(s->nr[abi], SC_NR_LIMIT);
			ck_assert_ptr_eq(sc_lookup(abi, s->nr[abi]), s);
			abi == ABI_X86_64 ? n64++ : n32++;
		}
		for (unsigned a = 0; a < s->nargs; a++)
			ck_assert_int_ne(s->args[a], ARG_VOID);
	}
	ck_assert_ptr_null(sc_at(sc_count()));
	ck_assert_uint_ge(n64, 370);
	ck_assert_uint_ge(n32, 440);
}
END_TEST

START_TEST(test_by_name_unknown)
{
	ck_assert_ptr_null(sc_by_name("no_such_call"));
	ck_assert_ptr_null(sc_by_name(""));
	ck_assert_str_eq(abi_name(ABI_I386), "i386");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("syscalls");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_lookup_known);
	tcase_add_test(tc, test_lookup_abi_specific);
	tcase_add_test(tc, test_lookup_bounds);
	tcase_add_test(tc, test_every_entry_round_trips);
	tcase_add_test(tc, test_by_name_unknown);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
