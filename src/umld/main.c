/* umld's entry point: finds the command and hands it its arguments. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "umld/command.h"

static const struct umld_command *const commands[] = {
	&cmd_run,
	&cmd_start,
	&cmd_list,
	&cmd_status,
	&cmd_stop,
	&cmd_kill,
	&cmd_pause,
	&cmd_resume,
	&cmd_exec,
	&cmd_logs,
	&cmd_daemon,
	&cmd_cow,
	&cmd_bench,
	&cmd_bench_guest,
	&cmd_bench_floor,
};

static void print_help(FILE *out)
{
	fprintf(out, "Usage: umld COMMAND [OPTION...] [ARG...]\n"
		     "A system-call virtualizer: runs programs as guests of a per-instance virtual kernel.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i]->summary)
			fprintf(out, "  %-6s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\nOptions:\n"
		     "  -h, --help     show this help and exit\n"
		     "  -V, --version  show the version and exit\n\n"
		     "`umld COMMAND --help` describes a command. See umld(8).\n");
}

int command_usage_error(const struct umld_command *c, const char *fmt, ...)
{
	va_list ap;

	fputs("umld: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nUsage: umld %s %s\nTry 'umld %s --help'.\n", c->name, c->args, c->name);
	return UMLD_EXIT_USAGE;
}

int command_report(const struct umld_err *err)
{
	fprintf(stderr, "umld: %s\n", err->msg);
	return err->exit_status ? err->exit_status : UMLD_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	const char *verb = argc > 1 ? argv[1] : NULL;

	if (!verb) {
		fputs("umld: no command given\n", stderr);
		print_help(stderr);
		return UMLD_EXIT_USAGE;
	}
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
		print_help(stdout);
		return 0;
	}
	if (strcmp(verb, "--version") == 0 || strcmp(verb, "-V") == 0) {
		printf("umld %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(verb, commands[i]->name) == 0)
			return commands[i]->exec(argc - 1, argv + 1);
	fprintf(stderr, "umld: unknown command or option '%s'\n"
			"Usage: umld COMMAND [OPTION...] [ARG...]\nTry 'umld --help'.\n", verb);
	return UMLD_EXIT_USAGE;
}
