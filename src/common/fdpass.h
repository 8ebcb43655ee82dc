/* Passing one file descriptor over a unix socket (SCM_RIGHTS), with a
 * one-byte message. Async-signal-safe: a child between fork and exec may
 * send. */
#ifndef UMLD_COMMON_FDPASS_H
#define UMLD_COMMON_FDPASS_H

#include <sys/types.h>

/* 0, or -errno. */
int fd_send(int sock, int fd);
/* The received fd (O_CLOEXEC), or -errno (-EPROTO: no fd came). */
int fd_recv(int sock);
/* A copy (O_CLOEXEC) of fd of process or thread pid, taken with
 * pidfd_getfd (Linux 5.6; the caller must be allowed to ptrace pid);
 * -errno (-EINVAL: a thread other than its group's leader, before 6.9). */
int fd_take(pid_t pid, int fd);

#endif
