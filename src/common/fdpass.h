/* Passing one file descriptor over a unix socket (SCM_RIGHTS), with a
 * one-byte message. Async-signal-safe: a child between fork and exec may
 * send. */
#ifndef UMLD_COMMON_FDPASS_H
#define UMLD_COMMON_FDPASS_H

/* 0, or -errno. */
int fd_send(int sock, int fd);
/* The received fd (O_CLOEXEC), or -errno (-EPROTO: no fd came). */
int fd_recv(int sock);

#endif
