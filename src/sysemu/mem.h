/* Guest memory access, in one place. Every guest pointer is hostile: a bad
 * one yields -EFAULT, never a crash of the monitor. process_vm_readv/writev
 * first; /proc/PID/mem when the kernel refuses those. */
#ifndef UMLD_SYSEMU_MEM_H
#define UMLD_SYSEMU_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads exactly len bytes at addr: 0, or -EFAULT (or another -errno). */
int guest_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Writes exactly len bytes at addr: 0, or -EFAULT (or another -errno). */
int guest_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
/* Reads a NUL-terminated string of at most size-1 bytes into buf (size > 0).
 * Returns its length; -ENAMETOOLONG when no NUL is found in size bytes;
 * -EFAULT when the string runs into unmapped memory. */
ssize_t guest_read_str(pid_t pid, uint64_t addr, char *buf, size_t size);

/* The same three, through an open /proc/PID/mem fd. A read of 0 bytes (the
 * process execed or died since the fd was opened) is -ESTALE. */
int guest_fd_read(int memfd, uint64_t addr, void *buf, size_t len);
int guest_fd_write(int memfd, uint64_t addr, const void *buf, size_t len);

/* What handlers use: the caller's memory by the means its request carries
 * (req->memfd on the notification path, the pid on the ptrace paths). */
struct sc_request;
int req_read(const struct sc_request *req, uint64_t addr, void *buf, size_t len);
int req_write(const struct sc_request *req, uint64_t addr, const void *buf, size_t len);
ssize_t req_read_str(const struct sc_request *req, uint64_t addr, char *buf, size_t size);

/* Test hook: forces the /proc/PID/mem fallback (true) or the default (false). */
void guest_mem_force_procmem(int force);

#endif
