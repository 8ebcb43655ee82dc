/* The interface between sysemu/ (which stops guests and applies results) and
 * emul/ (which decides): one decoded system call, and the typed verdict a
 * handler returns for it. */
#ifndef UMLD_EMUL_REQUEST_H
#define UMLD_EMUL_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "emul/syscalls.h"

/* How the call reached the monitor; decides what a verdict costs to apply. */
enum sc_path {
	SC_PATH_SYSEMU,  /* PTRACE_SYSEMU entry stop: the kernel skips the call */
	SC_PATH_TRACE,   /* seccomp RET_TRACE or PTRACE_SYSCALL entry: the kernel runs it */
	SC_PATH_NOTIFY,  /* seccomp user notification: the guest waits for an answer */
};

struct sc_request {
	pid_t tid;                 /* host thread id of the caller */
	enum umld_abi abi;
	long nr;
	uint64_t args[SC_ARGS_MAX];
	uint64_t ip;               /* instruction pointer after the syscall instruction */
	uint64_t sp;               /* stack pointer (ptrace paths only, else 0) */
	enum sc_path path;
	const struct sc_info *info; /* NULL for numbers the table does not know */
	/* SC_PATH_NOTIFY only: an fd on /proc/TID/mem opened and validated
	 * (SECCOMP_IOCTL_NOTIF_ID_VALID) for this caller, so that guest memory
	 * access cannot reach another process that recycled the pid; -1 on
	 * the ptrace paths, where the stopped task holds its pid. */
	int memfd;
	/* SC_PATH_NOTIFY: gets a fresh memfd when the cached one went stale
	 * (the caller execed since it was opened); -errno when the caller is
	 * gone. NULL elsewhere. */
	int (*memfd_reopen)(const struct sc_request *req);
	void *notify;      /* the notification server, for memfd_reopen */
	uint64_t notif_id; /* the notification's id */
};

/* Who wants a VERDICT_FD's fd back once it is the guest's too, instead of
 * its being closed (the emulated filesystem's fd cache, fs_fdcache.c). */
struct fd_keeper {
	/* Takes fd, and frees k: gfd is the number the guest got for it, or -1
	 * when it was not installed. */
	void (*kept)(struct fd_keeper *k, pid_t tid, int gfd, int fd);
};

enum verdict_kind {
	VERDICT_PASS = 0, /* run on the host unchanged */
	VERDICT_REWRITE,  /* run on the host with the arguments in .args */
	VERDICT_RETURN,   /* do not run; the call returns .value */
	VERDICT_DENY,     /* do not run; the call fails with .error */
	VERDICT_KILL,     /* kill the calling process */
	VERDICT_FD,       /* do not run; the call returns a new guest fd that is a copy
			   * of the monitor's .fd (user notification path only) */
};

struct verdict {
	enum verdict_kind kind;
	int64_t value;              /* VERDICT_RETURN */
	int error;                  /* VERDICT_DENY: a positive errno */
	uint64_t args[SC_ARGS_MAX]; /* VERDICT_REWRITE: every argument, changed or not */
	int fd;                     /* VERDICT_FD: the monitor's fd; applying closes it */
	unsigned fd_flags;          /* VERDICT_FD: O_CLOEXEC or 0 */
	struct fd_keeper *keeper;   /* VERDICT_FD: takes .fd when applied, or NULL */
	bool no_exit;               /* PASS, REWRITE: the handler's exit hook is not
				     * wanted for this call (emul_handler.exit) */
	/* VERDICT_FD of a FIFO opened without O_NONBLOCK, whose open would
	 * wait for the other end: answered later, by a thread of its own
	 * (notify.c), never blocking the server. FIFO_WAIT_WRITER: .fd is a
	 * read end opened O_NONBLOCK, given once a writer came (data or a
	 * hang-up); FIFO_WAIT_READER: .fd is an O_PATH fd of the FIFO, whose
	 * write end (.open_flags) is opened once a reader is there. */
	enum { FIFO_WAIT_NONE = 0, FIFO_WAIT_WRITER, FIFO_WAIT_READER } fifo_wait;
	int open_flags;
};

static inline struct verdict verdict_pass(void)
{
	return (struct verdict){ .kind = VERDICT_PASS };
}

static inline struct verdict verdict_return(int64_t value)
{
	return (struct verdict){ .kind = VERDICT_RETURN, .value = value };
}

static inline struct verdict verdict_deny(int error)
{
	return (struct verdict){ .kind = VERDICT_DENY, .error = error };
}

static inline struct verdict verdict_kill(void)
{
	return (struct verdict){ .kind = VERDICT_KILL };
}

static inline struct verdict verdict_fd(int fd, unsigned fd_flags)
{
	return (struct verdict){ .kind = VERDICT_FD, .fd = fd, .fd_flags = fd_flags };
}

/* A VERDICT_FD applied (gfd: the guest's number) or given up (-1): its fd
 * is closed, or handed to its keeper. */
static inline void verdict_fd_done(const struct verdict *v, pid_t tid, int gfd)
{
	if (v->keeper)
		v->keeper->kept(v->keeper, tid, gfd, v->fd);
	else
		close(v->fd);
}

/* An fd (or dirfd) argument: the kernel reads an int. */
static inline int req_arg_fd(const struct sc_request *req, int i)
{
	return (int)(int32_t)req->args[i];
}

/* The value the guest sees in its return register for a verdict that does
 * not run the call. */
static inline int64_t verdict_result(const struct verdict *v)
{
	return v->kind == VERDICT_DENY ? -(int64_t)v->error : v->value;
}

#endif
