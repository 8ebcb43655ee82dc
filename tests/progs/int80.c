/* int80: a 64-bit program making 32-bit "int $0x80" system calls (getpid,
 * getppid, write from a MAP_32BIT buffer, and finally exit_group(3)). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* i386 system call numbers */
#define NR32_WRITE 4
#define NR32_GETPID 20
#define NR32_GETPPID 64
#define NR32_EXIT_GROUP 252

static long int80(long nr, long a, long b, long c)
{
    long ret;

    asm volatile("int $0x80"
                 : "=a"(ret)
                 : "0"(nr), "b"(a), "c"(b), "d"(c)
                 : "r8", "r9", "r10", "r11", "memory");
    return ret;
}

int main(void)
{
    static const char line[] = "int80: hello from a 32-bit write\n";
    char *buf;
    long r;

    setvbuf(stdout, NULL, _IONBF, 0);
    buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
               -1, 0);
    if (buf == MAP_FAILED || (unsigned long)buf + 4096 > 0x100000000UL) {
        printf("int80: no buffer below 4 GiB\n");
        return 1;
    }
    memcpy(buf, line, sizeof line - 1);

    r = int80(NR32_GETPID, 0, 0, 0);
    printf("int80: getpid %s\n", r == (long)getpid() ? "matches" : "differs");
    r = int80(NR32_GETPPID, 0, 0, 0);
    printf("int80: getppid %s\n", r == (long)getppid() ? "matches" : "differs");
    r = int80(NR32_WRITE, 1, (long)(unsigned long)buf, (long)(sizeof line - 1));
    printf("int80: write returned %ld\n", r);
    r = int80(NR32_WRITE, -1, (long)(unsigned long)buf, 1);
    printf("int80: write to fd -1 returned %ld\n", r);
    int80(NR32_EXIT_GROUP, 3, 0, 0);
    printf("int80: still alive after exit_group\n");
    return 1;
}
