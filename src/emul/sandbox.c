/* The sandbox: the policy's keys, the private /tmp and /dev, the deny table
 * and the checks of calls whose arguments decide, and what the guest's
 * first process sets up before it runs (sandbox_child_apply).
 *
 * Enforcement is in layers. The handlers here see every call the policy
 * names (they wrap those of the virtual kernel, which still run after a
 * check passes), deny with the policy's errno and write the audit line.
 * Under them, the kernel's own walls: no capabilities, no_new_privs, a
 * network namespace where one can be had, and Landlock. */
#include "config.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <net/if.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/landlock.h"
#include "common/log.h"
#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/pids.h"
#include "emul/sandbox.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#define SB_NS_FLAGS                                                                        \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |         \
	 CLONE_NEWNET | CLONE_NEWCGROUP)

/* ---- the policy ---- */

void sandbox_policy_init(struct sandbox_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->timeout = -1;
}

void sandbox_policy_free(struct sandbox_policy *p)
{
	for (size_t i = 0; i < p->nread_only; i++)
		free(p->read_only[i]);
	for (size_t i = 0; i < p->nread_write; i++)
		free(p->read_write[i]);
	for (size_t i = 0; i < p->nhide; i++)
		free(p->hide[i]);
	free(p->audit);
	sandbox_policy_init(p);
}

bool sandbox_policy_active(const struct sandbox_policy *p)
{
	return p->profile != SB_PROFILE_OFF || p->nread_only || p->nread_write || p->nhide ||
	       p->network != SB_NET_DEFAULT || p->nrules || p->timeout >= 0 || p->audit;
}

/* An errno by its name (EACCES), 0 when there is none such. */
static int errno_by_name(const char *name)
{
	for (int e = 1; e < 134; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, name) == 0)
			return e;
	}
	return 0;
}

static int add_path(char **list, size_t *n, const char *value, bool must_exist, char *why,
		    size_t size)
{
	struct stat st;

	if (value[0] != '/') {
		snprintf(why, size, "'%s' is not an absolute path", value);
		return -EINVAL;
	}
	if (must_exist && lstat(value, &st) < 0) {
		snprintf(why, size, "'%s' does not exist", value);
		return -EINVAL;
	}
	if (*n == SB_PATHS_MAX) {
		snprintf(why, size, "at most %d paths", SB_PATHS_MAX);
		return -EINVAL;
	}
	list[*n] = strdup(value);
	if (!list[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* One word of Allow= or Deny=: NAME, or for Deny NAME:ERRNO. */
static int add_rule(struct sandbox_policy *p, const char *word, bool deny, char *why, size_t size)
{
	char name[64];
	const char *colon = strchr(word, ':');
	size_t n = colon ? (size_t)(colon - word) : strlen(word);
	const struct sc_info *info;
	int e = EPERM;

	if (n == 0 || n >= sizeof(name)) {
		snprintf(why, size, "'%s' is not a system call name", word);
		return -EINVAL;
	}
	memcpy(name, word, n);
	name[n] = '\0';
	info = sc_by_name(name);
	if (!info) {
		snprintf(why, size, "'%s' is not a system call umld knows", name);
		return -EINVAL;
	}
	if (colon && !deny) {
		snprintf(why, size, "'%s': an allowed call takes no errno", word);
		return -EINVAL;
	}
	if (colon && !(e = errno_by_name(colon + 1))) {
		snprintf(why, size, "'%s' is not an errno name (such as EPERM or EACCES)", colon + 1);
		return -EINVAL;
	}
	if (p->nrules == SB_RULES_MAX) {
		snprintf(why, size, "at most %d rules", SB_RULES_MAX);
		return -EINVAL;
	}
	p->rules[p->nrules++] = (struct sb_rule){ .name = info->name, .error = deny ? e : 0 };
	return 0;
}

static int parse_seconds(const char *s, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -EINVAL;
	if (*end == 'm' && v < LLONG_MAX / 60)
		v *= 60, end++;
	else if (*end == 'h' && v < LLONG_MAX / 3600)
		v *= 3600, end++;
	else if (*end == 's')
		end++;
	if (*end || v <= 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int sandbox_policy_set(struct sandbox_policy *p, const char *key, const char *value, char *why,
		       size_t size)
{
	if (strcmp(key, "Profile") == 0) {
		if (strcmp(value, "strict") == 0)
			p->profile = SB_PROFILE_STRICT;
		else if (strcmp(value, "none") == 0)
			p->profile = SB_PROFILE_OFF;
		else {
			snprintf(why, size, "'%s' is not a profile (strict or none)", value);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "ReadOnly") == 0)
		return add_path(p->read_only, &p->nread_only, value, true, why, size);
	if (strcmp(key, "ReadWrite") == 0)
		return add_path(p->read_write, &p->nread_write, value, true, why, size);
	if (strcmp(key, "Hide") == 0)
		return add_path(p->hide, &p->nhide, value, true, why, size);
	if (strcmp(key, "Network") == 0) {
		static const char *const names[] = { "none", "loopback", "host" };
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			if (strcmp(value, names[i]) == 0) {
				p->network = (enum sb_network)(SB_NET_NONE + i);
				return 0;
			}
		snprintf(why, size, "'%s' is not none, loopback or host", value);
		return -EINVAL;
	}
	if (strcmp(key, "Allow") == 0 || strcmp(key, "Deny") == 0) {
		char buf[1024], *save = NULL;
		int r = 0, words = 0;

		if (strlen(value) >= sizeof(buf)) {
			snprintf(why, size, "longer than %zu bytes", sizeof(buf) - 1);
			return -EINVAL;
		}
		strcpy(buf, value);
		for (char *w = strtok_r(buf, " \t,", &save); w && r == 0;
		     w = strtok_r(NULL, " \t,", &save), words++)
			r = add_rule(p, w, key[0] == 'D', why, size);
		if (r == 0 && words == 0) {
			snprintf(why, size, "names no system call");
			return -EINVAL;
		}
		return r;
	}
	if (strcmp(key, "Timeout") == 0) {
		if (parse_seconds(value, &p->timeout) < 0) {
			snprintf(why, size, "'%s' is not a duration (seconds, with an optional s, m "
					    "or h suffix, at least 1)", value);
			return -EINVAL;
		}
		return 0;
	}
	if (strcmp(key, "AuditLog") == 0) {
		if (strcmp(value, "-") != 0 && value[0] != '/') {
			snprintf(why, size, "'%s' is not an absolute path or -", value);
			return -EINVAL;
		}
		free(p->audit);
		p->audit = strdup(value);
		return p->audit ? 0 : -ENOMEM;
	}
	snprintf(why, size, "unknown sandbox key");
	return -EINVAL;
}

/* ---- the private directories ---- */

static int add_bind(struct fs_wants *fs, const char *host, const char *guest, bool ro,
		    struct umld_err *err)
{
	if (fs->nbinds == FS_BINDS_MAX)
		return umld_err_usage(err, "sandbox: more than %d binds with the sandbox's own",
				      FS_BINDS_MAX);
	fs->binds[fs->nbinds++] = (struct fs_bind){ .host = host, .guest = guest, .ro = ro };
	return 0;
}

/* The files of the guest's /dev: empty files as mount points for the
 * host's, in a private directory that is its /dev. */
static const char *const dev_files[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Where the private directories go: $TMPDIR when it is an absolute path
 * short enough for the paths made from it, else /tmp. */
static const char *tmp_parent(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && tmp[0] == '/' && strlen(tmp) <= 32 ? tmp : "/tmp";
}

/* The leftovers of sandboxes whose monitor is gone (SIGKILL, a crash): in
 * each place make_private and make_hide_layer make a directory. */
static void sweep_leftovers(void)
{
	privdir_sweep(tmp_parent(), "sandbox");
	privdir_sweep(tmp_parent(), "hide");
	privdir_sweep("/dev/shm", "hide");
}

static int make_private(struct sandbox *sb, struct fs_wants *fs, struct umld_err *err)
{
	const char *tmp = tmp_parent();
	char path[PATH_MAX];
	int r;

	r = privdir_make(&sb->base, tmp, "sandbox", 0700);
	if (r < 0)
		return umld_err_set(err, r, "sandbox: cannot make a private directory in %s: %s",
				    tmp, strerror(-r));
	snprintf(sb->scratch, sizeof(sb->scratch), "%s/tmp", sb->base.path);
	snprintf(sb->dev, sizeof(sb->dev), "%s/dev", sb->base.path);
	snprintf(sb->shm, sizeof(sb->shm), "%s/shm", sb->base.path);
	if (mkdir(sb->scratch, 01777) < 0 || chmod(sb->scratch, 01777) < 0 ||
	    mkdir(sb->shm, 01777) < 0 || chmod(sb->shm, 01777) < 0 || mkdir(sb->dev, 0755) < 0)
		return umld_err_set(err, -errno, "sandbox: %s: %s", sb->base.path, strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(dev_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", sb->dev, dev_files[i]);
		int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
		if (fd < 0)
			return umld_err_set(err, -errno, "sandbox: %s: %s", path, strerror(errno));
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/pts", sb->dev);
	if (mkdir(path, 0755) < 0)
		return umld_err_set(err, -errno, "sandbox: %s: %s", path, strerror(errno));
	/* the guest's own devpts instance is mounted at pts (sandbox_child_apply) */
	snprintf(path, sizeof(path), "%s/ptmx", sb->dev);
	if (symlink("pts/ptmx", path) < 0)
		return umld_err_set(err, -errno, "sandbox: %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/shm", sb->dev);
	if (mkdir(path, 01777) < 0 || chmod(path, 01777) < 0)
		return umld_err_set(err, -errno, "sandbox: %s: %s", path, strerror(errno));
	/* the emulated filesystem binds directories only: there the host's
	 * /dev stays, opened with the user's rights, but /dev/shm, which
	 * anyone may write, is private (the containerized one gets all of
	 * the private /dev, add_dev_binds) */
	r = add_bind(fs, sb->scratch, "/tmp", false, err);
	if (r == 0)
		r = add_bind(fs, sb->shm, "/dev/shm", false, err);
	return r;
}

/* The containerized filesystem: the private /dev with the host's few
 * harmless devices bound into it. */
static int add_dev_binds(struct sandbox *sb, struct fs_wants *fs, struct umld_err *err)
{
	int r = add_bind(fs, sb->dev, "/dev", false, err);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(dev_files); i++) {
		snprintf(sb->dev_paths[i], sizeof(sb->dev_paths[i]), "/dev/%s", dev_files[i]);
		r = add_bind(fs, sb->dev_paths[i], sb->dev_paths[i], false, err);
	}
	sb->child.devpts = true;
	return r;
}

/* Hide=: a base layer on top of the others holding a whiteout at each
 * path, so that both backends show it as absent. Over the host's / as
 * root (the containerized filesystem) it goes to /dev/shm, another mount:
 * overlayfs refuses a layer inside another. Elsewhere in the private
 * directory: the emulated filesystem maps host paths under /dev to its
 * /dev bind. Outside the private directory (or without one) it is the
 * "layer" of a private directory of its own, beside that one's lock. */
static int make_hide_layer(struct sandbox *sb, struct fs_wants *fs, struct umld_err *err)
{
	bool shm = fs->nroots == 0 && geteuid() == 0 && access("/dev/shm", W_OK) == 0;
	const char *dir = !shm && sb->base.path[0] ? sb->base.path : NULL;
	char path[PATH_MAX];
	int r;

	if (!dir) {
		r = privdir_make(&sb->hide, shm ? "/dev/shm" : tmp_parent(), "hide", 0755);
		if (r < 0)
			return umld_err_set(err, r, "sandbox: Hide: %s", strerror(-r));
		dir = sb->hide.path;
	}
	if ((size_t)snprintf(sb->hide_layer, sizeof(sb->hide_layer), "%s/%s", dir,
			     dir == sb->base.path ? "hide" : "layer") >= sizeof(sb->hide_layer))
		return umld_err_set(err, -ENAMETOOLONG, "sandbox: Hide: %s: a path too long", dir);
	if (mkdir(sb->hide_layer, 0755) < 0 || chmod(sb->hide_layer, 0755) < 0)
		return umld_err_set(err, -errno, "sandbox: Hide: %s: %s", sb->hide_layer,
				    strerror(errno));
	for (size_t i = 0; i < sb->p.nhide; i++) {
		const char *h = sb->p.hide[i];
		snprintf(path, sizeof(path), "%s%s", sb->hide_layer, h);
		/* the parents, then the whiteout */
		for (char *s = path + strlen(sb->hide_layer) + 1; (s = strchr(s, '/')); s++) {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
		if (mknod(path, S_IFCHR, makedev(0, 0)) < 0 && errno != EEXIST)
			return umld_err_set(err, -errno, "sandbox: Hide: %s: a whiteout: %s", h,
					    strerror(errno));
	}
	if (fs->nroots == 0)
		fs->roots[fs->nroots++] = "/";
	if (fs->nroots == FS_ROOTS_MAX)
		return umld_err_usage(err, "sandbox: Hide: at most %d base layers", FS_ROOTS_MAX - 1);
	fs->roots[fs->nroots++] = sb->hide_layer;
	return 0;
}

/* A ReadOnly=/ReadWrite= path under /tmp is bound over the private /tmp:
 * its mount point is made there. */
static void scratch_mount_point(const struct sandbox *sb, const char *path)
{
	char mp[PATH_MAX];
	struct stat st;

	if (!sb->scratch[0] || strncmp(path, "/tmp/", 5) != 0 || stat(path, &st) < 0)
		return;
	snprintf(mp, sizeof(mp), "%s%s", sb->scratch, path + 4);
	for (char *s = mp + strlen(sb->scratch) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(mp, 0755);
		*s = '/';
	}
	if (S_ISDIR(st.st_mode))
		mkdir(mp, 0755);
	else
		close(open(mp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
}

int sandbox_prepare(struct sandbox *sb, const struct sandbox_policy *p, struct fs_wants *fs,
		    long max_tasks, const char *instance, struct umld_err *err)
{
	int r;

	memset(sb, 0, sizeof(*sb));
	privdir_init(&sb->base);
	privdir_init(&sb->hide);
	pthread_mutex_init(&sb->lock, NULL);
	sb->p = *p;
	sb->prepared = true;
	sb->strict = p->profile == SB_PROFILE_STRICT;
	sb->max_tasks = max_tasks;
	sb->net = p->network != SB_NET_DEFAULT ? p->network : sb->strict ? SB_NET_NONE : SB_NET_HOST;
	r = audit_open(&sb->audit, p->audit, instance != NULL, instance, err);
	if (r < 0)
		return r;
	if (sb->strict && fs->cow)
		return umld_err_usage(err, "--sandbox=strict keeps the root read-only, with a "
					   "private /tmp: it takes no --cow (--read-write=DIR makes a "
					   "host directory writable)");
	if (sb->strict || p->nhide)
		sweep_leftovers();
	if (sb->strict) {
		r = make_private(sb, fs, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < p->nread_write; i++) {
		scratch_mount_point(sb, p->read_write[i]);
		if ((r = add_bind(fs, p->read_write[i], p->read_write[i], false, err)) < 0)
			return r;
	}
	for (size_t i = 0; i < p->nread_only; i++) {
		scratch_mount_point(sb, p->read_only[i]);
		if ((r = add_bind(fs, p->read_only[i], p->read_only[i], true, err)) < 0)
			return r;
	}
	if (p->nhide && (r = make_hide_layer(sb, fs, err)) < 0)
		return r;
	return 0;
}

/* ---- the running guest's tasks ---- */

static bool task_known(struct sandbox *sb, pid_t tid)
{
	bool found = false;

	pthread_mutex_lock(&sb->lock);
	for (struct sb_task *t = sb->tasks[(unsigned)tid % SB_TASK_BUCKETS]; t; t = t->next)
		if (t->tid == tid)
			found = true;
	pthread_mutex_unlock(&sb->lock);
	return found;
}

void sandbox_task_clone(struct sandbox *sb, pid_t child)
{
	struct sb_task *t = malloc(sizeof(*t));

	if (!t)
		return;
	t->tid = child;
	pthread_mutex_lock(&sb->lock);
	t->next = sb->tasks[(unsigned)child % SB_TASK_BUCKETS];
	sb->tasks[(unsigned)child % SB_TASK_BUCKETS] = t;
	sb->ntasks++;
	pthread_mutex_unlock(&sb->lock);
}

void sandbox_task_gone(struct sandbox *sb, pid_t tid)
{
	pthread_mutex_lock(&sb->lock);
	for (struct sb_task **pp = &sb->tasks[(unsigned)tid % SB_TASK_BUCKETS]; *pp;
	     pp = &(*pp)->next) {
		if ((*pp)->tid == tid) {
			struct sb_task *t = *pp;
			*pp = t->next;
			free(t);
			sb->ntasks--;
			break;
		}
	}
	pthread_mutex_unlock(&sb->lock);
}

/* ---- the checks: 0 lets the call go on, else the errno to deny with;
 * path gets what the call names, for the audit line ---- */

typedef int sb_check_fn(struct sandbox *sb, const struct sc_request *req, char *path,
			size_t size);

static int check_tasks(struct sandbox *sb)
{
	long n;

	if (sb->max_tasks < 0)
		return 0;
	pthread_mutex_lock(&sb->lock);
	n = sb->ntasks;
	pthread_mutex_unlock(&sb->lock);
	return n >= sb->max_tasks ? EAGAIN : 0;
}

static int ck_fork(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	(void)req, (void)path, (void)size;
	return check_tasks(sb);
}

static int ck_clone(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	(void)path, (void)size;
	/* CLONE_NEWTIME is a clone3 flag: for clone its bit is the exit signal */
	if (sb->strict && (req->args[0] & SB_NS_FLAGS))
		return EPERM;
	return check_tasks(sb);
}

/* The kernel reads clone3's flags from memory after any check, where a
 * second thread could change them: strict offers only clone (libc falls
 * back to it), whose flags are in a register. */
static int ck_clone3(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	(void)req, (void)path, (void)size;
	return sb->strict ? ENOSYS : check_tasks(sb);
}

static bool net_closed(const struct sandbox *sb)
{
	return sb->net == SB_NET_NONE || (sb->net == SB_NET_LOOPBACK && !sb->net_ns);
}

static int ck_socket(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	int family = (int)req->args[0];

	(void)path, (void)size;
	if (family == AF_UNIX || !net_closed(sb))
		return 0;
	return EAFNOSUPPORT;
}

/* The audit's name of an abstract address: "@" and its bytes. */
static void abstract_name(const struct sockaddr_un *un, size_t len, char *path, size_t size)
{
	size_t n = len - offsetof(struct sockaddr_un, sun_path) - 1;

	snprintf(path, size, "@%.*s", (int)n, un->sun_path + 1);
}

/* A unix socket address: abstract ones of the host are out of reach
 * unless the guest has a network namespace (where they are its own). This
 * check reads guest memory, which the kernel reads again: it runs only
 * where Landlock's scope is the wall (check_of); where nothing else is,
 * sock.c reads the address once and makes the call. */
static int check_addr(struct sandbox *sb, const struct sc_request *req, uint64_t addr,
		      uint64_t len, char *path, size_t size)
{
	struct sockaddr_un un;
	size_t n = len < sizeof(un) ? (size_t)len : sizeof(un);

	if (!addr || n <= offsetof(struct sockaddr_un, sun_path))
		return 0;
	memset(&un, 0, sizeof(un));
	if (req_read(req, addr, &un, n) < 0)
		return 0; /* the kernel answers EFAULT */
	if (un.sun_family != AF_UNIX || un.sun_path[0] != '\0')
		return 0;
	abstract_name(&un, n, path, size);
	return ECONNREFUSED;
}

bool sandbox_sock_wall(const struct sandbox *sb)
{
	return sb->sock_wall;
}

bool sandbox_sock_keeps_abstract(const struct sandbox *sb)
{
	return !sb->net_ns && sb->net != SB_NET_HOST;
}

int sandbox_sock_denied(struct sandbox *sb, const struct sc_request *req,
			const struct sockaddr_un *un, size_t len, int error)
{
	char path[sizeof(un->sun_path) + 2];

	if (un)
		abstract_name(un, len, path, sizeof(path));
	audit_denial(&sb->audit, req, un ? path : NULL, error);
	return error;
}

static int ck_addr1(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	return check_addr(sb, req, req->args[1], req->args[2], path, size);
}

static int ck_sendto(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	return check_addr(sb, req, req->args[4], req->args[5], path, size);
}

/* The address of a message (msghdr of x86_64: msg_name at 0, msg_namelen at 8). */
static int check_msg_addr(struct sandbox *sb, const struct sc_request *req, uint64_t msg,
			  char *path, size_t size)
{
	struct {
		uint64_t name;
		uint32_t namelen;
	} h;

	if (!msg || req->abi != ABI_X86_64 || req_read(req, msg, &h, sizeof(h)) < 0)
		return 0; /* the kernel answers EFAULT; i386 is denied whole under strict */
	return check_addr(sb, req, h.name, h.namelen, path, size);
}

static int ck_sendmsg(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	return check_msg_addr(sb, req, req->args[1], path, size);
}

/* sendmmsg: every message's address (struct mmsghdr is 64 bytes) */
static int ck_sendmmsg(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	unsigned vlen = (unsigned)req->args[2];
	int e = 0;

	if (vlen > 1024)
		vlen = 1024; /* UIO_MAXIOV: the kernel sends no more */
	for (unsigned i = 0; i < vlen && !e; i++)
		e = check_msg_addr(sb, req, req->args[1] + 64ULL * i, path, size);
	return e;
}

/* strict: no typing into the terminal's input, no console tricks (the
 * filter stops only these commands, see claim) */
static int ck_ioctl(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	unsigned cmd = (unsigned)req->args[1]; /* the kernel reads 32 bits */

	(void)path, (void)size;
	return sb->strict && (cmd == TIOCSTI || cmd == TIOCLINUX) ? EPERM : 0;
}

static int ck_personality(struct sandbox *sb, const struct sc_request *req, char *path,
			  size_t size)
{
	(void)path, (void)size;
	/* 0xffffffff only asks */
	return sb->strict && (unsigned)req->args[0] != 0xffffffffu ? EPERM : 0;
}

/* A process the guest names: one of its own, unless a PID namespace keeps
 * it from naming others anyway. 0 means the caller itself. */
static int check_pid(struct sandbox *sb, long pid)
{
	if (!sb->strict || sb->pids_isolated || pid == 0)
		return 0;
	if (pid == -1)
		return EPERM;
	if (pid < 0)
		pid = -pid;
	return task_known(sb, (pid_t)pid) ? 0 : EPERM;
}

static int ck_pid0(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	(void)path, (void)size;
	return check_pid(sb, (int)req->args[0]);
}

static int ck_pid01(struct sandbox *sb, const struct sc_request *req, char *path, size_t size)
{
	int r = check_pid(sb, (int)req->args[0]);

	(void)path, (void)size;
	return r ? r : check_pid(sb, (int)req->args[1]);
}

static int ck_setpriority(struct sandbox *sb, const struct sc_request *req, char *path,
			  size_t size)
{
	(void)path, (void)size;
	if ((int)req->args[0] == PRIO_PROCESS)
		return check_pid(sb, (int)req->args[1]);
	return sb->strict && !sb->pids_isolated && (int)req->args[1] != 0 ? EPERM : 0;
}

static const struct {
	const char *name;
	sb_check_fn *fn;
} checks[] = {
	{ "fork", ck_fork },           { "vfork", ck_fork },
	{ "clone", ck_clone },         { "clone3", ck_clone3 },
	{ "socket", ck_socket },       { "connect", ck_addr1 },
	{ "bind", ck_addr1 },          { "sendto", ck_sendto },
	{ "sendmsg", ck_sendmsg },     { "sendmmsg", ck_sendmmsg },
	{ "ioctl", ck_ioctl },
	{ "personality", ck_personality },
	{ "kill", ck_pid0 },           { "tkill", ck_pid0 },
	{ "tgkill", ck_pid01 },        { "rt_sigqueueinfo", ck_pid0 },
	{ "rt_tgsigqueueinfo", ck_pid01 }, { "pidfd_open", ck_pid0 },
	{ "prlimit64", ck_pid0 },      { "sched_setaffinity", ck_pid0 },
	{ "sched_setscheduler", ck_pid0 }, { "sched_setparam", ck_pid0 },
	{ "sched_setattr", ck_pid0 },  { "setpriority", ck_setpriority },
};

/* The calls that give the kernel a socket address in guest memory. */
static const char *const addr_calls[] = { "bind", "connect", "sendto", "sendmsg", "sendmmsg" };

/* Denied outright under strict (EPERM unless Deny= names another errno). */
static const char *const strict_denied[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "bpf", "perf_event_open",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"mount", "umount2", "move_mount", "open_tree", "open_tree_attr", "fsopen", "fsconfig",
	"fsmount", "fspick", "mount_setattr", "pivot_root", "keyctl", "add_key", "request_key",
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "unshare",
	"setns", "name_to_handle_at", "open_by_handle_at", "iopl", "ioperm", "swapon",
	"swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "fanotify_init",
	"lookup_dcookie", "vhangup", "syslog", "uselib", "kcmp", "migrate_pages", "move_pages",
	"ioprio_set", "pidfd_getfd",
};

static struct verdict sb_deny(struct sandbox *sb, const struct sc_request *req, const char *path,
			      int error)
{
	char buf[PATH_MAX];

	if (!path && req->info) {
		for (unsigned i = 0; i < req->info->nargs; i++)
			if (req->info->args[i] == ARG_PATH && req->args[i] &&
			    req_read_str(req, req->args[i], buf, sizeof(buf)) >= 0) {
				path = buf;
				break;
			}
	}
	audit_denial(&sb->audit, req, path, error);
	return verdict_deny(error);
}

/* The check of a call, if it has one that can deny here. The address
 * checks: none with a network namespace or the host's network; where
 * Landlock's scope keeps abstract sockets in, a check of guest memory that
 * only tells the guest and the audit log early; where nothing does, none
 * here: sock.c makes those calls from one copy of the address (the 64-bit
 * ones; the 32-bit ones are denied). */
static sb_check_fn *check_of(struct sandbox *sb, enum umld_abi abi, long nr)
{
	const struct sc_info *info = sc_lookup(abi, nr);

	if (!info)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		if (strcmp(checks[i].name, info->name) != 0)
			continue;
		if (checks[i].fn == ck_addr1 || checks[i].fn == ck_sendto ||
		    checks[i].fn == ck_sendmsg || checks[i].fn == ck_sendmmsg)
			return !sandbox_sock_keeps_abstract(sb) ||
					       (sb->sock_wall && abi == ABI_X86_64) ? NULL : checks[i].fn;
		if (checks[i].fn == ck_ioctl && !sb->strict)
			return NULL; /* it denies nothing then */
		return checks[i].fn;
	}
	return NULL;
}

static struct verdict sb_enter(struct emul_ctx *ctx, const struct sc_request *req)
{
	struct vkernel *vk = ctx->state;
	struct sandbox *sb = vk->sandbox;
	const struct emul_handler *prev;
	sb_check_fn *fn;
	char path[PATH_MAX];
	int e;

	if ((unsigned)req->abi >= ABI_COUNT || req->nr < 0 || req->nr >= SC_NR_LIMIT)
		return verdict_pass();
	e = sb->deny[req->abi][req->nr];
	if (e == ENOSYS && req->info && strcmp(req->info->name, "clone3") == 0)
		return verdict_deny(ENOSYS); /* not a denial: see ck_clone3 */
	if (e)
		return sb_deny(sb, req, NULL, e);
	fn = check_of(sb, req->abi, req->nr);
	path[0] = '\0';
	if (fn && (e = fn(sb, req, path, sizeof(path))) != 0) {
		if (e == ENOSYS)
			return verdict_deny(e);
		return sb_deny(sb, req, path[0] ? path : NULL, e);
	}
	prev = sb->prev[req->abi][req->nr];
	return prev && prev->enter ? prev->enter(ctx, req) : verdict_pass();
}

static void deny_name(struct sandbox *sb, const char *name, int error)
{
	const struct sc_info *info = sc_by_name(name);

	for (int abi = 0; info && abi < ABI_COUNT; abi++)
		if (info->nr[abi] >= 0 && info->nr[abi] < SC_NR_LIMIT)
			sb->deny[abi][info->nr[abi]] = error;
}

/* Allow=NAME: off the deny table and unchecked, in the 64-bit ABI (strict
 * keeps the whole i386 ABI closed). */
static void allow_name(struct sandbox *sb, const char *name)
{
	const struct sc_info *info = sc_by_name(name);
	int nr = info ? info->nr[ABI_X86_64] : -1;

	if (nr >= 0 && nr < SC_NR_LIMIT) {
		sb->deny[ABI_X86_64][nr] = 0;
		sb->allowed[ABI_X86_64][nr] = true;
	}
	if (!sb->strict && info && info->nr[ABI_I386] >= 0 && info->nr[ABI_I386] < SC_NR_LIMIT) {
		sb->deny[ABI_I386][info->nr[ABI_I386]] = 0;
		sb->allowed[ABI_I386][info->nr[ABI_I386]] = true;
	}
}

static void claim(struct sandbox *sb, struct emul_table *t, int abi, int nr)
{
	const struct emul_handler *prev = t->by_nr[abi][nr];
	struct emul_handler *w = &sb->wrap[abi * SC_NR_LIMIT + nr];
	const struct sc_info *info = sc_lookup(abi, nr);

	sb->prev[abi][nr] = prev;
	*w = (struct emul_handler){
		.name = info ? info->name : "sandbox",
		.abis = 1u << abi,
		.needs_ptrace = prev ? prev->needs_ptrace : false,
		.never_eintr = prev ? prev->never_eintr : !check_of(sb, abi, nr),
		.may_block = prev ? prev->may_block : NULL,
		.enter = sb_enter,
	};
	/* ioctl is checked for two commands: the filter stops only those (and
	 * the wrapped handler's), unless a deny rule takes every ioctl */
	if (!sb->deny[abi][nr] && check_of(sb, abi, nr) == ck_ioctl &&
	    (!prev || (prev->narg1 && prev->narg1 + 2 <= ARRAY_SIZE(sb->ioctl_cmds[abi])))) {
		uint32_t *cmds = sb->ioctl_cmds[abi];
		unsigned n = 0;

		cmds[n++] = TIOCSTI;
		cmds[n++] = TIOCLINUX;
		for (unsigned i = 0; prev && i < prev->narg1; i++)
			cmds[n++] = prev->arg1[i];
		w->arg1 = cmds;
		w->narg1 = n;
	}
	/* fork and clone never fail with EINTR natively */
	if (!prev && info && (strcmp(info->name, "fork") == 0 || strcmp(info->name, "vfork") == 0 ||
			      strcmp(info->name, "clone") == 0))
		w->never_eintr = true;
	if (!prev)
		t->claimed++;
	t->by_nr[abi][nr] = w;
}

/* ---- the child's walls ---- */

static void child_paths(struct sandbox *sb, const struct fs_wants *fs, bool fs_container)
{
	struct sandbox_child *c = &sb->child;
	static const char *const dev_rw[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/tty",
					      "/dev/pts", "/dev/ptmx", "/dev/shm" };

	if (fs_container) {
		/* the guest's own paths, after pivot_root */
		c->ll_read[c->nll_read++] = "/";
		c->ll_write[c->nll_write++] = "/tmp";
		for (size_t i = 0; i < ARRAY_SIZE(dev_rw); i++)
			c->ll_write[c->nll_write++] = dev_rw[i];
		for (size_t i = 0; i < sb->p.nread_write; i++)
			c->ll_write[c->nll_write++] = sb->p.read_write[i];
		return;
	}
	/* the emulated filesystem: the monitor opens and writes for the
	 * guest; the guest itself only executes files of the layers (its
	 * execs are rewritten to their host paths) and reads the monitor's
	 * virtual files */
	for (size_t i = 0; i < fs->nroots && c->nll_read < ARRAY_SIZE(c->ll_read); i++)
		c->ll_read[c->nll_read++] = fs->roots[i];
	if (fs->nroots == 0)
		c->ll_read[c->nll_read++] = "/";
	c->ll_read[c->nll_read++] = "/tmp"; /* the virtual files (procfile.c) */
	c->ll_read[c->nll_read++] = "/proc";
	for (size_t i = 0; i < ARRAY_SIZE(dev_rw); i++)
		c->ll_write[c->nll_write++] = dev_rw[i];
}

/* The audit log's pid under the emulated pid backend. */
static pid_t audit_vpid(void *arg, pid_t tid)
{
	pid_t vtid;

	return pids_vpid_of(arg, tid, &vtid);
}

int sandbox_claim(struct sandbox *sb, struct emul_table *t, struct fs_wants *fs,
		  bool fs_container, bool pid_ns, struct vk_pids *pids, bool net_ns,
		  struct umld_err *err)
{
	const char *why = NULL;
	int abi, r;

	if (pids) {
		sb->audit.vpid = audit_vpid;
		sb->audit.vpid_arg = pids;
	}
	sb->pids_isolated = pid_ns;
	sb->net_ns = net_ns;
	if (sb->strict && geteuid() == 0 && !fs_container)
		return umld_err_usage(err, "--sandbox=strict as root needs the containerized "
					   "filesystem: the emulated one opens files with the "
					   "monitor's rights (drop --containerize=never)");
	sb->child.landlock_abi = sb->strict ? landlock_abi(&why) : 0;
	if (sb->strict && geteuid() == 0 && !sb->child.landlock_abi)
		return umld_err_usage(err, "--sandbox=strict as root needs Landlock to keep a guest "
					   "root out of the host's /dev and /proc/sys: %s", why);
	if (sb->strict && fs_container && (r = add_dev_binds(sb, fs, err)) < 0)
		return r;
	sb->wrap = calloc(ABI_COUNT * SC_NR_LIMIT, sizeof(*sb->wrap));
	if (!sb->wrap)
		return umld_err_set(err, -ENOMEM, "out of memory");
	if (sb->strict) {
		for (int nr = 0; nr < SC_NR_LIMIT; nr++) {
			/* the whole int 0x80 ABI, and every number nobody vetted */
			sb->deny[ABI_I386][nr] = EPERM;
			if (!sc_lookup(ABI_X86_64, nr))
				sb->deny[ABI_X86_64][nr] = ENOSYS;
		}
		for (size_t i = 0; i < ARRAY_SIZE(strict_denied); i++)
			deny_name(sb, strict_denied[i], EPERM);
		/* a real chroot; the emulated filesystem's is not one */
		if (!t->by_nr[ABI_X86_64][sc_by_name("chroot")->nr[ABI_X86_64]])
			deny_name(sb, "chroot", EPERM);
		deny_name(sb, "clone3", ENOSYS);
	}
	if (net_closed(sb))
		deny_name(sb, "socketcall", EPERM); /* i386: socket() by another door */
	/* where nothing but umld keeps the host's abstract sockets out of
	 * reach, the address calls are made by the monitor from one copy of
	 * the address (sock.c); their 32-bit forms are denied */
	sb->sock_wall = sandbox_sock_keeps_abstract(sb) &&
			!(sb->strict && sb->child.landlock_abi >= 6);
	if (sb->sock_wall) {
		sock_claim(t, pids != NULL);
		for (size_t i = 0; i < ARRAY_SIZE(addr_calls); i++) {
			const struct sc_info *info = sc_by_name(addr_calls[i]);
			int nr = info ? info->nr[ABI_I386] : -1;
			if (nr >= 0 && nr < SC_NR_LIMIT)
				sb->deny[ABI_I386][nr] = EPERM;
		}
	}
	for (size_t i = 0; i < sb->p.nrules; i++) {
		if (sb->p.rules[i].error)
			deny_name(sb, sb->p.rules[i].name, sb->p.rules[i].error);
		else
			allow_name(sb, sb->p.rules[i].name);
	}
	for (abi = 0; abi < ABI_COUNT; abi++)
		for (int nr = 0; nr < SC_NR_LIMIT; nr++)
			if (sb->deny[abi][nr] || (check_of(sb, abi, nr) && !sb->allowed[abi][nr]))
				claim(sb, t, abi, nr);
	if (sb->strict) {
		sb->child.active = true;
		sb->child.drop_caps = true;
		sb->child.lo_up = net_ns && sb->net == SB_NET_LOOPBACK;
		sb->child.tcp_closed = net_closed(sb);
		/* with the host's network, the host's abstract sockets are the
		 * guest's to reach (X11's, D-Bus's), as its TCP is */
		sb->child.abstract_closed = sb->net != SB_NET_HOST;
		if (sb->child.landlock_abi)
			child_paths(sb, fs, fs_container);
	}
	snprintf(sb->explain[0], sizeof(sb->explain[0]), "%s: %s",
		 sb->strict ? "strict" : "policy",
		 sb->strict ? "read-only root, private /tmp and /dev, no capabilities, "
			      "no_new_privs, the deny table, no int 0x80" : "the calls of Allow=/Deny=");
	snprintf(sb->explain[1], sizeof(sb->explain[1]), "%s%s",
		 sb->net == SB_NET_HOST ? "host (the host's network)" :
		 sb->net == SB_NET_NONE ? "none (AF_UNIX only" : "loopback (",
		 sb->net == SB_NET_HOST ? "" :
		 net_ns ? ", in a network namespace of its own)" :
		 sb->net == SB_NET_LOOPBACK ? "no network namespace can be had: AF_UNIX only, as none)" :
					      "; host abstract sockets denied: no network namespace)");
	if (sb->strict && sb->child.landlock_abi) {
		int ll = sb->child.landlock_abi;
		bool tcp = ll >= 4 && sb->child.tcp_closed;
		bool abstract = ll >= 6 && sb->child.abstract_closed;

		snprintf(sb->explain[2], sizeof(sb->explain[2]), "Landlock ABI %d: the filesystem "
			 "policy enforced by the kernel too%s%s%s", ll, tcp ? ", TCP closed" : "",
			 abstract ? ", the abstract-socket scope" : "",
			 ll >= 6 ? ", the signal scope" : "");
	} else if (sb->strict) {
		snprintf(sb->explain[2], sizeof(sb->explain[2]), "no Landlock (%s): umld's own "
			 "checks only", why ? why : "?");
	}
	return 0;
}

bool sandbox_wants_netns(const struct sandbox *sb)
{
	return sb->strict ? sb->net != SB_NET_HOST : sb->net == SB_NET_LOOPBACK;
}

static void *timer_main(void *arg)
{
	struct sandbox *sb = arg;
	struct timespec ts = { .tv_sec = (time_t)sb->p.timeout };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	audit_event(&sb->audit, sb->first, "timeout", "kill");
	log_warn("the guest ran for its Timeout= of %lld s: killed", sb->p.timeout);
	kill(sb->first, SIGKILL);
	return NULL;
}

void sandbox_started(struct sandbox *sb, pid_t first)
{
	sigset_t all, old;

	sb->first = first;
	sandbox_task_clone(sb, first);
	if (sb->p.timeout <= 0)
		return;
	/* the timer thread takes no signal meant for the monitor */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	sb->timer_started = pthread_create(&sb->timer, NULL, timer_main, sb) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void sandbox_explain(const struct sandbox *sb, FILE *out)
{
	fprintf(out, "%-6s %-13s %s\n", "sandbox", "", sb->explain[0]);
	fprintf(out, "%-6s %-13s %s\n", "net", "", sb->explain[1]);
	if (sb->explain[2][0])
		fprintf(out, "%-6s %-13s %s\n", "fs", "", sb->explain[2]);
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb->prepared)
		return;
	if (sb->timer_started) {
		pthread_cancel(sb->timer);
		pthread_join(sb->timer, NULL);
		sb->timer_started = false;
	}
	audit_close(&sb->audit);
	for (size_t i = 0; i < SB_TASK_BUCKETS; i++)
		while (sb->tasks[i]) {
			struct sb_task *t = sb->tasks[i];
			sb->tasks[i] = t->next;
			free(t);
		}
	free(sb->wrap);
	sb->wrap = NULL;
	privdir_remove(&sb->base);
	privdir_remove(&sb->hide);
	sb->hide_layer[0] = '\0';
	sb->prepared = false;
}

/* ---- in the guest's first process ---- */

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int child_fail(char *why, size_t size, const char *what, int e)
{
	snprintf(why, size, "sandbox: %s", what);
	return -e;
}

int sandbox_child_ns(const struct sandbox_child *c, char *why, size_t size)
{
	int r;

	if (!c->active)
		return 0;
	if (c->lo_up && (r = lo_up()) < 0)
		return child_fail(why, size, "bringing lo up", -r);
	/* ptys of its own: none of the host's terminals can be reached */
	if (c->devpts && mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			       "newinstance,ptmxmode=0666,mode=0620") < 0)
		return child_fail(why, size, "a devpts of its own at /dev/pts", errno);
	return 0;
}

int sandbox_child_apply(const struct sandbox_child *c, char *why, size_t size)
{
	const char *what = NULL;
	int r;

	if (!c->active)
		return 0;
	if (c->landlock_abi) {
		struct landlock_wants w = {
			.abi = c->landlock_abi,
			.read = c->ll_read, .nread = c->nll_read,
			.write = c->ll_write, .nwrite = c->nll_write,
			.no_tcp = c->tcp_closed,
			.scope_signal = true,
			.scope_abstract = c->abstract_closed,
		};
		r = landlock_restrict(&w, &what);
		if (r < 0)
			return child_fail(why, size, what, -r);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return child_fail(why, size, "PR_SET_NO_NEW_PRIVS", errno);
	if (c->drop_caps) {
		capng_clear(CAPNG_SELECT_ALL);
		/* the bounding set needs CAP_SETPCAP: a user without it has
		 * nothing to drop there (and no_new_privs keeps it so) */
		if (capng_apply(CAPNG_SELECT_ALL) < 0 && capng_apply(CAPNG_SELECT_CAPS) < 0)
			return child_fail(why, size, "dropping capabilities", EPERM);
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	}
	return 0;
}
