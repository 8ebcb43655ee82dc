/* Unit tests of the private directories (common/privdir.c) in a temporary
 * directory: the name and the held lock, the sweep of a directory whose
 * lock nobody holds (links in it removed, not followed; an unreadable
 * directory in it too), and what the sweep leaves: a held lock (held in
 * this very process, through another open file), other names, links, files,
 * and, as root, another user's directory. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/privdir.h"
#include "unit.h"

static char T[PATH_MAX - 128]; /* the test's directory */

#define xsnprintf(buf, ...) \
	ck_assert_int_lt(snprintf((buf), sizeof(buf), __VA_ARGS__), (int)sizeof(buf))

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(T, sizeof(T), "%s/check_privdir.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(T));
}

static void teardown(void)
{
	char cmd[2 * sizeof(T) + 64];

	xsnprintf(cmd, "chmod -R u+rwX '%s'; rm -rf '%s'", T, T);
	ck_assert_int_eq(system(cmd), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Whether another open file of dir's lock can be locked now. */
static bool lockable(const char *dir)
{
	char p[PATH_MAX];
	int fd, r;

	xsnprintf(p, "%s/%s", dir, PRIVDIR_LOCK);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	r = flock(fd, LOCK_EX | LOCK_NB);
	ck_assert(r == 0 || errno == EWOULDBLOCK);
	close(fd);
	return r == 0;
}

START_TEST(test_make_remove)
{
	struct privdir pd;
	char want[64];
	const char *name;
	struct stat st;

	ck_assert_int_eq(privdir_make(&pd, T, "kind", 0755), 0);
	ck_assert_int_ge(pd.lock, 0);
	name = strrchr(pd.path, '/') + 1;
	snprintf(want, sizeof(want), "umld-kind-%d-", (int)getpid());
	ck_assert_int_eq(strncmp(name, want, strlen(want)), 0);
	ck_assert_uint_eq(strlen(name), strlen(want) + 6);
	ck_assert_int_eq(stat(pd.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0755);
	ck_assert(!lockable(pd.path));

	privdir_remove(&pd);
	ck_assert_str_eq(pd.path, "");
	ck_assert_int_eq(pd.lock, -1);
	ck_assert_int_eq(rmdir(T), 0); /* nothing left in T */
	ck_assert_int_eq(mkdir(T, 0700), 0);
	privdir_remove(&pd); /* an empty one: nothing */
}
END_TEST

START_TEST(test_sweep)
{
	struct privdir dead, live;
	char p[PATH_MAX], q[PATH_MAX], live_path[PATH_MAX];
	int fd;

	ck_assert_int_eq(privdir_make(&dead, T, "kind", 0700), 0);
	ck_assert_int_eq(privdir_make(&live, T, "kind", 0700), 0);
	/* what a guest leaves: a tree, an unreadable directory, links out */
	xsnprintf(p, "%s/out", T);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	xsnprintf(p, "%s/out/file", T);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	xsnprintf(p, "%s/a", dead.path);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	xsnprintf(p, "%s/a/b", dead.path);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	xsnprintf(p, "%s/a/b/c", dead.path);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	xsnprintf(p, "%s/a/b", dead.path);
	ck_assert_int_eq(chmod(p, 0), 0);
	xsnprintf(p, "%s/out", T);
	xsnprintf(q, "%s/linkdir", dead.path);
	ck_assert_int_eq(symlink(p, q), 0);
	xsnprintf(p, "%s/out/file", T);
	xsnprintf(q, "%s/link", dead.path);
	ck_assert_int_eq(symlink(p, q), 0);
	xsnprintf(p, "%s/kept", live.path);
	ck_assert_int_eq(mkdir(p, 0755), 0);

	/* dead's maker is gone: its lock is let go, its directory stays */
	close(dead.lock);
	dead.lock = -1;
	ck_assert(lockable(dead.path));
	privdir_sweep(T, "kind");
	ck_assert(!exists(dead.path));
	ck_assert(exists(live.path));
	xsnprintf(p, "%s/kept", live.path);
	ck_assert(exists(p));
	xsnprintf(p, "%s/%s", live.path, PRIVDIR_LOCK);
	ck_assert(exists(p));
	ck_assert(!lockable(live.path));
	xsnprintf(p, "%s/out/file", T);
	ck_assert(exists(p));

	/* and live's, once it is gone too */
	snprintf(live_path, sizeof(live_path), "%s", live.path);
	close(live.lock);
	live.lock = -1;
	privdir_sweep(T, "kind");
	ck_assert(!exists(live_path));
}
END_TEST

START_TEST(test_sweep_leaves)
{
	static const char *const dirs[] = {
		"umld-kind-123-abcde",    /* five letters */
		"umld-kind-123-abcdefg",  /* seven */
		"umld-kind--abcdef",      /* no pid */
		"umld-kind-12x-abcdef",   /* not a number */
		"umld-other-123-abcdef",  /* another kind */
		"umld-kind-123-abc.ef",   /* not mkdtemp's */
		"umld-kind-123-abcdef.x", /* more after it */
	};
	char p[PATH_MAX], q[PATH_MAX];
	int fd;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		xsnprintf(p, "%s/%s", T, dirs[i]);
		ck_assert_int_eq(mkdir(p, 0700), 0);
	}
	/* a file and a link by our name; the link's target a wreck */
	xsnprintf(p, "%s/umld-kind-1-AAAAAA", T);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	xsnprintf(p, "%s/target", T);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	xsnprintf(q, "%s/umld-kind-2-BBBBBB", T);
	ck_assert_int_eq(symlink(p, q), 0);
	/* a wreck: our name, no lock file (a maker killed before making it) */
	xsnprintf(p, "%s/umld-kind-3-CCCCCC", T);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	xsnprintf(p, "%s/umld-kind-3-CCCCCC/x", T);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	/* as root: another user's, unlocked */
	if (geteuid() == 0) {
		xsnprintf(p, "%s/umld-kind-4-DDDDDD", T);
		ck_assert_int_eq(mkdir(p, 0700), 0);
		ck_assert_int_eq(chown(p, 65534, 65534), 0);
	}

	privdir_sweep(T, "kind");
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		xsnprintf(p, "%s/%s", T, dirs[i]);
		ck_assert_msg(exists(p), "%s was removed", dirs[i]);
	}
	xsnprintf(p, "%s/umld-kind-1-AAAAAA", T);
	ck_assert(exists(p));
	xsnprintf(p, "%s/umld-kind-2-BBBBBB", T);
	ck_assert(exists(p));
	xsnprintf(p, "%s/target", T);
	ck_assert(exists(p));
	xsnprintf(p, "%s/umld-kind-3-CCCCCC", T);
	ck_assert(!exists(p));
	if (geteuid() == 0) {
		xsnprintf(p, "%s/umld-kind-4-DDDDDD", T);
		ck_assert(exists(p));
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("privdir");
	TCase *tc = tcase_create("privdir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_make_remove);
	tcase_add_test(tc, test_sweep);
	tcase_add_test(tc, test_sweep_leaves);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
