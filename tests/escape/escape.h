/* Shared by the escape programs (tests/escape/NAME.c): each tries one way
 * out of the virtual root and prints exactly ESCAPED or BLOCKED on stdout,
 * and one line on stderr with what it saw.
 *
 * Usage of every program: NAME SECRET TOKEN [WORKDIR]
 *   SECRET  the host path of a file outside the root; it is a script
 *           "#!/bin/sh\necho TOKEN\n" (mode 0755), so that reading it and
 *           executing it both show the token
 *   TOKEN   what proves that the secret was reached
 *   WORKDIR where the program makes its scratch directory NAME.d (default
 *           /tmp); it chdirs there before the attack
 * The runner puts a decoy with the same path inside the root
 * ("#!/bin/sh\necho decoy\n"): a path that resolves inside the root, as it
 * must, reaches the decoy instead. Exit status 0 for BLOCKED, 1 for
 * ESCAPED, 2 when the program cannot even set up. */
#ifndef UMLD_TESTS_ESCAPE_H
#define UMLD_TESTS_ESCAPE_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ESC_UPS 40 /* more ".." than any path here is deep */

struct esc {
	const char *name;
	const char *secret; /* host path of the secret, absolute */
	const char *token;
	const char *rel;    /* the secret's path without its leading '/' */
	char up[PATH_MAX];  /* "../" x ESC_UPS, then rel: host / from anywhere */
	char up_abs[PATH_MAX];  /* "/" then up */
	char updir[PATH_MAX];   /* "../" x ESC_UPS, then the secret's directory */
	char base[NAME_MAX + 1]; /* the secret's last component */
	off_t secret_size;  /* the size the secret has ("#!/bin/sh\necho TOKEN\n") */
	int escaped;
	char note[2048];    /* what was seen: one line on stderr */
	size_t notelen;
};

static inline const char *esc_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* Appends "; "-separated text to the stderr line (cut at its size). */
__attribute__((format(printf, 2, 3))) static inline void esc_note(struct esc *e,
								   const char *fmt, ...)
{
	va_list ap;
	size_t room = sizeof(e->note) - e->notelen;
	int n;

	if (room < 4)
		return;
	if (e->notelen) {
		memcpy(e->note + e->notelen, "; ", 3);
		e->notelen += 2;
		room -= 2;
	}
	va_start(ap, fmt);
	n = vsnprintf(e->note + e->notelen, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->notelen += (size_t)n < room ? (size_t)n : room - 1;
}

static inline void esc_escaped(struct esc *e, const char *what)
{
	if (!e->escaped)
		esc_note(e, "%s: ESCAPED", what);
	e->escaped = 1;
}

__attribute__((noreturn)) static inline void esc_die(struct esc *e, const char *what)
{
	fprintf(stderr, "%s: setup failed: %s: %s\n", e->name, what, esc_errname(errno));
	exit(2);
}

/* What a buffer holds: 2 the token, 1 the decoy, 0 anything else. */
static inline int esc_classify(const struct esc *e, const char *buf)
{
	if (strstr(buf, e->token))
		return 2;
	if (strstr(buf, "decoy"))
		return 1;
	return 0;
}

/* Records what buf (a file's content, a program's output) shows under the
 * label what; 1 when it is the secret. */
static inline int esc_record(struct esc *e, const char *what, const char *buf,
			     const char *decoy, const char *other)
{
	switch (esc_classify(e, buf)) {
	case 2:
		esc_escaped(e, what);
		return 1;
	case 1:
		esc_note(e, "%s: %s", what, decoy);
		return 0;
	default:
		esc_note(e, "%s: %s (%zu bytes)", what, other, strlen(buf));
		return 0;
	}
}

/* Reads fd (closed here) and records what it held under the label what.
 * Returns 1 when it was the secret. */
static inline int esc_check_fd(struct esc *e, const char *what, int fd)
{
	char buf[4096];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	close(fd);
	if (n < 0) {
		esc_note(e, "%s: opened, read %s", what, esc_errname(errno));
		return 0;
	}
	buf[n] = '\0';
	return esc_record(e, what, buf, "the decoy", "other content");
}

/* openat(dirfd, path, O_RDONLY) and esc_check_fd. */
static inline int esc_open(struct esc *e, const char *what, int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		esc_note(e, "%s: %s", what, esc_errname(errno));
		return 0;
	}
	return esc_check_fd(e, what, fd);
}

/* fstatat: the secret's size means it was reached (the decoy and every
 * file the programs write have other sizes). */
static inline int esc_stat(struct esc *e, const char *what, int dirfd, const char *path,
			   int flags)
{
	struct stat st;

	if (fstatat(dirfd, path, &st, flags) < 0) {
		esc_note(e, "%s: %s", what, esc_errname(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode) && st.st_size == e->secret_size) {
		esc_escaped(e, what);
		return 1;
	}
	esc_note(e, "%s: a file of %lld bytes", what, (long long)st.st_size);
	return 0;
}

/* Runs path relative to dirfd (execveat with flags, in a child, stdout
 * to a pipe) and classifies its output: the secret prints the token, the
 * decoy "decoy". */
static inline int esc_exec_at(struct esc *e, const char *what, int dirfd, const char *path,
			      int flags)
{
	int p[2], st;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		esc_die(e, "pipe2");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		esc_die(e, "fork");
	if (pid == 0) {
		char *const argv[] = { (char *)path, NULL };
		char *const envp[] = { "PATH=/bin:/usr/bin", NULL };

		dup2(p[1], 1);
		execveat(dirfd, path, argv, envp, flags);
		dprintf(2, "%s\n", esc_errname(errno));
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && len == 0) {
		esc_note(e, "%s: exec failed", what);
		return 0;
	}
	return esc_record(e, what, buf, "ran the decoy", "ran something else");
}

static inline int esc_exec(struct esc *e, const char *what, const char *path)
{
	return esc_exec_at(e, what, AT_FDCWD, path, 0);
}

/* A call that hands out an fd (a ring, a map, an event): one had is the
 * way out. */
static inline void esc_fd_result(struct esc *e, const char *what, long fd)
{
	if (fd >= 0) {
		esc_escaped(e, what);
		close((int)fd);
	} else {
		esc_note(e, "%s: %s", what, esc_errname(errno));
	}
}

/* A child that waits to be killed: a sibling to aim at. */
static inline pid_t esc_sibling(struct esc *e)
{
	pid_t pid = fork();

	if (pid < 0)
		esc_die(e, "fork");
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static inline void esc_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* connect(fd, addr) and read what the other end says: the token means a
 * host service was reached. */
static inline void esc_connect(struct esc *e, const char *what, int fd, const void *addr,
			       socklen_t len)
{
	char buf[256];
	ssize_t n;

	if (connect(fd, (const struct sockaddr *)addr, len) < 0) {
		esc_note(e, "%s: %s", what, esc_errname(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (!esc_record(e, what, buf, "the decoy", "other content"))
		esc_escaped(e, what);
}

/* snprintf that dies rather than cut a path short. */
__attribute__((format(printf, 4, 5))) static inline void esc_fmt(struct esc *e, char *buf,
								  size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		esc_die(e, fmt);
	}
}

/* Writes a whole file (O_TRUNC), dying on failure. */
static inline void esc_write(struct esc *e, const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0)
		esc_die(e, path);
	if (chmod(path, mode) < 0)
		esc_die(e, path);
}

/* Parses the arguments, fills the derived paths, makes WORKDIR/NAME.d and
 * chdirs into it. */
static inline void esc_init(struct esc *e, const char *name, int argc, char **argv)
{
	const char *workdir = argc > 3 ? argv[3] : "/tmp";
	const char *slash;
	char dir[PATH_MAX], ups[3 * ESC_UPS + 1];
	size_t dirlen;

	memset(e, 0, sizeof(*e));
	e->name = name;
	if (argc < 3 || argv[1][0] != '/' || !argv[2][0]) {
		fprintf(stderr, "usage: %s SECRET TOKEN [WORKDIR]\n", name);
		exit(2);
	}
	e->secret = argv[1];
	e->token = argv[2];
	e->rel = e->secret + strspn(e->secret, "/");
	e->secret_size = (off_t)(strlen("#!/bin/sh\necho \n") + strlen(e->token));
	slash = strrchr(e->secret, '/');
	esc_fmt(e, e->base, sizeof(e->base), "%s", slash + 1);
	dirlen = slash > e->rel ? (size_t)(slash - e->rel) : 0;
	esc_fmt(e, dir, sizeof(dir), "%.*s", (int)dirlen, e->rel);
	for (int i = 0; i < ESC_UPS; i++)
		memcpy(ups + 3 * i, "../", 4);
	esc_fmt(e, e->up, sizeof(e->up), "%s%s", ups, e->rel);
	esc_fmt(e, e->up_abs, sizeof(e->up_abs), "/%s", e->up);
	esc_fmt(e, e->updir, sizeof(e->updir), "%s%s", ups, dir);
	esc_fmt(e, dir, sizeof(dir), "%s/%s.d", workdir, name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		esc_die(e, dir);
	if (chdir(dir) < 0)
		esc_die(e, dir);
}

/* Prints the verdict and the stderr line; the program's exit status. */
static inline int esc_finish(struct esc *e)
{
	fflush(NULL);
	fprintf(stderr, "%s: %s\n", e->name, e->notelen ? e->note : "nothing tried");
	printf("%s\n", e->escaped ? "ESCAPED" : "BLOCKED");
	fflush(stdout);
	return e->escaped ? 1 : 0;
}

/* Seconds since an arbitrary start (CLOCK_MONOTONIC). */
static inline double esc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
