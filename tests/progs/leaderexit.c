/* leaderexit: the main thread exits (pthread_exit, or raw SYS_exit) while four
 * threads keep doing syscalls for ~200 ms; the last one prints and exit_group()s. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4

static atomic_int finished;
static atomic_int busy_ok;
static int final_status;
static pid_t leader;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* State letter of the (exited) leader thread, from /proc. */
static char leader_state(void)
{
    char path[64], buf[512];
    char *p;
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/self/task/%ld/stat", (long)leader);
    f = fopen(path, "r");
    if (f == NULL)
        return '?';
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return (p && p[1] == ' ') ? p[2] : '?';
}

static void *worker(void *arg)
{
    double end = now() + 0.2;
    long calls = 0;
    struct timespec ts = { 0, 2000000 };

    (void)arg;
    while (now() < end) {
        if (syscall(SYS_getpid) == leader)
            calls++;
        nanosleep(&ts, NULL);
    }
    if (calls > 0)
        atomic_fetch_add(&busy_ok, 1);
    if (atomic_fetch_add(&finished, 1) + 1 == NTHREADS) {
        printf("last thread: %d/%d workers did syscalls after the leader left, "
               "leader state %c\n",
               atomic_load(&busy_ok), NTHREADS, leader_state());
        printf("last thread: exit_group(%d)\n", final_status);
        fflush(stdout);
        exit(final_status);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t t;
    int raw = argc > 1 && strcmp(argv[1], "sysexit") == 0;

    if (argc > 2)
        final_status = atoi(argv[2]);
    leader = getpid();
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&t, NULL, worker, NULL) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    printf("leader: exiting via %s\n", raw ? "SYS_exit(9)" : "pthread_exit");
    fflush(stdout);
    if (raw)
        syscall(SYS_exit, 9); /* only this thread; its status must not matter */
    else
        pthread_exit(NULL);
    return 99;
}
