/* A #! script inside the root whose interpreter is the secret's path (the
 * secret is itself a script, and Linux allows an interpreter to be one).
 * The kernel looks the interpreter up itself, in the process's root: a
 * monitor that only translates execve's own path lets the kernel find the
 * host's file. Natively the interpreter is the decoy, which prints
 * "decoy". */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;
	char text[PATH_MAX + 16];

	esc_init(&e, "shebang", argc, argv);
	esc_fmt(&e, text, sizeof(text), "#!%s\n", e.secret);
	esc_write(&e, "abs.sh", text, 0755);
	esc_fmt(&e, text, sizeof(text), "#!%s\n", e.up_abs);
	esc_write(&e, "up.sh", text, 0755);
	esc_fmt(&e, text, sizeof(text), "#!%s\n", e.up); /* relative: from the cwd */
	esc_write(&e, "rel.sh", text, 0755);
	if (symlink(e.up, "link") < 0)
		esc_die(&e, "symlink");
	esc_write(&e, "link.sh", "#!link\n", 0755);
	esc_exec(&e, "#!SECRET", "./abs.sh");
	esc_exec(&e, "#!/../..SECRET", "./up.sh");
	esc_exec(&e, "#!../..SECRET", "./rel.sh");
	esc_exec(&e, "#!link to ../..SECRET", "./link.sh");
	esc_exec(&e, "execve(../..SECRET)", e.up);
	return esc_finish(&e);
}
