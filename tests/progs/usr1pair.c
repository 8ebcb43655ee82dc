/* usr1pair: parent and forked child each wait for a SIGUSR1 sent from
 * outside and report it (with its si_code); the parent then reaps the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    code = si->si_code;
    got = 1;
}

/* Wait (SIGUSR1 blocked outside sigsuspend) and describe what arrived. */
static void wait_usr1(const char *who, const sigset_t *waitmask)
{
    while (!got)
        sigsuspend(waitmask);
    printf("%s: got SIGUSR1, si_code %s\n", who,
           code == SI_USER ? "SI_USER" : code == SI_TKILL ? "SI_TKILL" : "other");
    fflush(stdout);
}

int main(void)
{
    struct sigaction sa;
    sigset_t block, waitmask;
    int sync_pipe[2], st;
    pid_t child;
    char c;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGUSR1);
    if (sigaction(SIGUSR1, &sa, NULL) < 0 || pipe(sync_pipe) < 0)
        return 1;
    alarm(30);

    child = fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        if (sigaction(SIGUSR1, &sa, NULL) < 0)
            _exit(1);
        printf("child: ready\n");
        fflush(stdout);
        close(sync_pipe[1]);
        wait_usr1("child", &waitmask);
        _exit(0);
    }
    close(sync_pipe[1]);
    while (read(sync_pipe[0], &c, 1) < 0 && errno == EINTR)
        ;
    printf("parent: ready\n");
    fflush(stdout);
    wait_usr1("parent", &waitmask);
    while (waitpid(child, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    printf("parent: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
