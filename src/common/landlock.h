/* Landlock, where the kernel has it: the ABI version, and one call that
 * restricts the calling process to read (and execute) some paths and write
 * others. The sandbox uses it as a second wall behind its own checks. */
#ifndef UMLD_COMMON_LANDLOCK_H
#define UMLD_COMMON_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

/* The ABI version of the running kernel, 0 when it has no Landlock (or it
 * is disabled); *why says so. */
int landlock_abi(const char **why);

struct landlock_wants {
	int abi;                  /* from landlock_abi, > 0 */
	const char *const *read;  /* read, list, execute beneath these */
	size_t nread;
	const char *const *write; /* and write, create, remove beneath these */
	size_t nwrite;
	bool no_tcp;      /* ABI 4: no TCP bind or connect at all */
	bool scope_signal;   /* ABI 6: no signal to a process outside */
	bool scope_abstract; /* ABI 6: no abstract unix socket outside */
};

/* In the process to restrict (no malloc): sets no_new_privs and enforces
 * w. A path that does not exist is skipped. 0, or -errno with the step in
 * *what. */
int landlock_restrict(const struct landlock_wants *w, const char **what);

#endif
