/* Compiles the instance's seccomp filter with libseccomp.
 *
 * Shape: the architecture is checked first (libseccomp does this; x32 and any
 * other ABI get ENOSYS). For each of x86_64 and i386 the filter is an
 * allow-list of every call the table knows and no feature claims; everything
 * else (claimed calls, numbers nobody knows) is RET_TRACE and reaches the
 * monitor, which dispatches it or passes it. An allow-list rather than a
 * deny-list means a call that libseccomp cannot name for i386 is seen by the
 * monitor, never passed unseen. The length costs nothing at run time for the
 * allowed calls: since Linux 5.11 the kernel caches, per arch and number, the
 * filters whose answer depends on the number alone. */
#include "config.h"

#include <errno.h>
#include <linux/seccomp.h>
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"
#include "sysemu/filter.h"

static void ctx_releasep(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}
#define cleanup_ctx __attribute__((cleanup(ctx_releasep)))

/* libseccomp interprets rule numbers in the native (x86_64) namespace, or as
 * its pseudo numbers for calls only other arches have, and translates them by
 * name. So an i386 number goes: our number -> libseccomp's i386 name -> its
 * native or pseudo number. */
static int add_i386_rule(scmp_filter_ctx ctx, uint32_t action, int nr32)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr32);
	int sys, r;

	if (!name)
		return -ENOENT;
	sys = seccomp_syscall_resolve_name(name);
	if (sys == __NR_SCMP_ERROR || seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86, name) != nr32)
		r = -ENOENT;
	else
		r = seccomp_rule_add(ctx, action, sys, 0);
	free(name);
	return r;
}

static int ctx_for_arch(scmp_filter_ctx *out, uint32_t arch, bool notify_only)
{
	scmp_filter_ctx c = seccomp_init(notify_only ? SCMP_ACT_ALLOW : SCMP_ACT_TRACE(0));
	int r;

	if (!c)
		return -ENOMEM;
	if (arch != SCMP_ARCH_NATIVE) {
		r = seccomp_arch_add(c, arch);
		if (r == 0)
			r = seccomp_arch_remove(c, SCMP_ARCH_NATIVE);
		if (r < 0) {
			seccomp_release(c);
			return r;
		}
	}
	r = seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
	if (r == 0)
		r = seccomp_attr_set(c, SCMP_FLTATR_CTL_NNP, 0);
	/* a binary tree: calls that reach the monitor walk log2(n) jumps (the
	 * allowed ones are answered from the kernel's cache anyway) */
	if (r == 0)
		r = seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0) {
		seccomp_release(c);
		return r;
	}
	*out = c;
	return 0;
}

/* The action for a call: ALLOW when unclaimed, NOTIFY when its handler can be
 * served from a notification, else none (the default, TRACE). */
static bool call_action(const struct emul_table *t, enum umld_abi abi, int nr, bool use_notify,
			bool notify_only, uint32_t *action)
{
	const struct emul_handler *h = emul_table_get(t, abi, nr);

	if (notify_only && !(h && !h->needs_ptrace))
		return false; /* the default: ALLOW */
	if (!h)
		*action = SCMP_ACT_ALLOW;
	else if (use_notify && !h->needs_ptrace)
		*action = SCMP_ACT_NOTIFY;
	else
		return false;
	return true;
}

static int build(const struct emul_table *t, bool use_notify, bool notify_only,
		 struct filter_prog *out, struct umld_err *err)
{
	cleanup_ctx scmp_filter_ctx c64 = NULL;
	cleanup_ctx scmp_filter_ctx c32 = NULL;
	cleanup_close int fd = -1;
	off_t size;
	int r;

	r = ctx_for_arch(&c64, SCMP_ARCH_NATIVE, notify_only);
	if (r == 0)
		r = ctx_for_arch(&c32, SCMP_ARCH_X86, notify_only);
	if (r < 0)
		return umld_err_set(err, r, "seccomp filter: cannot set up libseccomp: %s",
				    strerror(-r));

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < sc_count(); i++) {
		const struct sc_info *s = sc_at(i);
		int n64 = s->nr[ABI_X86_64], n32 = s->nr[ABI_I386];
		uint32_t action;

		if (n64 >= 0 && call_action(t, ABI_X86_64, n64, use_notify, notify_only, &action)) {
			r = seccomp_rule_add(c64, action, n64, 0);
			if (r < 0)
				return umld_err_set(err, r, "seccomp filter: %s: %s", s->name,
						    strerror(-r));
			out->listener |= action == SCMP_ACT_NOTIFY;
		}
		/* an i386 call libseccomp cannot name stays RET_TRACE: it is
		 * still seen and dispatched, only slower */
		if (n32 >= 0 && call_action(t, ABI_I386, n32, use_notify, notify_only, &action) &&
		    add_i386_rule(c32, action, n32) == 0)
			out->listener |= action == SCMP_ACT_NOTIFY;
	}

	{
		const struct emul_handler *h = emul_table_get(t, ABI_X86_64, SYS_sendmsg);
		out->stops_sendmsg = h && (!notify_only || !h->needs_ptrace);
	}

	/* seccomp_merge() consumes c32 */
	r = seccomp_merge(c64, c32);
	if (r < 0)
		return umld_err_set(err, r, "seccomp filter: merging the i386 part: %s",
				    strerror(-r));
	c32 = NULL;

	/* libseccomp 2.5 exports to an fd only */
	fd = memfd_create("umld-filter", MFD_CLOEXEC);
	if (fd < 0)
		return umld_err_set(err, -errno, "seccomp filter: memfd_create: %s", strerror(errno));
	r = seccomp_export_bpf(c64, fd);
	if (r < 0)
		return umld_err_set(err, r, "seccomp filter: export: %s", strerror(-r));
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		return umld_err_set(err, -E2BIG, "seccomp filter: bad program size %lld",
				    (long long)size);
	out->insns = malloc((size_t)size);
	if (!out->insns)
		return umld_err_set(err, -ENOMEM, "seccomp filter: out of memory");
	if (pread(fd, out->insns, (size_t)size, 0) != size) {
		r = errno ? -errno : -EIO;
		filter_free(out);
		return umld_err_set(err, r, "seccomp filter: reading the program back failed");
	}
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	return 0;
}

void filter_free(struct filter_prog *p)
{
	free(p->insns);
	p->insns = NULL;
	p->len = 0;
}

/* Installs with flags, and again without the optional ones where the kernel
 * does not know them (EINVAL). */
static long install(struct sock_fprog *prog, unsigned long flags, unsigned long optional)
{
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags | optional, prog);

	if (r < 0 && errno == EINVAL && optional)
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
	return r;
}

int filter_install(const struct filter_prog *p)
{
	struct sock_fprog prog = { .len = p->len, .filter = p->insns };
	unsigned long flags = p->listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
	/* Once the monitor has received a notification, only a fatal signal
	 * may interrupt the guest's wait (Linux 5.19): otherwise a SIGCHLD
	 * arriving meanwhile makes even fork fail with EINTR, which it never
	 * does natively. */
	unsigned long optional = p->listener ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0;
	long r;

	r = install(&prog, flags, optional);
	if (r >= 0)
		return (int)r;
	if (errno != EACCES)
		return -errno;
	/* without CAP_SYS_ADMIN a filter needs no_new_privs; under ptrace by an
	 * unprivileged monitor set-id bits are ignored anyway */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	r = install(&prog, flags, optional);
	return r < 0 ? -errno : (int)r;
}

int filter_build(const struct emul_table *t, bool use_notify, struct filter_prog *out,
		 struct umld_err *err)
{
	return build(t, use_notify, false, out, err);
}

int filter_build_notify_only(const struct emul_table *t, struct filter_prog *out,
			     struct umld_err *err)
{
	return build(t, true, true, out, err);
}
