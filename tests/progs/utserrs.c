/* The UTS calls' error cases, in the kernel's order of checks: prints the
 * errno of each failing sethostname/setdomainname (none of them changes a
 * name, so it is safe to run natively as root) and the uname family's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}

static long int80(long nr, long a)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a) : "memory");
	return r;
}

int main(void)
{
	char name[100];

	memset(name, 'n', sizeof(name));
	show("sethostname(65 bytes)", syscall(SYS_sethostname, name, 65));
	show("sethostname(-1 bytes)", syscall(SYS_sethostname, name, -1));
	show("sethostname(bad pointer)", syscall(SYS_sethostname, (void *)8, 5));
	show("setdomainname(65 bytes)", syscall(SYS_setdomainname, name, 65));
	show("setdomainname(bad pointer)", syscall(SYS_setdomainname, (void *)8, 5));
	show("uname(bad pointer)", syscall(SYS_uname, (void *)8));
	printf("i386 uname(bad pointer): %ld\n", int80(122, 8));
	printf("i386 olduname(NULL): %ld\n", int80(109, 0));
	printf("i386 oldolduname(NULL): %ld\n", int80(59, 0));
	return 0;
}
