/* The syscall table: one entry per system call of either ABI, built from the
 * single list in syscalls.list. Lookups by number are bounds-checked. */
#ifndef UMLD_EMUL_SYSCALLS_H
#define UMLD_EMUL_SYSCALLS_H

#include <stddef.h>

#include "emul/argkind.h"

/* The system-call ABIs an x86_64 guest can use. x32 is refused by the filter. */
enum umld_abi {
	ABI_X86_64 = 0, /* `syscall` from 64-bit code */
	ABI_I386 = 1,   /* `int 0x80`, `sysenter` or 32-bit `syscall` */
	ABI_COUNT
};

#define SC_ARGS_MAX 6
/* Numbers are below this in both ABIs; the index arrays have this size. */
#define SC_NR_LIMIT 512

struct sc_info {
	const char *name;
	int nr[ABI_COUNT]; /* -1: the call does not exist in that ABI */
	unsigned nargs;
	enum umld_arg_kind args[SC_ARGS_MAX];
};

/* The entry for nr in abi, or NULL (out of range, or no such call). */
const struct sc_info *sc_lookup(enum umld_abi abi, long nr);
/* The entry named name, or NULL. */
const struct sc_info *sc_by_name(const char *name);
/* Iteration over every entry. */
size_t sc_count(void);
const struct sc_info *sc_at(size_t i);
const char *abi_name(enum umld_abi abi);

#endif
