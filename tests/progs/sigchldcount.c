/* sigchldcount: a SIGCHLD handler reaps and counts children: five that exit,
 * then one that stops, is continued and exits; prints every event it saw. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t exited, status_sum, stopped, continued, events;

static void on_chld(int sig)
{
    int saved = errno, st;

    (void)sig;
    while (waitpid(-1, &st, WNOHANG | WUNTRACED | WCONTINUED) > 0) {
        events++;
        if (WIFEXITED(st)) {
            exited++;
            status_sum += WEXITSTATUS(st);
        } else if (WIFSTOPPED(st)) {
            stopped++;
        } else if (WIFCONTINUED(st)) {
            continued++;
        }
    }
    errno = saved;
}

static void wait_for(volatile sig_atomic_t *counter, int value, const sigset_t *waitmask)
{
    while (*counter < value)
        sigsuspend(waitmask);
}

int main(void)
{
    struct sigaction sa;
    sigset_t block, waitmask;
    int go[2];
    pid_t pid;
    char c = 'x';

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGCHLD);
    if (sigaction(SIGCHLD, &sa, NULL) < 0 || pipe(go) < 0)
        return 1;
    alarm(30);

    for (int i = 1; i <= 5; i++) {
        pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            struct timespec ts = { 0, (long)(6 - i) * 5000000L };

            nanosleep(&ts, NULL);
            _exit(i);
        }
    }
    wait_for(&exited, 5, &waitmask);
    printf("reaped %d exited children, status sum %d\n", (int)exited, (int)status_sum);

    pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(go[1]);
        raise(SIGSTOP);
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(6);
    }
    close(go[0]);
    wait_for(&stopped, 1, &waitmask);
    printf("child 6 stopped\n");
    kill(pid, SIGCONT);
    wait_for(&continued, 1, &waitmask);
    printf("child 6 continued\n");
    if (write(go[1], &c, 1) != 1)
        return 1;
    wait_for(&exited, 6, &waitmask);
    printf("child 6 exited, status sum %d\n", (int)status_sum);
    printf("events seen by the SIGCHLD handler: %d\n", (int)events);
    return 0;
}
