/* /proc/PID/root: a magic link to a process's root. /proc/self/root must be
 * the guest's root; /proc/1/root, /proc/PPID/root (umld itself is the first
 * process's parent on the host) and every other /proc/PID/root the guest
 * can see must not lead to the host's /. Natively (a pid namespace with its
 * own /proc, as a container gives) every process visible shares the root. */
#include "escape.h"

#include <dirent.h>

static void try_pid(struct esc *e, const char *pid)
{
	char path[PATH_MAX], what[64];

	esc_fmt(e, path, sizeof(path), "/proc/%s/root/%s", pid, e->rel);
	esc_fmt(e, what, sizeof(what), "/proc/%s/root/SECRET", pid);
	esc_open(e, what, AT_FDCWD, path);
}

int main(int argc, char **argv)
{
	struct esc e;
	char path[PATH_MAX], pid[32];
	DIR *d;
	struct dirent *de;
	int others = 0, st;
	pid_t child;

	esc_init(&e, "procroot", argc, argv);
	esc_fmt(&e, path, sizeof(path), "/proc/self/root/%s", e.up);
	esc_open(&e, "/proc/self/root/../..SECRET", AT_FDCWD, path);
	try_pid(&e, "self");
	try_pid(&e, "thread-self");
	try_pid(&e, "1");
	esc_fmt(&e, pid, sizeof(pid), "%d", (int)getppid());
	try_pid(&e, pid);
	/* a child looks at its parent's (this process's) root */
	fflush(NULL);
	child = fork();
	if (child == 0) {
		char p[PATH_MAX];
		int fd;

		esc_fmt(&e, p, sizeof(p), "/proc/%d/root/%s", (int)getppid(), e.rel);
		fd = open(p, O_RDONLY);
		if (fd >= 0) {
			char buf[256];
			ssize_t n = read(fd, buf, sizeof(buf) - 1);

			buf[n > 0 ? n : 0] = '\0';
			_exit(esc_classify(&e, buf) == 2 ? 42 : 0);
		}
		_exit(0);
	}
	waitpid(child, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42)
		esc_escaped(&e, "a child's /proc/PPID/root/SECRET");
	/* every pid the guest can see */
	d = opendir("/proc");
	if (d == NULL) {
		esc_note(&e, "opendir(/proc): %s", esc_errname(errno));
		return esc_finish(&e);
	}
	while ((de = readdir(d)) != NULL) {
		int fd;
		char buf[256];
		ssize_t n;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		esc_fmt(&e, path, sizeof(path), "/proc/%s/root/%s", de->d_name, e.rel);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		others++;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (esc_classify(&e, buf) == 2)
			esc_escaped(&e, "/proc/PID/root/SECRET of a visible pid");
	}
	closedir(d);
	esc_note(&e, "%d visible pids' root/SECRET could be opened", others);
	return esc_finish(&e);
}
