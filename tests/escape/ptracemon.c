/* ptrace: of the parent (umld's monitor, or the process that started the
 * guest) and of a sibling process. A tracer can rewrite any register and
 * any byte of its tracee, the monitor's checks included. Any attach that
 * works is the escape; under --sandbox=strict ptrace is denied. */
#include "escape.h"
#include <signal.h>
#include <sys/ptrace.h>


int main(int argc, char **argv)
{
	struct esc e;
	pid_t parent = getppid(), sib;

	esc_init(&e, "ptracemon", argc, argv);
	if (parent > 1 && ptrace(PTRACE_SEIZE, parent, 0, 0) == 0) {
		esc_escaped(&e, "PTRACE_SEIZE of the parent");
		ptrace(PTRACE_DETACH, parent, 0, 0);
	} else {
		esc_note(&e, "PTRACE_SEIZE of the parent %d: %s", (int)parent,
			 parent > 1 ? esc_errname(errno) : "no parent to see");
	}
	sib = esc_sibling(&e);
	if (ptrace(PTRACE_SEIZE, sib, 0, 0) == 0)
		esc_escaped(&e, "PTRACE_SEIZE of a sibling");
	else
		esc_note(&e, "PTRACE_SEIZE of a sibling: %s", esc_errname(errno));
	esc_reap(sib);
	return esc_finish(&e);
}
