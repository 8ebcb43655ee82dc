/* chdir("..") many times, then a relative open of the secret's path: the
 * cwd must stop at the root, so the path lands inside it (on the decoy).
 * Also from fchdir to a directory fd of the root. */
#include "escape.h"

static void climb(struct esc *e, const char *what)
{
	char cwd[PATH_MAX];

	for (int i = 0; i < ESC_UPS; i++)
		if (chdir("..") < 0) {
			esc_note(e, "%s: chdir(..): %s", what, esc_errname(errno));
			break;
		}
	esc_note(e, "%s: getcwd %s", what, getcwd(cwd, sizeof(cwd)) ? cwd : esc_errname(errno));
	esc_open(e, what, AT_FDCWD, e->rel);
	esc_stat(e, "stat", AT_FDCWD, e->rel, 0);
}

int main(int argc, char **argv)
{
	struct esc e;
	int rootfd;

	esc_init(&e, "chdirloop", argc, argv);
	climb(&e, "chdir(..) x40 from the workdir");
	rootfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		esc_die(&e, "open(/)");
	if (chdir("/tmp") < 0 || fchdir(rootfd) < 0)
		esc_die(&e, "fchdir");
	climb(&e, "fchdir(fd of /), chdir(..) x40");
	return esc_finish(&e);
}
