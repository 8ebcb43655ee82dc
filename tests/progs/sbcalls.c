/* sbcalls: makes calls that --sandbox=strict denies, each with fixed
 * arguments so that the audit log's lines can be compared exactly, and
 * prints what each returned: mkdir (denied by a Deny= rule), socket
 * (AF_INET), unshare, ptrace, ioctl TIOCSTI, int 0x80 getpid. First line:
 * the pid the program has, as the audit log must name it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	const char *e = r < 0 ? strerrorname_np(errno) : NULL;

	printf("%s: %s\n", what, r < 0 ? (e ? e : "E?") : "ok");
}

int main(void)
{
	long r;

	printf("pid %d\n", (int)getpid());
	show("mkdir", mkdir("/tmp/sbcalls-d", 0755));
	show("socket", socket(AF_INET, SOCK_STREAM, 0));
	show("unshare", unshare(CLONE_NEWNS));
	show("ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL));
	show("ioctl", ioctl(0, TIOCSTI, NULL));
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(20L) : "rbx", "rcx", "rdx", "r8", "r9", "r10",
			 "r11", "memory");
	printf("int80 getpid: %s\n", r < 0 ? strerrorname_np((int)-r) : "ok");
	return 0;
}
