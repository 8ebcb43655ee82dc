/* The instance's control group (see cgroup.h). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cgroup.h"

static const char *const controller_name[CG_COUNT] = { "memory", "pids" };

/* Writes s to DIR/FILE. 0 or -errno. */
static int write_at(const char *dir, const char *file, const char *s)
{
	char path[PATH_MAX + 64];
	int fd, r = 0;
	size_t n = strlen(s);

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, n) != (ssize_t)n)
		r = -errno;
	close(fd);
	return r;
}

/* The first line of DIR/FILE into buf. 0 or -errno. */
static int read_at(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX + 64];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)size, f))
		r = -EIO;
	else
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	return r;
}

/* Whether the space-separated (v2) or comma-separated (v1) list has word. */
static bool has_word(const char *list, const char *word, const char *seps)
{
	size_t n = strlen(word);

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, seps);
		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, seps);
	}
	return false;
}

/* This process's cgroup path in the hierarchy that has controller (v1), or
 * in the unified one (controller NULL), from /proc/self/cgroup. */
static int own_path(const char *controller, char *out, size_t size)
{
	char line[PATH_MAX + 128];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (controller ? has_word(c1 + 1, controller, ",") : c1[1] == '\0') {
			snprintf(out, size, "%s", c2 + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

struct cg_mount {
	char point[PATH_MAX]; /* where it is mounted */
	char root[PATH_MAX];  /* which cgroup is at the mount point */
};

/* The mount of the unified hierarchy (controller NULL) or of the v1
 * hierarchy that has controller. */
static int find_mount(const char *controller, struct cg_mount *m)
{
	char line[3 * PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		char *field[6], *save = NULL, *dash, *type, *opts;
		char *p = line;
		int i;

		dash = strstr(line, " - ");
		if (!dash)
			continue;
		*dash = '\0';
		for (i = 0; i < 6 && (field[i] = strtok_r(p, " ", &save)); i++)
			p = NULL;
		if (i < 5)
			continue;
		save = NULL;
		type = strtok_r(dash + 3, " ", &save);
		(void)strtok_r(NULL, " ", &save); /* source */
		opts = strtok_r(NULL, " \n", &save);
		if (!type || !opts || strchr(field[4], '\\'))
			continue; /* an escaped (odd) mount point: not ours to use */
		if (controller ? strcmp(type, "cgroup") != 0 || !has_word(opts, controller, ",")
			       : strcmp(type, "cgroup2") != 0)
			continue;
		snprintf(m->point, sizeof(m->point), "%s", field[4]);
		snprintf(m->root, sizeof(m->root), "%s", field[3]);
		r = 0;
	}
	fclose(f);
	return r;
}

/* The directory of cgroup path (as /proc/self/cgroup gives it) under m. */
static void cg_dir(const struct cg_mount *m, const char *path, char *out, size_t size)
{
	size_t rl = strcmp(m->root, "/") == 0 ? 0 : strlen(m->root);

	if (rl && strncmp(path, m->root, rl) == 0)
		path += rl;
	else if (rl)
		path = ""; /* outside what is mounted: its top */
	snprintf(out, size, "%s%s", m->point, strcmp(path, "/") == 0 ? "" : path);
}

/* Removes NAME.PID directories under parent whose monitor is gone. */
static void sweep(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *dot = strrchr(e->d_name, '.'), *end;
		char path[PATH_MAX + 256];
		long pid;

		if (e->d_type != DT_DIR || !dot || e->d_name[0] == '.')
			continue;
		pid = strtol(dot + 1, &end, 10);
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, e->d_name);
		rmdir(path); /* fails while a leftover task is in it: next time */
	}
	closedir(d);
}

/* mkdir parent/umld (enabling want in its subtree_control under v2) and
 * parent/umld/leaf. 0 or -errno, with what failed in why. */
static int make_dir(const char *parent, const char *leaf, int version, const char *const *want,
		    size_t nwant, char *out, size_t size, char *why, size_t wsz)
{
	char umld[PATH_MAX];

	snprintf(umld, sizeof(umld), "%s/umld", parent);
	for (int level = 0; version == 2 && level < 2; level++) {
		const char *dir = level == 0 ? parent : umld;
		char have[512];

		if (level == 1 && mkdir(umld, 0755) < 0 && errno != EEXIST)
			goto mkdir_failed;
		if (read_at(dir, "cgroup.subtree_control", have, sizeof(have)) < 0)
			have[0] = '\0';
		for (size_t i = 0; i < nwant; i++) {
			char plus[64];
			int r;

			if (has_word(have, want[i], " "))
				continue;
			snprintf(plus, sizeof(plus), "+%s", want[i]);
			r = write_at(dir, "cgroup.subtree_control", plus);
			if (r < 0) {
				snprintf(why, wsz, "cannot enable %s in %.160s/cgroup.subtree_control: %s",
					 want[i], dir, strerror(-r));
				return r;
			}
		}
	}
	if (version == 1 && mkdir(umld, 0755) < 0 && errno != EEXIST)
		goto mkdir_failed;
	sweep(umld);
	if ((size_t)snprintf(out, size, "%s/%s", umld, leaf) >= size) {
		snprintf(why, wsz, "cgroup path too long under %.200s", umld);
		return -ENAMETOOLONG;
	}
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(why, wsz, "cannot make %.200s: %s", out, strerror(e));
		return -e;
	}
	return 0;
mkdir_failed:;
	int e = errno;
	snprintf(why, wsz, "cannot make %.200s: %s", umld, strerror(e));
	return -e;
}

static int set_limits(struct umld_cgroup *cg, long long memory, long tasks)
{
	char v[32];
	int r = 0;

	if (memory >= 0 && cg->dir[CG_MEMORY][0]) {
		const char *d = cg->dir[CG_MEMORY];
		snprintf(v, sizeof(v), "%lld", memory);
		if (cg->version == 2) {
			r = write_at(d, "memory.max", v);
			if (r == 0)
				write_at(d, "memory.swap.max", "0"); /* where swap is accounted */
		} else {
			r = write_at(d, "memory.limit_in_bytes", v);
			if (r == 0)
				write_at(d, "memory.memsw.limit_in_bytes", v); /* where accounted */
		}
		if (r < 0) {
			snprintf(cg->why, sizeof(cg->why), "cannot set the memory limit in %.180s: %s", d,
				 strerror(-r));
			return r;
		}
	}
	if (tasks >= 0 && cg->dir[CG_PIDS][0]) {
		snprintf(v, sizeof(v), "%ld", tasks);
		r = write_at(cg->dir[CG_PIDS], "pids.max", v);
		if (r < 0) {
			snprintf(cg->why, sizeof(cg->why), "cannot set the task limit in %.180s: %s",
				 cg->dir[CG_PIDS], strerror(-r));
			return r;
		}
	}
	return 0;
}

static void make_v2(struct umld_cgroup *cg, const char *leaf, const bool need[CG_COUNT])
{
	struct cg_mount m;
	char have[512], top[PATH_MAX], dir[PATH_MAX];
	const char *want[CG_COUNT];
	size_t nwant = 0;

	if (find_mount(NULL, &m) < 0) {
		snprintf(cg->why, sizeof(cg->why), "no cgroup v2 mount");
		return;
	}
	/* a new tree at the top: a cgroup with processes in it (the
	 * monitor's own) cannot give controllers to children */
	cg_dir(&m, "/", top, sizeof(top));
	if (read_at(top, "cgroup.controllers", have, sizeof(have)) < 0)
		have[0] = '\0';
	for (int c = 0; c < CG_COUNT; c++) {
		if (!need[c])
			continue;
		if (!has_word(have, controller_name[c], " ")) {
			snprintf(cg->why, sizeof(cg->why), "cgroup v2 at %.200s has no %s controller",
				 m.point, controller_name[c]);
			return;
		}
		want[nwant++] = controller_name[c];
	}
	if (make_dir(top, leaf, 2, want, nwant, dir, sizeof(dir), cg->why, sizeof(cg->why)) < 0)
		return;
	cg->version = 2;
	for (int c = 0; c < CG_COUNT; c++)
		if (need[c])
			snprintf(cg->dir[c], sizeof(cg->dir[c]), "%s", dir);
}

static void make_v1(struct umld_cgroup *cg, const char *leaf, const bool need[CG_COUNT])
{
	char dirs[CG_COUNT][PATH_MAX];

	for (int c = 0; c < CG_COUNT; c++) {
		struct cg_mount m;
		char own[PATH_MAX], parent[PATH_MAX];

		dirs[c][0] = '\0';
		if (!need[c])
			continue;
		if (find_mount(controller_name[c], &m) < 0 ||
		    own_path(controller_name[c], own, sizeof(own)) < 0) {
			snprintf(cg->why, sizeof(cg->why), "no cgroup v2 with the %s controller, and "
				 "no cgroup v1 %s hierarchy", controller_name[c], controller_name[c]);
			goto undo;
		}
		/* under the monitor's own: v1 allows it, and the limits of
		 * whatever runs umld still hold */
		cg_dir(&m, own, parent, sizeof(parent));
		if (make_dir(parent, leaf, 1, NULL, 0, dirs[c], sizeof(dirs[c]), cg->why,
			     sizeof(cg->why)) < 0)
			goto undo;
	}
	cg->version = 1;
	memcpy(cg->dir, dirs, sizeof(dirs));
	return;
undo:
	for (int c = 0; c < CG_COUNT; c++)
		if (need[c] && dirs[c][0])
			rmdir(dirs[c]);
}

void cgroup_make(struct umld_cgroup *cg, const char *name, long long memory, long tasks)
{
	bool need[CG_COUNT] = { memory >= 0, tasks >= 0 };
	char leaf[NAME_MAX + 1], why2[256];

	memset(cg, 0, sizeof(*cg));
	if (!need[CG_MEMORY] && !need[CG_PIDS]) {
		snprintf(cg->why, sizeof(cg->why), "no Memory or Tasks limit");
		return;
	}
	snprintf(leaf, sizeof(leaf), "%.200s.%d", name, (int)getpid());
	for (char *p = leaf; *p; p++)
		if (*p == '/')
			*p = '_';
	make_v2(cg, leaf, need);
	if (cg->version == 0) {
		snprintf(why2, sizeof(why2), "%s", cg->why);
		make_v1(cg, leaf, need);
		if (cg->version == 0 && strncmp(cg->why, "no cgroup v2", 12) != 0) {
			char v1[sizeof(cg->why)];
			snprintf(v1, sizeof(v1), "%s", cg->why);
			snprintf(cg->why, sizeof(cg->why), "%.120s; %.120s", why2, v1);
		}
	}
	if (cg->version == 0)
		return;
	if (set_limits(cg, memory, tasks) < 0) {
		char why[sizeof(cg->why)];

		snprintf(why, sizeof(why), "%s", cg->why);
		cgroup_remove(cg);
		snprintf(cg->why, sizeof(cg->why), "%s", why);
		return;
	}
	snprintf(cg->why, sizeof(cg->why), "cgroup v%d: %.200s", cg->version,
		 cg->dir[CG_MEMORY][0] ? cg->dir[CG_MEMORY] : cg->dir[CG_PIDS]);
	if (cg->version == 1 && cg->dir[CG_MEMORY][0] && cg->dir[CG_PIDS][0])
		snprintf(cg->why + strlen(cg->why), sizeof(cg->why) - strlen(cg->why), " and %.200s",
			 cg->dir[CG_PIDS]);
}

bool cgroup_has(const struct umld_cgroup *cg, int controller)
{
	return cg->version != 0 && controller >= 0 && controller < CG_COUNT &&
	       cg->dir[controller][0] != '\0';
}

int cgroup_attach(const struct umld_cgroup *cg, pid_t pid)
{
	char v[32];

	if (cg->version == 0)
		return 0;
	snprintf(v, sizeof(v), "%d", (int)pid);
	for (int c = 0; c < CG_COUNT; c++) {
		int r;

		if (!cg->dir[c][0] || (c > 0 && strcmp(cg->dir[c], cg->dir[0]) == 0))
			continue;
		r = write_at(cg->dir[c], "cgroup.procs", v);
		if (r < 0)
			return r;
	}
	return 0;
}

static long long read_number(const char *dir, const char *file)
{
	char buf[64];

	if (!dir[0] || read_at(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

void cgroup_usage(const struct umld_cgroup *cg, long long *memory, long long *tasks)
{
	*memory = *tasks = -1;
	if (cg->version == 0)
		return;
	*memory = read_number(cg->dir[CG_MEMORY],
			      cg->version == 2 ? "memory.current" : "memory.usage_in_bytes");
	*tasks = read_number(cg->dir[CG_PIDS], "pids.current");
}

void cgroup_remove(struct umld_cgroup *cg)
{
	for (int c = 0; c < CG_COUNT; c++) {
		if (!cg->dir[c][0])
			continue;
		/* the last task may still be leaving it: a short wait */
		for (int i = 0; i < 50 && rmdir(cg->dir[c]) < 0 && errno == EBUSY; i++)
			nanosleep(&(struct timespec){ .tv_nsec = 2000000 }, NULL);
		cg->dir[c][0] = '\0';
	}
	cg->version = 0;
}
