/* Guest memory access through process_vm_readv/writev, or /proc/PID/mem.
 * process_vm_* copies across page boundaries until it meets a fault and then
 * returns a short count; a short count is turned into -EFAULT here. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/request.h"
#include "sysemu/mem.h"

static int force_procmem;

void guest_mem_force_procmem(int force)
{
	force_procmem = force;
}

/* Addresses the kernel never maps for a user process on x86_64 (and that
 * off_t cannot express for /proc/PID/mem). */
static int addr_range_ok(uint64_t addr, size_t len)
{
	return addr + len >= addr && addr + len <= (uint64_t)INT64_MAX;
}

static int fd_rw(int fd, uint64_t addr, void *buf, size_t len, int write)
{
	size_t done = 0;

	if (!addr_range_ok(addr, len))
		return -EFAULT;
	while (done < len) {
		ssize_t n = write ? pwrite(fd, (const char *)buf + done, len - done, (off_t)(addr + done))
				  : pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EIO ? -EFAULT : -errno;
		}
		if (n == 0)
			return done == 0 ? -ESTALE : -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

static int procmem_rw(pid_t pid, uint64_t addr, void *buf, size_t len, int write)
{
	char path[64];
	cleanup_close int fd = -1;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fd_rw(fd, addr, buf, len, write);
	return r == -ESTALE ? -ESRCH : r;
}

static int vm_rw(pid_t pid, uint64_t addr, void *buf, size_t len, int write)
{
	size_t done = 0;

	if (len == 0)
		return 0;
	if (!addr_range_ok(addr, len))
		return -EFAULT;
	if (force_procmem)
		return procmem_rw(pid, addr, buf, len, write);
	while (done < len) {
		struct iovec local = { .iov_base = (char *)buf + done, .iov_len = len - done };
		struct iovec remote = { .iov_base = (void *)(uintptr_t)(addr + done),
					.iov_len = len - done };
		ssize_t n = write ? process_vm_writev(pid, &local, 1, &remote, 1, 0)
				  : process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOSYS || errno == EPERM)
				return procmem_rw(pid, addr + done, (char *)buf + done, len - done,
						  write);
			return errno == EFAULT ? -EFAULT : -errno;
		}
		if (n == 0)
			return -EFAULT;
		done += (size_t)n;
	}
	return 0;
}

int guest_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	return vm_rw(pid, addr, buf, len, 0);
}

int guest_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	return vm_rw(pid, addr, (void *)buf, len, 1);
}

typedef int (*reader_fn)(const void *src, uint64_t addr, void *buf, size_t len);

static ssize_t read_str(reader_fn rd, const void *src, uint64_t addr, char *buf, size_t size)
{
	size_t done = 0;
	const size_t page = 4096;

	if (size == 0)
		return -EINVAL;
	/* Read up to each page boundary at a time, so that a string ending just
	 * before an unmapped page is read without a fault; the first read is
	 * of 256 bytes at most (most paths are short, and a read of guest
	 * memory costs by its length: 4 KiB take 0.35 us more than 64 bytes). */
	while (done < size) {
		uint64_t at = addr + done;
		size_t chunk = page - (size_t)(at % page);
		char *nul;
		int r;

		if (done == 0 && chunk > 256)
			chunk = 256;
		if (chunk > size - done)
			chunk = size - done;
		r = rd(src, at, buf + done, chunk);
		if (r < 0)
			return r;
		nul = memchr(buf + done, '\0', chunk);
		if (nul)
			return nul - buf;
		done += chunk;
	}
	buf[size - 1] = '\0';
	return -ENAMETOOLONG;
}

static int pid_reader(const void *src, uint64_t addr, void *buf, size_t len)
{
	return guest_read(*(const pid_t *)src, addr, buf, len);
}

static int req_reader(const void *src, uint64_t addr, void *buf, size_t len)
{
	return req_read(src, addr, buf, len);
}

ssize_t guest_read_str(pid_t pid, uint64_t addr, char *buf, size_t size)
{
	return read_str(pid_reader, &pid, addr, buf, size);
}

int guest_fd_read(int memfd, uint64_t addr, void *buf, size_t len)
{
	return len ? fd_rw(memfd, addr, buf, len, 0) : 0;
}

int guest_fd_write(int memfd, uint64_t addr, const void *buf, size_t len)
{
	return len ? fd_rw(memfd, addr, (void *)buf, len, 1) : 0;
}

/* Through the request's memfd, reopening it once if an exec made it stale. */
static int req_fd_rw(const struct sc_request *req, uint64_t addr, void *buf, size_t len, int write)
{
	int r = write ? guest_fd_write(req->memfd, addr, buf, len)
		      : guest_fd_read(req->memfd, addr, buf, len);
	int fd;

	if (r != -ESTALE || !req->memfd_reopen)
		return r;
	fd = req->memfd_reopen(req);
	if (fd < 0)
		return -ESRCH;
	return write ? guest_fd_write(fd, addr, buf, len) : guest_fd_read(fd, addr, buf, len);
}

int req_read(const struct sc_request *req, uint64_t addr, void *buf, size_t len)
{
	return req->memfd >= 0 ? req_fd_rw(req, addr, buf, len, 0)
			       : guest_read(req->tid, addr, buf, len);
}

int req_write(const struct sc_request *req, uint64_t addr, const void *buf, size_t len)
{
	return req->memfd >= 0 ? req_fd_rw(req, addr, (void *)buf, len, 1)
			       : guest_write(req->tid, addr, buf, len);
}

ssize_t req_read_str(const struct sc_request *req, uint64_t addr, char *buf, size_t size)
{
	return read_str(req_reader, req, addr, buf, size);
}
