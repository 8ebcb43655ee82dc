/* The emulated filesystem's state: the mount table built from the user's
 * layers and binds, and each guest process's working directory, root and
 * executable (threads share their process's). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/fdpass.h"
#include "common/util.h"
#include "emul/fs_emul.h"

void fs_path_normalize(char *p)
{
	char *out = p, *in = p;

	while (*in) {
		while (*in == '/')
			in++;
		if (!*in)
			break;
		char *seg = in;
		while (*in && *in != '/')
			in++;
		size_t n = (size_t)(in - seg);
		if (n == 1 && seg[0] == '.')
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, seg, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

/* A normalised copy of an absolute path. */
static void norm_abs(const char *in, char *out, size_t size)
{
	snprintf(out, size, "%s", in);
	fs_path_normalize(out);
}

static int add_bind(struct fs_emul *fs, const char *host, const char *guest, bool ro, bool proc,
		    struct umld_err *err)
{
	struct fs_mnt *m;
	char real[PATH_MAX];
	int fd;

	if (fs->nmnt == FS_MOUNTS_MAX)
		return umld_err_usage(err, "--bind: too many binds");
	if (!realpath(host, real))
		return umld_err_usage(err, "--bind: %s: %s", host, strerror(errno));
	fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return umld_err_usage(err, "--bind: %s: %s", host,
				      errno == ENOTDIR ? "not a directory" : strerror(errno));
	m = &fs->mnt[fs->nmnt];
	memset(m, 0, sizeof(*m));
	norm_abs(guest, m->guest, sizeof(m->guest));
	/* a second bind at the same place replaces the first */
	for (size_t i = 1; i < fs->nmnt; i++) {
		if (strcmp(fs->mnt[i].guest, m->guest) == 0) {
			close(fs->mnt[i].fd);
			fs->mnt[i].fd = fd;
			snprintf(fs->mnt[i].host, sizeof(fs->mnt[i].host), "%s", real);
			fs->mnt[i].ro = ro;
			fs->mnt[i].proc = proc;
			return 0;
		}
	}
	if (strcmp(m->guest, "/") == 0 && !fs->root_in_place) {
		close(fd);
		return umld_err_usage(err, "--bind: %s: binding over the root is --root's job", host);
	}
	m->len = strlen(m->guest);
	m->fd = fd;
	snprintf(m->host, sizeof(m->host), "%s", real);
	m->ro = ro;
	m->proc = proc;
	fs->nmnt++;
	return 0;
}

int fs_emul_init(struct fs_emul *fs, const struct fs_wants *w, const char *cwd, bool fake_root,
		 struct umld_err *err)
{
	char *lowers[FS_ROOTS_MAX + 1] = { 0 };
	int r;

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->lock, NULL);
	fs_dcache_init(&fs->dcache, FS_DCACHE_FDS);
	fs_fdc_init(&fs->fdc, FS_FDC_MAX);
	fs->stack.upper_fd = -1;
	for (size_t i = 0; i < w->nroots; i++)
		lowers[i] = (char *)w->roots[i];
	if (!w->nroots)
		lowers[0] = "/";
	r = cow_open(&fs->stack, lowers, w->cow, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < fs->stack.nlower; i++)
		if (!realpath(lowers[i], fs->lower_path[i]))
			snprintf(fs->lower_path[i], PATH_MAX, "%s", lowers[i]);
	if (w->cow && !realpath(w->cow, fs->upper_path))
		snprintf(fs->upper_path, PATH_MAX, "%s", w->cow);
	fs->fake_root = fake_root;
	fs->root_in_place = w->root_in_place;
	/* the root */
	snprintf(fs->mnt[0].guest, sizeof(fs->mnt[0].guest), "/");
	fs->mnt[0].len = 1;
	fs->mnt[0].fd = -1;
	fs->nmnt = 1;
	/* the kernel's own trees come from the host, as a container's do:
	 * /proc (whose magic links are translated), /dev and /sys */
	static const char *const kernel_dirs[] = { "/proc", "/dev", "/sys" };
	for (size_t i = 0; i < ARRAY_SIZE(kernel_dirs); i++) {
		r = add_bind(fs, kernel_dirs[i], kernel_dirs[i], false, i == 0, err);
		if (r < 0)
			goto fail;
	}
	for (size_t i = 0; i < w->nbinds; i++) {
		r = add_bind(fs, w->binds[i].host, w->binds[i].guest, w->binds[i].ro, false, err);
		if (r < 0)
			goto fail;
	}
	norm_abs(cwd && *cwd ? cwd : "/", fs->cwd0, sizeof(fs->cwd0));
	/* the caller's directory, if the guest's tree has it, else its root */
	if (!fs_vpath_is_dir(fs, fs->cwd0))
		snprintf(fs->cwd0, sizeof(fs->cwd0), "/");
	return 0;
fail:
	fs_emul_free(fs);
	return r;
}

void fs_emul_free(struct fs_emul *fs)
{
	fs_fdc_free(&fs->fdc);
	fs_dcache_free(&fs->dcache);
	for (size_t i = 1; i < fs->nmnt; i++)
		close(fs->mnt[i].fd);
	fs->nmnt = 0;
	if (fs->stack.nlower || fs->stack.upper_fd >= 0)
		cow_close(&fs->stack);
	for (size_t i = 0; i < FS_PROC_BUCKETS; i++) {
		while (fs->tasks[i]) {
			struct fs_task *t = fs->tasks[i];
			fs->tasks[i] = t->next;
			if (--t->p->refs == 0)
				free(t->p);
			free(t);
		}
	}
}

static struct fs_task **task_slot(struct fs_emul *fs, pid_t tid)
{
	struct fs_task **pp = &fs->tasks[(unsigned)tid % FS_PROC_BUCKETS];

	while (*pp && (*pp)->tid != tid)
		pp = &(*pp)->next;
	return pp;
}

ssize_t fs_proc_read(pid_t tid, const char *file, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)tid, file);
	else
		snprintf(path, sizeof(path), "/proc/%s", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

bool fs_status_field(pid_t tid, const char *name, char *buf, size_t size)
{
	char text[FS_STATUS_MAX];

	return fs_proc_read(tid, "status", text, sizeof(text)) > 0 &&
	       fs_status_value(text, name, buf, size);
}

bool fs_status_value(const char *text, const char *name, char *buf, size_t size)
{
	size_t len = strlen(name);
	for (const char *line = text; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, name, len) != 0)
			continue;
		const char *v = line + len;
		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(buf, size, "%.*s", (int)strcspn(v, "\n"), v);
		return true;
	}
	return false;
}

pid_t fs_tgid(pid_t tid)
{
	char v[32];

	return fs_status_field(tid, "Tgid:", v, sizeof(v)) ? (pid_t)strtol(v, NULL, 10) : 0;
}

static struct fs_proc *find_tgid_locked(struct fs_emul *fs, pid_t tgid)
{
	struct fs_task *t = *task_slot(fs, tgid);

	return t ? t->p : NULL;
}

static struct fs_task *add_task_locked(struct fs_emul *fs, pid_t tid, struct fs_proc *p)
{
	struct fs_task *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->tid = tid;
	t->p = p;
	p->refs++;
	struct fs_task **head = &fs->tasks[(unsigned)tid % FS_PROC_BUCKETS];
	t->next = *head;
	*head = t;
	return t;
}

static struct fs_proc *new_proc(const struct fs_emul *fs, const struct fs_proc *from, pid_t tgid)
{
	struct fs_proc *p = malloc(sizeof(*p));

	if (!p)
		return NULL;
	if (from) {
		*p = *from;
	} else {
		memset(p, 0, sizeof(*p));
		snprintf(p->cwd, sizeof(p->cwd), "%s", fs->cwd0);
		snprintf(p->root, sizeof(p->root), "/");
	}
	p->refs = 0;
	p->tgid = tgid;
	return p;
}

struct fs_proc *fs_proc_of(struct fs_emul *fs, pid_t tid)
{
	struct fs_task *t;
	struct fs_proc *p;
	pid_t tgid;

	pthread_mutex_lock(&fs->lock);
	t = *task_slot(fs, tid);
	if (t) {
		pthread_mutex_unlock(&fs->lock);
		return t->p;
	}
	pthread_mutex_unlock(&fs->lock);
	tgid = fs_tgid(tid);
	pthread_mutex_lock(&fs->lock);
	p = tgid && tgid != tid ? find_tgid_locked(fs, tgid) : NULL;
	if (!p) {
		p = new_proc(fs, NULL, tgid ? tgid : tid);
		if (!p) {
			pthread_mutex_unlock(&fs->lock);
			return NULL;
		}
	}
	t = add_task_locked(fs, tid, p);
	if (!t && p->refs == 0) {
		free(p);
		p = NULL;
	}
	pthread_mutex_unlock(&fs->lock);
	return p;
}

bool fs_proc_copy_by_pid(struct fs_emul *fs, pid_t pid, struct fs_proc *out)
{
	struct fs_proc *p;

	pthread_mutex_lock(&fs->lock);
	p = find_tgid_locked(fs, pid);
	if (p)
		*out = *p;
	pthread_mutex_unlock(&fs->lock);
	return p != NULL;
}

static void set_field(struct fs_emul *fs, pid_t tid, size_t off, const char *vpath)
{
	struct fs_proc *p = fs_proc_of(fs, tid);

	if (!p)
		return;
	pthread_mutex_lock(&fs->lock);
	snprintf((char *)p + off, PATH_MAX, "%s", vpath);
	pthread_mutex_unlock(&fs->lock);
}

void fs_set_cwd(struct fs_emul *fs, pid_t tid, const char *vpath)
{
	set_field(fs, tid, offsetof(struct fs_proc, cwd), vpath);
}

void fs_set_root(struct fs_emul *fs, pid_t tid, const char *vpath)
{
	set_field(fs, tid, offsetof(struct fs_proc, root), vpath);
}

void fs_set_exe(struct fs_emul *fs, pid_t tid, const char *vpath)
{
	set_field(fs, tid, offsetof(struct fs_proc, exe), vpath);
}

void fs_task_clone(struct fs_emul *fs, pid_t parent, pid_t child)
{
	struct fs_proc *pp = fs_proc_of(fs, parent), *cp;
	pid_t tgid = fs_tgid(child);

	if (!pp)
		return;
	pthread_mutex_lock(&fs->lock);
	if (*task_slot(fs, child)) {
		pthread_mutex_unlock(&fs->lock);
		return;
	}
	if (tgid == pp->tgid) {
		add_task_locked(fs, child, pp);
	} else {
		cp = new_proc(fs, pp, tgid ? tgid : child);
		if (cp && !add_task_locked(fs, child, cp))
			free(cp);
	}
	pthread_mutex_unlock(&fs->lock);
}

void fs_task_gone(struct fs_emul *fs, pid_t tid)
{
	struct fs_task **pp, *t;
	pid_t gone = 0;

	pthread_mutex_lock(&fs->lock);
	pp = task_slot(fs, tid);
	t = *pp;
	if (t) {
		*pp = t->next;
		if (--t->p->refs == 0) {
			gone = t->p->tgid;
			free(t->p);
		}
		free(t);
	}
	pthread_mutex_unlock(&fs->lock);
	if (gone)
		fs_fdc_drop_tgid(fs, gone);
}

mode_t fs_umask(pid_t tid)
{
	char v[32];

	return fs_status_field(tid, "Umask:", v, sizeof(v)) ? (mode_t)strtol(v, NULL, 8) & 0777 : 022;
}

int fs_guest_fd_copy(pid_t tid, int fd)
{
	int r = fd_take(tid, fd);
	pid_t tgid;

	/* a thread that is not its group's leader, before Linux 6.9: the
	 * group's table, which threads share */
	if (r == -EINVAL && (tgid = fs_tgid(tid)) > 0 && tgid != tid)
		r = fd_take(tgid, fd);
	return r;
}
