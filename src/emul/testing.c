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
	{ .name = "getppid", .enter = test_getppid },
	{ .name = "uname", .enter = test_uname },
	{ .name = "memfd_create", .abis = EMUL_ABI_64, .enter = test_memfd_create },
	{ .name = "access", .enter = test_access },
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
static const struct emul_handler passthrough_handlers[] = {
	PASS_THROUGH(read), PASS_THROUGH(write), PASS_THROUGH(open), PASS_THROUGH(openat),
	PASS_THROUGH(close), PASS_THROUGH(newfstatat), PASS_THROUGH(statx),
	PASS_THROUGH(getdents64), PASS_THROUGH(execve), PASS_THROUGH(execveat),
	PASS_THROUGH(clone), PASS_THROUGH(clone3), PASS_THROUGH(fork), PASS_THROUGH(vfork),
	PASS_THROUGH(wait4), PASS_THROUGH(kill), PASS_THROUGH(tgkill), PASS_THROUGH(rt_sigaction),
	PASS_THROUGH(getppid), PASS_THROUGH(uname), PASS_THROUGH(pipe2), PASS_THROUGH(dup2),
	PASS_THROUGH(fcntl), PASS_THROUGH(lseek), PASS_THROUGH(access), PASS_THROUGH(faccessat2),
	PASS_THROUGH(readlink), PASS_THROUGH(getcwd), PASS_THROUGH(chdir), PASS_THROUGH(unlink),
	PASS_THROUGH(unlinkat), PASS_THROUGH(rename), PASS_THROUGH(renameat2), PASS_THROUGH(mkdir),
	PASS_THROUGH(mkdirat), PASS_THROUGH(exit_group), PASS_THROUGH(getpid),
};

const struct emul_feature emul_feature_passthrough = {
	.name = "passthrough",
	.handlers = passthrough_handlers,
	.count = ARRAY_SIZE(passthrough_handlers),
};
