/* Landlock through raw system calls (glibc has no wrappers). The access
 * bits a ruleset handles depend on the ABI: rights the kernel does not
 * know make landlock_create_ruleset fail, so each is added only from the
 * ABI that has it (1: the base set, 2: REFER, 3: TRUNCATE, 4: TCP, 5:
 * IOCTL_DEV, 6: scopes). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/landlock.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

/* The kernel's structures, spelled out: the installed headers may be older
 * than the running kernel. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_WRITE_ABI1 0x1ff2ULL /* remove, make: bits 4 to 12, and WRITE_FILE */
#define LL_FS_REFER (1ULL << 13)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)
#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ULL << 0)
#define LL_SCOPE_SIGNAL (1ULL << 1)

int landlock_abi(const char **why)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	if (v > 0)
		return (int)v;
	if (why)
		*why = errno == EOPNOTSUPP ? "Landlock is disabled at boot" :
		       errno == ENOSYS ? "the kernel has no Landlock" : "Landlock is unavailable";
	return 0;
}

static uint64_t write_rights(int abi)
{
	uint64_t r = LL_FS_WRITE_ABI1;

	if (abi >= 2)
		r |= LL_FS_REFER;
	if (abi >= 3)
		r |= LL_FS_TRUNCATE;
	if (abi >= 5)
		r |= LL_FS_IOCTL_DEV;
	return r;
}

static int add_paths(int ruleset, const char *const *paths, size_t n, uint64_t access)
{
	for (size_t i = 0; i < n; i++) {
		struct ll_path_beneath pb = { .allowed_access = access };
		int fd = open(paths[i], O_PATH | O_CLOEXEC);

		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		pb.parent_fd = fd;
		/* a file (not a directory) may hold file rights only */
		if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0) {
			pb.allowed_access &= LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE |
					     LL_FS_TRUNCATE | LL_FS_IOCTL_DEV;
			if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0) {
				int e = errno;
				close(fd);
				return -e;
			}
		}
		close(fd);
	}
	return 0;
}

int landlock_restrict(const struct landlock_wants *w, const char **what)
{
	uint64_t rd = LL_FS_EXECUTE | LL_FS_READ_FILE | LL_FS_READ_DIR;
	uint64_t wr = write_rights(w->abi);
	struct ll_ruleset_attr attr = { .handled_access_fs = rd | wr };
	size_t size = sizeof(attr.handled_access_fs);
	int fd, r;

	if (w->abi >= 4 && w->no_tcp) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (w->abi >= 6 && (w->scope_signal || w->scope_abstract)) {
		attr.scoped = (w->scope_signal ? LL_SCOPE_SIGNAL : 0) |
			      (w->scope_abstract ? LL_SCOPE_ABSTRACT_UNIX : 0);
		size = sizeof(attr);
	}
	fd = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0) {
		*what = "landlock_create_ruleset";
		return -errno;
	}
	r = add_paths(fd, w->read, w->nread, rd);
	if (r == 0)
		r = add_paths(fd, w->write, w->nwrite, rd | wr);
	if (r < 0) {
		*what = "landlock_add_rule";
		close(fd);
		return r;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		*what = "PR_SET_NO_NEW_PRIVS";
		r = -errno;
	} else if (syscall(__NR_landlock_restrict_self, fd, 0) < 0) {
		*what = "landlock_restrict_self";
		r = -errno;
	}
	close(fd);
	return r;
}
