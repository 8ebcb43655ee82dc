/* clone3thread: raw clone3 creating a thread on its own stack, a clone3 child
 * process, and a plain clone() child process; prints what each one did. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK_SIZE (256 * 1024)

/* Written by the raw thread, read by the main thread after the join. */
static volatile long thread_tgid;
static volatile long thread_tid;
static volatile long thread_sum;
/* Set by the kernel at creation (CLONE_PARENT_SETTID), cleared and
 * futex-woken at thread exit (CLONE_CHILD_CLEARTID). */
static volatile pid_t ctid;
static pid_t ptid;

/* The raw thread shares the TLS of the main thread, so it must not touch
 * errno or stdio: only raw syscalls. */
static void raw_thread(void)
{
    static const char msg[] = "raw clone3 thread: running on its own stack\n";
    long sum = 0;

    for (long i = 1; i <= 100; i++)
        sum += i;
    thread_sum = sum;
    thread_tgid = syscall(SYS_getpid);
    thread_tid = syscall(SYS_gettid);
    syscall(SYS_write, 1, msg, sizeof msg - 1);
}

/* clone3 with a new stack: the child must never return into C frames that
 * live on the parent's stack, so the child side is handled in assembly. */
static long clone3_thread(struct clone_args *args, void (*fn)(void))
{
    long ret;
    register void (*entry)(void) asm("r12") = fn;

    asm volatile("syscall\n\t"
                 "test %%rax, %%rax\n\t"
                 "jnz 1f\n\t"
                 "xor %%ebp, %%ebp\n\t"
                 "and $-16, %%rsp\n\t"
                 "call *%%r12\n\t"
                 "mov %[nr_exit], %%eax\n\t"
                 "xor %%edi, %%edi\n\t"
                 "syscall\n\t"
                 "hlt\n"
                 "1:"
                 : "=a"(ret)
                 : "0"((long)SYS_clone3), "D"(args), "S"(sizeof *args), "r"(entry),
                   [nr_exit] "i"(SYS_exit)
                 : "rcx", "r11", "memory");
    return ret;
}

static int clone_child(void *arg)
{
    printf("clone() child: arg=%s\n", (const char *)arg);
    fflush(stdout);
    return 23;
}

static int reap(pid_t pid)
{
    int st;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

int main(void)
{
    struct clone_args args;
    char *stack;
    long tid;
    pid_t pid;
    pid_t self = getpid();

    setvbuf(stdout, NULL, _IOLBF, 0);

    /* 1. A thread made with the raw clone3 syscall on an mmap'd stack. */
    stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(&args, 0, sizeof args);
    args.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                 CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    args.parent_tid = (uint64_t)(uintptr_t)&ptid;
    args.child_tid = (uint64_t)(uintptr_t)&ctid;
    args.stack = (uint64_t)(uintptr_t)stack;
    args.stack_size = STACK_SIZE;
    args.exit_signal = 0;
    ctid = -1; /* the kernel stores 0 here when the thread exits */
    tid = clone3_thread(&args, raw_thread);
    if (tid < 0) {
        printf("clone3 thread failed: %s\n", strerror((int)-tid));
        return 1;
    }
    /* Join: wait until the kernel clears ctid at thread exit. */
    for (;;) {
        pid_t v = ctid;

        if (v == 0)
            break;
        syscall(SYS_futex, &ctid, FUTEX_WAIT, v, NULL, NULL, 0);
    }
    printf("raw clone3 thread: joined, sum=%ld, same tgid=%s, own tid=%s, "
           "parent_tid matches=%s\n",
           thread_sum, thread_tgid == getpid() ? "yes" : "no",
           (thread_tid == tid && thread_tid != getpid()) ? "yes" : "no",
           ptid == tid ? "yes" : "no");
    munmap(stack, STACK_SIZE);

    /* 2. A child process made with clone3 (fork-like, same stack). */
    memset(&args, 0, sizeof args);
    args.exit_signal = SIGCHLD;
    pid = (pid_t)syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) {
        printf("clone3 process failed: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        printf("clone3 child process: parent matches=%s\n",
               getppid() == self ? "yes" : "no");
        fflush(stdout);
        _exit(24);
    }
    printf("clone3 child process: exited %d\n", reap(pid));

    /* 3. A child process made with glibc clone() on its own stack. */
    stack = malloc(STACK_SIZE);
    if (stack == NULL)
        return 1;
    pid = clone(clone_child, stack + STACK_SIZE, SIGCHLD, (void *)"hello");
    if (pid < 0) {
        printf("clone() failed: %s\n", strerror(errno));
        return 1;
    }
    printf("clone() child: exited %d\n", reap(pid));
    free(stack);
    return 0;
}
