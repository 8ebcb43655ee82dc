/* Unit tests of guest memory access, against a forked child that shares our
 * address layout: exact reads and writes, bounded strings, bad pointers, in
 * both the process_vm and the /proc/PID/mem implementations. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysemu/mem.h"
#include "unit.h"

static char *area;      /* two pages: readable, then a hole */
static pid_t child;
static long page;

static void setup(void)
{
	page = sysconf(_SC_PAGESIZE);
	area = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(area, MAP_FAILED);
	ck_assert_int_eq(munmap(area + page, (size_t)page), 0);
	strcpy(area, "hello guest");
	/* a string that ends exactly at the end of the mapped page */
	memset(area + page - 8, 'x', 7);
	area[page - 1] = '\0';
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		for (;;)
			pause();
	}
}

static void teardown(void)
{
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	munmap(area, (size_t)page);
	guest_mem_force_procmem(0);
}

static void check_all(void)
{
	char buf[64];
	char big[8192];
	uint64_t a = (uint64_t)(uintptr_t)area;

	ck_assert_int_eq(guest_read(child, a, buf, 12), 0);
	ck_assert_str_eq(buf, "hello guest");
	ck_assert_int_eq(guest_read_str(child, a, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "hello guest");

	/* write into the child, read it back from the child */
	ck_assert_int_eq(guest_write(child, a, "HELLO", 5), 0);
	ck_assert_int_eq(guest_read_str(child, a, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "HELLO guest");
	ck_assert_str_eq(area, "hello guest"); /* ours is untouched */

	/* a string ending at the page boundary reads without a fault */
	ck_assert_int_eq(guest_read_str(child, a + (uint64_t)page - 8, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "xxxxxxx");

	/* too small a buffer: ENAMETOOLONG, truncated and terminated */
	ck_assert_int_eq(guest_read_str(child, a, buf, 5), -ENAMETOOLONG);
	ck_assert_uint_eq(strlen(buf), 4);

	/* no NUL before the hole: EFAULT, not a crash */
	memset(big, 0, sizeof(big));
	ck_assert_int_eq(guest_write(child, a + (uint64_t)page - 8, "yyyyyyyy", 8), 0);
	ck_assert_int_eq(guest_read_str(child, a + (uint64_t)page - 8, big, sizeof(big)), -EFAULT);

	/* reads and writes across into the hole, and wild pointers */
	ck_assert_int_eq(guest_read(child, a + (uint64_t)page - 4, buf, 8), -EFAULT);
	ck_assert_int_eq(guest_write(child, a + (uint64_t)page - 4, "12345678", 8), -EFAULT);
	ck_assert_int_eq(guest_read(child, 0, buf, 1), -EFAULT);
	ck_assert_int_eq(guest_read(child, 8, buf, 1), -EFAULT);
	ck_assert_int_eq(guest_read(child, UINT64_MAX - 2, buf, 8), -EFAULT);
	ck_assert_int_eq(guest_read(child, 0xffff800000000000ULL, buf, 8), -EFAULT);
	ck_assert_int_eq(guest_read_str(child, 0, buf, sizeof(buf)), -EFAULT);
	ck_assert_int_eq(guest_read(child, a, buf, 0), 0);
}

START_TEST(test_process_vm)
{
	check_all();
}
END_TEST

START_TEST(test_procmem)
{
	guest_mem_force_procmem(1);
	check_all();
}
END_TEST

START_TEST(test_gone_process)
{
	char buf[8];
	pid_t p = fork();

	ck_assert_int_ge(p, 0);
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	ck_assert_int_eq(guest_read(p, (uint64_t)(uintptr_t)area, buf, 4), -ESRCH);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("guest memory");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_process_vm);
	tcase_add_test(tc, test_procmem);
	tcase_add_test(tc, test_gone_process);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
