/* The 32-bit int 0x80 ABI from a 64-bit program: its numbers differ from
 * the 64-bit ones, so a filter that checks only x86_64 numbers lets them
 * all through. getpid answering, or an open of the secret through it,
 * is the way out; under --sandbox=strict the whole ABI is denied. */
#include "escape.h"
#include <sys/mman.h>


/* nr in eax, arguments in ebx, ecx, edx: the i386 convention */
static long int80(long nr, long a, long b, long c)
{
	register long rax __asm__("rax") = nr;
	register long rbx __asm__("rbx") = a;
	register long rcx __asm__("rcx") = b;
	register long rdx __asm__("rdx") = c;

	__asm__ volatile("int $0x80" : "+r"(rax) : "r"(rbx), "r"(rcx), "r"(rdx)
			 : "r8", "r9", "r10", "r11", "memory");
	return rax;
}

int main(int argc, char **argv)
{
	struct esc e;
	char *low;
	long r;

	esc_init(&e, "i386abi", argc, argv);
	low = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
		   -1, 0);
	if (low == MAP_FAILED)
		esc_die(&e, "mmap below 4 GiB");
	r = int80(20 /* getpid */, 0, 0, 0);
	if (r == (long)getpid())
		esc_escaped(&e, "int 0x80 getpid answered");
	else
		esc_note(&e, "int 0x80 getpid: %s", r < 0 ? esc_errname((int)-r) : "another pid");
	snprintf(low, 4096, "%s", e.secret);
	r = int80(5 /* open */, (long)(unsigned long)low, O_RDONLY, 0);
	if (r >= 0) {
		ssize_t n = read((int)r, low + 4096, 4095);
		low[4096 + (n > 0 ? n : 0)] = '\0';
		esc_record(&e, "int 0x80 open(SECRET)", low + 4096, "the decoy", "other content");
	} else {
		esc_note(&e, "int 0x80 open(SECRET): %s", esc_errname((int)-r));
	}
	return esc_finish(&e);
}
