/* Hostile arguments to intercepted calls: bad pointers, a path without NUL
 * within PATH_MAX, numbers out of range, the 32-bit ABI. Prints the result
 * and errno of each; the output must be the same natively and under umld. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	int e = errno;

	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(e) ? strerrorname_np(e) : "?");
	else
		printf("%s: %s\n", what, r == 0 ? "0" : "ok");
}

/* int 0x80 from 64-bit code: the i386 ABI with its own numbers */
static long int80(long nr, long a, long b)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
	return r;
}

static void show32(const char *what, long r)
{
	if (r < 0 && r > -4096)
		printf("%s: -1 %s\n", what, strerrorname_np((int)-r) ? strerrorname_np((int)-r) : "?");
	else
		printf("%s: %s\n", what, r == 0 ? "0" : "ok");
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	/* a page of 'a' followed by a hole: no NUL before the fault */
	char *area = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	char *longpath;
	static char big[PATH_MAX + 16];

	if (area == MAP_FAILED)
		return 2;
	munmap(area + 2 * page, (size_t)page);
	memset(area, 'a', (size_t)page * 2);

	errno = 0;
	show("uname(NULL)", syscall(SYS_uname, NULL));
	show("uname(1)", syscall(SYS_uname, (void *)1));
	show("uname(kernel address)", syscall(SYS_uname, (void *)0xffffffff81000000UL));
	show("uname(into a hole)", syscall(SYS_uname, area + 2 * page - 100));

	/* path too long: PATH_MAX bytes without a NUL */
	memset(big, 'x', sizeof(big));
	big[0] = '/';
	show("access(no NUL in PATH_MAX)", syscall(SYS_access, big, F_OK));
	big[PATH_MAX - 1] = '\0';
	show("access(PATH_MAX-1 bytes)", syscall(SYS_access, big, F_OK));
	show("access(running into a hole)", syscall(SYS_access, area + page, F_OK));
	show("access(100 bytes, then a hole)", syscall(SYS_access, area + 2 * page - 100, F_OK));
	show("access(NULL)", syscall(SYS_access, NULL, F_OK));
	show("access(\"\")", syscall(SYS_access, "", F_OK));
	longpath = area + 2 * page - 5;
	memcpy(longpath, "/tmp", 5);
	show("access(path ending at a hole)", syscall(SYS_access, longpath, F_OK));

	show("syscall 100000", syscall(100000));
	show("syscall 512", syscall(512));
	show("syscall -1", syscall(-1));
	show("syscall x32 getpid", syscall(0x40000000L | SYS_getpid));

	show32("i386 uname(NULL)", int80(122, 0, 0));
	show32("i386 uname(1)", int80(122, 1, 0));
	show32("i386 access(hole)", int80(33, (long)(uintptr_t)(area + page), 0));
	show32("i386 syscall 100000", int80(100000, 0, 0));
	printf("i386 getppid consistent: %s\n", int80(64, 0, 0) == getppid() ? "yes" : "no");
	printf("monitor still serving: %s\n", getppid() > 0 ? "yes" : "no");
	return 0;
}
