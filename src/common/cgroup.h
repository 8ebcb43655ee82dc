/* An instance's control group: the Memory and Tasks limits of the whole
 * guest (every process, however many), where rlimits only bound each
 * process (RLIMIT_AS) or the user's processes host-wide (RLIMIT_NPROC).
 *
 * Found at run time from /proc/self/mountinfo: cgroup v2 (the unified
 * hierarchy with the memory and pids controllers) or v1 (the memory and
 * pids hierarchies), where umld may make directories (root, or a
 * delegated tree). Otherwise none, and the caller keeps the rlimits; why
 * says which and why, for --explain and umld status. */
#ifndef UMLD_COMMON_CGROUP_H
#define UMLD_COMMON_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

enum { CG_MEMORY, CG_PIDS, CG_COUNT };

struct umld_cgroup {
	int version; /* 0: none; 1 or 2 */
	/* The instance's directory per controller ("" when that controller
	 * is not used); under v2 both are the same directory. */
	char dir[CG_COUNT][PATH_MAX];
	char why[256];
};

/* Makes NAME.PID (the monitor's pid) under umld/ in each hierarchy that
 * has a controller a limit needs, and writes the limits: memory in bytes
 * (memory.max, no swap; v1 memory.limit_in_bytes and memsw where
 * accounted), tasks (pids.max). -1: unset. Directories left by monitors
 * that are gone are removed first. Never fails: a host without usable
 * cgroups gives version 0 and the reason in why. */
void cgroup_make(struct umld_cgroup *cg, const char *name, long long memory, long tasks);

/* Whether the limit of that controller is enforced by cg. */
bool cgroup_has(const struct umld_cgroup *cg, int controller);

/* Moves pid (every thread) into cg. 0 or -errno. */
int cgroup_attach(const struct umld_cgroup *cg, pid_t pid);

/* Current use: memory in bytes and the number of tasks; -1 when unknown. */
void cgroup_usage(const struct umld_cgroup *cg, long long *memory, long long *tasks);

/* Removes the directories (the guest must be gone). */
void cgroup_remove(struct umld_cgroup *cg);

#endif
