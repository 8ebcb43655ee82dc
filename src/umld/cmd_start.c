/* `umld start [-d] FILE`: runs the instance an instance file describes. */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "umld/command.h"
#include "umld/conffile.h"
#include "umld/instance.h"

static void start_help(void)
{
	printf("Usage: umld start [-d|--detach] [--explain] FILE\n"
	       "Starts the instance that FILE (umld.conf(5)) describes. In the foreground\n"
	       "the terminal is the guest's console and umld exits with the guest's\n"
	       "status; with -d the monitor becomes a daemon (its output goes to the\n"
	       "instance's log) and umld returns once the guest's first process runs.\n\n"
	       "  -d, --detach  run the instance as a daemon\n"
	       "  --explain     print each subsystem's backend and why\n"
	       "  -h, --help    show this help and exit\n");
}

static int start_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "detach", no_argument, NULL, 'd' },
		{ "explain", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct instance_config cfg;
	struct umld_err err = { 0 };
	bool detach = false, explain = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+dh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			detach = true;
			break;
		case 'e':
			explain = true;
			break;
		case 'h':
			start_help();
			return 0;
		default:
			return command_usage_error(&cmd_start, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return command_usage_error(&cmd_start, optind >= argc ? "no instance file given"
								      : "one instance file only");
	if (config_load(argv[optind], &cfg, &err) < 0)
		return command_report(&err);
	r = instance_start(&cfg, detach, explain);
	config_free(&cfg);
	return r;
}

const struct umld_command cmd_start = {
	.name = "start",
	.args = "[-d|--detach] [--explain] FILE",
	.summary = "start the instance an instance file describes",
	.exec = start_exec,
};
