/* catchsig: "catchsig SIG CODE" prints and exits CODE when SIG arrives;
 * "catchsig ignore SIG" ignores SIG and waits; both print "ready" first. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int exit_code;
static char got_msg[64];

static void on_signal(int sig)
{
    (void)sig;
    if (write(1, got_msg, strlen(got_msg)) < 0)
        _exit(100);
    _exit(exit_code);
}

static int signal_number(const char *name)
{
    static const struct {
        const char *name;
        int sig;
    } table[] = { { "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP },
                  { "USR1", SIGUSR1 }, { "QUIT", SIGQUIT } };

    if (strncmp(name, "SIG", 3) == 0)
        name += 3;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].sig;
    return -1;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    int ignore, sig;

    if (argc != 3) {
        fprintf(stderr, "usage: catchsig SIG CODE | catchsig ignore SIG\n");
        return 2;
    }
    ignore = strcmp(argv[1], "ignore") == 0;
    sig = signal_number(ignore ? argv[2] : argv[1]);
    if (sig < 0) {
        fprintf(stderr, "catchsig: unknown signal\n");
        return 2;
    }
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (ignore) {
        sa.sa_handler = SIG_IGN;
    } else {
        exit_code = atoi(argv[2]);
        snprintf(got_msg, sizeof got_msg, "catchsig: got SIG%s\n", argv[1]);
        sa.sa_handler = on_signal;
    }
    if (sigaction(sig, &sa, NULL) < 0)
        return 1;
    alarm(30); /* safety net: never outlive a broken test by much */
    printf("catchsig: ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
