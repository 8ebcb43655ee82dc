/* `umld bench`: the operations it times (run inside the guest by the hidden
 * `umld bench-guest`) and the modes it compares. */
#ifndef UMLD_UMLD_BENCH_H
#define UMLD_UMLD_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/privdir.h"

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

/* $TMPDIR, or /tmp. */
const char *bench_tmp(void);
/* A private directory of kind in tmp, after removing those that benches
 * killed before their end left there (privdir.h). 0 or -errno. */
int bench_make_dir(struct privdir *dir, const char *tmp, const char *kind);

/* A table cell: "failed" for v < 0, the native figure as it is, any other
 * with its ratio to native. */
void bench_cell(char *cell, size_t size, double v, double native, bool is_native);

/* `umld bench --workloads` (bench_work.c): whole programs natively and
 * under umld with a cow layer over the host's root, in each filesystem
 * backend. on[i] selects workload i. Prints the table (or JSON lines);
 * returns the exit status (1 when a run failed or its output differed
 * from native). */
size_t bench_nworkloads(void);
const char *bench_workload_name(size_t i);
void bench_workloads_help(FILE *out);
int bench_workloads(const char *exe, int rounds, bool json, const bool *on);

#endif
