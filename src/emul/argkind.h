/* Argument kinds of a system call, as named in syscalls.list: they tell the
 * decoder (logs, audit, handlers) how to read each raw register value. */
#ifndef UMLD_EMUL_ARGKIND_H
#define UMLD_EMUL_ARGKIND_H

enum umld_arg_kind {
	ARG_VOID = 0, /* no argument in this position */
	ARG_INT,      /* signed integer */
	ARG_UINT,     /* unsigned integer, size or count */
	ARG_HEX,      /* flags or mask: shown in hex */
	ARG_FD,       /* file descriptor */
	ARG_DIRFD,    /* directory fd of an *at call: AT_FDCWD allowed */
	ARG_PATH,     /* NUL-terminated path in guest memory */
	ARG_STR,      /* other NUL-terminated string in guest memory */
	ARG_PTR,      /* pointer to a buffer or structure in guest memory */
	ARG_PID,      /* process, thread or group id (may be 0 or negative) */
	ARG_ID,       /* user or group id */
	ARG_SIG,      /* signal number */
	ARG_MODE,     /* file mode bits: shown in octal */
};

#endif
