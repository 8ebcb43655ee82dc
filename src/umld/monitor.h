/* The monitor of one guest: the handler table, virtual kernel, filter,
 * tracer and notification server that `umld run` and `umld start` share. */
#ifndef UMLD_UMLD_MONITOR_H
#define UMLD_UMLD_MONITOR_H

#include <limits.h>
#include <stdbool.h>

#include "common/cgroup.h"
#include "common/error.h"
#include "emul/handler.h"
#include "emul/sandbox.h"
#include "emul/vkernel.h"
#include "sysemu/engine.h"
#include "sysemu/filter.h"
#include "sysemu/notify.h"
#include "tracer/tracer.h"

/* What defines a guest run: `umld run` flags and instance files alike. */
struct monitor_opts {
	char **argv;
	char **env;      /* NULL: the caller's environment */
	const char *cwd; /* NULL: the caller's */
	enum intercept_mode mode;
	bool notify;
	enum colocate_policy colocate;
	struct vk_wants vk;
	bool explain;
	bool test_handlers;
	bool test_passthrough;
	struct spawn_limits limits;
	struct sandbox_policy sandbox; /* --sandbox and its keys; the caller's strings */
	const char *name; /* the instance's, for its cgroup and audit log; NULL: "run" */
};

void monitor_opts_init(struct monitor_opts *o);

struct monitor {
	struct monitor_opts o;
	struct emul_table table;
	struct vkernel vk;
	struct engine engine;
	struct tracer tr;
	struct notify_server notify;
	struct filter_prog filter;
	struct spawn_opts so;
	struct sandbox sb; /* when o.sandbox is active */
	struct umld_cgroup cg; /* the Memory and Tasks limits, where cgroups are usable */
	char path[PATH_MAX];
	char cwd[PATH_MAX]; /* the caller's, when the guest's is not given */
};

/* Builds the table, the virtual kernel and the filter; resolves the command.
 * Nothing runs yet. */
int monitor_prepare(struct monitor *m, const struct monitor_opts *o, struct umld_err *err);
/* Starts the guest's first process (and the notification server). */
int monitor_start(struct monitor *m, struct umld_err *err);
/* Starts another process in the running guest (umld exec), on the tracer
 * thread: in the first process's namespaces, with the same filter, limits
 * and (unless given) environment and working directory; stdio[i] become its
 * fds 0-2, and it gets a session of its own with stdin as its terminal. */
int monitor_spawn_more(struct monitor *m, char **argv, char **env, const char *cwd,
		       const int stdio[3], pid_t *pid, struct umld_err *err);
/* Follows the guest until it has ended; the first process's wait status. */
int monitor_wait(struct monitor *m);
void monitor_free(struct monitor *m);

#endif
