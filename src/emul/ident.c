/* The emulated identity subsystem (--fake-root): every guest task starts as
 * the virtual root (all ids 0, no supplementary groups) and keeps its own virtual
 * credentials, inherited by the tasks it creates (the tracer reports each
 * new task before it runs). The getuid and setuid families answer from them,
 * with the kernel's rules: the virtual root (euid 0 here stands for
 * CAP_SETUID/CAP_SETGID) may set any id; any other may only move among its
 * real, effective and saved ids. The host's ids never change: a guest that
 * dropped to nobody is refused what the host user is refused. The i386
 * 16-bit calls see ids above 65535 as the overflow id 65534. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/pids.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#define NO_ID ((uint32_t)-1)
#define OVERFLOW_ID 65534

static size_t cslot(pid_t tid)
{
	return ((size_t)(uint32_t)tid * 2654435761u) % VK_CRED_BUCKETS;
}

static struct vk_cred_entry *find(struct vkernel *vk, pid_t tid)
{
	for (struct vk_cred_entry *e = vk->ident.buckets[cslot(tid)]; e; e = e->next)
		if (e->tid == tid)
			return e;
	return NULL;
}

static void root_creds(struct vk_creds *c)
{
	memset(c, 0, sizeof(*c));
	c->ngroups = 0; /* as a root started without initgroups: id still shows groups=0(root) */
}

/* A task's credentials, copied out (lock held by the caller). */
static struct vk_creds get_locked(struct vkernel *vk, pid_t tid)
{
	struct vk_cred_entry *e = find(vk, tid);
	struct vk_creds c;

	if (e)
		return e->c;
	root_creds(&c);
	return c;
}

static int set_locked(struct vkernel *vk, pid_t tid, const struct vk_creds *c)
{
	struct vk_cred_entry *e = find(vk, tid);

	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		e->tid = tid;
		e->next = vk->ident.buckets[cslot(tid)];
		vk->ident.buckets[cslot(tid)] = e;
	}
	e->c = *c;
	return 0;
}

void ident_task_clone(struct vkernel *vk, pid_t parent, pid_t child)
{
	struct vk_creds c;

	if (vk->backend[SUBSYS_IDENT] != BACKEND_EMULATED)
		return;
	pthread_mutex_lock(&vk->lock);
	c = get_locked(vk, parent);
	set_locked(vk, child, &c);
	pthread_mutex_unlock(&vk->lock);
}

void ident_task_gone(struct vkernel *vk, pid_t tid)
{
	struct vk_cred_entry **pp;

	if (vk->backend[SUBSYS_IDENT] != BACKEND_EMULATED)
		return;
	pthread_mutex_lock(&vk->lock);
	for (pp = &vk->ident.buckets[cslot(tid)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->tid == tid) {
			struct vk_cred_entry *e = *pp;
			*pp = e->next;
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&vk->lock);
}

void vkernel_ident_free(struct vkernel *vk)
{
	for (size_t i = 0; i < VK_CRED_BUCKETS; i++) {
		while (vk->ident.buckets[i]) {
			struct vk_cred_entry *e = vk->ident.buckets[i];
			vk->ident.buckets[i] = e->next;
			free(e);
		}
	}
}

/* The i386 calls without "32" in their names take 16-bit ids. */
static bool ids16(const struct sc_request *req)
{
	size_t n;

	if (req->abi != ABI_I386 || !req->info)
		return false;
	n = strlen(req->info->name);
	return n < 2 || strcmp(req->info->name + n - 2, "32") != 0;
}

static uint64_t out_id(const struct sc_request *req, uint32_t id)
{
	return ids16(req) && id > 0xffff ? OVERFLOW_ID : id;
}

/* An id argument: -1 (0xffff for 16-bit calls) means "unchanged". */
static uint32_t in_id(const struct sc_request *req, uint64_t v)
{
	if (ids16(req)) {
		v &= 0xffff;
		return v == 0xffff ? NO_ID : (uint32_t)v;
	}
	return (uint32_t)v;
}

enum which { W_UID, W_GID };

static uint32_t *ids_of(struct vk_creds *c, enum which w, int i)
{
	uint32_t *u[4] = { &c->ruid, &c->euid, &c->suid, &c->fsuid };
	uint32_t *g[4] = { &c->rgid, &c->egid, &c->sgid, &c->fsgid };

	return w == W_UID ? u[i] : g[i];
}

static struct vk_creds creds_of(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vkernel *vk = ctx->state;
	struct vk_creds c;

	pthread_mutex_lock(&vk->lock);
	c = get_locked(vk, req->tid);
	pthread_mutex_unlock(&vk->lock);
	return c;
}

static struct verdict store(struct emul_ctx *ctx, const struct sc_request *req,
			    const struct vk_creds *c)
{
	struct vkernel *vk = ctx->state;
	int r;

	pthread_mutex_lock(&vk->lock);
	r = set_locked(vk, req->tid, c);
	pthread_mutex_unlock(&vk->lock);
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict get_one(struct emul_ctx *ctx, const struct sc_request *req, enum which w,
			      int i)
{
	struct vk_creds c = creds_of(ctx, req);

	return verdict_return((int64_t)out_id(req, *ids_of(&c, w, i)));
}

static struct verdict id_getuid(struct emul_ctx *x, const struct sc_request *r) { return get_one(x, r, W_UID, 0); }
static struct verdict id_geteuid(struct emul_ctx *x, const struct sc_request *r) { return get_one(x, r, W_UID, 1); }
static struct verdict id_getgid(struct emul_ctx *x, const struct sc_request *r) { return get_one(x, r, W_GID, 0); }
static struct verdict id_getegid(struct emul_ctx *x, const struct sc_request *r) { return get_one(x, r, W_GID, 1); }

static struct verdict get_res(struct emul_ctx *ctx, const struct sc_request *req, enum which w)
{
	struct vk_creds c = creds_of(ctx, req);

	for (int i = 0; i < 3; i++) {
		uint32_t v = (uint32_t)out_id(req, *ids_of(&c, w, i));
		uint16_t v16 = (uint16_t)v;
		int r = ids16(req) ? req_write(req, req->args[i], &v16, sizeof(v16))
				   : req_write(req, req->args[i], &v, sizeof(v));
		if (r < 0)
			return verdict_deny(-r);
	}
	return verdict_return(0);
}

static struct verdict id_getresuid(struct emul_ctx *x, const struct sc_request *r) { return get_res(x, r, W_UID); }
static struct verdict id_getresgid(struct emul_ctx *x, const struct sc_request *r) { return get_res(x, r, W_GID); }

/* setuid/setgid: privileged sets all four; others may set the effective
 * (and fs) id to the real or saved one. */
static struct verdict set_one(struct emul_ctx *ctx, const struct sc_request *req, enum which w)
{
	struct vk_creds c = creds_of(ctx, req);
	uint32_t id = in_id(req, req->args[0]);
	bool priv = c.euid == 0;

	if (id == NO_ID)
		return verdict_deny(EINVAL);
	if (priv) {
		for (int i = 0; i < 4; i++)
			*ids_of(&c, w, i) = id;
	} else if (id == *ids_of(&c, w, 0) || id == *ids_of(&c, w, 2)) {
		*ids_of(&c, w, 1) = *ids_of(&c, w, 3) = id;
	} else {
		return verdict_deny(EPERM);
	}
	return store(ctx, req, &c);
}

static struct verdict id_setuid(struct emul_ctx *x, const struct sc_request *r) { return set_one(x, r, W_UID); }
static struct verdict id_setgid(struct emul_ctx *x, const struct sc_request *r) { return set_one(x, r, W_GID); }

static bool among(const struct vk_creds *c, enum which w, uint32_t id, int n)
{
	for (int i = 0; i < n; i++)
		if (*ids_of((struct vk_creds *)c, w, i) == id)
			return true;
	return false;
}

/* setresuid/setresgid: unprivileged, each new id must be one of the three
 * current ones; the fs id follows the effective one. */
static struct verdict set_res(struct emul_ctx *ctx, const struct sc_request *req, enum which w)
{
	struct vk_creds c = creds_of(ctx, req);
	uint32_t id[3];
	bool priv = c.euid == 0;

	for (int i = 0; i < 3; i++) {
		id[i] = in_id(req, req->args[i]);
		if (id[i] != NO_ID && !priv && !among(&c, w, id[i], 3))
			return verdict_deny(EPERM);
	}
	for (int i = 0; i < 3; i++)
		if (id[i] != NO_ID)
			*ids_of(&c, w, i) = id[i];
	*ids_of(&c, w, 3) = *ids_of(&c, w, 1);
	return store(ctx, req, &c);
}

static struct verdict id_setresuid(struct emul_ctx *x, const struct sc_request *r) { return set_res(x, r, W_UID); }
static struct verdict id_setresgid(struct emul_ctx *x, const struct sc_request *r) { return set_res(x, r, W_GID); }

/* setreuid/setregid: unprivileged, the real id may become the effective
 * one, the effective one the real or saved one; the saved id follows the
 * new effective one when the real id is set or the effective one changes
 * away from the old real one. */
static struct verdict set_re(struct emul_ctx *ctx, const struct sc_request *req, enum which w)
{
	struct vk_creds c = creds_of(ctx, req);
	uint32_t r_new = in_id(req, req->args[0]), e_new = in_id(req, req->args[1]);
	uint32_t r_old = *ids_of(&c, w, 0), e_old = *ids_of(&c, w, 1);
	bool priv = c.euid == 0;

	if (r_new != NO_ID && !priv && r_new != r_old && r_new != e_old)
		return verdict_deny(EPERM);
	if (e_new != NO_ID && !priv && !among(&c, w, e_new, 3))
		return verdict_deny(EPERM);
	if (r_new != NO_ID)
		*ids_of(&c, w, 0) = r_new;
	if (e_new != NO_ID)
		*ids_of(&c, w, 1) = e_new;
	if (r_new != NO_ID || (e_new != NO_ID && e_new != r_old))
		*ids_of(&c, w, 2) = *ids_of(&c, w, 1);
	*ids_of(&c, w, 3) = *ids_of(&c, w, 1);
	return store(ctx, req, &c);
}

static struct verdict id_setreuid(struct emul_ctx *x, const struct sc_request *r) { return set_re(x, r, W_UID); }
static struct verdict id_setregid(struct emul_ctx *x, const struct sc_request *r) { return set_re(x, r, W_GID); }

/* setfsuid/setfsgid return the old fs id, whether or not they change it */
static struct verdict set_fs(struct emul_ctx *ctx, const struct sc_request *req, enum which w)
{
	struct vk_creds c = creds_of(ctx, req);
	uint32_t id = in_id(req, req->args[0]), old = *ids_of(&c, w, 3);

	if (id != NO_ID && (c.euid == 0 || among(&c, w, id, 4))) {
		*ids_of(&c, w, 3) = id;
		store(ctx, req, &c);
	}
	return verdict_return((int64_t)out_id(req, old));
}

static struct verdict id_setfsuid(struct emul_ctx *x, const struct sc_request *r) { return set_fs(x, r, W_UID); }
static struct verdict id_setfsgid(struct emul_ctx *x, const struct sc_request *r) { return set_fs(x, r, W_GID); }

static struct verdict id_getgroups(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_creds c = creds_of(ctx, req);
	int size = (int)req->args[0];
	size_t each = ids16(req) ? 2 : 4;
	uint8_t buf[VK_GROUPS_MAX * 4];

	if (size < 0)
		return verdict_deny(EINVAL);
	if (size == 0)
		return verdict_return(c.ngroups);
	if (size < c.ngroups)
		return verdict_deny(EINVAL);
	for (int i = 0; i < c.ngroups; i++) {
		uint32_t g = (uint32_t)out_id(req, c.groups[i]);
		uint16_t g16 = (uint16_t)g;
		memcpy(buf + (size_t)i * each, each == 2 ? (void *)&g16 : (void *)&g, each);
	}
	int r = req_write(req, req->args[1], buf, (size_t)c.ngroups * each);
	return r < 0 ? verdict_deny(-r) : verdict_return(c.ngroups);
}

static struct verdict id_setgroups(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vk_creds c = creds_of(ctx, req);
	int size = (int)req->args[0];
	size_t each = ids16(req) ? 2 : 4;
	uint8_t buf[VK_GROUPS_MAX * 4];
	int r;

	if (c.euid != 0)
		return verdict_deny(EPERM);
	/* the kernel allows NGROUPS_MAX (65536); umld keeps VK_GROUPS_MAX */
	if (size < 0 || size > 65536)
		return verdict_deny(EINVAL);
	if (size > VK_GROUPS_MAX)
		return verdict_deny(ENOMEM);
	r = req_read(req, req->args[1], buf, (size_t)size * each);
	if (r < 0)
		return verdict_deny(-r);
	for (int i = 0; i < size; i++) {
		uint32_t g = 0;
		uint16_t g16 = 0;
		memcpy(each == 2 ? (void *)&g16 : (void *)&g, buf + (size_t)i * each, each);
		c.groups[i] = each == 2 ? g16 : g;
	}
	c.ngroups = size;
	return store(ctx, req, &c);
}

/* The task a status path names, if it is the caller (self, thread-self, or
 * its own pid or tid): 0 and *tid; -ENOENT otherwise (other tasks' files
 * pass through: only the guest's own tasks have virtual ids, and numbers in
 * a guest with its own PID namespace are not host numbers). */
static int status_target(struct vkernel *vk, const struct sc_request *req, const char *abs,
			 pid_t *tid)
{
	char rest[64];
	int a, b, n = 0;

	if (strcmp(abs, "/proc/self/status") == 0 || strcmp(abs, "/proc/thread-self/status") == 0) {
		*tid = req->tid;
		return 0;
	}
	if (vk->backend[SUBSYS_PID] == BACKEND_CONTAINER)
		return -ENOENT;
	if (sscanf(abs, "/proc/self/task/%d/status%n", &b, &n) == 1 && abs[n] == '\0') {
		*tid = b;
	} else if (sscanf(abs, "/proc/%d/task/%d/status%n", &a, &b, &n) == 2 && abs[n] == '\0') {
		*tid = b;
	} else if (sscanf(abs, "/proc/%d/status%n", &a, &n) == 1 && abs[n] == '\0') {
		*tid = a;
	} else {
		return -ENOENT;
	}
	/* emulated pids: the path's numbers are virtual */
	if (vk->pids && !(*tid = pids_to_host(vk->pids, *tid, false)))
		return -ENOENT;
	/* the caller itself, or its thread group leader */
	snprintf(rest, sizeof(rest), "/proc/%d/task/%d", (int)req->tid, (int)*tid);
	return *tid == req->tid || access(rest, F_OK) == 0 ? 0 : -ENOENT;
}

static size_t add_ids(char *out, size_t size, const char *label, const uint32_t id[4])
{
	int n = snprintf(out, size, "%s\t%u\t%u\t%u\t%u\n", label, id[0], id[1], id[2], id[3]);
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

int ident_vfile(struct vkernel *vk, const struct sc_request *req, const char *abs, char *buf,
		size_t size, size_t *len)
{
	char path[64], line[512];
	struct vk_creds c;
	pid_t tid;
	size_t used = 0;
	FILE *f;

	if (status_target(vk, req, abs, &tid) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -ENOENT; /* gone: let the kernel say so */
	pthread_mutex_lock(&vk->lock);
	c = get_locked(vk, tid);
	pthread_mutex_unlock(&vk->lock);
	while (fgets(line, sizeof(line), f) && used + sizeof(line) < size) {
		if (strncmp(line, "Uid:", 4) == 0) {
			uint32_t ids[4] = { c.ruid, c.euid, c.suid, c.fsuid };
			used += add_ids(buf + used, size - used, "Uid:", ids);
		} else if (strncmp(line, "Gid:", 4) == 0) {
			uint32_t ids[4] = { c.rgid, c.egid, c.sgid, c.fsgid };
			used += add_ids(buf + used, size - used, "Gid:", ids);
		} else if (strncmp(line, "Groups:", 7) == 0) {
			/* as the kernel writes it: separated by spaces, then one
			 * more (so an empty list is a single space) */
			int n = snprintf(buf + used, size - used, "Groups:\t");
			for (int i = 0; i < c.ngroups && n > 0; i++)
				n += snprintf(buf + used + n, size - used - (size_t)n, "%s%u",
					      i ? " " : "", c.groups[i]);
			used += (size_t)n;
			buf[used++] = ' ';
			buf[used++] = '\n';
		} else if (vk->pids) {
			used += pids_status_line(vk->pids, tid, line, buf + used, size - used);
		} else {
			size_t l = strlen(line);
			memcpy(buf + used, line, l);
			used += l;
		}
	}
	fclose(f);
	*len = used;
	return 0;
}

#define ID(n, f) { .name = #n, .never_eintr = true, .enter = f }
static const struct emul_handler ident_handlers[] = {
	ID(getuid, id_getuid), ID(geteuid, id_geteuid), ID(getgid, id_getgid),
	ID(getegid, id_getegid), ID(getuid32, id_getuid), ID(geteuid32, id_geteuid),
	ID(getgid32, id_getgid), ID(getegid32, id_getegid),
	ID(getresuid, id_getresuid), ID(getresgid, id_getresgid),
	ID(getresuid32, id_getresuid), ID(getresgid32, id_getresgid),
	ID(setuid, id_setuid), ID(setgid, id_setgid), ID(setuid32, id_setuid),
	ID(setgid32, id_setgid), ID(setreuid, id_setreuid), ID(setregid, id_setregid),
	ID(setreuid32, id_setreuid), ID(setregid32, id_setregid),
	ID(setresuid, id_setresuid), ID(setresgid, id_setresgid),
	ID(setresuid32, id_setresuid), ID(setresgid32, id_setresgid),
	ID(setfsuid, id_setfsuid), ID(setfsgid, id_setfsgid), ID(setfsuid32, id_setfsuid),
	ID(setfsgid32, id_setfsgid), ID(getgroups, id_getgroups), ID(setgroups, id_setgroups),
	ID(getgroups32, id_getgroups), ID(setgroups32, id_setgroups),
};

const struct emul_feature emul_feature_ident = {
	.name = "ident",
	.handlers = ident_handlers,
	.count = ARRAY_SIZE(ident_handlers),
};
