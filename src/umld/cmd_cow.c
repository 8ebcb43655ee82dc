/* `umld cow diff|reset|commit`: operations on an instance's copy-on-write
 * layer (docs/cow-format.md), like User Mode Linux's uml_moo for COW files.
 * A layer does not record its base layers: --root names them (lowest
 * first), the host's / when none is given, as in the quick start. Each
 * operation holds the layer's lock, which a running instance holds too. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/util.h"
#include "cowdisk/cowdisk.h"
#include "umld/command.h"

static void cow_help(void)
{
	printf("Usage: umld cow diff [--root=DIR]... COWDIR\n"
	       "       umld cow reset COWDIR\n"
	       "       umld cow commit [--root=DIR]... COWDIR --to=NEWBASE\n"
	       "Operates on a copy-on-write layer (docs/cow-format.md) over its base layers\n"
	       "(--root, repeatable, lowest first; default: the host's /):\n"
	       "  diff    lists added (A), changed (C) and deleted (D) paths, one a line,\n"
	       "          relative to the root\n"
	       "  reset   discards every change\n"
	       "  commit  writes NEWBASE (which must not exist): the base plus the changes,\n"
	       "          as a new base layer\n"
	       "A layer in use by a running instance is refused.\n");
}

static int print_change(char kind, const char *rel, void *arg)
{
	printf("%c %s\n", kind, rel);
	return 0;
}

/* The layer's lock, on its root directory: refused while an instance (or
 * another umld cow) has it. A directory without the marker is refused
 * first, so that cow_open never marks an empty one here. */
static int lock_layer(const char *dir, struct umld_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return umld_err_usage(err, "%s: not a copy-on-write layer: %s", dir,
				      strerror(errno));
	r = cow_has_marker(fd);
	if (r <= 0) {
		close(fd);
		if (r == 0)
			return umld_err_usage(err, "%s: not a copy-on-write layer (no %s attribute)",
					      dir, COW_XATTR_MARKER);
		if (r == -ENOTSUP)
			return umld_err_usage(err, "%s: not a copy-on-write layer (its filesystem "
						   "has no user extended attributes)", dir);
		return umld_err_set(err, r, "%s: %s", dir, strerror(-r));
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return umld_err_set(err, -EBUSY, "%s: in use by a running instance", dir);
	}
	return fd;
}

static int cow_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char *roots[COW_LOWER_MAX + 1] = { 0 };
	const char *to = NULL, *verb, *dir;
	struct umld_err err = { 0 };
	struct cow_stack s;
	size_t nroots = 0;
	cleanup_close int lock = -1;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (nroots == COW_LOWER_MAX)
				return command_usage_error(&cmd_cow, "--root: at most %d layers",
							   COW_LOWER_MAX);
			roots[nroots++] = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'h':
			cow_help();
			return 0;
		default:
			return command_usage_error(&cmd_cow, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return command_usage_error(&cmd_cow, "a verb (diff, reset, commit) and a layer directory");
	verb = argv[optind];
	dir = argv[optind + 1];
	if (strcmp(verb, "diff") && strcmp(verb, "reset") && strcmp(verb, "commit"))
		return command_usage_error(&cmd_cow, "'%s' is not diff, reset or commit", verb);
	if ((strcmp(verb, "commit") == 0) != (to != NULL))
		return command_usage_error(&cmd_cow, to ? "--to goes with commit only"
						       : "commit needs --to=NEWBASE");
	if (!nroots)
		roots[nroots++] = (char *)"/";

	lock = lock_layer(dir, &err);
	if (lock < 0)
		return command_report(&err);
	if (cow_open(&s, roots, dir, &err) < 0)
		return command_report(&err);
	if (strcmp(verb, "diff") == 0)
		r = cow_diff(&s, print_change, NULL);
	else if (strcmp(verb, "reset") == 0)
		r = cow_reset(&s);
	else
		r = cow_commit(&s, to, &err);
	cow_close(&s);
	if (r < 0) {
		if (!err.msg[0])
			umld_err_set(&err, r, "%s: %s: %s", verb, dir, strerror(-r));
		return command_report(&err);
	}
	return 0;
}

const struct umld_command cmd_cow = {
	.name = "cow",
	.args = "diff|reset|commit [--root=DIR]... COWDIR [--to=NEWBASE]",
	.summary = "inspect, reset or commit a copy-on-write layer",
	.exec = cow_exec,
};
