/* vforkexec: vfork+execve, vfork+_exit and posix_spawn/posix_spawnp children,
 * each reaped with waitpid; prints one line per child with its exact status. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Globals, not locals: a vfork child shares the parent's memory and stack. */
static volatile int shared_mark;
static char *true_argv[] = { "true", NULL };
static char *false_argv[] = { "false", NULL };
static char *killsh_argv[] = { "sh", "-c", "kill -9 $$", NULL };

static void describe(const char *what, pid_t pid)
{
    int st = 0;
    pid_t r;

    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid) {
        printf("%s: waitpid failed: %s\n", what, strerror(errno));
        exit(1);
    }
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: unexpected status 0x%x\n", what, st);
    fflush(stdout);
}

static pid_t vfork_exec(const char *path, char **argv)
{
    pid_t pid = vfork();

    if (pid == 0) {
        execve(path, argv, environ);
        _exit(127);
    }
    return pid;
}

static pid_t spawn(const char *path, char **argv, int use_path)
{
    pid_t pid = -1;
    int rc;

    if (use_path)
        rc = posix_spawnp(&pid, path, NULL, NULL, argv, environ);
    else
        rc = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    if (rc != 0) {
        printf("posix_spawn %s: error %s\n", path,
               rc == ENOENT ? "ENOENT" : strerror(rc));
        fflush(stdout);
        return -1;
    }
    return pid;
}

int main(void)
{
    pid_t pid;
    char *echo_argv[] = { "echo", "spawned echo says hi", NULL };
    char *sh_argv[] = { "sh", "-c", "exit 7", NULL };
    char *none_argv[] = { "umld-test-no-such-program", NULL };

    setvbuf(stdout, NULL, _IOLBF, 0);

    describe("vfork+execve /bin/true", vfork_exec("/bin/true", true_argv));
    describe("vfork+execve /bin/false", vfork_exec("/bin/false", false_argv));
    describe("vfork+execve sh kill -9 $$", vfork_exec("/bin/sh", killsh_argv));

    shared_mark = 0;
    pid = vfork();
    if (pid == 0) {
        shared_mark = 42; /* visible to the parent: same address space */
        _exit(5);
    }
    printf("vfork shared memory mark: %d\n", shared_mark);
    describe("vfork+_exit(5)", pid);

    describe("vfork+execve missing file", vfork_exec("/nonexistent/umld-test", true_argv));

    pid = spawn("/bin/echo", echo_argv, 0);
    if (pid > 0)
        describe("posix_spawn /bin/echo", pid);
    pid = spawn("/bin/sh", sh_argv, 0);
    if (pid > 0)
        describe("posix_spawn sh exit 7", pid);
    pid = spawn("true", true_argv, 1);
    if (pid > 0)
        describe("posix_spawnp true", pid);
    pid = spawn("/nonexistent/umld-test-no-such-program", none_argv, 0);
    if (pid > 0)
        describe("posix_spawn missing file", pid);

    if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD) {
        printf("unreaped children left\n");
        return 1;
    }
    printf("all children reaped\n");
    return 0;
}
