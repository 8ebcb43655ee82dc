/* The sandbox's audit log: every denial as one JSON line (time, instance,
 * pid as the guest sees it, system call, decoded arguments, path, verdict),
 * to a file, to stderr (`umld run --audit=-`, and an instance's log). */
#ifndef UMLD_EMUL_AUDIT_H
#define UMLD_EMUL_AUDIT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "emul/request.h"

struct audit {
	int fd;          /* AuditLog=, or -1 */
	bool to_stderr;  /* --audit=-, or an instance (its log) */
	const char *instance; /* NULL for `umld run` */
	/* the emulated pids: the guest's pid of a host tid (else NStgid) */
	pid_t (*vpid)(void *arg, pid_t tid);
	void *vpid_arg;
	pthread_mutex_t lock;
	unsigned long lines;
};

/* dest: a file (appended to, made 0600), "-" for stderr, or NULL. */
int audit_open(struct audit *a, const char *dest, bool to_stderr, const char *instance,
	       struct umld_err *err);
bool audit_enabled(const struct audit *a);
/* One denied call: path is what the call names (a path, a socket address),
 * or NULL; error the errno the guest gets. */
void audit_denial(struct audit *a, const struct sc_request *req, const char *path, int error);
/* An event without a call (the wall-clock timeout): pid is the host pid. */
void audit_event(struct audit *a, pid_t pid, const char *what, const char *verdict);
void audit_close(struct audit *a);

#endif
