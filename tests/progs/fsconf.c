/* Filesystem conformance: a fixed list of path system calls, run in a
 * scratch directory /tmp/fsconf.d of the root it is given, each printed
 * with its arguments and result (a value or the errno's name). The
 * fs-conformance test compares this output natively (in a container's
 * root) with the output under umld's filesystem backends, byte for byte.
 * Only what the kernel guarantees is printed: no inode numbers, times that
 * were not set, user ids or directory sizes. Static: the root has no libc.
 * "fsconf --child" is what the execve cases run: it prints its cwd. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6 */
#endif

#define SCRATCH "/tmp/fsconf.d"

static char callbuf[8192];

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* Prints "CALL = RESULT" (the value, or the name of errno when r < 0) and
 * returns r. The call's text is formatted after the call has run; errno is
 * taken first. */
__attribute__((format(printf, 2, 3))) static long R(long r, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(callbuf, sizeof(callbuf), fmt, ap);
	va_end(ap);
	if (r < 0)
		printf("%s = %s\n", callbuf, errname(e));
	else
		printf("%s = %ld\n", callbuf, r);
	return r;
}

/* R for calls that return an fd the case does not keep. */
#define RC(r, ...) closefd(R((r), __VA_ARGS__))
/* A call whose only argument is a path literal: "name("path") = ..." */
#define ONE(fn, path) R(fn(path), #fn "(\"" path "\")")
static void closefd(long fd)
{
	if (fd >= 0)
		close((int)fd);
}

static void line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static const char *typename(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "dir";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "chr";
	case S_IFBLK: return "blk";
	case S_IFSOCK: return "sock";
	}
	return "?";
}

/* The stable part of a struct stat: type, mode, link count, and the size
 * of anything but a directory (that depends on the filesystem). */
static void show_stat(long r, const struct stat *st, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(callbuf, sizeof(callbuf), fmt, ap);
	va_end(ap);
	if (r < 0) {
		printf("%s = %s\n", callbuf, errname(e));
		return;
	}
	printf("%s = %ld {%s mode=%04o nlink=%lu", callbuf, r, typename(st->st_mode),
	       (unsigned)(st->st_mode & 07777), (unsigned long)st->st_nlink);
	if (!S_ISDIR(st->st_mode))
		printf(" size=%lld", (long long)st->st_size);
	printf("}\n");
}

#define STAT(path) do { struct stat st_; show_stat(stat(path, &st_), &st_, "stat(\"%s\")", path); } while (0)
#define LSTAT(path) do { struct stat st_; show_stat(lstat(path, &st_), &st_, "lstat(\"%s\")", path); } while (0)

static void show_statx(int dfd, const char *dname, const char *path, int flags, const char *fname)
{
	struct statx sx;
	int r = statx(dfd, path, flags, STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_SIZE, &sx);
	int e = errno;

	if (r < 0) {
		printf("statx(%s,\"%s\",%s) = %s\n", dname, path, fname, errname(e));
		return;
	}
	printf("statx(%s,\"%s\",%s) = 0 {%s mode=%04o nlink=%u", dname, path, fname,
	       typename(sx.stx_mode), (unsigned)(sx.stx_mode & 07777), (unsigned)sx.stx_nlink);
	if (!S_ISDIR(sx.stx_mode))
		printf(" size=%llu", (unsigned long long)sx.stx_size);
	printf("}\n");
}

static void writefile(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("setup: cannot write %s: %s\n", path, errname(errno));
		exit(1);
	}
	close(fd);
}

static void readback(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (n < 0) {
		printf("  read(\"%s\") = %s\n", path, errname(errno));
	} else {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		printf("  read(\"%s\") = \"%s\"\n", path, buf);
	}
	if (fd >= 0)
		close(fd);
}

static long do_openat2(int dfd, const char *path, unsigned long long flags,
		       unsigned long long resolve, size_t size)
{
	struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };

	return syscall(SYS_openat2, dfd, path, &how, size);
}

static void getcwd_line(void)
{
	char buf[PATH_MAX];
	long r = syscall(SYS_getcwd, buf, sizeof(buf));

	if (r < 0)
		printf("getcwd() = %s\n", errname(errno));
	else
		printf("getcwd() = \"%s\"\n", buf);
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "getdents64(WHAT) = NAMES...", sorted; frees them. */
static void print_names(const char *what, char **names, int n, bool error)
{
	qsort(names, (size_t)n, sizeof(names[0]), cmpstr);
	printf("getdents64(%s) =%s", what, error ? " error" : "");
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

static void list_dir(const char *path)
{
	char buf[4096], *names[512];
	int n = 0, fd = open(path, O_RDONLY | O_DIRECTORY);
	long got;

	if (fd < 0) {
		printf("getdents64(\"%s\") = %s\n", path, errname(errno));
		return;
	}
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char t = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' :
				 d->d_type == DT_LNK ? 'l' : d->d_type == DT_FIFO ? 'p' : '?';

			if (n < 512 && asprintf(&names[n], "%s(%c)", d->d_name, t) > 0)
				n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	snprintf(callbuf, sizeof(callbuf), "\"%s\"", path);
	print_names(callbuf, names, n, got < 0);
}

/* fork, run f in the child, wait: the child's output comes in order. */
static void in_child(const char *what, void (*f)(const void *), const void *arg)
{
	int st;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		f(arg);
		_exit(126);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st))
		printf("  %s: exit %d\n", what, WEXITSTATUS(st));
	else
		printf("  %s: signal %d\n", what, WTERMSIG(st));
}

static char *const child_env[] = { "PATH=/bin:/usr/bin", NULL };

static void exec_path(const void *arg)
{
	const char *path = arg;
	char *const argv[] = { (char *)path, "--child", NULL };

	R(execve(path, argv, child_env), "execve(\"%s\")", path);
	fflush(stdout);
}

static void exec_fd(const void *arg)
{
	int fd = *(const int *)arg;
	char *const argv[] = { "fsconf", "--child", NULL };

	R(syscall(SYS_execveat, fd, "", argv, child_env, AT_EMPTY_PATH),
	  "execveat(fd of /fsconf,\"\",AT_EMPTY_PATH)");
	fflush(stdout);
}

static void section(const char *name)
{
	printf("## %s\n", name);
}

static void test_open(void)
{
	section("open");
	long fd = R(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), "open(\"f\",O_WRONLY|O_CREAT|O_EXCL,0644)");
	if (fd >= 0) {
		R(write((int)fd, "hello\n", 6), "write(f,\"hello\\n\")");
		close((int)fd);
	}
	RC(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), "open(\"f\",O_WRONLY|O_CREAT|O_EXCL,0644)");
	RC(open("f", O_RDONLY | O_DIRECTORY), "open(\"f\",O_RDONLY|O_DIRECTORY)");
	R(symlink("f", "lf"), "symlink(\"f\",\"lf\")");
	RC(open("lf", O_RDONLY | O_NOFOLLOW), "open(\"lf\",O_RDONLY|O_NOFOLLOW)");
	RC(open("lf", O_RDONLY), "open(\"lf\",O_RDONLY)");
	RC(open("lf", O_PATH | O_NOFOLLOW), "open(\"lf\",O_PATH|O_NOFOLLOW)");
	R(mkdir("d", 0755), "mkdir(\"d\",0755)");
	RC(open("d", O_WRONLY), "open(\"d\",O_WRONLY)");
	RC(open("d", O_RDWR), "open(\"d\",O_RDWR)");
	RC(open("d", O_RDONLY), "open(\"d\",O_RDONLY)");
	RC(open("d", O_WRONLY | O_CREAT, 0644), "open(\"d\",O_WRONLY|O_CREAT,0644)");
	RC(openat(AT_FDCWD, "a/b", O_RDONLY), "openat(AT_FDCWD,\"a/b\",O_RDONLY)");
	RC(open("f/x", O_RDONLY), "open(\"f/x\",O_RDONLY)");
	RC(open("f/", O_RDONLY), "open(\"f/\",O_RDONLY)");
	RC(open("f/.", O_RDONLY), "open(\"f/.\",O_RDONLY)");
	RC(open("new/", O_WRONLY | O_CREAT, 0644), "open(\"new/\",O_WRONLY|O_CREAT,0644)");
	RC(open("", O_RDONLY), "open(\"\",O_RDONLY)");
	long dfd = R(open("d", O_RDONLY | O_DIRECTORY), "open(\"d\",O_RDONLY|O_DIRECTORY)");
	RC(openat((int)dfd, "../f", O_RDONLY), "openat(fd of d,\"../f\",O_RDONLY)");
	RC(openat((int)dfd, "x", O_WRONLY | O_CREAT | O_EXCL, 0600), "openat(fd of d,\"x\",O_WRONLY|O_CREAT|O_EXCL,0600)");
	long ffd = R(open("f", O_RDONLY), "open(\"f\",O_RDONLY)");
	RC(openat((int)ffd, "x", O_RDONLY), "openat(fd of f,\"x\",O_RDONLY)");
	closefd(ffd);
	closefd(dfd);
	fd = R(creat("c", 0600), "creat(\"c\",0600)");
	if (fd >= 0) {
		struct stat st;

		show_stat(fstat((int)fd, &st), &st, "fstat(fd of c)");
		close((int)fd);
	}
	RC(creat("d", 0600), "creat(\"d\",0600)");
	RC(open("f", O_WRONLY | O_TRUNC), "open(\"f\",O_WRONLY|O_TRUNC)");
	STAT("f");
	writefile("f", "hello\n", 0644);
}

static void test_openat2(void)
{
	int proc = access("/proc/self/fd", F_OK) == 0;

	section("openat2");
	writefile("d/in", "in\n", 0644);
	symlink("../f", "d/up");
	symlink(SCRATCH "/f", "d/abs");
	symlink("in", "d/rel");
	long dfd = open("d", O_PATH | O_DIRECTORY);
	RC(do_openat2((int)dfd, "in", O_RDONLY, 0, sizeof(struct open_how)), "openat2(fd of d,\"in\",O_RDONLY,0)");
	RC(do_openat2((int)dfd, "../f", O_RDONLY, RESOLVE_BENEATH, sizeof(struct open_how)), "openat2(fd of d,\"../f\",O_RDONLY,RESOLVE_BENEATH)");
	RC(do_openat2((int)dfd, "up", O_RDONLY, RESOLVE_BENEATH, sizeof(struct open_how)), "openat2(fd of d,\"up\",O_RDONLY,RESOLVE_BENEATH)");
	RC(do_openat2((int)dfd, "abs", O_RDONLY, RESOLVE_BENEATH, sizeof(struct open_how)), "openat2(fd of d,\"abs\",O_RDONLY,RESOLVE_BENEATH)");
	RC(do_openat2((int)dfd, "/tmp", O_RDONLY, RESOLVE_BENEATH, sizeof(struct open_how)), "openat2(fd of d,\"/tmp\",O_RDONLY,RESOLVE_BENEATH)");
	RC(do_openat2((int)dfd, "rel", O_RDONLY, RESOLVE_BENEATH, sizeof(struct open_how)), "openat2(fd of d,\"rel\",O_RDONLY,RESOLVE_BENEATH)");
	RC(do_openat2((int)dfd, "abs", O_RDONLY, RESOLVE_IN_ROOT, sizeof(struct open_how)), "openat2(fd of d,\"abs\",O_RDONLY,RESOLVE_IN_ROOT)");
	RC(do_openat2((int)dfd, "up", O_RDONLY, RESOLVE_IN_ROOT, sizeof(struct open_how)), "openat2(fd of d,\"up\",O_RDONLY,RESOLVE_IN_ROOT)");
	long fd = R(do_openat2((int)dfd, "../../..", O_RDONLY | O_DIRECTORY, RESOLVE_IN_ROOT, sizeof(struct open_how)), "openat2(fd of d,\"../../..\",O_RDONLY|O_DIRECTORY,RESOLVE_IN_ROOT)");
	if (fd >= 0) {
		struct stat a, b;

		fstat((int)fd, &a);
		fstat((int)dfd, &b);
		printf("  it is %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "d itself" : "another directory");
		close((int)fd);
	}
	RC(do_openat2((int)dfd, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS, sizeof(struct open_how)), "openat2(fd of d,\"rel\",O_RDONLY,RESOLVE_NO_SYMLINKS)");
	RC(do_openat2((int)dfd, "in", O_RDONLY, RESOLVE_NO_SYMLINKS, sizeof(struct open_how)), "openat2(fd of d,\"in\",O_RDONLY,RESOLVE_NO_SYMLINKS)");
	RC(do_openat2(AT_FDCWD, "lf", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS, sizeof(struct open_how)), "openat2(AT_FDCWD,\"lf\",O_PATH|O_NOFOLLOW,RESOLVE_NO_SYMLINKS)");
	RC(do_openat2((int)dfd, "rel", O_RDONLY, RESOLVE_NO_MAGICLINKS, sizeof(struct open_how)), "openat2(fd of d,\"rel\",O_RDONLY,RESOLVE_NO_MAGICLINKS)");
	RC(do_openat2((int)dfd, "in", O_RDONLY, RESOLVE_NO_XDEV, sizeof(struct open_how)), "openat2(fd of d,\"in\",O_RDONLY,RESOLVE_NO_XDEV)");
	RC(do_openat2((int)dfd, "in", O_RDONLY, 1ULL << 40, sizeof(struct open_how)), "openat2(fd of d,\"in\",O_RDONLY,1<<40)");
	RC(do_openat2((int)dfd, "in", O_RDONLY, RESOLVE_BENEATH | RESOLVE_IN_ROOT, sizeof(struct open_how)), "openat2(fd of d,\"in\",O_RDONLY,RESOLVE_BENEATH|RESOLVE_IN_ROOT)");
	RC(do_openat2((int)dfd, "in", O_RDONLY, 0, 8), "openat2(fd of d,\"in\",O_RDONLY,0) with size 8");
	if (!proc) {
		line("/proc/self/fd is missing: the magic link cases are not run");
	} else {
		RC(do_openat2(AT_FDCWD, "/proc/self/cwd/f", O_RDONLY, RESOLVE_NO_MAGICLINKS, sizeof(struct open_how)), "openat2(AT_FDCWD,\"/proc/self/cwd/f\",O_RDONLY,RESOLVE_NO_MAGICLINKS)");
		RC(do_openat2(AT_FDCWD, "/proc/self/cwd/f", O_RDONLY, 0, sizeof(struct open_how)), "openat2(AT_FDCWD,\"/proc/self/cwd/f\",O_RDONLY,0)");
		RC(do_openat2(AT_FDCWD, "/proc/self/cwd/f", O_RDONLY, RESOLVE_NO_XDEV, sizeof(struct open_how)), "openat2(AT_FDCWD,\"/proc/self/cwd/f\",O_RDONLY,RESOLVE_NO_XDEV)");
		RC(do_openat2(AT_FDCWD, "/proc", O_PATH, RESOLVE_NO_XDEV, sizeof(struct open_how)), "openat2(AT_FDCWD,\"/proc\",O_PATH,RESOLVE_NO_XDEV)");
		RC(do_openat2(AT_FDCWD, "/proc/self/cwd", O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS, sizeof(struct open_how)), "openat2(AT_FDCWD,\"/proc/self/cwd\",O_PATH|O_NOFOLLOW,RESOLVE_NO_MAGICLINKS)");
	}
	closefd(dfd);
}

static void test_stat(void)
{
	struct stat st;
	long fd;

	section("stat");
	STAT("f");
	LSTAT("lf");
	STAT("lf");
	STAT("d");
	STAT("nonexistent");
	STAT("f/x");
	fd = open("f", O_RDONLY);
	show_stat(fstat((int)fd, &st), &st, "fstat(fd of f)");
	show_stat(fstatat((int)fd, "", &st, AT_EMPTY_PATH), &st, "newfstatat(fd of f,\"\",AT_EMPTY_PATH)");
	show_stat(fstatat((int)fd, "", &st, 0), &st, "newfstatat(fd of f,\"\",0)");
	show_stat(fstatat(AT_FDCWD, "lf", &st, AT_SYMLINK_NOFOLLOW), &st, "newfstatat(AT_FDCWD,\"lf\",AT_SYMLINK_NOFOLLOW)");
	show_stat(fstatat(AT_FDCWD, "lf", &st, 0), &st, "newfstatat(AT_FDCWD,\"lf\",0)");
	show_stat(fstatat(AT_FDCWD, "lf", &st, 0x4000000), &st, "newfstatat(AT_FDCWD,\"lf\",0x4000000)");
	show_statx(AT_FDCWD, "AT_FDCWD", "f", AT_STATX_SYNC_AS_STAT, "0");
	show_statx(AT_FDCWD, "AT_FDCWD", "lf", AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW");
	show_statx(AT_FDCWD, "AT_FDCWD", "lf", 0, "0");
	show_statx((int)fd, "fd of f", "", AT_EMPTY_PATH, "AT_EMPTY_PATH");
	show_statx(AT_FDCWD, "AT_FDCWD", "d", 0, "0");
	show_statx(AT_FDCWD, "AT_FDCWD", "nonexistent", 0, "0");
	close((int)fd);
	fd = open("lf", O_PATH | O_NOFOLLOW);
	show_stat(fstatat((int)fd, "", &st, AT_EMPTY_PATH), &st, "newfstatat(O_PATH fd of lf,\"\",AT_EMPTY_PATH)");
	close((int)fd);
}

static void test_access(void)
{
	section("access");
	R(access("f", R_OK | W_OK), "access(\"f\",R_OK|W_OK)");
	R(access("f", X_OK), "access(\"f\",X_OK)");
	R(access("d", X_OK), "access(\"d\",X_OK)");
	R(access("nonexistent", F_OK), "access(\"nonexistent\",F_OK)");
	R(access("f/", F_OK), "access(\"f/\",F_OK)");
	R(syscall(SYS_faccessat, AT_FDCWD, "f", W_OK), "faccessat(AT_FDCWD,\"f\",W_OK)");
	symlink("nowhere", "dangling");
	R(syscall(SYS_faccessat2, AT_FDCWD, "f", W_OK, AT_EACCESS), "faccessat2(AT_FDCWD,\"f\",W_OK,AT_EACCESS)");
	R(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), "faccessat2(AT_FDCWD,\"dangling\",F_OK,0)");
	R(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW), "faccessat2(AT_FDCWD,\"dangling\",F_OK,AT_SYMLINK_NOFOLLOW)");
	R(syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1), "faccessat2(AT_FDCWD,\"f\",F_OK,0x1)");
	R(syscall(SYS_faccessat2, AT_FDCWD, "f", 8, 0), "faccessat2(AT_FDCWD,\"f\",8,0)");
	long fd = open("f", O_PATH);
	R(syscall(SYS_faccessat2, (int)fd, "", R_OK, AT_EMPTY_PATH), "faccessat2(O_PATH fd of f,\"\",R_OK,AT_EMPTY_PATH)");
	closefd(fd);
}

static void test_links(void)
{
	char buf[PATH_MAX];
	long n, fd;
	struct stat st;

	section("readlink");
	n = R(readlink("lf", buf, sizeof(buf)), "readlink(\"lf\")");
	if (n >= 0)
		printf("  \"%.*s\"\n", (int)n, buf);
	R(readlink("f", buf, sizeof(buf)), "readlink(\"f\")");
	R(readlink("nonexistent", buf, sizeof(buf)), "readlink(\"nonexistent\")");
	fd = open("d", O_PATH);
	n = R(readlinkat((int)fd, "abs", buf, sizeof(buf)), "readlinkat(fd of d,\"abs\")");
	if (n >= 0)
		printf("  \"%.*s\"\n", (int)n, buf);
	n = R(readlinkat((int)fd, "abs", buf, 4), "readlinkat(fd of d,\"abs\",bufsize 4)");
	if (n >= 0)
		printf("  \"%.*s\"\n", (int)n, buf);
	closefd(fd);
	fd = open("lf", O_PATH | O_NOFOLLOW);
	n = R(readlinkat((int)fd, "", buf, sizeof(buf)), "readlinkat(O_PATH fd of lf,\"\")");
	if (n >= 0)
		printf("  \"%.*s\"\n", (int)n, buf);
	closefd(fd);
	R(readlink("lf", buf, 0), "readlink(\"lf\",bufsize 0)");

	section("symlink");
	R(symlink("x", "lf"), "symlink(\"x\",\"lf\")");
	R(symlink("", "empty"), "symlink(\"\",\"empty\")");
	fd = open("d", O_PATH);
	R(symlinkat("target", (int)fd, "s2"), "symlinkat(\"target\",fd of d,\"s2\")");
	R(symlink("x", "nonexistent/s"), "symlink(\"x\",\"nonexistent/s\")");
	R(symlink("x", "f/s"), "symlink(\"x\",\"f/s\")");
	R(symlink("x", "s3/"), "symlink(\"x\",\"s3/\")");

	section("link");
	R(link("f", "hf"), "link(\"f\",\"hf\")");
	STAT("f");
	R(link("f", "hf"), "link(\"f\",\"hf\")");
	R(link("lf", "hl"), "link(\"lf\",\"hl\")");
	LSTAT("hl");
	R(linkat(AT_FDCWD, "lf", AT_FDCWD, "hl2", AT_SYMLINK_FOLLOW), "linkat(AT_FDCWD,\"lf\",AT_FDCWD,\"hl2\",AT_SYMLINK_FOLLOW)");
	LSTAT("hl2");
	R(linkat(AT_FDCWD, "dangling", AT_FDCWD, "hl3", AT_SYMLINK_FOLLOW), "linkat(AT_FDCWD,\"dangling\",AT_FDCWD,\"hl3\",AT_SYMLINK_FOLLOW)");
	R(link("d", "hd"), "link(\"d\",\"hd\")");
	R(link("nonexistent", "hn"), "link(\"nonexistent\",\"hn\")");
	R(linkat(AT_FDCWD, "f", (int)fd, "hf", 0), "linkat(AT_FDCWD,\"f\",fd of d,\"hf\",0)");
	R(linkat(AT_FDCWD, "f", AT_FDCWD, "hf4", 0x1), "linkat(AT_FDCWD,\"f\",AT_FDCWD,\"hf4\",0x1)");
	closefd(fd);
	fd = open("f", O_RDONLY);
	R(linkat((int)fd, "", AT_FDCWD, "he", AT_EMPTY_PATH), "linkat(fd of f,\"\",AT_FDCWD,\"he\",AT_EMPTY_PATH)");
	closefd(fd);
	show_stat(stat("f", &st), &st, "stat(\"f\")");

	section("unlink");
	ONE(unlink, "hf");
	ONE(unlink, "hf");
	ONE(unlink, "d");
	ONE(unlink, "f/");
	ONE(unlink, "lf/");
	R(unlinkat(AT_FDCWD, "f", AT_REMOVEDIR), "unlinkat(AT_FDCWD,\"f\",AT_REMOVEDIR)");
	R(unlinkat(AT_FDCWD, "hl", 0x1), "unlinkat(AT_FDCWD,\"hl\",0x1)");
	R(unlinkat(AT_FDCWD, "hl", 0), "unlinkat(AT_FDCWD,\"hl\",0)");
	R(mkdir("ud", 0755), "mkdir(\"ud\",0755)");
	R(unlinkat(AT_FDCWD, "ud", AT_REMOVEDIR), "unlinkat(AT_FDCWD,\"ud\",AT_REMOVEDIR)");
	R(unlinkat(AT_FDCWD, "d", AT_REMOVEDIR), "unlinkat(AT_FDCWD,\"d\",AT_REMOVEDIR)");
	show_stat(stat("f", &st), &st, "stat(\"f\")");
}

static void test_rename(void)
{
	section("rename");
	writefile("r1", "one\n", 0644);
	writefile("r2", "two\n", 0644);
	writefile("r3", "three\n", 0644);
	R(rename("r1", "ra"), "rename(\"r1\",\"ra\")");
	R(rename("r1", "ra"), "rename(\"r1\",\"ra\")");
	R(rename("ra", "r2"), "rename(\"ra\",\"r2\")");
	readback("r2");
	R(renameat2(AT_FDCWD, "r2", AT_FDCWD, "r3", RENAME_NOREPLACE), "renameat2(AT_FDCWD,\"r2\",AT_FDCWD,\"r3\",RENAME_NOREPLACE)");
	R(renameat2(AT_FDCWD, "r2", AT_FDCWD, "r4", RENAME_NOREPLACE), "renameat2(AT_FDCWD,\"r2\",AT_FDCWD,\"r4\",RENAME_NOREPLACE)");
	R(renameat2(AT_FDCWD, "r3", AT_FDCWD, "r4", RENAME_EXCHANGE), "renameat2(AT_FDCWD,\"r3\",AT_FDCWD,\"r4\",RENAME_EXCHANGE)");
	readback("r3");
	readback("r4");
	R(renameat2(AT_FDCWD, "r3", AT_FDCWD, "r5", RENAME_EXCHANGE), "renameat2(AT_FDCWD,\"r3\",AT_FDCWD,\"r5\",RENAME_EXCHANGE)");
	R(renameat2(AT_FDCWD, "r3", AT_FDCWD, "r4", RENAME_EXCHANGE | RENAME_NOREPLACE), "renameat2(AT_FDCWD,\"r3\",AT_FDCWD,\"r4\",RENAME_EXCHANGE|RENAME_NOREPLACE)");
	R(renameat2(AT_FDCWD, "r3", AT_FDCWD, "r4", 0x80), "renameat2(AT_FDCWD,\"r3\",AT_FDCWD,\"r4\",0x80)");
	mkdir("rd", 0755);
	mkdir("rd/sub", 0755);
	mkdir("re", 0755);
	writefile("re/x", "x\n", 0644);
	R(rename("rd", "re"), "rename(\"rd\",\"re\")");
	R(rename("r3", "rd"), "rename(\"r3\",\"rd\")");
	R(rename("rd", "r3"), "rename(\"rd\",\"r3\")");
	R(rename("rd", "rd/sub/in"), "rename(\"rd\",\"rd/sub/in\")");
	R(rename("r3", "r3"), "rename(\"r3\",\"r3\")");
	R(rename("r3", "r3/"), "rename(\"r3\",\"r3/\")");
	R(rename("rd/", "rf/"), "rename(\"rd/\",\"rf/\")");
	R(rename("rf", "rd"), "rename(\"rf\",\"rd\")");
	R(rename("nonexistent", "x"), "rename(\"nonexistent\",\"x\")");
	R(renameat2(AT_FDCWD, "rd", AT_FDCWD, "re", RENAME_EXCHANGE), "renameat2(AT_FDCWD,\"rd\",AT_FDCWD,\"re\",RENAME_EXCHANGE)");
	list_dir("rd");
	list_dir("re");
	R(renameat(AT_FDCWD, "r4", AT_FDCWD, "rd/r4"), "renameat(AT_FDCWD,\"r4\",AT_FDCWD,\"rd/r4\")");
	R(rename(".", "x"), "rename(\".\",\"x\")");
	R(rename("r3", "."), "rename(\"r3\",\".\")");
}

static void test_mkdir_mknod_rmdir(void)
{
	struct stat st;

	section("mkdir");
	R(mkdir("m", 0750), "mkdir(\"m\",0750)");
	STAT("m");
	R(mkdir("m", 0750), "mkdir(\"m\",0750)");
	R(mkdir("m2/", 0777), "mkdir(\"m2/\",0777)");
	STAT("m2");
	R(mkdir("nonexistent/x", 0755), "mkdir(\"nonexistent/x\",0755)");
	R(mkdir("f/x", 0755), "mkdir(\"f/x\",0755)");
	R(mkdir("lf", 0755), "mkdir(\"lf\",0755)");
	R(mkdir("dangling", 0755), "mkdir(\"dangling\",0755)");
	long fd = open("m", O_PATH);
	R(mkdirat((int)fd, "sub", 01777), "mkdirat(fd of m,\"sub\",01777)");
	STAT("m/sub");
	STAT("m");
	closefd(fd);

	section("mknod");
	R(mknod("fifo", S_IFIFO | 0644, 0), "mknod(\"fifo\",S_IFIFO|0644,0)");
	STAT("fifo");
	R(mknod("fifo", S_IFIFO | 0644, 0), "mknod(\"fifo\",S_IFIFO|0644,0)");
	fd = open("m", O_PATH);
	R(mknodat((int)fd, "fifo2", S_IFIFO | 0600, 0), "mknodat(fd of m,\"fifo2\",S_IFIFO|0600,0)");
	closefd(fd);
	STAT("m/fifo2");
	RC(open("fifo", O_WRONLY | O_NONBLOCK), "open(\"fifo\",O_WRONLY|O_NONBLOCK)");
	RC(open("fifo", O_RDONLY | O_NONBLOCK), "open(\"fifo\",O_RDONLY|O_NONBLOCK)");
	R(mknod("reg", S_IFREG | 0600, 0), "mknod(\"reg\",S_IFREG|0600,0)");
	STAT("reg");
	R(mknod("dir", S_IFDIR | 0600, 0), "mknod(\"dir\",S_IFDIR|0600,0)");
	R(mknod("chr", S_IFCHR | 0600, makedev(1, 3)), "mknod(\"chr\",S_IFCHR|0600,makedev(1,3))");
	unlink("chr");

	section("rmdir");
	ONE(rmdir, "m2");
	ONE(rmdir, "m2");
	ONE(rmdir, "m");
	ONE(rmdir, ".");
	ONE(rmdir, "..");
	ONE(rmdir, "m/.");
	ONE(rmdir, "m/..");
	ONE(rmdir, "/");
	ONE(rmdir, "f");
	ONE(rmdir, "lf");
	symlink("m", "lm");
	ONE(rmdir, "lm");
	ONE(rmdir, "lm/");
	ONE(rmdir, "m/sub/");
	ONE(rmdir, "fifo");
	(void)st;
}

static void test_cwd(void)
{
	section("chdir");
	getcwd_line();
	ONE(chdir, "lm");
	getcwd_line();
	ONE(chdir, "..");
	getcwd_line();
	ONE(chdir, "f");
	ONE(chdir, "nonexistent");
	ONE(chdir, "/");
	getcwd_line();
	ONE(chdir, "..");
	getcwd_line();
	ONE(chdir, "../../..");
	getcwd_line();
	long fd = open(SCRATCH "/m", O_RDONLY | O_DIRECTORY);
	R(fchdir((int)fd), "fchdir(fd of " SCRATCH "/m)");
	getcwd_line();
	closefd(fd);
	fd = open(SCRATCH "/f", O_RDONLY);
	R(fchdir((int)fd), "fchdir(fd of " SCRATCH "/f)");
	closefd(fd);
	char small[4];
	R(syscall(SYS_getcwd, small, sizeof(small)), "getcwd(bufsize 4)");
	R(mkdir(SCRATCH "/gone", 0755), "mkdir(\"" SCRATCH "/gone\",0755)");
	R(chdir(SCRATCH "/gone"), "chdir(\"" SCRATCH "/gone\")");
	R(rmdir(SCRATCH "/gone"), "rmdir(\"" SCRATCH "/gone\")");
	getcwd_line();
	RC(open(".", O_RDONLY), "open(\".\",O_RDONLY) in a removed directory");
	RC(open("x", O_WRONLY | O_CREAT, 0644), "open(\"x\",O_WRONLY|O_CREAT,0644) in a removed directory");
	R(chdir(SCRATCH), "chdir(\"" SCRATCH "\")");
	getcwd_line();
	ONE(chdir, "/../../tmp/./fsconf.d/../fsconf.d");
	getcwd_line();
}

static void show_times(const char *path, int flags)
{
	struct stat st;

	if (fstatat(AT_FDCWD, path, &st, flags) < 0) {
		printf("  stat(\"%s\") = %s\n", path, errname(errno));
		return;
	}
	printf("  %s: atime %lld.%09ld mtime %lld.%09ld\n", path, (long long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void test_attrs(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	long fd;

	section("chmod");
	R(chmod("f", 0600), "chmod(\"f\",0600)");
	STAT("f");
	R(chmod("lf", 0640), "chmod(\"lf\",0640)");
	STAT("f");
	LSTAT("lf");
	R(fchmodat(AT_FDCWD, "f", 04755, 0), "fchmodat(AT_FDCWD,\"f\",04755,0)");
	STAT("f");
	R(syscall(SYS_fchmodat2, AT_FDCWD, "lf", 0644, AT_SYMLINK_NOFOLLOW), "fchmodat2(AT_FDCWD,\"lf\",0644,AT_SYMLINK_NOFOLLOW)");
	R(syscall(SYS_fchmodat2, AT_FDCWD, "f", 0644, AT_SYMLINK_NOFOLLOW), "fchmodat2(AT_FDCWD,\"f\",0644,AT_SYMLINK_NOFOLLOW)");
	STAT("f");
	fd = open("f", O_RDONLY);
	R(fchmod((int)fd, 0664), "fchmod(fd of f,0664)");
	STAT("f");
	closefd(fd);
	R(chmod("nonexistent", 0644), "chmod(\"nonexistent\",0644)");
	R(chmod("f", 0644), "chmod(\"f\",0644)");

	section("chown (to the caller's own ids)");
	R(chown("f", uid, gid), "chown(\"f\",uid,gid)");
	R(chown("f", (uid_t)-1, (gid_t)-1), "chown(\"f\",-1,-1)");
	R(lchown("lf", uid, gid), "lchown(\"lf\",uid,gid)");
	R(fchownat(AT_FDCWD, "lf", uid, gid, AT_SYMLINK_NOFOLLOW), "fchownat(AT_FDCWD,\"lf\",uid,gid,AT_SYMLINK_NOFOLLOW)");
	fd = open("f", O_RDONLY);
	R(fchown((int)fd, uid, gid), "fchown(fd of f,uid,gid)");
	R(fchownat((int)fd, "", uid, gid, AT_EMPTY_PATH), "fchownat(fd of f,\"\",uid,gid,AT_EMPTY_PATH)");
	closefd(fd);
	R(chown("nonexistent", uid, gid), "chown(\"nonexistent\",uid,gid)");
	R(fchownat(AT_FDCWD, "f", uid, gid, 0x1), "fchownat(AT_FDCWD,\"f\",uid,gid,0x1)");

	section("utimensat");
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1200000000, 0 } };
	struct timespec ts2[2] = { { 1300000000, 5 }, { 1400000000, 999999999 } };
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 1500000000, 1 } };
	struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
	R(utimensat(AT_FDCWD, "f", ts, 0), "utimensat(AT_FDCWD,\"f\",{1000000000.123456789,1200000000.0},0)");
	show_times("f", 0);
	R(utimensat(AT_FDCWD, "lf", ts2, AT_SYMLINK_NOFOLLOW), "utimensat(AT_FDCWD,\"lf\",{1300000000.5,1400000000.999999999},AT_SYMLINK_NOFOLLOW)");
	show_times("lf", AT_SYMLINK_NOFOLLOW);
	show_times("f", 0);
	R(utimensat(AT_FDCWD, "f", omit, 0), "utimensat(AT_FDCWD,\"f\",{UTIME_OMIT,1500000000.1},0)");
	show_times("f", 0);
	fd = open("f", O_RDONLY);
	R(syscall(SYS_utimensat, (int)fd, NULL, ts2, 0), "utimensat(fd of f,NULL,{1300000000.5,1400000000.999999999},0)");
	show_times("f", 0);
	closefd(fd);
	R(utimensat(AT_FDCWD, "nonexistent", ts, 0), "utimensat(AT_FDCWD,\"nonexistent\",...,0)");
	R(utimensat(AT_FDCWD, "f", bad, 0), "utimensat(AT_FDCWD,\"f\",{0.1000000000,0.0},0)");
	R(utimensat(AT_FDCWD, "f", ts, 0x1), "utimensat(AT_FDCWD,\"f\",...,0x1)");

	section("truncate");
	R(truncate("f", 3), "truncate(\"f\",3)");
	STAT("f");
	readback("f");
	R(truncate("lf", 100), "truncate(\"lf\",100)");
	STAT("f");
	R(truncate("f", -1), "truncate(\"f\",-1)");
	R(truncate("m", 0), "truncate(\"m\",0)");
	R(truncate("nonexistent", 0), "truncate(\"nonexistent\",0)");
	fd = open("f", O_RDONLY);
	R(ftruncate((int)fd, 0), "ftruncate(O_RDONLY fd of f,0)");
	closefd(fd);
	writefile("f", "hello\n", 0644);
}

static void test_xattr(void)
{
	char buf[256];
	long n;

	section("xattr");
	n = setxattr("f", "user.fsconf", "v1", 2, 0);
	if (n < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) {
		line("setxattr(\"f\",\"user.fsconf\") = %s: the filesystem has no user xattrs; the xattr calls are skipped",
		     errname(errno));
		return;
	}
	R(n, "setxattr(\"f\",\"user.fsconf\",\"v1\",0)");
	n = R(getxattr("f", "user.fsconf", buf, sizeof(buf)), "getxattr(\"f\",\"user.fsconf\")");
	if (n >= 0)
		printf("  \"%.*s\"\n", (int)n, buf);
	R(getxattr("f", "user.fsconf", NULL, 0), "getxattr(\"f\",\"user.fsconf\",NULL,0)");
	R(getxattr("f", "user.fsconf", buf, 1), "getxattr(\"f\",\"user.fsconf\",size 1)");
	R(getxattr("lf", "user.fsconf", buf, sizeof(buf)), "getxattr(\"lf\",\"user.fsconf\")");
	R(lgetxattr("lf", "user.fsconf", buf, sizeof(buf)), "lgetxattr(\"lf\",\"user.fsconf\")");
	R(lsetxattr("lf", "user.fsconf", "v", 1, 0), "lsetxattr(\"lf\",\"user.fsconf\",\"v\",0)");
	R(setxattr("f", "user.fsconf", "v2", 2, XATTR_CREATE), "setxattr(\"f\",\"user.fsconf\",\"v2\",XATTR_CREATE)");
	R(setxattr("f", "user.other", "v2", 2, XATTR_REPLACE), "setxattr(\"f\",\"user.other\",\"v2\",XATTR_REPLACE)");
	R(setxattr("f", "user.other", "", 0, 0), "setxattr(\"f\",\"user.other\",\"\",0)");
	R(setxattr("f", "nonamespace", "v", 1, 0), "setxattr(\"f\",\"nonamespace\",\"v\",0)");
	R(getxattr("f", "user.none", buf, sizeof(buf)), "getxattr(\"f\",\"user.none\")");
	R(setxattr("nonexistent", "user.fsconf", "v", 1, 0), "setxattr(\"nonexistent\",\"user.fsconf\",\"v\",0)");
	long fd = open("f", O_RDONLY);
	R(fsetxattr((int)fd, "user.third", "333", 3, 0), "fsetxattr(fd of f,\"user.third\",\"333\",0)");
	closefd(fd);
	n = listxattr("f", buf, sizeof(buf));
	if (n < 0) {
		printf("listxattr(\"f\") = %s\n", errname(errno));
	} else {
		/* the user.* names only, sorted: a security module may add others */
		char *names[16];
		int k = 0;

		for (char *p = buf; p < buf + n && k < 16; p += strlen(p) + 1)
			if (strncmp(p, "user.", 5) == 0)
				names[k++] = p;
		qsort(names, (size_t)k, sizeof(names[0]), cmpstr);
		printf("listxattr(\"f\") user.* names:");
		for (int i = 0; i < k; i++)
			printf(" %s", names[i]);
		printf("\n");
	}
	R(removexattr("f", "user.fsconf"), "removexattr(\"f\",\"user.fsconf\")");
	R(removexattr("f", "user.fsconf"), "removexattr(\"f\",\"user.fsconf\")");
	R(getxattr("f", "user.fsconf", buf, sizeof(buf)), "getxattr(\"f\",\"user.fsconf\")");
	R(setxattr("m", "user.dir", "d", 1, 0), "setxattr(\"m\",\"user.dir\",\"d\",0)");
}

static void test_statfs(void)
{
	struct statfs a, b;

	section("statfs");
	if (statfs("/", &a) < 0) {
		printf("statfs(\"/\") = %s\n", errname(errno));
		return;
	}
	long r = R(statfs(".", &b), "statfs(\".\")");
	if (r == 0)
		printf("  f_type %s as for \"/\"\n", a.f_type == b.f_type ? "the same" : "not the same");
	long fd = open("f", O_RDONLY);
	r = R(fstatfs((int)fd, &b), "fstatfs(fd of f)");
	if (r == 0)
		printf("  f_type %s as for \"/\"\n", a.f_type == b.f_type ? "the same" : "not the same");
	closefd(fd);
	R(statfs("nonexistent", &b), "statfs(\"nonexistent\")");
}

static void test_paths(void)
{
	char name[PATH_MAX + 8], path[PATH_MAX + 8];
	struct stat a, b;

	section("symlink loops");
	/* a1 -> a2 -> ... -> a40 -> f: 40 links, the most the kernel follows */
	for (int i = 1; i <= 41; i++) {
		char from[16], to[16];

		snprintf(from, sizeof(from), "a%d", i);
		snprintf(to, sizeof(to), i == 40 ? "f" : "a%d", i + 1);
		symlink(to, from);
		snprintf(from, sizeof(from), "b%d", i);
		snprintf(to, sizeof(to), i == 41 ? "f" : "b%d", i + 1);
		symlink(to, from);
	}
	RC(open("a1", O_RDONLY), "open(\"a1\",O_RDONLY) (a chain of 40 links)");
	RC(open("b1", O_RDONLY), "open(\"b1\",O_RDONLY) (a chain of 41 links)");
	STAT("a1");
	STAT("b1");
	RC(open("a2", O_RDONLY), "open(\"a2\",O_RDONLY) (39 links)");
	symlink("loop", "loop");
	symlink("y", "x");
	symlink("x", "y");
	RC(open("loop", O_RDONLY), "open(\"loop\",O_RDONLY)");
	RC(open("x", O_RDONLY), "open(\"x\",O_RDONLY)");
	RC(open("x", O_WRONLY | O_CREAT, 0644), "open(\"x\",O_WRONLY|O_CREAT,0644)");
	RC(open("loop/z", O_RDONLY), "open(\"loop/z\",O_RDONLY)");
	LSTAT("loop");

	section("trailing slash");
	symlink("m", "lm2");
	STAT("lm2");
	LSTAT("lm2");
	LSTAT("lm2/");
	RC(open("lm2/", O_RDONLY), "open(\"lm2/\",O_RDONLY)");
	RC(open("lm2/", O_RDONLY | O_NOFOLLOW), "open(\"lm2/\",O_RDONLY|O_NOFOLLOW)");
	RC(open("lm2", O_RDONLY | O_NOFOLLOW), "open(\"lm2\",O_RDONLY|O_NOFOLLOW)");
	STAT("lf/");
	LSTAT("lf/");
	STAT("m/");
	STAT("m//");
	STAT("m/./");
	STAT("f/..");

	section("name length");
	memset(name, 'n', 256);
	name[256] = '\0';
	RC(open(name, O_RDONLY), "open(<a 256-byte name>,O_RDONLY)");
	RC(open(name, O_WRONLY | O_CREAT, 0644), "open(<a 256-byte name>,O_WRONLY|O_CREAT,0644)");
	name[255] = '\0';
	RC(open(name, O_WRONLY | O_CREAT, 0644), "open(<a 255-byte name>,O_WRONLY|O_CREAT,0644)");
	R(unlink(name), "unlink(<a 255-byte name>)");
	/* 4095 bytes: "./" x 2047, then "f"; 4096: one more '/' */
	for (int i = 0; i < 2047; i++)
		memcpy(path + 2 * i, "./", 2);
	strcpy(path + 4094, "f");
	RC(open(path, O_RDONLY), "open(<\"./\" x 2047 \"f\": 4095 bytes>,O_RDONLY)");
	path[4094] = '/';
	strcpy(path + 4095, "f");
	RC(open(path, O_RDONLY), "open(<\"./\" x 2047 \"/f\": 4096 bytes>,O_RDONLY)");
	R(stat(path, &a), "stat(<4096 bytes>)");
	R(mkdir(path, 0755), "mkdir(<4096 bytes>)");
	/* an absolute path of 4095 bytes */
	path[0] = '/';
	for (int i = 1; i < 4080; i++)
		path[i] = '/';
	strcpy(path + 4080, "tmp/fsconf.d/f");
	RC(open(path, O_RDONLY), "open(<\"/\" x 4080 \"tmp/fsconf.d/f\": %zu bytes>,O_RDONLY)", strlen(path));

	section("dot-dot at the root");
	R(stat("/..", &a), "stat(\"/..\")");
	stat("/", &b);
	printf("  \"/..\" is %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "/" : "not /");
	R(stat("/../../../..", &a), "stat(\"/../../../..\")");
	printf("  \"/../../../..\" is %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "/" : "not /");
	RC(open("/../../tmp/fsconf.d/f", O_RDONLY), "open(\"/../../tmp/fsconf.d/f\",O_RDONLY)");
	RC(open("../../../../../../tmp/fsconf.d/f", O_RDONLY), "open(\"../../../../../../tmp/fsconf.d/f\",O_RDONLY)");
	long rfd = open("/", O_PATH);
	RC(openat((int)rfd, "../../tmp/fsconf.d/f", O_RDONLY), "openat(fd of /,\"../../tmp/fsconf.d/f\",O_RDONLY)");
	closefd(rfd);

	section("absolute symlinks");
	R(symlink(SCRATCH "/f", "absf"), "symlink(\"" SCRATCH "/f\",\"absf\")");
	readback("absf");
	R(symlink("/", "rootl"), "symlink(\"/\",\"rootl\")");
	STAT("rootl/tmp/fsconf.d/f");
	STAT("rootl/../../tmp/fsconf.d/f");
	R(symlink("/tmp/fsconf.d", "absd"), "symlink(\"/tmp/fsconf.d\",\"absd\")");
	STAT("absd/absd/absd/f");
	R(symlink("/nonexistent/x", "absn"), "symlink(\"/nonexistent/x\",\"absn\")");
	RC(open("absn", O_WRONLY | O_CREAT, 0644), "open(\"absn\",O_WRONLY|O_CREAT,0644)");
	R(symlink("/tmp/fsconf.d/created", "absc"), "symlink(\"/tmp/fsconf.d/created\",\"absc\")");
	RC(open("absc", O_WRONLY | O_CREAT, 0644), "open(\"absc\",O_WRONLY|O_CREAT,0644)");
	STAT("created");
}

static void test_getdents(void)
{
	section("getdents64");
	mkdir("g", 0755);
	list_dir("g");
	writefile("g/a", "", 0644);
	writefile("g/b", "", 0644);
	writefile("g/c", "", 0644);
	mkdir("g/sub", 0755);
	symlink("a", "g/l");
	mknod("g/p", S_IFIFO | 0644, 0);
	list_dir("g");
	ONE(unlink, "g/b");
	R(rename("g/c", "g/z"), "rename(\"g/c\",\"g/z\")");
	ONE(rmdir, "g/sub");
	R(mkdir("g/sub2", 0755), "mkdir(\"g/sub2\",0755)");
	list_dir("g");
	list_dir(".");
}

/* Directories of the base layer (/base.d, made by the test before the
 * runs), looked up first and changed after: what umld remembers of them
 * (its directory cache) must follow every change. */
static void test_base_dirs(void)
{
	section("base directories");
	STAT("/base.d/a/b/file1");
	list_dir("/base.d/a/b");
	writefile("/base.d/a/b/new", "new\n", 0644);
	STAT("/base.d/a/b/new");
	STAT("/base.d/a/b/file1");
	readback("/base.d/a/b/file1");
	list_dir("/base.d/a/b");
	list_dir("/base.d/a");
	LSTAT("/base.d/gone/inside");
	ONE(unlink, "/base.d/gone/inside");
	ONE(rmdir, "/base.d/gone");
	STAT("/base.d/gone/inside");
	R(mkdir("/base.d/gone", 0755), "mkdir(\"/base.d/gone\",0755)");
	list_dir("/base.d/gone");
	STAT("/base.d/gone/inside");
	R(mkdir("r1", 0755), "mkdir(\"r1\",0755)");
	writefile("r1/f", "r1\n", 0644);
	STAT("r1/f");
	R(rename("r1", "r2"), "rename(\"r1\",\"r2\")");
	STAT("r1/f");
	STAT("r2/f");
	R(mkdir("r1", 0755), "mkdir(\"r1\",0755)");
	list_dir("r1");
	ONE(chdir, "/base.d/keep");
	writefile("y", "y\n", 0644);
	STAT("/base.d/keep/y");
	STAT("x");
	readback("../a/b/new");
	ONE(chdir, SCRATCH);
}

/* The names a directory fd lists from its start (getdents64), sorted. */
static void list_fd(int fd, const char *what)
{
	char buf[4096], *names[512];
	int n = 0;
	long got;

	lseek(fd, 0, SEEK_SET);
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			if (n < 512 && strcmp(d->d_name, ".") && strcmp(d->d_name, "..") &&
			    asprintf(&names[n], "%s", d->d_name) > 0)
				n++;
			off += d->d_reclen;
		}
	}
	print_names(what, names, n, got < 0);
}

/* The type alone (overlayfs counts a merged directory's links as 1). */
static void show_type(long r, const struct stat *st, const char *what)
{
	if (r < 0)
		printf("%s = %s\n", what, errname(errno));
	else
		printf("%s = %ld {%s}\n", what, r, typename(st->st_mode));
}

static void flock_in_child(const void *arg)
{
	int fd = *(const int *)arg;

	R(flock(fd, LOCK_EX), "  child: flock(inherited fd,LOCK_EX)");
	_exit(0);
}

/* Directory fds used after the guest dup()ed, closed, reused and locked
 * them: what umld remembers of the fds it opened must follow. */
static void test_dirfds(void)
{
	struct stat st;
	int a, b, c, d;

	section("directory fds");
	a = (int)R(open("/base.d/a", O_RDONLY | O_DIRECTORY), "open(\"/base.d/a\",O_DIRECTORY)");
	b = (int)R(fcntl(a, F_DUPFD_CLOEXEC, 0), "fcntl(a,F_DUPFD_CLOEXEC,0)");
	show_stat(fstatat(b, "b/file1", &st, 0), &st, "fstatat(dup of a,\"b/file1\")");
	R(close(a), "close(a)");
	/* the number a is the lowest free one again: another directory gets it */
	c = (int)R(open("/base.d/a/b", O_RDONLY | O_DIRECTORY), "open(\"/base.d/a/b\",O_DIRECTORY) (a's number)");
	show_stat(fstatat(c, "file1", &st, 0), &st, "fstatat(c,\"file1\")");
	show_stat(fstatat(c, "b", &st, 0), &st, "fstatat(c,\"b\")");
	show_type(fstatat(b, "b", &st, 0), &st, "fstatat(dup of a,\"b\")");
	show_type(fstat(c, &st), &st, "fstat(c)");
	list_fd(b, "dup of a");
	list_fd(c, "c");
	/* dup2 over a directory fd: the number now stands for another one */
	R(dup2(b, c) == c ? 0 : -1, "dup2(dup of a,c)");
	show_type(fstatat(c, "b", &st, 0), &st, "fstatat(c,\"b\")");
	list_fd(c, "c");
	closefd(b);
	closefd(c);
	/* a directory renamed while open: lookups through its fd follow it */
	R(mkdir("dfd1", 0755), "mkdir(\"dfd1\",0755)");
	writefile("dfd1/in", "in\n", 0644);
	d = (int)R(open("dfd1", O_RDONLY | O_DIRECTORY), "open(\"dfd1\",O_DIRECTORY)");
	R(rename("dfd1", "dfd2"), "rename(\"dfd1\",\"dfd2\")");
	show_stat(fstatat(d, "in", &st, 0), &st, "fstatat(d,\"in\")");
	RC(openat(d, "../dfd2/in", O_RDONLY), "openat(d,\"../dfd2/in\",O_RDONLY)");
	RC(openat(d, "../dfd1", O_RDONLY), "openat(d,\"../dfd1\",O_RDONLY)");
	closefd(d);
	/* flock on a directory ends with the last close of its open file */
	d = (int)R(open("/base.d/keep", O_RDONLY | O_DIRECTORY), "open(\"/base.d/keep\",O_DIRECTORY)");
	R(flock(d, LOCK_EX), "flock(d,LOCK_EX)");
	c = (int)R(open("/base.d/keep", O_RDONLY | O_DIRECTORY), "open(\"/base.d/keep\",O_DIRECTORY) (another number)");
	closefd(d);
	R(flock(c, LOCK_EX | LOCK_NB), "flock(c,LOCK_EX|LOCK_NB) (the first lock was closed)");
	closefd(c);
	d = (int)R(open("/base.d/keep", O_RDONLY | O_DIRECTORY), "open(\"/base.d/keep\",O_DIRECTORY)");
	in_child("a child locks the inherited fd", flock_in_child, &d);
	c = (int)R(open("/base.d/keep", O_RDONLY | O_DIRECTORY), "open(\"/base.d/keep\",O_DIRECTORY) (another number)");
	closefd(d);
	R(flock(c, LOCK_EX | LOCK_NB), "flock(c,LOCK_EX|LOCK_NB) (the child's lock was closed)");
	closefd(c);
}

static socklen_t sun_of(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), "%s", path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

/* One datagram received on fd: its text, and what came with it. */
static void recv_line(int fd)
{
	char data[64], ctl[256];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);

	if (n < 0) {
		printf("  recvmsg = %s\n", errname(errno));
		return;
	}
	data[n] = '\0';
	printf("  recvmsg = %zd \"%s\"", n, data);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;
			char buf[16] = "";
			memcpy(&got, CMSG_DATA(c), sizeof(got));
			ssize_t k = pread(got, buf, sizeof(buf) - 1, 0);
			printf(" fd reads \"%.*s\"", k > 0 ? (int)strcspn(buf, "\n") : 0, buf);
			close(got);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			printf(" uid %s", uc.uid == getuid() ? "mine" : "other");
		}
	}
	printf("\n");
}

/* AF_UNIX pathname addresses: bind, connect, and the sends that name one. */
static void test_unix(void)
{
	struct sockaddr_un a;
	socklen_t al;
	int rx, tx, one = 1;

	section("unix sockets");
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rx < 0 || tx < 0) {
		printf("setup: socket: %s\n", errname(errno));
		return;
	}
	setsockopt(rx, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	al = sun_of(&a, "u.sock");
	R(bind(rx, (struct sockaddr *)&a, al), "bind(\"u.sock\")");
	R(bind(tx, (struct sockaddr *)&a, al), "bind(\"u.sock\") again");
	LSTAT("u.sock");
	R(sendto(tx, "hello", 5, 0, (struct sockaddr *)&a, al), "sendto(\"u.sock\",\"hello\")");
	recv_line(rx);
	al = sun_of(&a, SCRATCH "/u.sock");
	R(sendto(tx, "abs", 3, 0, (struct sockaddr *)&a, al), "sendto(\"" SCRATCH "/u.sock\")");
	recv_line(rx);
	writefile("passed", "passed fd\n", 0644);
	int pfd = open("passed", O_RDONLY | O_CLOEXEC);
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2] = { { .iov_base = "wor", .iov_len = 3 }, { .iov_base = "ld", .iov_len = 2 } };
	al = sun_of(&a, "u.sock");
	struct msghdr m = { .msg_name = &a, .msg_namelen = al, .msg_iov = iov, .msg_iovlen = 2,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	memset(ctl, 0, sizeof(ctl));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pfd, sizeof(int));
	R(sendmsg(tx, &m, 0), "sendmsg(\"u.sock\",\"wor\"+\"ld\",SCM_RIGHTS)");
	recv_line(rx);
	close(pfd);
	struct mmsghdr mm[2];
	struct iovec i1 = { .iov_base = "m1", .iov_len = 2 }, i2 = { .iov_base = "m22", .iov_len = 3 };
	memset(mm, 0, sizeof(mm));
	mm[0].msg_hdr = (struct msghdr){ .msg_name = &a, .msg_namelen = al, .msg_iov = &i1, .msg_iovlen = 1 };
	mm[1].msg_hdr = (struct msghdr){ .msg_name = &a, .msg_namelen = al, .msg_iov = &i2, .msg_iovlen = 1 };
	R(sendmmsg(tx, mm, 2, 0), "sendmmsg(\"u.sock\",2)");
	printf("  msg_len %u %u\n", mm[0].msg_len, mm[1].msg_len);
	recv_line(rx);
	recv_line(rx);
	al = sun_of(&a, "nonexistent/x.sock");
	R(sendto(tx, "x", 1, 0, (struct sockaddr *)&a, al), "sendto(\"nonexistent/x.sock\")");
	al = sun_of(&a, "passed");
	R(sendto(tx, "x", 1, 0, (struct sockaddr *)&a, al), "sendto(\"passed\")");
	al = sun_of(&a, "u.sock");
	R(connect(tx, (struct sockaddr *)&a, al), "connect(\"u.sock\")");
	R(send(tx, "conn", 4, 0), "send(\"conn\")");
	recv_line(rx);
	close(tx);
	close(rx);
	ONE(unlink, "u.sock");
}

static void test_exec(void)
{
	section("execve");
	writefile("s.sh", "#!/bin/sh\necho \"script: $0 $1\"\n", 0755);
	writefile("bad.sh", "#!/nonexistent/interp\n", 0755);
	in_child("./s.sh", exec_path, "./s.sh");
	in_child(SCRATCH "/s.sh", exec_path, SCRATCH "/s.sh");
	in_child("bad.sh", exec_path, "./bad.sh");
	in_child("f", exec_path, "./f");
	in_child("m", exec_path, "./m");
	in_child("nonexistent", exec_path, "./nonexistent");
	R(mkdir("e", 0755), "mkdir(\"e\",0755)");
	ONE(chdir, "e");
	in_child("../../../fsconf from " SCRATCH "/e", exec_path, "../../../fsconf");
	long fd = R(open("/fsconf", O_PATH), "open(\"/fsconf\",O_PATH)");
	in_child("execveat", exec_fd, &fd);
	closefd(fd);
	fd = R(open("/fsconf", O_RDONLY), "open(\"/fsconf\",O_RDONLY)");
	in_child("execveat", exec_fd, &fd);
	closefd(fd);
	R(chdir(SCRATCH), "chdir(\"" SCRATCH "\")");
}

/* The FIFO's other end, opened by a child after a pause: a blocking open
 * waits for it (and sees its data), as the kernel's does. */
static void fifo_peer(const void *arg)
{
	int writer = *(const int *)arg, fd;

	usleep(100 * 1000);
	fd = open("rendezvous", writer ? O_WRONLY : O_RDONLY);
	if (fd < 0)
		_exit(1);
	if (writer) {
		_exit(write(fd, "through\n", 8) == 8 ? 0 : 2);
	} else {
		char buf[16];
		ssize_t n = read(fd, buf, sizeof(buf));
		printf("  peer read %zd bytes: %.*s", n, (int)(n > 0 ? n : 0), buf);
		fflush(stdout);
		_exit(0);
	}
}

static void test_fifo(void)
{
	char buf[16];
	int fd, st, one = 1, zero = 0;
	pid_t pid;
	ssize_t n;

	section("fifo");
	R(mkfifo("rendezvous", 0644), "mkfifo(\"rendezvous\",0644)");
	fd = (int)R(open("rendezvous", O_WRONLY | O_NONBLOCK), "open(\"rendezvous\",O_WRONLY|O_NONBLOCK) (no reader)");
	closefd(fd);
	fd = (int)R(open("rendezvous", O_RDONLY | O_NONBLOCK), "open(\"rendezvous\",O_RDONLY|O_NONBLOCK)");
	closefd(fd);
	fflush(stdout);
	/* reader waits for a writer that comes later */
	pid = fork();
	if (pid == 0)
		fifo_peer(&one);
	fd = (int)R(open("rendezvous", O_RDONLY), "open(\"rendezvous\",O_RDONLY) (a writer comes)");
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	printf("  read %zd bytes: %.*s", n, (int)(n > 0 ? n : 0), buf);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	printf("  then read %zd (the writer has gone)\n", n);
	closefd(fd);
	waitpid(pid, &st, 0);
	printf("  writer: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
	/* writer waits for a reader that comes later */
	pid = fork();
	if (pid == 0)
		fifo_peer(&zero);
	fd = (int)R(open("rendezvous", O_WRONLY), "open(\"rendezvous\",O_WRONLY) (a reader comes)");
	n = fd >= 0 ? write(fd, "back\n", 5) : -1;
	closefd(fd);
	waitpid(pid, &st, 0); /* the reader's line first */
	printf("  wrote %zd; reader: exit %d\n", n,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	/* a reader that waits for nobody is killed: the open never returns */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		open("rendezvous", O_RDONLY);
		_exit(3);
	}
	usleep(100 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	printf("  a reader waiting alone, killed: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	fd = (int)R(open("rendezvous", O_RDWR), "open(\"rendezvous\",O_RDWR) (never waits)");
	closefd(fd);
	ONE(unlink, "rendezvous");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--child") == 0) {
		printf("  child %s: ", argv[0]);
		getcwd_line();
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(022);
	if (R(mkdir(SCRATCH, 0755), "mkdir(\"" SCRATCH "\",0755)") < 0 ||
	    R(chdir(SCRATCH), "chdir(\"" SCRATCH "\")") < 0)
		return 1;
	test_open();
	test_openat2();
	test_stat();
	test_access();
	test_links();
	test_rename();
	test_mkdir_mknod_rmdir();
	test_cwd();
	test_attrs();
	test_xattr();
	test_statfs();
	test_paths();
	test_getdents();
	test_base_dirs();
	test_dirfds();
	test_unix();
	test_fifo();
	test_exec();
	line("done");
	return 0;
}
