/* The fast emulation path: a thread of the monitor that answers seccomp user
 * notifications (SECCOMP_RET_USER_NOTIF) for the handlers that need no ptrace
 * stop. */
#ifndef UMLD_SYSEMU_NOTIFY_H
#define UMLD_SYSEMU_NOTIFY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "emul/handler.h"
#include "tracer/placement.h"

/* What the running kernel offers, probed once. */
struct notify_support {
	bool user_notif;  /* SECCOMP_RET_USER_NOTIF and NEW_LISTENER (Linux 5.0) */
	bool addfd_send;  /* SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND (5.14) */
	bool sync_wakeup; /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (6.6) */
};

/* Probes in a short-lived child; never fails, only reports less. */
void notify_probe(struct notify_support *out);

struct sock_fprog;
/* The smallest notifying filter: 64-bit getppid notifies, everything else
 * is allowed (the probe's, and `umld bench`'s floor). */
void notify_getppid_prog(struct sock_fprog *out);

struct notify_server {
	int fd; /* the listener */
	const struct emul_table *table;
	struct emul_ctx *ctx;
	bool sync_wakeup;
	pthread_t thread;
	bool running;
	bool heap;         /* allocated by the starter: the thread frees it at the end */
	struct placement *place; /* counts notifications for co-location, or NULL */
	uint64_t answered; /* notifications answered (written by the thread only) */
	/* /proc/TID/mem fds of recent callers, validated when opened */
	struct {
		pid_t tid;
		int fd;
	} mem[64];
};

/* Takes ownership of listener_fd and starts the serving thread; place (or
 * NULL) is told of every notification (tracer/placement.h). */
int notify_start(struct notify_server *s, int listener_fd, const struct emul_table *t,
		 struct emul_ctx *ctx, struct placement *place, struct umld_err *err);

#endif
