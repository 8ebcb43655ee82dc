/* A guest in a PID namespace (the containerized pid or fs backend) shares
 * its first process's process group with umld and the shell that started
 * it: umld keeps the terminal's job control. The kernel's kill(0, sig)
 * signals the caller's whole process group, PID namespace or not, so it
 * would reach umld and that shell. Here kill(0, sig) is served by the
 * monitor: only the members of the caller's group that are in the caller's
 * PID namespace get the signal. Every other kill passes: the namespace
 * already confines it (a pid outside it does not exist there). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/handler.h"
#include "emul/vkernel.h"

/* The identity of pid's PID namespace (its nsfs inode), 0 if unknown. */
static ino_t pidns_of(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static struct verdict pidns_kill(struct emul_ctx *ctx UMLD_UNUSED, const struct sc_request *req)
{
	pid_t target = (pid_t)req->args[0];
	int sig = (int)req->args[1], sent = 0, first_error = 0;
	pid_t pgrp;
	ino_t ns;
	DIR *d;
	struct dirent *e;

	if (target != 0)
		return verdict_pass();
	if (sig < 0 || sig > SIGRTMAX)
		return verdict_deny(EINVAL);
	/* the caller's thread id: the notification path has no tgid */
	pgrp = getpgid(req->tid);
	ns = pidns_of(req->tid);
	if (pgrp <= 0 || ns == 0)
		return verdict_deny(ESRCH); /* the caller is gone */
	d = opendir("/proc");
	if (!d)
		return verdict_deny(EAGAIN);
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || getpgid((pid_t)pid) != pgrp || pidns_of((pid_t)pid) != ns)
			continue;
		if (kill((pid_t)pid, sig) == 0)
			sent++;
		else if (!first_error)
			first_error = errno;
	}
	closedir(d);
	/* as the kernel: success if any was signalled */
	if (sent)
		return verdict_return(0);
	return verdict_deny(first_error ? first_error : ESRCH);
}

static const struct emul_handler pidns_handlers[] = {
	{ .name = "kill", .enter = pidns_kill },
};

const struct emul_feature emul_feature_pidns = {
	.name = "pidns-kill",
	.handlers = pidns_handlers,
	.count = ARRAY_SIZE(pidns_handlers),
};
