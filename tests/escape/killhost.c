/* Signals out: kill(-1) (every process the caller may signal) and a
 * signal to a host process (ESC_HOST_PID, a sleep the runner started).
 * Only harmless signals are sent (0, and SIGCONT to the sleep), so that
 * the host control does no damage. Any that reaches is the escape; under
 * --sandbox=strict a guest signals only its own processes. */
#include "escape.h"
#include <signal.h>


int main(int argc, char **argv)
{
	const char *host = getenv("ESC_HOST_PID");
	struct esc e;

	esc_init(&e, "killhost", argc, argv);
	if (kill(-1, 0) == 0)
		esc_escaped(&e, "kill(-1, 0)");
	else
		esc_note(&e, "kill(-1, 0): %s", esc_errname(errno));
	if (host) {
		pid_t pid = (pid_t)atoi(host);
		if (kill(pid, 0) == 0)
			esc_escaped(&e, "kill(HOST, 0)");
		else
			esc_note(&e, "kill(HOST, 0): %s", esc_errname(errno));
		if (kill(pid, SIGCONT) == 0)
			esc_escaped(&e, "kill(HOST, SIGCONT)");
		else
			esc_note(&e, "kill(HOST, SIGCONT): %s", esc_errname(errno));
	}
	return esc_finish(&e);
}
