/* The emulated pid subsystem: a table of the guest's tasks with virtual ids
 * (host tid <-> virtual tid), filled from the tracer's hooks, and what the
 * handlers (pids.c), the emulated filesystem's /proc and the virtual files
 * ask of it. No namespace, no privilege: calls that name a pid are given
 * host pids, results that hold one are given virtual pids. */
#ifndef UMLD_EMUL_PIDS_H
#define UMLD_EMUL_PIDS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "emul/handler.h"

#define VK_PID_BUCKETS 512
/* the kernel's largest pid_max: virtual ids stay below it */
#define VK_PID_MAX 4194304
/* A host pid no process can have (above every pid_max): a call naming a
 * virtual pid the guest does not have is given it, so the host kernel
 * checks the other arguments first and fails as it would for a missing
 * pid (ESRCH, ECHILD, EPERM for a process group). */
#define VK_PID_NOWHERE 0x7fffffff

struct vk_pid {
	pid_t host;      /* host tid */
	pid_t vtid;      /* its virtual id */
	pid_t host_tgid; /* its process: the host tgid */
	/* the parent process (host tgid; a process's leader only); 0: none
	 * the guest has (its first process, one started by umld exec) */
	pid_t host_ppid;
	/* a process that ended: its id may still name a process group or a
	 * session, or a child its parent has yet to reap */
	bool dead;
	uint64_t settid; /* CLONE_CHILD_SETTID address, written at its start */
	struct vk_pid *next_h, *next_v;
};

struct vk_pids {
	pthread_mutex_t lock;
	struct vk_pid *by_host[VK_PID_BUCKETS];
	struct vk_pid *by_virt[VK_PID_BUCKETS];
	pid_t last;  /* the last virtual id handed out */
	pid_t first; /* host pid of the guest's first process (virtual 1) */
	size_t dead;
};

struct vkernel;
struct sc_request;

int pids_new(struct vk_pids **out);
void pids_free(struct vk_pids *p);

/* A process with no parent in the guest (the first one: virtual 1; one
 * that umld exec starts). */
void pids_add_process(struct vk_pids *p, pid_t host);
/* The tracer's hooks: a new task (its parent stopped at its fork or clone
 * event), a task about to run its first instruction, a task gone. */
void pids_task_clone(struct vk_pids *p, pid_t parent, pid_t child);
void pids_task_start(struct vk_pids *p, pid_t tid);
void pids_task_gone(struct vk_pids *p, pid_t tid);
/* The tracer's signal-delivery stop of task tid: a sender pid the kernel
 * wrote into the siginfo is made virtual (0 for a sender outside the
 * guest, as a PID namespace shows one from an ancestor namespace). */
void pids_task_signal(struct vk_pids *p, pid_t tid);

/* host -> virtual (a process that ended too); 0: not the guest's. */
pid_t pids_to_virt(struct vk_pids *p, pid_t host);
/* virtual -> host: a running task (any_state: an ended one too); 0: none. */
pid_t pids_to_host(struct vk_pids *p, pid_t vtid, bool any_state);
/* The caller's virtual process id and thread id (0 when unknown). */
pid_t pids_vpid_of(struct vk_pids *p, pid_t tid, pid_t *vtid);
/* The guest's running processes (by virtual pid, ascending), or the threads
 * of the process host_tgid: up to max virtual ids in out; the count. */
size_t pids_list(struct vk_pids *p, pid_t host_tgid, pid_t *out, size_t max);

/* A line of a /proc/PID/status file of the task host_tid, with its pid
 * fields in virtual terms: the length written to out (size > line's). */
size_t pids_status_line(struct vk_pids *p, pid_t host_tid, const char *line, char *out,
			size_t size);
/* Virtual files: /proc/PID/stat, status and sched (and task/TID/...), and
 * task/TID/children, of guest tasks, abs a guest path with virtual
 * numbers; /proc/loadavg, /proc/sys/kernel/pid_max. 0 with content;
 * -ENOENT: not one. */
int pids_vfile(struct vkernel *vk, const struct sc_request *req, const char *abs, char *buf,
	       size_t size, size_t *len);

/* /proc's numbered names. name, an entry of dir (its path inside /proc:
 * "" or "N/task"), as a host id (to_host) or a virtual one: true with out
 * set ("0", a name /proc never has, for an id with no counterpart); false
 * when name is not a pid there. */
bool pids_proc_name(struct vk_pids *p, const char *dir, const char *name, char *out, size_t size,
		    bool to_host);
/* The same for each component of a path inside /proc ("N/task/T/stat");
 * false when out is too small. */
bool pids_proc_path(struct vk_pids *p, const char *in, char *out, size_t size, bool to_host);

extern const struct emul_feature emul_feature_pids;
/* sendmsg's SCM_CREDENTIALS virtual pids made host ones for the call and
 * put back after (where the filesystem's sendmsg, which then does it, does
 * not claim the call). */
extern const struct emul_feature emul_feature_pids_send;
/* The ucred pids of the guest message at msg, virtual to host, in place;
 * whether it had any. */
bool pids_send_ucreds(struct vk_pids *p, const struct sc_request *req, uint64_t msg);
/* ... and back, at the call's exit. */
void pids_restore_ucreds(struct vk_pids *p, const struct sc_request *req, uint64_t msg);

#endif
