/* threadexec: a non-leader thread calls execve while other threads are busy in
 * system calls; stage 1 re-executes itself, stage 2 does it again with /bin/echo. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static atomic_int running;
static int block_pipe[2];

/* Busy thread: a tight loop of cheap system calls. */
static void *spin(void *arg)
{
    (void)arg;
    atomic_fetch_add(&running, 1);
    for (;;)
        syscall(SYS_getppid);
    return NULL;
}

/* Sleeping thread: repeated short nanosleeps. */
static void *doze(void *arg)
{
    struct timespec ts = { 0, 1000000 };

    (void)arg;
    atomic_fetch_add(&running, 1);
    for (;;)
        nanosleep(&ts, NULL);
    return NULL;
}

/* Blocked thread: a read that never completes. */
static void *block(void *arg)
{
    char c;

    (void)arg;
    atomic_fetch_add(&running, 1);
    for (;;)
        if (read(block_pipe[0], &c, 1) < 0 && errno != EINTR)
            break;
    return NULL;
}

static char **exec_argv;
static const char *exec_path;

static void *execer(void *arg)
{
    struct timespec ts = { 0, 20000000 };

    (void)arg;
    while (atomic_load(&running) < 3)
        sched_yield();
    nanosleep(&ts, NULL); /* let the others settle into their syscalls */
    fflush(stdout);
    execve(exec_path, exec_argv, environ);
    printf("execve %s failed: %s\n", exec_path, strerror(errno));
    fflush(stdout);
    _exit(1);
}

static int thread_count(void)
{
    char line[256];
    int n = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    fclose(f);
    return n;
}

/* Start the three busy threads plus the exec'ing one; the main thread then
 * keeps doing syscalls too until the exec replaces everything. */
static void run_stage(const char *path, char **argv)
{
    pthread_t t;
    struct timespec ts = { 0, 500000 };

    if (pipe(block_pipe) < 0)
        exit(1);
    exec_path = path;
    exec_argv = argv;
    if (pthread_create(&t, NULL, spin, NULL) || pthread_create(&t, NULL, doze, NULL) ||
        pthread_create(&t, NULL, block, NULL) || pthread_create(&t, NULL, execer, NULL)) {
        printf("pthread_create failed\n");
        exit(1);
    }
    for (int i = 0; i < 10000; i++)
        nanosleep(&ts, NULL);
    printf("timeout: execve never happened\n");
    exit(1);
}

int main(int argc, char **argv)
{
    char pidbuf[32];
    static char *echo_argv[] = { "echo", "stage 3: /bin/echo ran", NULL };

    if (argc == 1) {
        char *self_argv[] = { argv[0], "stage2", pidbuf, NULL };

        snprintf(pidbuf, sizeof pidbuf, "%ld", (long)getpid());
        printf("stage 1: threads=%d, starting workers\n", thread_count());
        fflush(stdout);
        run_stage("/proc/self/exe", self_argv);
    }
    if (argc == 3 && strcmp(argv[1], "stage2") == 0) {
        printf("stage 2: pid preserved=%s, threads=%d\n",
               atol(argv[2]) == (long)getpid() ? "yes" : "no", thread_count());
        fflush(stdout);
        run_stage("/bin/echo", echo_argv);
    }
    fprintf(stderr, "usage: %s\n", argv[0]);
    return 2;
}
