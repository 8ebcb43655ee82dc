/* process_vm_readv: reads another process's memory without ptrace stops.
 * Tried on a host process (ESC_HOST_PID, one the runner started, whose
 * environment holds the token) and on a sibling. Any bytes read are the
 * escape; under --sandbox=strict the call is denied. */
#include "escape.h"
#include <sys/uio.h>


/* Reads len bytes at addr of pid; 1 when it worked. */
static int peek(struct esc *e, const char *what, pid_t pid, void *addr, char *buf, size_t len)
{
	struct iovec local = { buf, len }, remote = { addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);

	if (n > 0) {
		esc_escaped(e, what);
		return 1;
	}
	esc_note(e, "%s: %s", what, esc_errname(errno));
	return 0;
}

int main(int argc, char **argv)
{
	static char secret_copy[64] = "sibling memory";
	const char *host = getenv("ESC_HOST_PID");
	char buf[64], path[64], line[256];
	struct esc e;
	pid_t sib;
	FILE *f;

	esc_init(&e, "vmreadv", argc, argv);
	if (host) {
		/* the host process's stack: its address from /proc when visible,
		 * else any address (the call's answer is what counts) */
		unsigned long start = 0x400000;
		snprintf(path, sizeof(path), "/proc/%s/maps", host);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "[stack]"))
				start = strtoul(line, NULL, 16);
		if (f)
			fclose(f);
		peek(&e, "process_vm_readv of the host process", (pid_t)atoi(host),
		     (void *)start, buf, sizeof(buf));
	}
	sib = esc_sibling(&e);
	peek(&e, "process_vm_readv of a sibling", sib, secret_copy, buf, sizeof(buf));
	esc_reap(sib);
	return esc_finish(&e);
}
