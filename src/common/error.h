/* The one error convention of umld (docs/architecture.md, "Errors"):
 * a failing function returns a negative errno; where the caller needs to know
 * more than the errno it also fills a struct umld_err, and callers add context
 * on the way up; main() prints it once. */
#ifndef UMLD_COMMON_ERROR_H
#define UMLD_COMMON_ERROR_H

#include <stdarg.h>

struct umld_err {
	int code;       /* negative errno, 0 if no error is recorded */
	int exit_status; /* what main() should exit with (2: bad input, 1: other) */
	char msg[512];
};

#define UMLD_EXIT_FAILURE 1
#define UMLD_EXIT_USAGE 2

/* Records an error and returns code (a negative errno) for `return umld_err_set(...)`.
 * err may be NULL. */
int umld_err_set(struct umld_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, for bad input: main() will exit with status 2. */
int umld_err_usage(struct umld_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prefixes context to the recorded message: "context: old message". */
int umld_err_prefix(struct umld_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
