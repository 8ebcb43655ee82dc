/* The test-only handler set: fixed answers that exercise each emulation path
 * (a plain return value, and a result written into guest memory) before any
 * virtual-kernel subsystem exists. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/handler.h"
#include "sysemu/mem.h"

static struct verdict test_getppid(struct emul_ctx *ctx, const struct sc_request *req)
{
	return verdict_return(EMUL_TEST_PPID);
}

static struct verdict test_uname(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct utsname u;
	int r;

	/* the i386 newuname and x86_64 uname share the 6 x 65 byte layout */
	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	strcpy(u.nodename, EMUL_TEST_NODENAME);
	strcpy(u.release, "6.0.0-umld");
	strcpy(u.version, "#1 umld test handlers");
	strcpy(u.machine, req->abi == ABI_I386 ? "i686" : "x86_64");
	strcpy(u.domainname, "(none)");
	r = req_write(req, req->args[0], &u, sizeof(u));
	return r < 0 ? verdict_deny(-r) : verdict_return(0);
}

/* On the notification path: a memfd the monitor made and filled, injected
 * into the guest. Elsewhere the kernel makes a real (empty) one. */
static struct verdict test_memfd_create(struct emul_ctx *ctx, const struct sc_request *req)
{
	static const char content[] = EMUL_TEST_NODENAME "\n";
	int fd;

	if (req->path != SC_PATH_NOTIFY)
		return verdict_pass();
	fd = memfd_create("umld-test", MFD_CLOEXEC);
	if (fd < 0)
		return verdict_deny(errno);
	if (write(fd, content, sizeof(content) - 1) != (ssize_t)sizeof(content) - 1 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		int e = errno ? errno : EIO;
		close(fd);
		return verdict_deny(e);
	}
	return verdict_fd(fd, (req->args[1] & MFD_CLOEXEC) ? O_CLOEXEC : 0);
}

/* Reads the path as the kernel's getname() would (EFAULT, ENAMETOOLONG when
 * no NUL comes within PATH_MAX) and otherwise lets the call run: the errno
 * of a bad path must be the kernel's. */
static struct verdict test_access(struct emul_ctx *ctx, const struct sc_request *req)
{
	char path[PATH_MAX];
	ssize_t n = req_read_str(req, req->args[0], path, sizeof(path));

	return n < 0 ? verdict_deny((int)-n) : verdict_pass();
}

static const struct emul_handler testing_handlers[] = {
	{ .name = "getppid", .never_eintr = true, .enter = test_getppid },
	{ .name = "uname", .never_eintr = true, .enter = test_uname },
	{ .name = "memfd_create", .abis = EMUL_ABI_64, .never_eintr = true,
	  .enter = test_memfd_create },
	{ .name = "access", .never_eintr = true, .enter = test_access },
};

const struct emul_feature emul_feature_testing = {
	.name = "testing",
	.handlers = testing_handlers,
	.count = ARRAY_SIZE(testing_handlers),
};

/* The pass-through set: claims common calls and lets each run unchanged. It
 * changes no result, so the whole integration suite runs with it to exercise
 * the filter and both emulation paths (notification CONTINUE, ptrace stop)
 * on real programs. */
static struct verdict test_pass(struct emul_ctx *ctx, const struct sc_request *req)
{
	return verdict_pass();
}

#define PASS_THROUGH(n) { .name = #n, .enter = test_pass }
/* ... for calls that never fail with EINTR natively */
#define PASS_THROUGH_NI(n) { .name = #n, .never_eintr = true, .enter = test_pass }
static const struct emul_handler passthrough_handlers[] = {
	PASS_THROUGH(read), PASS_THROUGH(write), PASS_THROUGH(open), PASS_THROUGH(openat),
	PASS_THROUGH(close), PASS_THROUGH_NI(newfstatat), PASS_THROUGH_NI(statx),
	PASS_THROUGH_NI(getdents64), PASS_THROUGH_NI(execve), PASS_THROUGH_NI(execveat),
	PASS_THROUGH_NI(clone), PASS_THROUGH_NI(clone3), PASS_THROUGH_NI(fork), PASS_THROUGH_NI(vfork),
	PASS_THROUGH(wait4), PASS_THROUGH_NI(kill), PASS_THROUGH_NI(tgkill), PASS_THROUGH_NI(rt_sigaction),
	PASS_THROUGH_NI(getppid), PASS_THROUGH_NI(uname), PASS_THROUGH_NI(pipe2), PASS_THROUGH_NI(dup2),
	PASS_THROUGH(fcntl), PASS_THROUGH_NI(lseek), PASS_THROUGH_NI(access), PASS_THROUGH_NI(faccessat2),
	PASS_THROUGH_NI(readlink), PASS_THROUGH_NI(getcwd), PASS_THROUGH_NI(chdir), PASS_THROUGH_NI(unlink),
	PASS_THROUGH_NI(unlinkat), PASS_THROUGH_NI(rename), PASS_THROUGH_NI(renameat2), PASS_THROUGH_NI(mkdir),
	PASS_THROUGH_NI(mkdirat), PASS_THROUGH_NI(exit_group), PASS_THROUGH_NI(getpid),
};

const struct emul_feature emul_feature_passthrough = {
	.name = "passthrough",
	.handlers = passthrough_handlers,
	.count = ARRAY_SIZE(passthrough_handlers),
	.weak = true, /* a subsystem's handler for the same call wins */
};
