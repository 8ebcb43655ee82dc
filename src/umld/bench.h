/* `umld bench`: the operations it times (run inside the guest by the hidden
 * `umld bench-guest`) and the modes it compares. */
#ifndef UMLD_UMLD_BENCH_H
#define UMLD_UMLD_BENCH_H

#include <stddef.h>

struct bench_op {
	const char *name;
	const char *what; /* one line for the table's legend */
	/* Runs the operation n times; returns 0 or -errno. */
	int (*run)(void *state, long n);
	int (*setup)(void **state);
	void (*teardown)(void *state);
};

extern const struct bench_op bench_ops[];
extern const size_t bench_nops;

const struct bench_op *bench_op_find(const char *name);

/* The guest side: times each named op (all when none) and prints one line
 * per op, "NAME MEDIAN_NS ITERATIONS", to stdout. */
int bench_guest_main(int argc, char **argv);

#endif
