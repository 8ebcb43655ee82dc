/* Unit tests of cowdisk on real layers in a temporary directory: lookups
 * through whiteouts and opaque directories, atomic copy-up, deletion, the
 * merged listing, diff/reset/commit, refusals, and a kernel overlayfs mount
 * of the same upper layer where the kernel lets us make one. */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/util.h"
#include "cowdisk/cowdisk.h"
#include "unit.h"

static char T[PATH_MAX - 64]; /* the test's directory */
static char L1[PATH_MAX], L2[PATH_MAX], UP[PATH_MAX];
static char *lowers[3];

/* snprintf that must not truncate */
#define xsnprintf(buf, ...) \
	ck_assert_int_lt(snprintf((buf), sizeof(buf), __VA_ARGS__), (int)sizeof(buf))

static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	int fd;

	xsnprintf(p, "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void mkd(const char *dir, const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	xsnprintf(p, "%s/%s", dir, rel);
	ck_assert_msg(mkdir(p, mode) == 0, "%s: %s", p, strerror(errno));
	ck_assert_int_eq(chmod(p, mode), 0);
}

/* The content of dir/rel, or NULL if it cannot be read. */
static char *slurp(const char *dir, const char *rel)
{
	char p[PATH_MAX], *buf = calloc(1, 65536);
	ssize_t n;
	int fd;

	xsnprintf(p, "%s/%s", dir, rel);
	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	n = read(fd, buf, 65535);
	close(fd);
	ck_assert_int_ge(n, 0);
	return buf;
}

static int lstat_in(const char *dir, const char *rel, struct stat *st)
{
	char p[PATH_MAX];

	xsnprintf(p, "%s/%s", dir, rel);
	return lstat(p, st) < 0 ? -errno : 0;
}

/* The marker xattr of directory dir ("" if it has none). */
static const char *marker_of(const char *dir)
{
	static char v[64];
	ssize_t n = getxattr(dir, COW_XATTR_MARKER, v, sizeof(v) - 1);

	if (n < 0) {
		ck_assert_msg(errno == ENODATA, "%s: %s", dir, strerror(errno));
		n = 0;
	}
	v[n] = '\0';
	return v;
}

static bool whiteout_in(const char *dir, const char *rel)
{
	struct stat st;

	return lstat_in(dir, rel, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static int chmod_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_D || flag == FTW_DNR) /* overlayfs's work/work is mode 0 */
		chmod(p, 0700);
	return 0;
}

/* Two base layers that overlap, a symlink out of them, an empty upper. */
static void setup(void)
{
	char p[PATH_MAX];
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1000000000, 123456789 } };

	strcpy(T, "/tmp/check_cowdisk-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
	xsnprintf(L1, "%s/l1", T);
	xsnprintf(L2, "%s/l2", T);
	xsnprintf(UP, "%s/up", T);
	lowers[0] = L1;
	lowers[1] = L2;
	lowers[2] = NULL;
	mkd(T, "l1", 0755);
	mkd(T, "l2", 0755);
	mkd(T, "up", 0755);
	mkd(T, "outside", 0755);
	put(T, "outside/secret", "secret\n", 0644);

	put(L1, "a.txt", "lower1 a\n", 0644);
	put(L1, "common.txt", "from l1\n", 0644);
	mkd(L1, "d", 0755);
	put(L1, "d/x", "l1 x\n", 0644);
	put(L1, "d/y", "l1 y\n", 0644);
	mkd(L1, "only1", 0755);
	put(L1, "only1/f", "only1 f\n", 0600);
	mkd(L1, "gone", 0755);
	put(L1, "gone/g", "gone g\n", 0644);
	{
		char l[PATH_MAX];

		xsnprintf(p, "%s/outside", T);
		xsnprintf(l, "%s/evil", L1);
		ck_assert_int_eq(symlink(p, l), 0);
	}

	put(L2, "common.txt", "from l2\n", 0644);
	mkd(L2, "d", 0755);
	put(L2, "d/x", "l2 x\n", 0644);
	put(L2, "d/z", "l2 z\n", 0644);
	put(L2, "b.txt", "lower2 b: some content to copy\n", 0640);
	xsnprintf(p, "%s/b.txt", L2);
	ck_assert_int_eq(setxattr(p, "user.test", "hello", 5, 0), 0);
	ck_assert_int_eq(setxattr(p, COW_XATTR_OWNER, "0:0", 3, 0), 0);
	ck_assert_int_eq(setxattr(p, COW_XATTR_MODE, "4755", 4, 0), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
	mkd(L2, "nested", 0755);
	mkd(L2, "nested/deep", 0750);
	mkd(L2, "nested/deep/er", 0711);
	put(L2, "nested/deep/er/file.txt", "deep file\n", 0444);
	cow_force_copy_method_for_tests(COW_COPY_AUTO);
	cow_force_nofollow_walk_for_tests(false);
}

static void teardown(void)
{
	nftw(T, chmod_one, 16, FTW_PHYS);
	nftw(T, chmod_one, 16, FTW_PHYS);
	nftw(T, rm_one, 16, FTW_PHYS | FTW_DEPTH);
}

static void open_stack(struct cow_stack *s)
{
	struct umld_err err = { 0 };
	int r = cow_open(s, lowers, UP, &err);

	ck_assert_msg(r == 0, "cow_open: %d %s", r, err.msg);
}

static enum cow_where where_of(const struct cow_stack *s, const char *rel, size_t *idx)
{
	enum cow_where w;
	int r = cow_lookup(s, rel, &w, idx);

	ck_assert_msg(r == 0, "lookup %s: %d", rel, r);
	return w;
}

/* ---- the merged listing as one string ---- */

struct names {
	char *v[256];
	size_t n;
};

static int collect(const char *name, unsigned char type, ino_t ino, void *arg)
{
	struct names *ns = arg;

	ck_assert_uint_lt(ns->n, ARRAY_SIZE(ns->v));
	ns->v[ns->n++] = strdup(name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a,b,c": sorted; fails on a duplicate. */
static char *listing(const struct cow_stack *s, const char *rel)
{
	struct names ns = { .n = 0 };
	char *out = calloc(1, 8192);
	int r = cow_readdir(s, rel, collect, &ns);

	ck_assert_msg(r == 0, "readdir %s: %d", rel, r);
	qsort(ns.v, ns.n, sizeof(ns.v[0]), cmp_str);
	for (size_t i = 0; i < ns.n; i++) {
		if (i)
			ck_assert_msg(strcmp(ns.v[i - 1], ns.v[i]) != 0, "duplicate %s", ns.v[i]);
		if (i)
			strcat(out, ",");
		strcat(out, ns.v[i]);
	}
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	return out;
}

#define ASSERT_LISTING(s, rel, want)                     \
	do {                                             \
		char *got_ = listing((s), (rel));        \
		ck_assert_str_eq(got_, (want));          \
		free(got_);                              \
	} while (0)

/* ---- tests ---- */

START_TEST(test_lookup)
{
	struct cow_stack s;
	enum cow_where w;
	size_t idx = 99;

	cow_force_nofollow_walk_for_tests(_i);
	open_stack(&s);
	ck_assert_int_eq(where_of(&s, "a.txt", &idx), COW_LOWER);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(where_of(&s, "common.txt", &idx), COW_LOWER);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(where_of(&s, "d/x", &idx), COW_LOWER);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(where_of(&s, "d//y/", &idx), COW_LOWER);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(where_of(&s, "./d/./z", &idx), COW_LOWER);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(where_of(&s, "", NULL), COW_UPPER);
	ck_assert_int_eq(where_of(&s, "nope", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d/nope", NULL), COW_ABSENT);
	ck_assert_str_eq(marker_of(UP), COW_MARKER_VERSION);
	ck_assert_int_eq(where_of(&s, COW_LEGACY_MARKER, NULL), COW_ABSENT);
	ck_assert_int_eq(cow_lookup(&s, "a.txt/x", &w, NULL), -ENOTDIR);
	/* the symlink is an entry, never a way out */
	ck_assert_int_eq(where_of(&s, "evil", &idx), COW_LOWER);
	ck_assert_int_eq(cow_lookup(&s, "evil/secret", &w, NULL), -ENOTDIR);
	ck_assert_int_eq(cow_lookup(&s, "../l1/a.txt", &w, NULL), -EINVAL);
	ck_assert_int_eq(cow_lookup(&s, "d/../a.txt", &w, NULL), -EINVAL);
	ck_assert_int_eq(cow_lookup(&s, "/a.txt", &w, NULL), -EINVAL);
	cow_close(&s);
}
END_TEST

START_TEST(test_lookup_whiteout_opaque)
{
	struct cow_stack s;
	char p[PATH_MAX];

	open_stack(&s);
	xsnprintf(p, "%s/a.txt", UP);
	ck_assert_int_eq(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
	xsnprintf(p, "%s/gone", UP);
	ck_assert_int_eq(mknod(p, S_IFCHR | 0, makedev(0, 0)), 0);
	mkd(UP, "d", 0755);
	xsnprintf(p, "%s/d", UP);
	ck_assert_int_eq(setxattr(p, COW_XATTR_OPAQUE, "y", 1, 0), 0);
	put(UP, "d/new", "new\n", 0644);

	ck_assert_int_eq(where_of(&s, "a.txt", NULL), COW_WHITEOUT);
	ck_assert_int_eq(where_of(&s, "gone", NULL), COW_WHITEOUT);
	ck_assert_int_eq(where_of(&s, "gone/g", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d", NULL), COW_UPPER);
	ck_assert_int_eq(where_of(&s, "d/x", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d/y", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d/new", NULL), COW_UPPER);
	ASSERT_LISTING(&s, "d", "new");
	/* without the opaque mark the lower directories merge again */
	ck_assert_int_eq(removexattr(p, COW_XATTR_OPAQUE), 0);
	ck_assert_int_eq(where_of(&s, "d/y", NULL), COW_LOWER);
	ASSERT_LISTING(&s, "d", "new,x,y,z");
	cow_close(&s);
}
END_TEST

static const enum cow_copy_method methods[] = { COW_COPY_AUTO, COW_COPY_CFR, COW_COPY_RW };

START_TEST(test_copy_up_file)
{
	struct cow_stack s;
	struct stat before, after, up;
	char *lower_text, *text, val[32];
	char p[PATH_MAX];
	size_t idx;
	ssize_t n;

	cow_force_copy_method_for_tests(methods[_i]);
	open_stack(&s);
	ck_assert_int_eq(lstat_in(L2, "b.txt", &before), 0);
	lower_text = slurp(L2, "b.txt");
	ck_assert_int_eq(cow_copy_up(&s, "b.txt"), 0);
	ck_assert_int_eq(where_of(&s, "b.txt", &idx), COW_UPPER);

	text = slurp(UP, "b.txt");
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, lower_text);
	free(text);
	ck_assert_int_eq(lstat_in(UP, "b.txt", &up), 0);
	ck_assert_uint_eq(up.st_mode, S_IFREG | 0640);
	ck_assert_int_eq(up.st_mtim.tv_sec, 1000000000);
	ck_assert_int_eq(up.st_mtim.tv_nsec, 123456789);
	ck_assert_int_eq(up.st_size, before.st_size);
	xsnprintf(p, "%s/b.txt", UP);
	n = getxattr(p, "user.test", val, sizeof(val));
	ck_assert_int_eq(n, 5);
	ck_assert_mem_eq(val, "hello", 5);
	n = getxattr(p, COW_XATTR_OWNER, val, sizeof(val));
	ck_assert_int_eq(n, 3);
	ck_assert_mem_eq(val, "0:0", 3);
	n = getxattr(p, COW_XATTR_MODE, val, sizeof(val));
	ck_assert_int_eq(n, 4);
	ck_assert_mem_eq(val, "4755", 4);

	/* the lower file is untouched, byte for byte */
	ck_assert_int_eq(lstat_in(L2, "b.txt", &after), 0);
	text = slurp(L2, "b.txt");
	ck_assert_str_eq(text, lower_text);
	free(text);
	ck_assert_int_eq(after.st_ino, before.st_ino);
	ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	ck_assert_int_eq(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	ck_assert_int_eq(after.st_size, before.st_size);

	/* an upper path is left alone */
	put(UP, "b.txt", "changed\n", 0600);
	ck_assert_int_eq(cow_copy_up(&s, "b.txt"), 0);
	text = slurp(UP, "b.txt");
	ck_assert_str_eq(text, "changed\n");
	free(text);
	ck_assert_int_eq(cow_copy_up(&s, "nope"), -ENOENT);
	ck_assert_int_eq(cow_copy_up(&s, "../x"), -EINVAL);
	free(lower_text);
	cow_close(&s);
}
END_TEST

START_TEST(test_copy_up_nested)
{
	struct cow_stack s;
	struct stat st;
	char target[PATH_MAX], p[PATH_MAX], *text;
	ssize_t n;

	cow_force_nofollow_walk_for_tests(_i);
	open_stack(&s);
	ck_assert_int_eq(cow_copy_up(&s, "nested/deep/er/file.txt"), 0);
	ck_assert_int_eq(lstat_in(UP, "nested", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0755);
	ck_assert_int_eq(lstat_in(UP, "nested/deep", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0750);
	ck_assert_int_eq(lstat_in(UP, "nested/deep/er", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0711);
	ck_assert_int_eq(lstat_in(UP, "nested/deep/er/file.txt", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFREG | 0444);
	text = slurp(UP, "nested/deep/er/file.txt");
	ck_assert_str_eq(text, "deep file\n");
	free(text);
	/* only the path asked for: its directories are not filled */
	ASSERT_LISTING(&s, "nested/deep/er", "file.txt");
	ck_assert_int_eq(lstat_in(UP, "d", &st), -ENOENT);

	/* a symlink is copied as a symlink, and never followed */
	ck_assert_int_eq(cow_copy_up(&s, "evil"), 0);
	ck_assert_int_eq(lstat_in(UP, "evil", &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	xsnprintf(p, "%s/evil", UP);
	n = readlink(p, target, sizeof(target) - 1);
	ck_assert_int_gt(n, 0);
	target[n] = '\0';
	xsnprintf(p, "%s/outside", T);
	ck_assert_str_eq(target, p);
	ck_assert_int_eq(cow_copy_up(&s, "evil/secret"), -ENOTDIR);
	ck_assert_int_eq(cow_mkdir(&s, "evil/x", 0755), -ENOTDIR);
	ck_assert_int_eq(cow_unlink(&s, "evil/secret"), -ENOTDIR);
	ck_assert_int_eq(cow_readdir(&s, "evil", collect, NULL), -ENOTDIR);
	ck_assert_int_eq(lstat_in(T, "outside/x", &st), -ENOENT);
	text = slurp(T, "outside/secret");
	ck_assert_str_eq(text, "secret\n");
	free(text);

	/* a hostile symlink in the upper layer, where a lower has a directory */
	xsnprintf(p, "%s/only1", UP);
	xsnprintf(target, "%s/outside", T);
	ck_assert_int_eq(symlink(target, p), 0);
	ck_assert_int_eq(cow_lookup(&s, "only1/f", &(enum cow_where){ 0 }, NULL), -ENOTDIR);
	ck_assert_int_eq(cow_copy_up(&s, "only1/f"), -ENOTDIR);
	ck_assert_int_eq(cow_mkdir(&s, "only1/new", 0755), -ENOTDIR);
	ck_assert_int_eq(lstat_in(T, "outside/new", &st), -ENOENT);
	cow_close(&s);
}
END_TEST

/* A crash leaves temporaries: a stray empty one, a half-written copy, a
 * half-built directory. Nobody sees them, and the next open removes them. */
START_TEST(test_crash_cleanup)
{
	struct cow_stack s;
	struct stat st;

	open_stack(&s);
	cow_close(&s);
	put(UP, COW_TMP_PREFIX "x", "", 0600);
	ck_assert_int_eq(cow_open(&s, lowers, UP, NULL), 0);
	ck_assert_int_eq(lstat_in(UP, COW_TMP_PREFIX "x", &st), -ENOENT);

	ck_assert_int_eq(cow_copy_up(&s, "d/x"), 0);
	put(UP, COW_TMP_PREFIX "x", "", 0600);
	put(UP, "d/" COW_TMP_PREFIX "0123456789abcdef", "l2 ", 0600);
	mkd(UP, "d/" COW_TMP_PREFIX "dir", 0700);
	mkd(UP, "d/" COW_TMP_PREFIX "dir/sub", 0500);
	ck_assert_int_eq(where_of(&s, COW_TMP_PREFIX "x", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d/" COW_TMP_PREFIX "0123456789abcdef", NULL), COW_ABSENT);
	ck_assert_int_eq(where_of(&s, "d/" COW_TMP_PREFIX "dir/sub", NULL), COW_ABSENT);
	ASSERT_LISTING(&s, "", "a.txt,b.txt,common.txt,d,evil,gone,nested,only1");
	ASSERT_LISTING(&s, "d", "x,y,z");
	ck_assert_int_eq(cow_mkdir(&s, COW_TMP_PREFIX "y", 0755), -EPERM);
	cow_close(&s);

	open_stack(&s);
	ck_assert_int_eq(lstat_in(UP, COW_TMP_PREFIX "x", &st), -ENOENT);
	ck_assert_int_eq(lstat_in(UP, "d/" COW_TMP_PREFIX "0123456789abcdef", &st), -ENOENT);
	ck_assert_int_eq(lstat_in(UP, "d/" COW_TMP_PREFIX "dir", &st), -ENOENT);
	ck_assert_int_eq(lstat_in(UP, "d/x", &st), 0);
	ck_assert_str_eq(marker_of(UP), COW_MARKER_VERSION);
	cow_close(&s);
}
END_TEST

START_TEST(test_unlink_rmdir)
{
	struct cow_stack s;
	struct stat st;

	open_stack(&s);
	/* a lower file: a whiteout */
	ck_assert_int_eq(cow_unlink(&s, "a.txt"), 0);
	ck_assert(whiteout_in(UP, "a.txt"));
	ck_assert_int_eq(where_of(&s, "a.txt", NULL), COW_WHITEOUT);
	ck_assert_int_eq(cow_unlink(&s, "a.txt"), -ENOENT);
	/* a copied-up file over a lower one: replaced by a whiteout */
	ck_assert_int_eq(cow_copy_up(&s, "common.txt"), 0);
	ck_assert_int_eq(cow_unlink(&s, "common.txt"), 0);
	ck_assert(whiteout_in(UP, "common.txt"));
	/* an upper-only file: simply gone */
	put(UP, "newfile", "new\n", 0644);
	ck_assert_int_eq(cow_unlink(&s, "newfile"), 0);
	ck_assert_int_eq(lstat_in(UP, "newfile", &st), -ENOENT);
	ck_assert_int_eq(cow_unlink(&s, "d"), -EISDIR);
	ck_assert_int_eq(cow_unlink(&s, ""), -EISDIR);
	ck_assert_int_eq(cow_unlink(&s, "nope"), -ENOENT);

	/* directories */
	ck_assert_int_eq(cow_rmdir(&s, "only1"), -ENOTEMPTY);
	ck_assert_int_eq(cow_rmdir(&s, "b.txt"), -ENOTDIR);
	ck_assert_int_eq(cow_rmdir(&s, "nope"), -ENOENT);
	ck_assert_int_eq(cow_rmdir(&s, ""), -EBUSY);
	ck_assert_int_eq(cow_unlink(&s, "only1/f"), 0);
	ck_assert(whiteout_in(UP, "only1/f"));
	ASSERT_LISTING(&s, "only1", "");
	ck_assert_int_eq(cow_rmdir(&s, "only1"), 0); /* the upper dir, swapped for a whiteout */
	ck_assert(whiteout_in(UP, "only1"));
	ck_assert_int_eq(where_of(&s, "only1/f", NULL), COW_ABSENT);
	/* a lower directory not in the upper layer */
	ck_assert_int_eq(cow_unlink(&s, "nested/deep/er/file.txt"), 0);
	ck_assert_int_eq(cow_rmdir(&s, "nested/deep/er"), 0);
	ck_assert(whiteout_in(UP, "nested/deep/er"));
	/* an upper-only directory: gone without a trace */
	ck_assert_int_eq(cow_mkdir(&s, "fresh", 0755), 0);
	ck_assert_int_eq(cow_rmdir(&s, "fresh"), 0);
	ck_assert_int_eq(lstat_in(UP, "fresh", &st), -ENOENT);
	ASSERT_LISTING(&s, "", "b.txt,d,evil,gone,nested");
	cow_close(&s);
}
END_TEST

START_TEST(test_mkdir_opaque)
{
	struct cow_stack s;
	struct stat st;
	char p[PATH_MAX], v[8];

	open_stack(&s);
	ck_assert_int_eq(cow_unlink(&s, "gone/g"), 0);
	ck_assert_int_eq(cow_rmdir(&s, "gone"), 0);
	ck_assert(whiteout_in(UP, "gone"));
	ck_assert_int_eq(cow_mkdir(&s, "gone", 0750), 0);
	ck_assert_int_eq(lstat_in(UP, "gone", &st), 0);
	ck_assert_uint_eq(st.st_mode, S_IFDIR | 0750);
	xsnprintf(p, "%s/gone", UP);
	ck_assert_int_eq(getxattr(p, COW_XATTR_OPAQUE, v, sizeof(v)), 1);
	ck_assert_int_eq(v[0], 'y');
	ASSERT_LISTING(&s, "gone", "");
	ck_assert_int_eq(where_of(&s, "gone/g", NULL), COW_ABSENT);
	/* a whiteout of a lower file, made a directory: opaque too */
	ck_assert_int_eq(cow_unlink(&s, "d/y"), 0);
	ck_assert_int_eq(cow_mkdir(&s, "d/y", 0700), 0);
	ck_assert_int_eq(where_of(&s, "d/y", NULL), COW_UPPER);
	/* a plain new directory is not opaque */
	ck_assert_int_eq(cow_mkdir(&s, "d/w", 0755), 0);
	xsnprintf(p, "%s/d/w", UP);
	ck_assert_int_eq(getxattr(p, COW_XATTR_OPAQUE, v, sizeof(v)), -1);
	ck_assert_int_eq(errno, ENODATA);
	ck_assert_int_eq(cow_mkdir(&s, "d", 0755), -EEXIST);
	ck_assert_int_eq(cow_mkdir(&s, "", 0755), -EEXIST);
	ck_assert_int_eq(cow_mkdir(&s, "nope/x", 0755), -ENOENT);
	ck_assert_int_eq(cow_mkdir(&s, "a.txt/x", 0755), -ENOTDIR);
	ck_assert_int_eq(cow_mkdir(&s, COW_TMP_PREFIX "m", 0755), -EPERM);
	ASSERT_LISTING(&s, "d", "w,x,y,z");
	cow_close(&s);
}
END_TEST

struct inos {
	ino_t common, dx, d;
	unsigned char dtype, evtype;
};

static int check_ino(const char *name, unsigned char type, ino_t ino, void *arg)
{
	struct inos *w = arg;

	if (!strcmp(name, "common.txt"))
		ck_assert_uint_eq(ino, w->common);
	if (!strcmp(name, "d"))
		ck_assert_uint_eq(ino, w->d);
	if (!strcmp(name, "x"))
		ck_assert_uint_eq(ino, w->dx);
	if (!strcmp(name, "d"))
		w->dtype = type;
	if (!strcmp(name, "evil"))
		w->evtype = type;
	return 0;
}

static int stop_at_two(const char *name, unsigned char type, ino_t ino, void *arg)
{
	return ++*(int *)arg == 2 ? 42 : 0;
}

START_TEST(test_readdir)
{
	struct cow_stack s;
	struct inos w = { 0 };
	struct stat st;
	int count = 0;

	open_stack(&s);
	ASSERT_LISTING(&s, "", "a.txt,b.txt,common.txt,d,evil,gone,nested,only1");
	ASSERT_LISTING(&s, ".", "a.txt,b.txt,common.txt,d,evil,gone,nested,only1");
	ASSERT_LISTING(&s, "d", "x,y,z");
	ck_assert_int_eq(cow_unlink(&s, "a.txt"), 0);
	ck_assert_int_eq(cow_copy_up(&s, "common.txt"), 0);
	ck_assert_int_eq(cow_unlink(&s, "d/z"), 0);
	put(UP, "zz", "z\n", 0644);
	ASSERT_LISTING(&s, "", "b.txt,common.txt,d,evil,gone,nested,only1,zz");
	ASSERT_LISTING(&s, "d", "x,y");
	ck_assert_int_eq(cow_readdir(&s, "b.txt", collect, NULL), -ENOTDIR);
	ck_assert_int_eq(cow_readdir(&s, "a.txt", collect, NULL), -ENOENT);

	/* inode numbers from the layer each entry is shown from */
	ck_assert_int_eq(lstat_in(UP, "common.txt", &st), 0);
	w.common = st.st_ino;
	ck_assert_int_eq(lstat_in(UP, "d", &st), 0);
	w.d = st.st_ino;
	ck_assert_int_eq(lstat_in(L2, "d/x", &st), 0);
	w.dx = st.st_ino;
	ck_assert_int_eq(cow_readdir(&s, "", check_ino, &w), 0);
	ck_assert_int_eq(cow_readdir(&s, "d", check_ino, &w), 0);
	ck_assert_int_eq(w.dtype, DT_DIR);
	ck_assert_int_eq(w.evtype, DT_LNK);
	ck_assert_int_eq(cow_readdir(&s, "", stop_at_two, &count), 42);
	ck_assert_int_eq(count, 2);
	cow_close(&s);
}
END_TEST

static int collect_diff(char kind, const char *rel, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	ck_assert_uint_lt(n + strlen(rel) + 4, 8192);
	sprintf(out + n, "%c %s\n", kind, rel);
	return 0;
}

/* A scripted set of changes, as a guest would make them. */
static void script(const struct cow_stack *s)
{
	ck_assert_int_eq(cow_unlink(s, "a.txt"), 0);
	ck_assert_int_eq(cow_copy_up(s, "common.txt"), 0);
	put(UP, "common.txt", "changed\n", 0644);
	put(UP, "newfile", "new\n", 0644);
	ck_assert_int_eq(cow_unlink(s, "d/y"), 0);
	ck_assert_int_eq(cow_unlink(s, "only1/f"), 0);
	ck_assert_int_eq(cow_rmdir(s, "only1"), 0);
	ck_assert_int_eq(cow_unlink(s, "gone/g"), 0);
	ck_assert_int_eq(cow_rmdir(s, "gone"), 0);
	ck_assert_int_eq(cow_mkdir(s, "gone", 0755), 0);
	put(UP, "gone/new", "new in gone\n", 0644);
	ck_assert_int_eq(cow_copy_up(s, "nested/deep/er/file.txt"), 0);
}

START_TEST(test_diff)
{
	struct cow_stack s;
	char out[8192] = "";

	open_stack(&s);
	ck_assert_int_eq(cow_diff(&s, collect_diff, out), 0);
	ck_assert_str_eq(out, "");
	script(&s);
	ck_assert_int_eq(cow_diff(&s, collect_diff, out), 0);
	ck_assert_str_eq(out,
			 "D a.txt\n"
			 "C common.txt\n"
			 "C d\n"
			 "D d/y\n"
			 "C gone\n"
			 "D gone/g\n"
			 "A gone/new\n"
			 "C nested\n"
			 "C nested/deep\n"
			 "C nested/deep/er\n"
			 "C nested/deep/er/file.txt\n"
			 "A newfile\n"
			 "D only1\n"
			 "D only1/f\n");
	cow_close(&s);
}
END_TEST

START_TEST(test_reset)
{
	struct cow_stack s;
	struct stat st;
	char out[8192] = "";

	open_stack(&s);
	script(&s);
	ck_assert_int_eq(cow_reset(&s), 0);
	ck_assert_int_eq(cow_diff(&s, collect_diff, out), 0);
	ck_assert_str_eq(out, "");
	ASSERT_LISTING(&s, "", "a.txt,b.txt,common.txt,d,evil,gone,nested,only1");
	ASSERT_LISTING(&s, "gone", "g");
	ck_assert_str_eq(marker_of(UP), COW_MARKER_VERSION);
	ck_assert_int_eq(lstat_in(UP, COW_LEGACY_MARKER, &st), -ENOENT);
	ck_assert_int_eq(where_of(&s, "a.txt", NULL), COW_LOWER);
	cow_close(&s);
	open_stack(&s); /* still a layer */
	cow_close(&s);
}
END_TEST

/* Compares the tree at base with the merged view below rel, recursively. */
static void compare_tree(const struct cow_stack *s, const char *base, const char *rel)
{
	char *want = listing(s, rel), *got, *save = NULL;
	struct cow_stack b;
	char *lb[2] = { (char *)base, NULL };

	ck_assert_int_eq(cow_open(&b, lb, NULL, NULL), 0);
	got = listing(&b, rel);
	ck_assert_str_eq(got, want);
	for (char *name = strtok_r(want, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		char sub[PATH_MAX], src_dir[PATH_MAX];
		struct stat ms, bs;
		enum cow_where w;
		size_t idx;

		if (*rel)
			xsnprintf(sub, "%s/%s", rel, name);
		else
			xsnprintf(sub, "%s", name);
		ck_assert_int_eq(cow_lookup(s, sub, &w, &idx), 0);
		xsnprintf(src_dir, "%s", w == COW_UPPER ? UP : lowers[idx]);
		ck_assert_int_eq(lstat_in(src_dir, sub, &ms), 0);
		ck_assert_int_eq(lstat_in(base, sub, &bs), 0);
		ck_assert_msg(ms.st_mode == bs.st_mode, "%s: mode %o, want %o", sub, bs.st_mode,
			      ms.st_mode);
		if (S_ISREG(ms.st_mode)) {
			char *a = slurp(src_dir, sub), *c = slurp(base, sub);

			ck_assert_str_eq(c, a);
			ck_assert_int_eq(bs.st_mtim.tv_sec, ms.st_mtim.tv_sec);
			free(a);
			free(c);
		} else if (S_ISDIR(ms.st_mode)) {
			compare_tree(s, base, sub);
		}
	}
	cow_close(&b);
	free(want);
	free(got);
}

static int no_whiteouts(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	ck_assert_msg(!S_ISCHR(st->st_mode), "%s is a character device", p);
	ck_assert_msg(strstr(p, COW_TMP_PREFIX) == NULL, "%s is a temporary", p);
	return 0;
}

START_TEST(test_commit)
{
	struct umld_err err = { 0 };
	struct cow_stack s;
	struct stat st;
	char nb[PATH_MAX], in[PATH_MAX], p[PATH_MAX];
	char *lb[2] = { nb, NULL };

	open_stack(&s);
	script(&s);
	xsnprintf(nb, "%s/newbase", T);
	ck_assert_msg(cow_commit(&s, nb, &err) == 0, "commit: %s", err.msg);
	compare_tree(&s, nb, "");
	ck_assert_int_eq(lstat_in(nb, COW_LEGACY_MARKER, &st), -ENOENT);
	ck_assert_str_eq(marker_of(nb), "");
	ck_assert_int_eq(lstat_in(nb, "evil", &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	xsnprintf(p, "%s/b.txt", nb);
	ck_assert_int_eq(getxattr(p, COW_XATTR_OWNER, in, sizeof(in)), 3);
	ck_assert_int_eq(nftw(nb, no_whiteouts, 16, FTW_PHYS), 0);
	ASSERT_LISTING(&s, "", "b.txt,common.txt,d,evil,gone,nested,newfile");

	/* nothing left beside it */
	{
		struct names ns = { .n = 0 };
		struct cow_stack t;
		char *tl[2] = { T, NULL };

		ck_assert_int_eq(cow_open(&t, tl, NULL, NULL), 0);
		ck_assert_int_eq(cow_readdir(&t, "", collect, &ns), 0);
		for (size_t i = 0; i < ns.n; i++) {
			ck_assert_msg(strstr(ns.v[i], ".tmp-") == NULL, "left behind: %s", ns.v[i]);
			free(ns.v[i]);
		}
		cow_close(&t);
	}

	/* refusals */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(cow_commit(&s, nb, &err), -EINVAL);
	ck_assert_int_eq(err.exit_status, 2);
	xsnprintf(p, "%s already exists", nb);
	ck_assert_str_eq(err.msg, p);
	memset(&err, 0, sizeof(err));
	xsnprintf(in, "%s/d/new", L1);
	ck_assert_int_eq(cow_commit(&s, in, &err), -EINVAL);
	xsnprintf(p, "%s would lie inside one of the layers", in);
	ck_assert_str_eq(err.msg, p);
	cow_close(&s);

	/* the new base works as a base */
	ck_assert_int_eq(cow_open(&s, lb, NULL, NULL), 0);
	ck_assert_int_eq(where_of(&s, "gone/new", NULL), COW_LOWER);
	ck_assert_int_eq(where_of(&s, "gone/g", NULL), COW_ABSENT);
	cow_close(&s);
}
END_TEST

static void expect_refusal(char **low, const char *upper, const char *msg)
{
	struct umld_err err = { 0 };
	struct cow_stack s;

	ck_assert_int_eq(cow_open(&s, low, upper, &err), -EINVAL);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(err.exit_status, 2);
	ck_assert_int_eq(s.upper_fd, -1);
	ck_assert_uint_eq(s.nlower, 0);
}

/* A private mount namespace (no mount propagates out), and a user namespace
 * too when not root (mapping our own ids). -1 (said on stdout) when the
 * system refuses. */
static int private_ns(const char *what)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char map[64];
	int fd;

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNS) == 0)
			goto private;
		printf("check_cowdisk: skipping %s: unshare: %s\n", what, strerror(errno));
		return -1;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("check_cowdisk: skipping %s: unshare: %s\n", what, strerror(errno));
		return -1;
	}
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
private:
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0)
		return 0;
	printf("check_cowdisk: skipping %s: mount: %s\n", what, strerror(errno));
	return -1;
}

/* Runs fn in a child process: it must exit 0, or 77 (could not set up). */
static void run_child(int (*fn)(void), const char *failure)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		status = fn();
		fflush(stdout);
		_exit(status);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 77, "%s", failure);
}

/* An upper on a read-only filesystem: a read-only tmpfs in a private mount
 * namespace (a user namespace too when not root). 77: could not set up. */
static int ro_child(void)
{
	char ro[PATH_MAX], msg[PATH_MAX + 64];
	struct umld_err err = { 0 };
	struct cow_stack s;

	if (private_ns("the read-only upper") < 0)
		return 77;
	snprintf(ro, sizeof(ro), "%s/ro", T);
	if (mount("tmpfs", ro, "tmpfs", MS_RDONLY, "size=64k") < 0) {
		printf("check_cowdisk: skipping the read-only upper: mount: %s\n",
		       strerror(errno));
		return 77;
	}
	if (cow_open(&s, lowers, ro, &err) != -EINVAL || err.exit_status != 2)
		return 1;
	snprintf(msg, sizeof(msg), "cow layer %s is on a read-only filesystem", ro);
	if (strcmp(err.msg, msg) != 0) {
		printf("got '%s'\n", err.msg);
		return 1;
	}
	return 0;
}

START_TEST(test_refusals)
{
	char missing[PATH_MAX], file[PATH_MAX], msg[2 * PATH_MAX], in[PATH_MAX];
	char *low[3] = { L1, NULL, NULL };
	char *inl[2] = { UP, NULL };
	struct umld_err err = { 0 };
	struct cow_stack s;

	xsnprintf(missing, "%s/missing", T);
	low[1] = missing;
	xsnprintf(msg, "base layer %s does not exist", missing);
	expect_refusal(low, UP, msg);
	xsnprintf(file, "%s/a.txt", L1);
	low[1] = file;
	xsnprintf(msg, "base layer %s is not a directory", file);
	expect_refusal(low, UP, msg);
	xsnprintf(msg, "cow layer %s does not exist", missing);
	expect_refusal(lowers, missing, msg);
	ck_assert_int_eq(cow_open(&s, (char *[]){ NULL }, UP, &err), -EINVAL);
	ck_assert_str_eq(err.msg, "no base layer given");

	/* overlapping layers */
	mkd(L1, "up", 0755);
	xsnprintf(in, "%s/up", L1);
	/* an upper inside a lower is fine (a layer over the host's /) */
	ck_assert_msg(cow_open(&s, lowers, in, &err) == 0, "%s", err.msg);
	cow_close(&s);
	xsnprintf(msg, "cow layer %s is base layer %s itself", L2, L2);
	expect_refusal(lowers, L2, msg);
	mkd(UP, "low", 0755);
	xsnprintf(in, "%s/low", UP);
	inl[0] = in;
	xsnprintf(msg, "base layer %s lies inside cow layer %s", in, UP);
	expect_refusal(inl, UP, msg);
	ck_assert_int_eq(rmdir(in), 0);

	/* a directory that is not a layer, and a marker of another version */
	put(UP, "stuff", "x", 0644);
	xsnprintf(msg, "%s is not empty and is not a umld cow layer (no user.umld.cow attribute)",
		  UP);
	expect_refusal(lowers, UP, msg);
	/* a legacy marker file of another content is no marker */
	put(UP, COW_LEGACY_MARKER, "umld-cow 2\n", 0644);
	expect_refusal(lowers, UP, msg);
	ck_assert_str_eq(marker_of(UP), "");

	/* read-only */
	mkd(T, "ro", 0755);
	run_child(ro_child, "read-only upper not refused as expected");
}
END_TEST

/* A layer of an older umld (the marker a file) becomes one with the xattr,
 * its content untouched. */
START_TEST(test_legacy_marker)
{
	struct cow_stack s;
	struct stat st;
	char out[8192] = "";

	put(UP, COW_LEGACY_MARKER, COW_LEGACY_MARKER_TEXT, 0644);
	mkd(UP, "d", 0755);
	put(UP, "d/x", "changed x\n", 0644);
	put(UP, "new", "new\n", 0644);
	ck_assert_str_eq(marker_of(UP), "");
	open_stack(&s);
	ck_assert_str_eq(marker_of(UP), COW_MARKER_VERSION);
	ck_assert_int_eq(lstat_in(UP, COW_LEGACY_MARKER, &st), -ENOENT);
	ASSERT_LISTING(&s, "", "a.txt,b.txt,common.txt,d,evil,gone,nested,new,only1");
	ck_assert_int_eq(cow_diff(&s, collect_diff, out), 0);
	ck_assert_str_eq(out, "C d\nC d/x\nA new\n");
	cow_close(&s);
	/* once converted, it opens as any layer; the name is the guest's now */
	open_stack(&s);
	ck_assert_int_eq(cow_mkdir(&s, COW_LEGACY_MARKER, 0755), 0);
	ck_assert_int_eq(where_of(&s, COW_LEGACY_MARKER, NULL), COW_UPPER);
	cow_close(&s);
	open_stack(&s);
	ck_assert_int_eq(where_of(&s, COW_LEGACY_MARKER, NULL), COW_UPPER);
	cow_close(&s);
}
END_TEST

START_TEST(test_marker_version)
{
	char msg[2 * PATH_MAX], big[40];

	ck_assert_int_eq(setxattr(UP, COW_XATTR_MARKER, "2", 1, 0), 0);
	xsnprintf(msg, "cow layer %s has format version '2', this umld knows only version 1", UP);
	expect_refusal(lowers, UP, msg);
	memset(big, '9', sizeof(big));
	ck_assert_int_eq(setxattr(UP, COW_XATTR_MARKER, big, sizeof(big), 0), 0);
	xsnprintf(msg, "cow layer %s has a format version this umld does not know (it knows only "
		  "version 1)", UP);
	expect_refusal(lowers, UP, msg);
	ck_assert_int_eq(setxattr(UP, COW_XATTR_MARKER, "2", 1, 0), 0);
	ck_assert_str_eq(marker_of(UP), "2"); /* left alone */
}
END_TEST

/* An upper on ramfs, which has no xattrs. 77: could not set up. */
static int noxattr_child(void)
{
	char dir[PATH_MAX], msg[PATH_MAX + 96];
	struct umld_err err = { 0 };
	struct cow_stack s;

	if (private_ns("the upper without xattrs") < 0)
		return 77;
	snprintf(dir, sizeof(dir), "%s/ramfs", T);
	if (mount("ramfs", dir, "ramfs", 0, NULL) < 0) {
		printf("check_cowdisk: skipping the upper without xattrs: mount: %s\n",
		       strerror(errno));
		return 77;
	}
	if (cow_open(&s, lowers, dir, &err) != -EINVAL || err.exit_status != 2) {
		printf("got '%s'\n", err.msg);
		return 1;
	}
	snprintf(msg, sizeof(msg), "cow layer %s needs user extended attributes, which its "
		 "filesystem does not support", dir);
	if (strcmp(err.msg, msg) != 0) {
		printf("got '%s'\n", err.msg);
		return 1;
	}
	return 0;
}

START_TEST(test_marker_no_xattrs)
{
	mkd(T, "ramfs", 0755);
	run_child(noxattr_child, "an upper without user xattrs not refused as expected");
}
END_TEST

/* The marker belongs to the layer it marks: a directory of a base layer
 * that carries one (a former cow layer) does not pass it on. */
START_TEST(test_marker_not_copied)
{
	struct umld_err err = { 0 };
	struct cow_stack s;
	char p[PATH_MAX], nb[PATH_MAX], v[16];

	xsnprintf(p, "%s/nested", L2);
	ck_assert_int_eq(setxattr(p, COW_XATTR_MARKER, "1", 1, 0), 0);
	ck_assert_int_eq(setxattr(L2, COW_XATTR_MARKER, "1", 1, 0), 0);
	open_stack(&s);
	ck_assert_int_eq(cow_copy_up(&s, "nested/deep/er/file.txt"), 0);
	xsnprintf(p, "%s/nested", UP);
	ck_assert_str_eq(marker_of(p), "");
	xsnprintf(nb, "%s/newbase", T);
	ck_assert_msg(cow_commit(&s, nb, &err) == 0, "commit: %s", err.msg);
	ck_assert_str_eq(marker_of(nb), "");
	xsnprintf(p, "%s/nested", nb);
	ck_assert_str_eq(marker_of(p), "");
	/* umld's other xattrs are kept */
	xsnprintf(p, "%s/b.txt", nb);
	ck_assert_int_eq(getxattr(p, COW_XATTR_MODE, v, sizeof(v)), 4);
	cow_close(&s);
}
END_TEST

/* The kernel's overlayfs, given the same layers, shows what cow_readdir
 * shows; and what it writes (whiteouts, opaque directories) cowdisk reads. */
static int overlay_child(const char *want_root, const char *want_d, const char *want_gone)
{
	char mnt[PATH_MAX], work[PATH_MAX], opts[5 * PATH_MAX], p[2 * PATH_MAX];
	DIR *d;

	if (private_ns("the overlayfs check") < 0)
		return 77;
	snprintf(mnt, sizeof(mnt), "%s/mnt", T);
	snprintf(work, sizeof(work), "%s/work", T);
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s,upperdir=%s,workdir=%s,userxattr", L2, L1,
		 UP, work);
	if (mount("overlay", mnt, "overlay", 0, opts) < 0) {
		printf("check_cowdisk: skipping the overlayfs check: mount: %s\n", strerror(errno));
		return 77;
	}
	for (int i = 0; i < 3; i++) {
		const char *rel = i == 0 ? "" : i == 1 ? "d" : "gone";
		const char *want = i == 0 ? want_root : i == 1 ? want_d : want_gone;
		struct dirent *de;
		char *names[64], got[4096] = "";
		size_t n = 0;

		snprintf(p, sizeof(p), "%s/%s", mnt, rel);
		d = opendir(p);
		if (!d)
			return 2;
		while ((de = readdir(d)) && n < 64)
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				names[n++] = strdup(de->d_name);
		closedir(d);
		qsort(names, n, sizeof(names[0]), cmp_str);
		for (size_t j = 0; j < n; j++) {
			if (j)
				strcat(got, ",");
			strcat(got, names[j]);
			free(names[j]);
		}
		if (strcmp(got, want) != 0) {
			printf("check_cowdisk: overlayfs shows /%s as '%s', cowdisk as '%s'\n", rel,
			       got, want);
			return 1;
		}
	}
	/* Now the kernel writes: a whiteout and an opaque directory. */
	snprintf(p, sizeof(p), "%s/b.txt", mnt);
	if (unlink(p) < 0)
		return 3;
	snprintf(p, sizeof(p), "%s/d/x", mnt);
	if (unlink(p) < 0)
		return 4;
	snprintf(p, sizeof(p), "%s/d/z", mnt);
	if (unlink(p) < 0)
		return 5;
	snprintf(p, sizeof(p), "%s/d", mnt);
	if (rmdir(p) < 0 || mkdir(p, 0755) < 0)
		return 6;
	umount(mnt);
	return 0;
}

START_TEST(test_overlayfs)
{
	struct cow_stack s;
	char *root, *dl, *gone;
	pid_t pid;
	int status;

	mkd(T, "mnt", 0755);
	mkd(T, "work", 0755);
	open_stack(&s);
	script(&s);
	root = listing(&s, "");
	dl = listing(&s, "d");
	gone = listing(&s, "gone");
	cow_close(&s);
	fflush(stdout);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		status = overlay_child(root, dl, gone);
		fflush(stdout);
		_exit(status);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	free(root);
	free(dl);
	free(gone);
	if (WEXITSTATUS(status) == 77)
		return;
	ck_assert_msg(WEXITSTATUS(status) == 0, "overlayfs check failed (%d)",
		      WEXITSTATUS(status));
	open_stack(&s);
	ck_assert_int_eq(where_of(&s, "b.txt", NULL), COW_WHITEOUT);
	ck_assert_int_eq(where_of(&s, "d", NULL), COW_UPPER);
	ASSERT_LISTING(&s, "d", "");
	ck_assert_int_eq(where_of(&s, "d/y", NULL), COW_ABSENT);
	cow_close(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cowdisk");
	TCase *tc = tcase_create("layers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_lookup, 0, 2);
	tcase_add_test(tc, test_lookup_whiteout_opaque);
	tcase_add_loop_test(tc, test_copy_up_file, 0, ARRAY_SIZE(methods));
	tcase_add_loop_test(tc, test_copy_up_nested, 0, 2);
	tcase_add_test(tc, test_crash_cleanup);
	tcase_add_test(tc, test_unlink_rmdir);
	tcase_add_test(tc, test_mkdir_opaque);
	tcase_add_test(tc, test_readdir);
	tcase_add_test(tc, test_diff);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_commit);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_legacy_marker);
	tcase_add_test(tc, test_marker_version);
	tcase_add_test(tc, test_marker_no_xattrs);
	tcase_add_test(tc, test_marker_not_copied);
	tcase_add_test(tc, test_overlayfs);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
