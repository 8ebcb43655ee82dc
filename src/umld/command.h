/* The CLI's command table: each `umld VERB` is one struct umld_command,
 * defined in its own file (cmd_VERB.c). */
#ifndef UMLD_UMLD_COMMAND_H
#define UMLD_UMLD_COMMAND_H

#include "common/error.h"

struct umld_command {
	const char *name;
	const char *args;    /* usage after "umld NAME" */
	const char *summary; /* one line for `umld --help`; NULL: internal, not listed */
	/* Returns the process exit status; on bad input it prints the error
	 * and returns 2 (UMLD_EXIT_USAGE). */
	int (*exec)(int argc, char **argv);
};

extern const struct umld_command cmd_run;
extern const struct umld_command cmd_start;
extern const struct umld_command cmd_list;
extern const struct umld_command cmd_status;
extern const struct umld_command cmd_stop;
extern const struct umld_command cmd_kill;
extern const struct umld_command cmd_pause;
extern const struct umld_command cmd_resume;
extern const struct umld_command cmd_logs;
extern const struct umld_command cmd_daemon;
extern const struct umld_command cmd_exec;
extern const struct umld_command cmd_cow;
extern const struct umld_command cmd_bench;
extern const struct umld_command cmd_bench_guest;
extern const struct umld_command cmd_bench_floor;

/* Prints "umld: MSG" and the command's usage line to stderr; returns 2. */
int command_usage_error(const struct umld_command *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints err (once, with "umld: ") and returns its exit status. */
int command_report(const struct umld_err *err);

#endif
