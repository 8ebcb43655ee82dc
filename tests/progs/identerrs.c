/* The set*id family from root and after dropping privileges, as the kernel
 * answers a real root: each call's result and errno, and the ids after it.
 * Natively as root and under umld --fake-root (emulated) as any user, the
 * output must be the same. Runs in a child, so a native run changes nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	gid_t groups[8];
	int n;

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	n = getgroups(8, groups);
	printf("%-34s %-6s uid %u/%u/%u gid %u/%u/%u groups", what,
	       r < 0 ? strerrorname_np(errno) : "ok", ru, eu, su, rg, eg, sg);
	for (int i = 0; i < n; i++)
		printf(" %u", groups[i]);
	printf("\n");
}

int main(void)
{
	pid_t p = fork();
	int status;

	if (p != 0) {
		waitpid(p, &status, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
	gid_t nog = 65534;
	show("start", 0);
	show("setgroups([65534])", setgroups(1, &nog));
	show("setresgid(65534,65534,65534)", setresgid(65534, 65534, 65534));
	show("setreuid(-1,65534)", setreuid(-1, 65534));
	show("setuid(0) (the real id)", setuid(0));
	show("setresuid(65534,65534,65534)", setresuid(65534, 65534, 65534));
	show("setuid(0) as nobody", setuid(0));
	show("setresuid(0,-1,-1) as nobody", setresuid(0, -1, -1));
	show("setreuid(0,-1) as nobody", setreuid(0, -1));
	show("setgroups([0]) as nobody", setgroups(1, (gid_t[]){ 0 }));
	show("setgid(0) as nobody", setgid(0));
	printf("setfsuid(0) as nobody returns %d\n", setfsuid(0));
	printf("open /etc/shadow as nobody: %s\n",
	       open("/etc/shadow", O_RDONLY) < 0 ? strerrorname_np(errno) : "opened");
	show("setuid(65534) (its own id)", setuid(65534));
	return 0;
}
