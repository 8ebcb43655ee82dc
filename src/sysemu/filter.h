/* The seccomp filter compiler: from the handler table to a BPF program that
 * lets every unclaimed call run in the kernel and sends claimed ones to the
 * monitor. */
#ifndef UMLD_SYSEMU_FILTER_H
#define UMLD_SYSEMU_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>

#include "common/error.h"
#include "emul/handler.h"

struct filter_prog {
	struct sock_filter *insns;
	unsigned short len;
	bool listener; /* has SECCOMP_RET_USER_NOTIF rules: install with a listener */
	/* sendmsg is not simply allowed: the child cannot hand its listener
	 * over with it (spawn.c takes it with pidfd_getfd instead) */
	bool stops_sendmsg;
};

/* use_notify: claimed calls whose handler does not need ptrace become
 * SECCOMP_RET_USER_NOTIF; otherwise every claimed call is RET_TRACE. */
/* For PTRACE_SYSEMU mode: every call stops anyway, and those whose handler
 * can be served from a notification are passed at that stop, to be
 * re-executed into this filter's NOTIFY; everything else is allowed. */
int filter_build_notify_only(const struct emul_table *t, struct filter_prog *out,
			     struct umld_err *err);
int filter_build(const struct emul_table *t, bool use_notify, struct filter_prog *out,
		 struct umld_err *err);
void filter_free(struct filter_prog *p);

/* Installs p in the calling process (async-signal-safe: for the child between
 * fork and exec). Sets PR_SET_NO_NEW_PRIVS first when the caller lacks
 * CAP_SYS_ADMIN. Returns the listener fd when p->listener, else 0; or -errno. */
int filter_install(const struct filter_prog *p);

#endif
