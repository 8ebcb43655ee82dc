/* The emulated pid subsystem (--virtual-pids where no PID namespace is
 * used): the table of virtual ids and the handlers of every call that takes
 * or gives a pid.
 *
 * Only task ids are kept (host tid <-> virtual tid, the process, the parent
 * process); process groups and sessions are the host's, read from
 * /proc/PID/stat when asked and translated, so setpgid and setsid run on
 * the host unchanged but for their arguments. A number the guest does not
 * have translates to 0 (as a PID namespace shows a process outside it), and
 * a virtual pid the guest does not have is given to the host as
 * VK_PID_NOWHERE, so the kernel fails the call with its own errno in its own
 * order. Calls that give a pid back and run on the host (fork, clone,
 * wait4, waitid, setsid, set_tid_address) have the result changed at their
 * exit stop (emul_handler.exit); those answered from the table (getpid,
 * gettid, getppid, getpgid, getsid) are served from a notification. Signals
 * to many processes (kill with 0, -1 or a group) are sent by the monitor to
 * each guest process, with the kernel's permission rule checked against the
 * caller's host credentials. A delivered signal's sender pid is made
 * virtual at its signal-delivery stop (pids_task_signal). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"
#include "sysemu/regs.h"

#define CS_64BIT 0x33 /* x86_64 user code segment */

static unsigned slot_of(pid_t id)
{
	return ((uint32_t)id * 2654435761u) % VK_PID_BUCKETS;
}

int pids_new(struct vk_pids **out)
{
	struct vk_pids *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
	return 0;
}

void pids_free(struct vk_pids *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		while (p->by_host[i]) {
			struct vk_pid *e = p->by_host[i];
			p->by_host[i] = e->next_h;
			free(e);
		}
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- the table (callers hold the lock) ---- */

static struct vk_pid *by_host(const struct vk_pids *p, pid_t host)
{
	for (struct vk_pid *e = p->by_host[slot_of(host)]; e; e = e->next_h)
		if (e->host == host)
			return e;
	return NULL;
}

static struct vk_pid *by_virt(const struct vk_pids *p, pid_t v)
{
	for (struct vk_pid *e = p->by_virt[slot_of(v)]; e; e = e->next_v)
		if (e->vtid == v)
			return e;
	return NULL;
}

static void unlink_entry(struct vk_pids *p, struct vk_pid *e)
{
	struct vk_pid **pp;

	for (pp = &p->by_host[slot_of(e->host)]; *pp; pp = &(*pp)->next_h)
		if (*pp == e) {
			*pp = e->next_h;
			break;
		}
	for (pp = &p->by_virt[slot_of(e->vtid)]; *pp; pp = &(*pp)->next_v)
		if (*pp == e) {
			*pp = e->next_v;
			break;
		}
	if (e->dead)
		p->dead--;
}

/* A new entry for host with the next free virtual id, as the kernel hands
 * them out (ascending, wrapping at the top). A stale entry of the same host
 * id (a process that ended and whose id the host reused) goes. */
static struct vk_pid *add_entry(struct vk_pids *p, pid_t host, pid_t tgid, pid_t ppid)
{
	struct vk_pid *e = by_host(p, host);

	if (e) {
		unlink_entry(p, e);
		free(e);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	do {
		p->last = p->last >= VK_PID_MAX - 1 ? 2 : p->last + 1;
	} while (by_virt(p, p->last));
	e->host = host;
	e->vtid = p->last;
	e->host_tgid = tgid;
	e->host_ppid = ppid;
	e->next_h = p->by_host[slot_of(host)];
	p->by_host[slot_of(host)] = e;
	e->next_v = p->by_virt[slot_of(e->vtid)];
	p->by_virt[slot_of(e->vtid)] = e;
	return e;
}

/* A /proc/PID/stat field after the command (3: state, 4: ppid, 5: pgrp,
 * 6: session, 8: tpgid); false when the task is gone. */
static bool stat_field(pid_t host, int field, long *out)
{
	char buf[1024];

	if (fs_proc_read(host, "stat", buf, sizeof(buf)) <= 0)
		return false;
	char *s = strrchr(buf, ')');
	if (!s)
		return false;
	s++;
	for (int f = 3; f <= field; f++) {
		while (*s == ' ')
			s++;
		if (f == field)
			return sscanf(s, "%ld", out) == 1 || (field == 3 && (*out = *s, true));
		s = strchr(s, ' ');
		if (!s)
			return false;
	}
	return false;
}

static pid_t tgid_of(pid_t tid)
{
	pid_t t = fs_tgid(tid);

	return t > 0 ? t : tid;
}

/* The caller's entry; one it never had (a task that ran before the monitor
 * knew it: none should) is made as a process of no parent. */
static struct vk_pid *caller_locked(struct vk_pids *p, pid_t tid)
{
	struct vk_pid *e = by_host(p, tid);

	if (e && !e->dead)
		return e;
	pid_t tgid = tgid_of(tid);
	if (tgid != tid && !by_host(p, tgid))
		add_entry(p, tgid, tgid, 0);
	return add_entry(p, tid, tgid, 0);
}

/* ---- the tracer's hooks ---- */

void pids_add_process(struct vk_pids *p, pid_t host)
{
	pthread_mutex_lock(&p->lock);
	if (!p->first)
		p->first = host;
	add_entry(p, host, host, 0);
	pthread_mutex_unlock(&p->lock);
}

/* What the parent's clone asked for, read at its event stop. */
struct clone_req {
	uint64_t flags;
	uint64_t parent_tid; /* CLONE_PARENT_SETTID address */
	uint64_t child_tid;  /* CLONE_CHILD_SETTID address */
};

static void clone_req_of(pid_t parent, struct clone_req *c)
{
	umld_regs regs;

	memset(c, 0, sizeof(*c));
	if (regs_get(parent, &regs) < 0)
		return;
	enum umld_abi abi = regs.cs == CS_64BIT ? ABI_X86_64 : ABI_I386;
	const struct sc_info *info = sc_lookup(abi, (long)regs.orig_rax);
	uint64_t a[SC_ARGS_MAX];

	if (!info)
		return;
	regs_get_args(&regs, abi, a);
	if (strcmp(info->name, "clone") == 0) {
		/* x86_64: flags, stack, parent_tid, child_tid, tls; i386:
		 * flags, stack, parent_tid, tls, child_tid */
		c->flags = a[0];
		c->parent_tid = a[2];
		c->child_tid = abi == ABI_X86_64 ? a[3] : a[4];
	} else if (strcmp(info->name, "clone3") == 0) {
		uint64_t ca[4]; /* flags, pidfd, child_tid, parent_tid */

		if (a[1] >= sizeof(ca) && guest_read(parent, a[0], ca, sizeof(ca)) == 0) {
			c->flags = ca[0];
			c->child_tid = ca[2];
			c->parent_tid = ca[3];
		}
	}
	if (!(c->flags & CLONE_PARENT_SETTID))
		c->parent_tid = 0;
	if (!(c->flags & CLONE_CHILD_SETTID))
		c->child_tid = 0;
}

void pids_task_clone(struct vk_pids *p, pid_t parent, pid_t child)
{
	struct clone_req c;
	struct vk_pid *pe, *ce;
	int32_t v;

	pthread_mutex_lock(&p->lock);
	ce = by_host(p, child);
	if (ce && !ce->dead) {
		/* a non-leader thread's execve: it takes the leader's id, whose
		 * entry stays (its virtual id too, as in a PID namespace) */
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_unlock(&p->lock);
	clone_req_of(parent, &c); /* ptrace requests outside the lock */
	pthread_mutex_lock(&p->lock);
	pe = caller_locked(p, parent);
	struct vk_pid *pp = pe ? by_host(p, pe->host_tgid) : NULL;
	pid_t ptgid = pe ? pe->host_tgid : parent;
	pid_t tgid = (c.flags & CLONE_THREAD) ? ptgid : child;
	pid_t ppid = (c.flags & (CLONE_THREAD | CLONE_PARENT)) ? (pp ? pp->host_ppid : 0) : ptgid;
	ce = add_entry(p, child, tgid, ppid);
	if (ce) {
		ce->settid = c.child_tid;
		v = ce->vtid;
	}
	pthread_mutex_unlock(&p->lock);
	/* the kernel wrote the host id there before this event */
	if (ce && c.parent_tid)
		guest_write(parent, c.parent_tid, &v, sizeof(v));
}

void pids_task_start(struct vk_pids *p, pid_t tid)
{
	struct vk_pid *e;
	uint64_t at = 0;
	int32_t v = 0;

	pthread_mutex_lock(&p->lock);
	e = by_host(p, tid);
	if (e && e->settid) {
		at = e->settid;
		v = e->vtid;
		e->settid = 0;
	}
	pthread_mutex_unlock(&p->lock);
	/* the child wrote its host id there before its first stop */
	if (at)
		guest_write(tid, at, &v, sizeof(v));
}

/* Ended processes are kept while their id may still be needed; when many
 * have gathered, those that no running guest process has as its group or
 * session and that are not zombies any more go. */
static void sweep_locked(struct vk_pids *p)
{
	size_t n = 0, cap = 0;
	pid_t *keep = NULL;

	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		for (struct vk_pid *e = p->by_host[i]; e; e = e->next_h) {
			long pg = 0, sid = 0;

			if (e->dead || e->host != e->host_tgid)
				continue;
			if (!stat_field(e->host, 5, &pg) || !stat_field(e->host, 6, &sid))
				continue;
			if (n + 2 > cap) {
				cap = cap ? 2 * cap : 256;
				pid_t *k = realloc(keep, cap * sizeof(*k));
				if (!k) {
					free(keep);
					return;
				}
				keep = k;
			}
			keep[n++] = (pid_t)pg;
			keep[n++] = (pid_t)sid;
		}
	}
	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		struct vk_pid *e = p->by_host[i];
		while (e) {
			struct vk_pid *next = e->next_h;
			bool used = false;
			long st = 0;

			for (size_t k = 0; e->dead && k < n && !used; k++)
				used = keep[k] == e->host;
			if (e->dead && !used && !(stat_field(e->host, 3, &st) && st == 'Z')) {
				unlink_entry(p, e);
				free(e);
			}
			e = next;
		}
	}
	free(keep);
}

void pids_task_gone(struct vk_pids *p, pid_t tid)
{
	struct vk_pid *e;

	pthread_mutex_lock(&p->lock);
	e = by_host(p, tid);
	if (!e || e->dead) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (e->host != e->host_tgid) {
		unlink_entry(p, e);
		free(e);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	/* a process: its threads are gone, its children are the first
	 * process's now (a PID namespace's init gets its orphans), its id
	 * stays for its group, session, and its parent's wait */
	e->dead = true;
	p->dead++;
	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		struct vk_pid *o = p->by_host[i];
		while (o) {
			struct vk_pid *next = o->next_h;
			if (o != e && o->host_tgid == tid && !o->dead) {
				unlink_entry(p, o);
				free(o);
			} else if (o->host_ppid == tid) {
				o->host_ppid = tid == p->first ? 0 : p->first;
			}
			o = next;
		}
	}
	if (p->dead > 512)
		sweep_locked(p);
	pthread_mutex_unlock(&p->lock);
}

/* Whether the kernel wrote a delivered signal's si_pid: kill (SI_USER; a
 * parent's death signal too), tkill and tgkill (SI_TKILL), a message
 * queue's notification (SI_MESGQ: the sender of the message), and SIGCHLD
 * (the child that ended, stopped or went on). rt_sigqueueinfo's siginfo
 * (SI_QUEUE, glibc's SI_ASYNCIO) is the sender's own, kept by the kernel
 * as given: glibc's sigqueue writes getpid() there, in the guest already a
 * virtual pid. */
static bool kernel_wrote_pid(const siginfo_t *si)
{
	switch (si->si_code) {
	case SI_USER:
	case SI_TKILL:
	case SI_MESGQ:
		return true;
	default:
		return si->si_signo == SIGCHLD && si->si_code >= CLD_EXITED &&
		       si->si_code <= CLD_CONTINUED;
	}
}

void pids_task_signal(struct vk_pids *p, pid_t tid)
{
	siginfo_t si;
	pid_t v;

	if (regs_get_siginfo(tid, &si) < 0 || !kernel_wrote_pid(&si) || si.si_pid <= 0)
		return;
	/* an ended child is still in the table (its parent has yet to reap
	 * it); the monitor or a host process is not: 0 */
	v = pids_to_virt(p, si.si_pid);
	if (v == si.si_pid)
		return;
	si.si_pid = v;
	regs_set_siginfo(tid, &si);
}

/* ---- lookups ---- */

pid_t pids_to_virt(struct vk_pids *p, pid_t host)
{
	pid_t v = 0;

	if (host <= 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	struct vk_pid *e = by_host(p, host);
	if (e)
		v = e->vtid;
	pthread_mutex_unlock(&p->lock);
	return v;
}

pid_t pids_to_host(struct vk_pids *p, pid_t vtid, bool any_state)
{
	pid_t h = 0;

	if (vtid <= 0)
		return 0;
	pthread_mutex_lock(&p->lock);
	struct vk_pid *e = by_virt(p, vtid);
	if (e && (any_state || !e->dead))
		h = e->host;
	pthread_mutex_unlock(&p->lock);
	return h;
}

pid_t pids_vpid_of(struct vk_pids *p, pid_t tid, pid_t *vtid)
{
	pid_t v = 0, t = 0;

	pthread_mutex_lock(&p->lock);
	struct vk_pid *e = caller_locked(p, tid);
	if (e) {
		struct vk_pid *l = by_host(p, e->host_tgid);
		t = e->vtid;
		v = l ? l->vtid : 0;
	}
	pthread_mutex_unlock(&p->lock);
	if (vtid)
		*vtid = t;
	return v;
}

/* The virtual parent of the process of host task tid. */
static pid_t vppid_of(struct vk_pids *p, pid_t tid)
{
	pid_t v = 0;

	pthread_mutex_lock(&p->lock);
	struct vk_pid *e = caller_locked(p, tid);
	struct vk_pid *l = e ? by_host(p, e->host_tgid) : NULL;
	struct vk_pid *pe = l && l->host_ppid ? by_host(p, l->host_ppid) : NULL;
	if (pe)
		v = pe->vtid;
	pthread_mutex_unlock(&p->lock);
	return v;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

size_t pids_list(struct vk_pids *p, pid_t host_tgid, pid_t *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		for (struct vk_pid *e = p->by_host[i]; e && n < max; e = e->next_h) {
			if (e->dead)
				continue;
			if (host_tgid ? e->host_tgid == host_tgid : e->host == e->host_tgid)
				out[n++] = e->vtid;
		}
	}
	pthread_mutex_unlock(&p->lock);
	qsort(out, n, sizeof(*out), cmp_pid);
	return n;
}

/* Every running guest process's host pid (callers free *out); -ENOMEM. */
static ssize_t processes(struct vk_pids *p, pid_t **out)
{
	size_t n = 0, cap = 64;
	pid_t *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < VK_PID_BUCKETS; i++) {
		for (struct vk_pid *e = p->by_host[i]; e; e = e->next_h) {
			if (e->dead || e->host != e->host_tgid)
				continue;
			if (n == cap) {
				pid_t *w = realloc(v, 2 * cap * sizeof(*v));
				if (!w) {
					pthread_mutex_unlock(&p->lock);
					free(v);
					return -ENOMEM;
				}
				v = w;
				cap *= 2;
			}
			v[n++] = e->host;
		}
	}
	pthread_mutex_unlock(&p->lock);
	*out = v;
	return (ssize_t)n;
}

/* ---- handlers ---- */

static struct vk_pids *pids_of(struct emul_ctx *ctx)
{
	return ((struct vkernel *)ctx->state)->pids;
}

/* A pid argument as the guest gave it. */
static pid_t arg_pid(const struct sc_request *req, int i)
{
	return (pid_t)(int32_t)req->args[i];
}

/* A positive virtual id as a host id: a running task, or (any_state) one
 * whose id is still the guest's; VK_PID_NOWHERE when the guest has none. */
static pid_t host_or_nowhere(struct vk_pids *p, pid_t v, bool any_state)
{
	pid_t h = pids_to_host(p, v, any_state);

	return h ? h : VK_PID_NOWHERE;
}

static struct verdict rewrite(const struct sc_request *req)
{
	struct verdict v = { .kind = VERDICT_REWRITE };

	memcpy(v.args, req->args, sizeof(v.args));
	return v;
}

static struct verdict p_getpid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return verdict_return(pids_vpid_of(pids_of(ctx), req->tid, NULL));
}

static struct verdict p_gettid(struct emul_ctx *ctx, const struct sc_request *req)
{
	pid_t t = 0;

	pids_vpid_of(pids_of(ctx), req->tid, &t);
	return verdict_return(t);
}

static struct verdict p_getppid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return verdict_return(vppid_of(pids_of(ctx), req->tid));
}

/* getpgid and getsid: the host's group or session, in virtual terms (0:
 * one the guest does not have, as a PID namespace shows it). */
static struct verdict pgrp_or_session(struct emul_ctx *ctx, const struct sc_request *req,
				      pid_t vpid, int field)
{
	struct vk_pids *p = pids_of(ctx);
	pid_t h = vpid == 0 ? req->tid : vpid > 0 ? pids_to_host(p, vpid, false) : 0;
	long val = 0;

	if (!h || !stat_field(h, field, &val))
		return verdict_deny(ESRCH);
	return verdict_return(pids_to_virt(p, (pid_t)val));
}

static struct verdict p_getpgid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return pgrp_or_session(ctx, req, arg_pid(req, 0), 5);
}

static struct verdict p_getpgrp(struct emul_ctx *ctx, const struct sc_request *req)
{
	return pgrp_or_session(ctx, req, 0, 5);
}

static struct verdict p_getsid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return pgrp_or_session(ctx, req, arg_pid(req, 0), 6);
}

static struct verdict p_setpgid(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_pids *p = pids_of(ctx);
	pid_t pid = arg_pid(req, 0), pgid = arg_pid(req, 1);
	struct verdict v = rewrite(req);

	if (pid > 0)
		v.args[0] = (uint64_t)host_or_nowhere(p, pid, false);
	/* a group may outlive its leader */
	if (pgid > 0)
		v.args[1] = (uint64_t)host_or_nowhere(p, pgid, true);
	return v;
}

/* The result of a call that returns a host pid. */
static int64_t exit_to_virt(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	(void)req;
	return ret > 0 ? pids_to_virt(pids_of(ctx), (pid_t)ret) : ret;
}

static struct verdict p_pass(struct emul_ctx *ctx, const struct sc_request *req)
{
	(void)ctx;
	(void)req;
	return verdict_pass();
}

/* ---- signals ---- */

struct creds {
	unsigned ruid, euid, suid;
	bool cap_kill;
};

static bool creds_of(pid_t tid, struct creds *c)
{
	char uid[128], cap[64];

	memset(c, 0, sizeof(*c));
	if (!fs_status_field(tid, "Uid:", uid, sizeof(uid)) ||
	    sscanf(uid, "%u %u %u", &c->ruid, &c->euid, &c->suid) != 3)
		return false;
	if (fs_status_field(tid, "CapEff:", cap, sizeof(cap)))
		c->cap_kill = strtoull(cap, NULL, 16) & (1ull << 5); /* CAP_KILL */
	return true;
}

/* The first process is the guest's init: a signal it does not catch is
 * dropped when sent from inside (SIGKILL and SIGSTOP too), as the kernel
 * protects a PID namespace's init. */
static bool init_ignores(struct vk_pids *p, pid_t host, int sig)
{
	char cgt[32];

	if (sig <= 0 || sig > 64 || host != p->first)
		return false;
	if (!fs_status_field(host, "SigCgt:", cgt, sizeof(cgt)))
		return false;
	return !(strtoull(cgt, NULL, 16) & (1ull << (sig - 1)));
}

/* Sends sig to the process host from the monitor on the caller's behalf:
 * 0, -EPERM (the kernel's rule for the caller's credentials), -ESRCH. */
static int send_as(const struct creds *from, pid_t from_tid, pid_t host, int sig)
{
	struct creds to;

	if (!creds_of(host, &to))
		return -ESRCH;
	bool ok = from->cap_kill || from->euid == to.suid || from->euid == to.ruid ||
		  from->ruid == to.suid || from->ruid == to.ruid;
	if (!ok && sig == SIGCONT) {
		long a = 0, b = 0;
		ok = stat_field(from_tid, 6, &a) && stat_field(host, 6, &b) && a == b;
	}
	if (!ok)
		return -EPERM;
	if (sig && kill(host, sig) < 0)
		return -errno;
	return 0;
}

/* kill(0), kill(-1), kill(-pgrp): each guest process meant, signalled by
 * the monitor. A group: 0 when any was signalled, else the last error or
 * ESRCH for none; -1: every process but the first and the caller's, 0
 * unless none (EPERM ones do not count as failures), as the kernel does. */
static struct verdict kill_many(struct vk_pids *p, const struct sc_request *req, pid_t pid, int sig)
{
	pid_t *procs = NULL, host_pg = 0, self = 0;
	struct creds me;
	int retval = 0, last = -ESRCH;
	size_t count = 0;
	bool success = false;
	ssize_t n;

	if (!creds_of(req->tid, &me))
		return verdict_deny(ESRCH);
	pthread_mutex_lock(&p->lock);
	struct vk_pid *e = by_host(p, req->tid);
	self = e ? e->host_tgid : req->tid;
	pthread_mutex_unlock(&p->lock);
	if (pid == 0) {
		long pg;
		if (!stat_field(req->tid, 5, &pg))
			return verdict_deny(ESRCH);
		host_pg = (pid_t)pg;
	} else if (pid < -1) {
		host_pg = pids_to_host(p, -pid, true);
		if (!host_pg)
			return verdict_deny(ESRCH);
	}
	n = processes(p, &procs);
	if (n < 0)
		return verdict_deny((int)-n);
	for (ssize_t i = 0; i < n; i++) {
		pid_t h = procs[i];
		int r;

		if (pid == -1) {
			if (h == p->first || h == self)
				continue;
		} else {
			long pg;
			if (!stat_field(h, 5, &pg) || (pid_t)pg != host_pg)
				continue;
		}
		r = init_ignores(p, h, sig) ? 0 : send_as(&me, req->tid, h, sig);
		if (r == -ESRCH)
			continue; /* ended meanwhile */
		count++;
		success |= r == 0;
		last = r;
		if (r != -EPERM)
			retval = r;
	}
	free(procs);
	if (pid == -1)
		return !count ? verdict_deny(ESRCH) : retval ? verdict_deny(-retval) : verdict_return(0);
	return success ? verdict_return(0) : verdict_deny(-last);
}

static struct verdict p_kill(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_pids *p = pids_of(ctx);
	pid_t pid = arg_pid(req, 0);
	int sig = (int)(int32_t)req->args[1];
	struct verdict v = rewrite(req);

	if (pid > 0) {
		v.args[0] = (uint64_t)host_or_nowhere(p, pid, false);
		if (init_ignores(p, (pid_t)v.args[0], sig))
			v.args[1] = 0; /* checked as the kernel does, not delivered */
		return v;
	}
	if (pid == INT_MIN || sig < 0 || sig > 64)
		return verdict_pass(); /* the kernel's ESRCH or EINVAL */
	return kill_many(p, req, pid, sig);
}

/* tkill(tid, sig), tgkill(tgid, tid, sig), rt_sigqueueinfo(tgid, ...),
 * rt_tgsigqueueinfo(tgid, tid, ...): positive ids translated, the others
 * left to the kernel (EINVAL). */
static struct verdict translate_args(struct emul_ctx *ctx, const struct sc_request *req, int n,
				     bool any_state)
{
	struct vk_pids *p = pids_of(ctx);
	struct verdict v = rewrite(req);

	for (int i = 0; i < n; i++)
		if (arg_pid(req, i) > 0)
			v.args[i] = (uint64_t)host_or_nowhere(p, arg_pid(req, i), any_state);
	return v;
}

static struct verdict p_one_pid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return translate_args(ctx, req, 1, false);
}

static struct verdict p_two_pids(struct emul_ctx *ctx, const struct sc_request *req)
{
	return translate_args(ctx, req, 2, false);
}

/* tkill(tid, sig), tgkill(tgid, tid, sig): the init's protection too */
static struct verdict p_tkill(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct verdict v = translate_args(ctx, req, 1, false);

	if (init_ignores(pids_of(ctx), tgid_of((pid_t)v.args[0]), (int)(int32_t)req->args[1]))
		v.args[1] = 0;
	return v;
}

static struct verdict p_tgkill(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct verdict v = translate_args(ctx, req, 2, false);

	if (init_ignores(pids_of(ctx), (pid_t)v.args[0], (int)(int32_t)req->args[2]))
		v.args[2] = 0;
	return v;
}

/* getpriority, setpriority (which, who) and ioprio_get/set (which, who):
 * who is a process for which 0 (PRIO_PROCESS) or 1 (IOPRIO_WHO_PROCESS),
 * a group for 1 (PRIO_PGRP) or 2 (IOPRIO_WHO_PGRP). */
static struct verdict prio_common(struct emul_ctx *ctx, const struct sc_request *req, int proc,
				  int pgrp)
{
	int which = (int)(int32_t)req->args[0];
	pid_t who = arg_pid(req, 1);
	struct verdict v = rewrite(req);

	if (who > 0 && (which == proc || which == pgrp))
		v.args[1] = (uint64_t)host_or_nowhere(pids_of(ctx), who, which == pgrp);
	return v;
}

static struct verdict p_priority(struct emul_ctx *ctx, const struct sc_request *req)
{
	return prio_common(ctx, req, 0, 1);
}

static struct verdict p_ioprio(struct emul_ctx *ctx, const struct sc_request *req)
{
	return prio_common(ctx, req, 1, 2);
}

/* ---- waiting ---- */

static struct verdict p_wait4(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_pids *p = pids_of(ctx);
	pid_t pid = arg_pid(req, 0);
	struct verdict v = rewrite(req);

	/* a child that ended is still its parent's to wait for */
	if (pid > 0)
		v.args[0] = (uint64_t)host_or_nowhere(p, pid, true);
	else if (pid < -1 && pid != INT_MIN)
		v.args[0] = (uint64_t)(uint32_t)-host_or_nowhere(p, -pid, true);
	return v;
}

#define P_PID_ 1
#define P_PGID_ 2

static struct verdict p_waitid(struct emul_ctx *ctx, const struct sc_request *req)
{
	int idtype = (int)(int32_t)req->args[0];
	pid_t id = arg_pid(req, 1);
	struct verdict v = rewrite(req);

	if ((idtype == P_PID_ || idtype == P_PGID_) && id > 0)
		v.args[1] = (uint64_t)host_or_nowhere(pids_of(ctx), id, true);
	return v;
}

/* The siginfo waitid filled: its si_pid (after signo, errno, code, and,
 * on x86_64, the union's 8-byte alignment). */
static int64_t exit_waitid(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	uint64_t at = req->args[2] + (req->abi == ABI_X86_64 ? 16 : 12);
	int32_t pid;

	if (ret != 0 || !req->args[2] || req_read(req, at, &pid, sizeof(pid)) < 0 || pid <= 0)
		return ret;
	pid = pids_to_virt(pids_of(ctx), pid);
	req_write(req, at, &pid, sizeof(pid));
	return ret;
}

/* ---- sockets: a peer's credentials ---- */

static struct verdict p_getsockopt(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct verdict v = verdict_pass();

	(void)ctx;
	v.no_exit = req->args[1] != SOL_SOCKET || req->args[2] != SO_PEERCRED;
	return v;
}

/* getsockopt(SOL_SOCKET, SO_PEERCRED): the peer's pid, if a guest's. */
static int64_t exit_getsockopt(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	int32_t pid;

	if (ret != 0 || req->args[1] != SOL_SOCKET || req->args[2] != SO_PEERCRED || !req->args[3])
		return ret;
	if (req_read(req, req->args[3], &pid, sizeof(pid)) == 0 && pid > 0) {
		pid = pids_to_virt(pids_of(ctx), pid);
		req_write(req, req->args[3], &pid, sizeof(pid));
	}
	return ret;
}

/* SCM_CREDENTIALS received (x86_64 layout): each ucred's pid in the
 * control buffer of the msghdr at msg, changed in place by fn. false when
 * the message carries none (or cannot be read). */
static bool for_each_ucred(const struct sc_request *req, uint64_t msg,
			   pid_t (*fn)(struct vk_pids *p, pid_t pid), struct vk_pids *p)
{
	uint64_t ctl[2]; /* msg_control, msg_controllen */
	bool any = false;

	if (!msg || req_read(req, msg + 32, ctl, sizeof(ctl)) < 0 || !ctl[0])
		return false;
	if (ctl[1] > 4096)
		ctl[1] = 4096;
	for (uint64_t off = 0; off + 16 <= ctl[1];) {
		struct {
			uint64_t len;
			int32_t level, type;
		} h;
		int32_t pid;

		if (req_read(req, ctl[0] + off, &h, sizeof(h)) < 0 || h.len < sizeof(h))
			break;
		if (h.level == SOL_SOCKET && h.type == SCM_CREDENTIALS && h.len >= 16 + 12 &&
		    req_read(req, ctl[0] + off + 16, &pid, sizeof(pid)) == 0) {
			any = true;
			if (fn) {
				pid = fn(p, pid);
				req_write(req, ctl[0] + off + 16, &pid, sizeof(pid));
			}
		}
		off += (h.len + 7) & ~(uint64_t)7;
	}
	return any;
}

static pid_t ucred_to_host(struct vk_pids *p, pid_t v)
{
	return v > 0 ? pids_to_host(p, v, false) : v;
}

static pid_t ucred_to_virt(struct vk_pids *p, pid_t h)
{
	return h > 0 ? pids_to_virt(p, h) : h;
}

bool pids_send_ucreds(struct vk_pids *p, const struct sc_request *req, uint64_t msg)
{
	return req->abi == ABI_X86_64 && for_each_ucred(req, msg, ucred_to_host, p);
}

void pids_restore_ucreds(struct vk_pids *p, const struct sc_request *req, uint64_t msg)
{
	if (req->abi == ABI_X86_64)
		for_each_ucred(req, msg, ucred_to_virt, p);
}

/* sendmsg: a ucred the guest fills holds a virtual pid, which the kernel
 * checks against the sender's host pid: made a host one for the call and
 * put back at its exit, so the guest's buffer is as it left it. A second
 * thread changing it meanwhile meets only the kernel's own check. */
static struct verdict p_sendmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct verdict v = verdict_pass();

	v.no_exit = !pids_send_ucreds(pids_of(ctx), req, req->args[1]);
	return v;
}

static int64_t exit_sendmsg(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	pids_restore_ucreds(pids_of(ctx), req, req->args[1]);
	return ret;
}

static const struct emul_handler pids_send_handlers[] = {
	{ .name = "sendmsg", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = p_sendmsg,
	  .exit = exit_sendmsg },
};

const struct emul_feature emul_feature_pids_send = {
	.name = "pids-send",
	.handlers = pids_send_handlers,
	.count = 1,
};

/* recvmsg: the ucred the kernel wrote holds a host pid (0 for a sender
 * that is not the guest's, as a PID namespace shows one outside). */
static struct verdict p_recvmsg(struct emul_ctx *ctx, const struct sc_request *req)
{
	uint64_t ctl[2];
	struct verdict v = verdict_pass();

	(void)ctx;
	v.no_exit = !req->args[1] || req_read(req, req->args[1] + 32, ctl, sizeof(ctl)) < 0 ||
		    !ctl[0] || ctl[1] < 16 + 12;
	return v;
}

static int64_t exit_recvmsg(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	if (ret >= 0)
		for_each_ucred(req, req->args[1], ucred_to_virt, pids_of(ctx));
	return ret;
}

/* ---- virtual files ---- */

/* The host task a virtual /proc path names: "/proc/V/..." or
 * "/proc/V/task/T/...", rest set to what follows. 0 when not a guest's. */
static pid_t proc_task(struct vk_pids *p, const char *abs, const char **rest)
{
	int a, b, n = 0;

	if (sscanf(abs, "/proc/%d/task/%d%n", &a, &b, &n) == 2 && (abs[n] == '/' || !abs[n])) {
		pid_t h = pids_to_host(p, b, false), l = pids_to_host(p, a, false);
		*rest = abs + n;
		return h && l && tgid_of(h) == l ? h : 0;
	}
	if (sscanf(abs, "/proc/%d%n", &a, &n) == 1 && (abs[n] == '/' || !abs[n])) {
		*rest = abs + n;
		return pids_to_host(p, a, false);
	}
	return 0;
}

size_t pids_status_line(struct vk_pids *p, pid_t host_tid, const char *line, char *out,
			size_t size)
{
	static const char *const names[] = { "Tgid:", "Pid:", "PPid:", "TracerPid:", "NStgid:",
					     "NSpid:", "NSpgid:", "NSsid:" };
	int n = -1;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strncmp(line, names[i], strlen(names[i])) != 0)
			continue;
		long val = 0;
		pid_t v = 0, t = 0;

		switch (i) {
		case 0:
		case 4:
			v = pids_vpid_of(p, host_tid, NULL);
			break;
		case 1:
		case 5:
			pids_vpid_of(p, host_tid, &t);
			v = t;
			break;
		case 2:
			v = vppid_of(p, host_tid);
			break;
		case 3:
			v = 0; /* the monitor, outside */
			break;
		case 6:
		case 7:
			v = stat_field(host_tid, i == 6 ? 5 : 6, &val) ? pids_to_virt(p, (pid_t)val) : 0;
			break;
		}
		n = snprintf(out, size, "%s\t%d\n", names[i], (int)v);
		break;
	}
	if (n < 0) {
		n = snprintf(out, size, "%s", line);
	}
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

static int status_content(struct vk_pids *p, pid_t h, char *buf, size_t size, size_t *len)
{
	char path[64], line[512];
	size_t used = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)h);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	while (fgets(line, sizeof(line), f) && used + sizeof(line) < size)
		used += pids_status_line(p, h, line, buf + used, size - used);
	fclose(f);
	*len = used;
	return 0;
}

/* /proc/PID/stat: pid, ppid, pgrp, session and tpgid in virtual terms
 * (tpgid -1, no terminal, stays). */
static int stat_content(struct vk_pids *p, pid_t h, bool thread, char *buf, size_t size,
			size_t *len)
{
	char raw[4096];
	ssize_t n = fs_proc_read(h, "stat", raw, sizeof(raw));
	int w;

	if (n <= 0)
		return -ENOENT;
	char *open_paren = strchr(raw, '('), *close_paren = strrchr(raw, ')');
	if (!open_paren || !close_paren || (size_t)n + 64 > size)
		return -ENOENT;
	char state;
	long ppid, pgrp, sid, tty, tpgid;
	int used = 0;
	if (sscanf(close_paren + 1, " %c %ld %ld %ld %ld %ld%n", &state, &ppid, &pgrp, &sid, &tty,
		   &tpgid, &used) != 6)
		return -ENOENT;
	pid_t t = 0, v = pids_vpid_of(p, h, &t);
	(void)ppid;
	w = snprintf(buf, size, "%d %.*s %c %d %d %d %ld %ld%s", (int)(thread ? t : v),
		     (int)(close_paren - open_paren + 1), open_paren, state, (int)vppid_of(p, h),
		     (int)pids_to_virt(p, (pid_t)pgrp), (int)pids_to_virt(p, (pid_t)sid), tty,
		     tpgid > 0 ? (long)pids_to_virt(p, (pid_t)tpgid) : tpgid,
		     close_paren + 1 + used);
	if (w < 0 || (size_t)w >= size)
		return -ENOENT;
	*len = (size_t)w;
	return 0;
}

/* Where the id in the first line of /proc/PID/sched starts: that line is
 * "comm (PID, #threads: N)\n", comm any 15 bytes the task chose ('(' and
 * newlines too), so the id is found as the start of the only complete
 * "(digits, #threads: digits)\n" (17 bytes at least: none fits in comm
 * alone). The end of the id in *end; NULL when there is none. */
static char *sched_id(char *raw, char **end)
{
	static const char mid[] = ", #threads: ";

	for (char *s = raw; *s && s - raw <= 16; s++) {
		char *e = s + 1, *t;

		if (*s != '(' || !isdigit((unsigned char)*e))
			continue;
		while (isdigit((unsigned char)*e))
			e++;
		if (strncmp(e, mid, sizeof(mid) - 1) != 0)
			continue;
		t = e + sizeof(mid) - 1;
		if (!isdigit((unsigned char)*t))
			continue;
		while (isdigit((unsigned char)*t))
			t++;
		if (t[0] == ')' && t[1] == '\n') {
			*end = e;
			return s + 1;
		}
	}
	return NULL;
}

/* /proc/PID/sched (and task/TID/sched): its first line names the task by
 * its id, virtual here. */
static int sched_content(struct vk_pids *p, pid_t h, char *buf, size_t size, size_t *len)
{
	char raw[8192], *id, *end;
	int w;

	if (fs_proc_read(h, "sched", raw, sizeof(raw)) <= 0 || !(id = sched_id(raw, &end)))
		return -ENOENT;
	w = snprintf(buf, size, "%.*s%d%s", (int)(id - raw), raw, (int)pids_to_virt(p, h), end);
	if (w < 0 || (size_t)w >= size)
		return -ENOENT;
	*len = (size_t)w;
	return 0;
}

/* /proc/PID/task/TID/children: the thread's child processes, each id
 * followed by a space, in virtual terms (one the table does not have yet,
 * a child whose fork event is still to be seen, is left out). What does not
 * fit in size is cut at a whole id. */
static int children_content(struct vk_pids *p, pid_t h, char *buf, size_t size, size_t *len)
{
	char file[64], raw[8192];
	size_t used = 0;

	snprintf(file, sizeof(file), "task/%d/children", (int)h);
	if (fs_proc_read(h, file, raw, sizeof(raw)) < 0)
		return -ENOENT;
	for (char *s = raw, *end; *s; s = end) {
		long host = strtol(s, &end, 10);
		if (end == s || *end != ' ')
			break; /* the end, or an id cut by the read */
		end++;
		pid_t v = host > 0 && host <= INT_MAX ? pids_to_virt(p, (pid_t)host) : 0;
		if (!v)
			continue;
		int w = snprintf(buf + used, size - used, "%d ", (int)v);
		if (w < 0 || (size_t)w >= size - used)
			break;
		used += (size_t)w;
	}
	*len = used;
	return 0;
}

/* /proc/loadavg: its last field is the last pid the kernel handed out, in
 * a PID namespace that namespace's: here the guest's last virtual id. */
static int loadavg_content(struct vk_pids *p, char *buf, size_t size, size_t *len)
{
	char raw[256];
	pid_t last;
	int w;

	if (fs_proc_read(0, "loadavg", raw, sizeof(raw)) <= 0)
		return -ENOENT;
	char *sp = strrchr(raw, ' ');
	if (!sp)
		return -ENOENT;
	pthread_mutex_lock(&p->lock);
	last = p->last;
	pthread_mutex_unlock(&p->lock);
	w = snprintf(buf, size, "%.*s %d\n", (int)(sp - raw), raw, (int)last);
	if (w < 0 || (size_t)w >= size)
		return -ENOENT;
	*len = (size_t)w;
	return 0;
}

int pids_vfile(struct vkernel *vk, const struct sc_request *req, const char *abs, char *buf,
	       size_t size, size_t *len)
{
	const char *rest = NULL;
	pid_t h;

	(void)req;
	if (!vk->pids || strncmp(abs, "/proc/", 6) != 0)
		return -ENOENT;
	if (strcmp(abs, "/proc/sys/kernel/pid_max") == 0) {
		/* the guest's own pid space, as a PID namespace's (Linux 6.14
		 * gives each its own pid_max, this large) */
		int w = snprintf(buf, size, "%d\n", VK_PID_MAX);
		*len = w > 0 ? (size_t)w : 0;
		return 0;
	}
	if (strcmp(abs, "/proc/loadavg") == 0)
		return loadavg_content(vk->pids, buf, size, len);
	h = proc_task(vk->pids, abs, &rest);
	if (!h)
		return -ENOENT;
	bool thread = strstr(abs, "/task/") != NULL;
	if (strcmp(rest, "/status") == 0)
		return status_content(vk->pids, h, buf, size, len);
	if (strcmp(rest, "/stat") == 0)
		return stat_content(vk->pids, h, thread, buf, size, len);
	if (strcmp(rest, "/sched") == 0)
		return sched_content(vk->pids, h, buf, size, len);
	/* a thread's file: /proc/PID has none */
	if (strcmp(rest, "/children") == 0 && thread)
		return children_content(vk->pids, h, buf, size, len);
	return -ENOENT;
}

/* ---- terminal process groups and fd owners ---- */

/* A scratch int or struct below the stopped thread's red zone: where a
 * translated id is given to the kernel, or where the kernel writes one
 * before it is translated into the guest's buffer. The guest's own buffer
 * only ever holds virtual ids. */
static uint64_t scratch_of(const struct sc_request *req)
{
	return (req->sp - 128 - 16) & ~(uint64_t)15;
}

/* A call run as the guest made it, with no exit stop: those of these
 * handlers' calls that carry no id (sysemu mode shows every one). */
static struct verdict pass_unchanged(void)
{
	struct verdict v = verdict_pass();

	v.no_exit = true;
	return v;
}

static const uint32_t tty_cmds[] = { TIOCGPGRP, TIOCSPGRP, TIOCGSID };

/* TIOCSPGRP: the group is given to the kernel as the host's (one the
 * guest does not have as VK_PID_NOWHERE: the kernel's ESRCH). TIOCGPGRP,
 * TIOCGSID: written by the kernel to the scratch, and made virtual at the
 * exit stop. */
static struct verdict p_ioctl(struct emul_ctx *ctx, const struct sc_request *req)
{
	unsigned cmd = (unsigned)req->args[1];
	struct verdict v = rewrite(req);
	int32_t id;

	if ((cmd != TIOCGPGRP && cmd != TIOCSPGRP && cmd != TIOCGSID) || !req->sp)
		return pass_unchanged();
	if (cmd == TIOCSPGRP) {
		if (req_read(req, req->args[2], &id, sizeof(id)) < 0 || id <= 0)
			return pass_unchanged(); /* the kernel's EFAULT or EINVAL */
		id = host_or_nowhere(pids_of(ctx), id, true);
		if (req_write(req, scratch_of(req), &id, sizeof(id)) < 0)
			return verdict_deny(EFAULT);
		v.no_exit = true;
	}
	v.args[2] = scratch_of(req);
	return v;
}

static int64_t exit_ioctl(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	unsigned cmd = (unsigned)req->args[1];
	int32_t id;

	if ((cmd != TIOCGPGRP && cmd != TIOCGSID) || ret != 0 ||
	    req_read(req, scratch_of(req), &id, sizeof(id)) < 0)
		return ret;
	id = pids_to_virt(pids_of(ctx), id);
	return req_write(req, req->args[2], &id, sizeof(id)) < 0 ? -EFAULT : ret;
}

static const uint32_t fcntl_cmds[] = { F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX };

/* The owner of an fd's signals (SIGIO, SIGURG): a process (> 0) or a group
 * (< 0) for F_SETOWN and F_GETOWN, a {type, pid} for the _EX forms. */
static struct verdict p_fcntl(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_pids *p = pids_of(ctx);
	unsigned cmd = (unsigned)req->args[1];
	struct verdict v = rewrite(req);
	struct f_owner_ex own;
	pid_t id = arg_pid(req, 2);

	switch (cmd) {
	case F_SETOWN:
		/* 0 clears; INT_MIN has no positive form (the kernel's EINVAL) */
		if (id > 0)
			v.args[2] = (uint64_t)(uint32_t)host_or_nowhere(p, id, false);
		else if (id < 0 && id != INT_MIN)
			v.args[2] = (uint64_t)(uint32_t)-host_or_nowhere(p, -id, true);
		v.no_exit = true;
		return v;
	case F_GETOWN:
		return verdict_pass();
	case F_SETOWN_EX:
		if (!req->sp || req_read(req, req->args[2], &own, sizeof(own)) < 0)
			return pass_unchanged();
		if (own.pid > 0)
			own.pid = host_or_nowhere(p, own.pid, own.type == F_OWNER_PGRP);
		if (req_write(req, scratch_of(req), &own, sizeof(own)) < 0)
			return verdict_deny(EFAULT);
		v.args[2] = scratch_of(req);
		v.no_exit = true;
		return v;
	case F_GETOWN_EX:
		if (!req->sp)
			return pass_unchanged();
		v.args[2] = scratch_of(req);
		return v;
	default:
		return pass_unchanged();
	}
}

static int64_t exit_fcntl(struct emul_ctx *ctx, const struct sc_request *req, int64_t ret)
{
	struct vk_pids *p = pids_of(ctx);
	struct f_owner_ex own;

	if ((unsigned)req->args[1] == F_GETOWN) {
		/* a group comes back negated; -4095..-1 are errors */
		if (ret > 0)
			return pids_to_virt(p, (pid_t)ret);
		if (ret < -4095)
			return -(int64_t)pids_to_virt(p, (pid_t)-ret);
		return ret;
	}
	if ((unsigned)req->args[1] != F_GETOWN_EX || ret != 0 ||
	    req_read(req, scratch_of(req), &own, sizeof(own)) < 0)
		return ret;
	own.pid = pids_to_virt(p, own.pid);
	return req_write(req, req->args[2], &own, sizeof(own)) < 0 ? -EFAULT : ret;
}

/* ---- the handler set ---- */

/* served from the table: a notification will do */
#define FAST(n, f) { .name = #n, .never_eintr = true, .enter = f }
/* arguments rewritten (a ptrace stop) */
#define ARGS(n, f) { .name = #n, .needs_ptrace = true, .enter = f }
/* a pid result, changed at the exit stop */
#define RESULT(n, f, x) { .name = #n, .needs_ptrace = true, .enter = f, .exit = x }
static const struct emul_handler pids_handlers[] = {
	FAST(getpid, p_getpid),
	FAST(gettid, p_gettid),
	FAST(getppid, p_getppid),
	FAST(getpgrp, p_getpgrp),
	FAST(getpgid, p_getpgid),
	FAST(getsid, p_getsid),
	ARGS(setpgid, p_setpgid),
	RESULT(setsid, p_pass, exit_to_virt),
	RESULT(set_tid_address, p_pass, exit_to_virt),
	RESULT(fork, p_pass, exit_to_virt),
	RESULT(vfork, p_pass, exit_to_virt),
	RESULT(clone, p_pass, exit_to_virt),
	RESULT(clone3, p_pass, exit_to_virt),
	RESULT(wait4, p_wait4, exit_to_virt),
	RESULT(waitpid, p_wait4, exit_to_virt),
	RESULT(waitid, p_waitid, exit_waitid),
	ARGS(kill, p_kill),
	ARGS(tkill, p_tkill),
	ARGS(tgkill, p_tgkill),
	ARGS(rt_sigqueueinfo, p_one_pid),
	ARGS(rt_tgsigqueueinfo, p_two_pids),
	ARGS(pidfd_open, p_one_pid),
	ARGS(sched_setparam, p_one_pid),
	ARGS(sched_getparam, p_one_pid),
	ARGS(sched_setscheduler, p_one_pid),
	ARGS(sched_getscheduler, p_one_pid),
	ARGS(sched_rr_get_interval, p_one_pid),
	ARGS(sched_setaffinity, p_one_pid),
	ARGS(sched_getaffinity, p_one_pid),
	ARGS(sched_setattr, p_one_pid),
	ARGS(sched_getattr, p_one_pid),
	ARGS(prlimit64, p_one_pid),
	ARGS(get_robust_list, p_one_pid),
	ARGS(migrate_pages, p_one_pid),
	ARGS(move_pages, p_one_pid),
	ARGS(process_vm_readv, p_one_pid),
	ARGS(process_vm_writev, p_one_pid),
	ARGS(kcmp, p_two_pids),
	ARGS(getpriority, p_priority),
	ARGS(setpriority, p_priority),
	ARGS(ioprio_get, p_ioprio),
	ARGS(ioprio_set, p_ioprio),
	RESULT(getsockopt, p_getsockopt, exit_getsockopt),
	{ .name = "ioctl", .needs_ptrace = true, .enter = p_ioctl, .exit = exit_ioctl,
	  .arg1 = tty_cmds, .narg1 = ARRAY_SIZE(tty_cmds) },
	{ .name = "fcntl", .needs_ptrace = true, .enter = p_fcntl, .exit = exit_fcntl,
	  .arg1 = fcntl_cmds, .narg1 = ARRAY_SIZE(fcntl_cmds) },
	{ .name = "fcntl64", .needs_ptrace = true, .enter = p_fcntl, .exit = exit_fcntl,
	  .arg1 = fcntl_cmds, .narg1 = ARRAY_SIZE(fcntl_cmds) },
	{ .name = "recvmsg", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = p_recvmsg,
	  .exit = exit_recvmsg },
};

const struct emul_feature emul_feature_pids = {
	.name = "pids",
	.handlers = pids_handlers,
	.count = ARRAY_SIZE(pids_handlers),
};

/* ---- /proc names ---- */

bool pids_proc_name(struct vk_pids *p, const char *dir, const char *name, char *out, size_t size,
		    bool to_host)
{
	int a, n = 0;
	char *end;

	while (*dir == '/')
		dir++;
	if (*dir && !(sscanf(dir, "%d/task%n", &a, &n) == 1 && dir[n] == '\0'))
		return false;
	long v = strtol(name, &end, 10);
	if (!*name || *end || v <= 0 || v > INT_MAX || name[0] == '0')
		return false;
	pid_t t = to_host ? pids_to_host(p, (pid_t)v, false) : pids_to_virt(p, (pid_t)v);
	/* none: a name /proc never has */
	snprintf(out, size, "%d", t ? (int)t : 0);
	return true;
}

bool pids_proc_path(struct vk_pids *p, const char *in, char *out, size_t size, bool to_host)
{
	char dir[PATH_MAX], comp[NAME_MAX + 1], tr[32];
	size_t used = 0, dl = 0;

	dir[0] = '\0';
	out[0] = '\0';
	for (const char *s = in; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);

		if (n > NAME_MAX)
			return false;
		memcpy(comp, s, n);
		comp[n] = '\0';
		const char *use = pids_proc_name(p, dir, comp, tr, sizeof(tr), to_host) ? tr : comp;
		int w = snprintf(out + used, size - used, "%s%s", used ? "/" : "", use);
		if (w < 0 || (size_t)w >= size - used)
			return false;
		used += (size_t)w;
		w = snprintf(dir + dl, sizeof(dir) - dl, "%s%s", dl ? "/" : "", comp);
		if (w < 0 || (size_t)w >= sizeof(dir) - dl)
			return false;
		dl += (size_t)w;
		s += n;
		while (*s == '/')
			s++;
	}
	return true;
}
