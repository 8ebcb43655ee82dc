/* bpf and perf_event_open: programs and probes in the kernel, reading
 * memory and events of every process. A map created or an event opened is
 * the escape (as a user, the host's sysctls may already refuse them);
 * under --sandbox=strict both calls are denied. */
#include "escape.h"
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>


int main(int argc, char **argv)
{
	struct perf_event_attr pe;
	union bpf_attr attr;
	struct esc e;
	long fd;

	esc_init(&e, "bpfperf", argc, argv);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	esc_fd_result(&e, "bpf(BPF_MAP_CREATE)", fd);
	memset(&pe, 0, sizeof(pe));
	pe.type = PERF_TYPE_SOFTWARE;
	pe.size = sizeof(pe);
	pe.config = PERF_COUNT_SW_CPU_CLOCK;
	pe.exclude_kernel = 1;
	pe.exclude_hv = 1;
	/* every process on CPU 0: what reaches beyond the guest */
	fd = syscall(SYS_perf_event_open, &pe, -1, 0, -1, 0);
	esc_fd_result(&e, "perf_event_open(all processes)", fd);
	return esc_finish(&e);
}
