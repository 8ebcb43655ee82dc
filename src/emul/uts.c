/* The emulated UTS subsystem: the guest's host and domain names live in the
 * virtual kernel. uname in every ABI form, sethostname/setdomainname (with
 * the kernel's checks in the kernel's order: capability, length, copy), and
 * reads of /proc/sys/kernel/{hostname,domainname}. The host's names are never
 * changed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#define CAP_SYS_ADMIN_BIT 21
#define OLD_UTS_LEN 8

static struct utsname host_uts;
static pthread_once_t host_uts_once = PTHREAD_ONCE_INIT;

static void host_uts_read(void)
{
	uname(&host_uts);
}

static void guest_utsname(struct vkernel *vk, struct utsname *u)
{
	/* the kernel's name, release, version and machine do not change
	 * while it runs: read once */
	pthread_once(&host_uts_once, host_uts_read);
	*u = host_uts;
	pthread_mutex_lock(&vk->lock);
	memcpy(u->nodename, vk->uts.nodename, sizeof(vk->uts.nodename));
	memcpy(u->domainname, vk->uts.domainname, sizeof(vk->uts.domainname));
	pthread_mutex_unlock(&vk->lock);
}

static struct verdict answer_write(const struct sc_request *req, const void *buf, size_t len)
{
	int r = req_write(req, req->args[0], buf, len);

	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

static struct verdict uts_uname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;

	guest_utsname(ctx->state, &u);
	return answer_write(req, &u, sizeof(u));
}

/* i386 olduname: five 65-byte fields, no domain name */
static struct verdict uts_olduname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;
	char old[5][65];

	if (!req->args[0])
		return verdict_deny(EFAULT);
	guest_utsname(ctx->state, &u);
	memcpy(old[0], u.sysname, 65);
	memcpy(old[1], u.nodename, 65);
	memcpy(old[2], u.release, 65);
	memcpy(old[3], u.version, 65);
	memcpy(old[4], u.machine, 65);
	return answer_write(req, old, sizeof(old));
}

/* i386 oldolduname: five 9-byte fields, truncated as the kernel does */
static struct verdict uts_oldolduname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;
	char old[5][OLD_UTS_LEN + 1];
	const char *src[5];

	if (!req->args[0])
		return verdict_deny(EFAULT);
	guest_utsname(ctx->state, &u);
	src[0] = u.sysname, src[1] = u.nodename, src[2] = u.release, src[3] = u.version;
	src[4] = u.machine;
	for (int i = 0; i < 5; i++) {
		memcpy(old[i], src[i], OLD_UTS_LEN);
		old[i][OLD_UTS_LEN] = '\0';
	}
	return answer_write(req, old, sizeof(old));
}

/* Whether the caller has CAP_SYS_ADMIN in its effective set. */
static bool caller_has_sys_admin(pid_t tid)
{
	char path[64], line[256];
	unsigned long long caps = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (caps >> CAP_SYS_ADMIN_BIT) & 1;
}

static struct verdict set_name(struct emul_ctx *ctx, const struct sc_request *req, bool host)
{
	struct vkernel *vk = ctx->state;
	char name[VK_NAME_MAX + 1];
	int len = (int)req->args[1]; /* the kernel takes an int */
	int r;

	if (!caller_has_sys_admin(req->tid))
		return verdict_deny(EPERM);
	if (len < 0 || len > VK_NAME_MAX)
		return verdict_deny(EINVAL);
	memset(name, 0, sizeof(name));
	r = req_read(req, req->args[0], name, (size_t)len);
	if (r < 0)
		return verdict_deny(-r);
	pthread_mutex_lock(&vk->lock);
	memcpy(host ? vk->uts.nodename : vk->uts.domainname, name, sizeof(name));
	pthread_mutex_unlock(&vk->lock);
	return verdict_return(0);
}

static struct verdict uts_sethostname(struct emul_ctx *ctx, const struct sc_request *req)
{
	return set_name(ctx, req, true);
}

static struct verdict uts_setdomainname(struct emul_ctx *ctx, const struct sc_request *req)
{
	return set_name(ctx, req, false);
}

int uts_vfile(struct vkernel *vk, const char *abs, char *buf, size_t size, size_t *len)
{
	bool host;
	int n;

	if (strcmp(abs, "/proc/sys/kernel/hostname") == 0)
		host = true;
	else if (strcmp(abs, "/proc/sys/kernel/domainname") == 0)
		host = false;
	else
		return -ENOENT;
	pthread_mutex_lock(&vk->lock);
	n = snprintf(buf, size, "%s\n", host ? vk->uts.nodename : vk->uts.domainname);
	pthread_mutex_unlock(&vk->lock);
	*len = (size_t)n;
	return 0;
}

static const struct emul_handler uts_handlers[] = {
	{ .name = "uname", .never_eintr = true, .enter = uts_uname },
	{ .name = "olduname", .never_eintr = true, .enter = uts_olduname },
	{ .name = "oldolduname", .never_eintr = true, .enter = uts_oldolduname },
	{ .name = "sethostname", .never_eintr = true, .enter = uts_sethostname },
	{ .name = "setdomainname", .never_eintr = true, .enter = uts_setdomainname },
};

const struct emul_feature emul_feature_uts = {
	.name = "uts",
	.handlers = uts_handlers,
	.count = ARRAY_SIZE(uts_handlers),
};
