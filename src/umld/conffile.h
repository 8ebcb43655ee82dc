/* Instance files (`umld start instance.conf`, umld.conf(5)): the INI parser
 * and the value parsers the CLI flags share with it. */
#ifndef UMLD_UMLD_CONFFILE_H
#define UMLD_UMLD_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "emul/sandbox.h"

/* The longest line an instance file may have, without its newline. */
#define CONFIG_LINE_MAX 4096

struct config_bind {
	char *host;
	char *guest;     /* the host path when the file gave none */
	bool read_only;  /* BindReadOnly= */
};

struct instance_config {
	char *path;                 /* the file it came from */
	char *name;
	int restart_on_failure;     /* Restart=on-failure */
	char **command;             /* NULL-terminated argv */
	char **environment;         /* NULL-terminated "NAME=VALUE" list */
	char *working_directory, *hostname;
	bool fake_root, virtual_pids;
	char **roots;               /* NULL-terminated, lowest first */
	char *cow;
	struct config_bind *binds;  /* in file order, Bind= and BindReadOnly= mixed */
	size_t nbinds;
	char *intercept, *containerize;   /* NULL: not set */
	long long memory, file_size;      /* bytes, -1: not set */
	long tasks, open_files;           /* -1: not set */
	long long cpu_time;               /* seconds, -1: not set */
	struct sandbox_policy sandbox;    /* [Sandbox] */
};

/* Sets every field to "not set": NULL, false, 0, -1 for the limits. The CLI
 * starts from this when it builds a configuration from flags alone. */
void config_init(struct instance_config *c);

/* Reads and parses an instance file. On success *out owns what it holds
 * (config_free); on failure *out is as after config_init and err says
 * "FILE:LINE: KEY: what is wrong" with exit status 2. Writes nothing. */
int config_load(const char *path, struct instance_config *out, struct umld_err *err);
/* The same on text already in memory; name stands for the file in messages
 * and in out->path. */
int config_parse_string(const char *name, const char *text, struct instance_config *out,
			struct umld_err *err);
/* The `umld run` flag of a key: its name in lowercase with dashes between
 * the words (CPUTime -> cpu-time, BindReadOnly -> bind-read-only). Sets the
 * key whose flag is flag from value, as the file would; -ENOENT when no key
 * has that flag; otherwise err says "--FLAG: what is wrong" (exit 2). */
int config_set_flag(struct instance_config *c, const char *flag, const char *value,
		    struct umld_err *err);
/* Frees what c holds and leaves it as after config_init. */
void config_free(struct instance_config *c);

/* Value parsers, reused by the CLI flags. Each returns 0, -EINVAL when s is
 * not of the form, or -ERANGE when it does not fit; *out is set only on 0. */

/* Bytes: decimal digits with an optional K, M, G or T suffix (powers of 1024). */
int config_parse_size(const char *s, long long *out);
/* Seconds: decimal digits with an optional s, m or h suffix. */
int config_parse_seconds(const char *s, long long *out);
/* yes/no, true/false, on/off, 1/0, in any case. */
int config_parse_bool(const char *s, bool *out);
/* Splits s into words as a POSIX shell splits a simple command, without any
 * expansion (see umld.conf(5)). *argv_out is a NULL-terminated array of
 * strings, each malloc'd; free it with config_strv_free. -EINVAL for an
 * unterminated quote or a trailing backslash, -ENOMEM. */
int config_split_words(const char *s, char ***argv_out);
/* The same; on -EINVAL, *why (if why is not NULL) says what is wrong. */
int config_split_words_why(const char *s, char ***argv_out, const char **why);
/* Frees a NULL-terminated array of strings and the strings; NULL is fine. */
void config_strv_free(char **v);

#endif
