/* segv: dies of a genuine SIGSEGV (a write through a null pointer) with core
 * dumps disabled, after printing one line. */
#include <stdio.h>
#include <sys/resource.h>

int main(void)
{
    struct rlimit rl = { 0, 0 };

    setrlimit(RLIMIT_CORE, &rl);
    printf("segv: about to fault\n");
    fflush(stdout);
    *(volatile int *)0 = 1;
    printf("segv: survived the fault\n");
    return 0;
}
