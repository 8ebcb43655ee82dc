/* Expands syscalls.list into the entry array and the two number-to-entry
 * index arrays, all at compile time. */
#include "config.h"

#include <string.h>

#include "common/util.h"
#include "emul/syscalls.h"

/* Index of each entry, named after the call. */
enum sc_index {
#define SYSCALL(name, nr64, nr32, ...) SCI_##name,
#include "emul/syscalls.list"
#undef SYSCALL
	SCI_COUNT
};

#define SC_NARGS_(a1, a2, a3, a4, a5, a6, n, ...) n
#define SC_NARGS(...) SC_NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define SC_FIRST_(a, ...) a
/* ARG_VOID stands alone, for a call without arguments */
#define SC_COUNT_ARGS(...) (SC_NARGS(__VA_ARGS__) - (SC_FIRST_(__VA_ARGS__, 0) == ARG_VOID))

/* "NONE" in the list: the call is missing from that ABI. In the index arrays
 * it lands in a spare slot past the end that no lookup reads. */
#define NONE SC_NR_LIMIT

static const struct sc_info sc_table[SCI_COUNT] = {
#define SYSCALL(nm, nr64, nr32, ...)                                                  \
	[SCI_##nm] = { .name = #nm,                                                   \
		       .nr = { (nr64) == NONE ? -1 : (nr64), (nr32) == NONE ? -1 : (nr32) }, \
		       .nargs = SC_COUNT_ARGS(__VA_ARGS__),                                \
		       .args = { __VA_ARGS__ } },
#include "emul/syscalls.list"
#undef SYSCALL
};

/* entry index + 1 for every number; 0 means no such call */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const unsigned short sc_index64[SC_NR_LIMIT + 1] = {
#define SYSCALL(name, nr64, nr32, ...) [nr64] = SCI_##name + 1,
#include "emul/syscalls.list"
#undef SYSCALL
};
static const unsigned short sc_index32[SC_NR_LIMIT + 1] = {
#define SYSCALL(name, nr64, nr32, ...) [nr32] = SCI_##name + 1,
#include "emul/syscalls.list"
#undef SYSCALL
};
#pragma GCC diagnostic pop

const struct sc_info *sc_lookup(enum umld_abi abi, long nr)
{
	unsigned short i;

	/* the spare slot at SC_NR_LIMIT is excluded: nr < SC_NR_LIMIT */
	if (nr < 0 || nr >= SC_NR_LIMIT)
		return NULL;
	switch (abi) {
	case ABI_X86_64:
		i = sc_index64[nr];
		break;
	case ABI_I386:
		i = sc_index32[nr];
		break;
	default:
		return NULL;
	}
	return i ? &sc_table[i - 1] : NULL;
}

const struct sc_info *sc_by_name(const char *name)
{
	for (size_t i = 0; i < SCI_COUNT; i++)
		if (strcmp(sc_table[i].name, name) == 0)
			return &sc_table[i];
	return NULL;
}

size_t sc_count(void)
{
	return SCI_COUNT;
}

const struct sc_info *sc_at(size_t i)
{
	return i < SCI_COUNT ? &sc_table[i] : NULL;
}

const char *abi_name(enum umld_abi abi)
{
	switch (abi) {
	case ABI_X86_64:
		return "x86_64";
	case ABI_I386:
		return "i386";
	default:
		return "?";
	}
}
