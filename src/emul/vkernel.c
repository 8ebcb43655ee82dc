/* Choosing a backend per subsystem, and probing what the host allows. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/sandbox.h"
#include "emul/pids.h"
#include "emul/vkernel.h"

const char *subsys_name(enum subsys s)
{
	static const char *const names[SUBSYS_COUNT] = {
		[SUBSYS_UTS] = "uts", [SUBSYS_PID] = "pid", [SUBSYS_IDENT] = "ident",
		[SUBSYS_FS] = "fs",
	};

	return (unsigned)s < SUBSYS_COUNT ? names[s] : "?";
}

const char *backend_name(enum backend b)
{
	switch (b) {
	case BACKEND_EMULATED:
		return "emulated";
	case BACKEND_CONTAINER:
		return "containerized";
	case BACKEND_OFF:
	default:
		return "off";
	}
}

int containerize_parse(const char *s, enum containerize *out)
{
	if (strcmp(s, "auto") == 0)
		*out = CONTAINERIZE_AUTO;
	else if (strcmp(s, "never") == 0)
		*out = CONTAINERIZE_NEVER;
	else if (strcmp(s, "required") == 0)
		*out = CONTAINERIZE_REQUIRED;
	else
		return -EINVAL;
	return 0;
}

/* What the probe's child tried, in this order (one child for all: each
 * fork and wait of the monitor costs 0.2 to 0.3 ms): an errno, 0 for
 * success, or -1 when not tried. */
enum { TRY_UTS, TRY_PID, TRY_USER, TRY_USER_UTS, TRY_USER_PID, TRY_COUNT };

static int unshare_errno(int flags)
{
	return unshare(flags) == 0 ? 0 : errno;
}

/* In the child: privileged namespaces first, then a user namespace and
 * the same namespaces inside it (what an unprivileged guest would get). */
static void probe_child(int out)
{
	int e[TRY_COUNT] = { -1, -1, -1, -1, -1 };

	e[TRY_UTS] = unshare_errno(CLONE_NEWUTS);
	if (e[TRY_UTS] == 0)
		e[TRY_PID] = unshare_errno(CLONE_NEWPID | CLONE_NEWNS);
	e[TRY_USER] = unshare_errno(CLONE_NEWUSER);
	if (e[TRY_UTS] != 0 && e[TRY_USER] == 0) {
		e[TRY_USER_UTS] = unshare_errno(CLONE_NEWUTS);
		e[TRY_USER_PID] = unshare_errno(CLONE_NEWPID | CLONE_NEWNS);
	}
	_exit(write(out, e, sizeof(e)) == (ssize_t)sizeof(e) ? 0 : 1);
}

static bool ns_result(int e, const char *what, char *why, size_t size)
{
	if (e)
		snprintf(why, size, "unshare(%s): %s", what, e > 0 ? strerror(e) : "not probed");
	return e == 0;
}

void host_ns_probe(struct host_ns *h)
{
	int e[TRY_COUNT], pipefd[2], status;
	ssize_t n = -1;
	pid_t pid;

	memset(h, 0, sizeof(*h));
	for (int i = 0; i < TRY_COUNT; i++)
		e[i] = EIO;
	if (pipe2(pipefd, O_CLOEXEC) == 0) {
		pid = fork();
		if (pid == 0) {
			close(pipefd[0]);
			probe_child(pipefd[1]);
		}
		close(pipefd[1]);
		if (pid > 0) {
			int got[TRY_COUNT];
			n = read(pipefd[0], got, sizeof(got));
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			if (n == (ssize_t)sizeof(got))
				memcpy(e, got, sizeof(e));
		}
		close(pipefd[0]);
	}
	/* CAP_SYS_ADMIN is what unshare(CLONE_NEWUTS) asks for */
	h->privileged = e[TRY_UTS] == 0;
	h->userns = ns_result(e[TRY_USER], "CLONE_NEWUSER", h->userns_why, sizeof(h->userns_why));
	if (h->privileged) {
		h->utsns = true;
		h->pidns = ns_result(e[TRY_PID], "CLONE_NEWPID|CLONE_NEWNS", h->pidns_why,
				     sizeof(h->pidns_why));
		return;
	}
	if (!h->userns) {
		snprintf(h->utsns_why, sizeof(h->utsns_why),
			 "not privileged, and no user namespace (%s)", h->userns_why);
		snprintf(h->pidns_why, sizeof(h->pidns_why),
			 "not privileged, and no user namespace (%s)", h->userns_why);
		return;
	}
	h->utsns = ns_result(e[TRY_USER_UTS], "CLONE_NEWUSER|CLONE_NEWUTS", h->utsns_why,
			     sizeof(h->utsns_why));
	h->pidns = ns_result(e[TRY_USER_PID], "CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS",
			     h->pidns_why, sizeof(h->pidns_why));
}

/* What a subsystem with a namespace of its own (uts, pid) is offered. */
struct ns_offer {
	enum subsys s;
	bool wanted;         /* asked for (else off) */
	const char *off_why; /* why off */
	const char *ns;   /* "UTS namespace": what the guest would get */
	const char *ns_a; /* "a UTS namespace" */
	bool ok;          /* the host allows it */
	const char *why_not;
};

/* never: emulated; required: the namespace (inside a user namespace as a
 * user) or exit 2; auto: the namespace where it needs no user namespace
 * (as root), else emulated: a user namespace shows unmapped file owners as
 * nobody, which the guest would see. */
static int choose_ns_or_emulated(struct vkernel *vk, const struct vk_wants *w,
				 const struct host_ns *h, const struct ns_offer *o,
				 struct umld_err *err)
{
	char *why = vk->why[o->s];
	size_t wsz = sizeof(vk->why[o->s]);

	if (!o->wanted) {
		vk->backend[o->s] = BACKEND_OFF;
		snprintf(why, wsz, "%s", o->off_why);
		return 0;
	}
	switch (w->containerize) {
	case CONTAINERIZE_NEVER:
		vk->backend[o->s] = BACKEND_EMULATED;
		snprintf(why, wsz, "--containerize=never");
		return 0;
	case CONTAINERIZE_REQUIRED:
		if (!o->ok)
			return umld_err_usage(err, "--containerize=required: %s: the host does not "
						   "allow %s: %s", subsys_name(o->s), o->ns_a, o->why_not);
		vk->backend[o->s] = BACKEND_CONTAINER;
		vk->container_userns |= !h->privileged;
		snprintf(why, wsz, "--containerize=required: %s%s", o->ns,
			 h->privileged ? "" : " inside a user namespace (unmapped users show as nobody)");
		return 0;
	case CONTAINERIZE_AUTO:
	default:
		break;
	}
	if (h->privileged && o->ok) {
		vk->backend[o->s] = BACKEND_CONTAINER;
		snprintf(why, wsz, "%s (the monitor may create one)", o->ns);
		return 0;
	}
	vk->backend[o->s] = BACKEND_EMULATED;
	if (o->ok)
		snprintf(why, wsz, "%s would need a user namespace, which shows unmapped file owners "
				   "as nobody (--containerize=required takes it)", o->ns_a);
	else
		snprintf(why, wsz, "%s", o->why_not);
	return 0;
}

static int choose_uts(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		      struct umld_err *err)
{
	struct ns_offer o = { SUBSYS_UTS, w->hostname != NULL,
			      "no --hostname: the host's names pass through", "UTS namespace",
			      "a UTS namespace", h->utsns, h->utsns_why };

	return choose_ns_or_emulated(vk, w, h, &o, err);
}

/* Pids: a PID namespace with its own /proc, or umld's emulation (pids.c),
 * which translates every pid a call takes or gives and needs the emulated
 * filesystem for the guest's /proc (choose_fs). */
static int choose_pid(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		      struct umld_err *err)
{
	struct ns_offer o = { SUBSYS_PID, w->virtual_pids,
			      "no --virtual-pids: the guest sees host pids",
			      "PID namespace with its own /proc", "a PID namespace", h->pidns,
			      h->pidns_why };

	return choose_ns_or_emulated(vk, w, h, &o, err);
}

/* Identity: as root the guest's root is real, and a drop of privileges is a
 * real drop; as a user, emulated (any id can be had, and the host's
 * permissions still apply), or a user namespace mapping root to the user
 * (required: other ids cannot be had there). */
static int choose_ident(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
			struct umld_err *err)
{
	char *why = vk->why[SUBSYS_IDENT];
	size_t wsz = sizeof(vk->why[SUBSYS_IDENT]);

	vk->backend[SUBSYS_IDENT] = BACKEND_OFF;
	if (!w->fake_root) {
		snprintf(why, wsz, "no --fake-root: the guest has the caller's ids");
		return 0;
	}
	if (geteuid() == 0) {
		snprintf(why, wsz, "the monitor runs as root: the guest's root is real");
		return 0;
	}
	if (w->containerize == CONTAINERIZE_REQUIRED) {
		if (!h->userns)
			return umld_err_usage(err, "--containerize=required: ident: the host does not "
						   "allow a user namespace: %s", h->userns_why);
		vk->backend[SUBSYS_IDENT] = BACKEND_CONTAINER;
		vk->container_userns = true;
		vk->map_root = true;
		snprintf(why, wsz, "--containerize=required: a user namespace mapping root to the "
				   "caller (no other id can be had)");
		return 0;
	}
	vk->backend[SUBSYS_IDENT] = BACKEND_EMULATED;
	snprintf(why, wsz, w->containerize == CONTAINERIZE_NEVER ? "--containerize=never" :
			   "a user namespace would map one id only, so a guest could not drop to "
			   "another (--containerize=required takes it)");
	return 0;
}

/* In a user namespace only the caller's ids are mapped: overlayfs cannot
 * copy up a file of another owner (EOVERFLOW), so a base layer that is not
 * the caller's cannot have a cow layer mounted over it. */
static bool base_mappable(const struct vk_wants *w, bool userns, char *why, size_t size)
{
	struct stat st;

	if (!userns || !w->fs.cow)
		return true;
	for (size_t i = 0; i < (w->fs.nroots ? w->fs.nroots : 1); i++) {
		const char *dir = w->fs.nroots ? w->fs.roots[i] : "/";

		if (stat(dir, &st) == 0 && st.st_uid != getuid()) {
			snprintf(why, size, "the base layer %s belongs to uid %u, which a user "
					    "namespace cannot map: overlayfs could not copy its files up",
				 dir, (unsigned)st.st_uid);
			return false;
		}
	}
	return true;
}

/* Files: a mount namespace with overlayfs where the host allows it (probed
 * with these very layers), else the emulated resolution of every path. */
static int choose_fs(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		     struct umld_err *err)
{
	char *why = vk->why[SUBSYS_FS], reason[256];
	size_t wsz = sizeof(vk->why[SUBSYS_FS]);
	bool userns = !h->privileged;
	int r;

	vk->backend[SUBSYS_FS] = BACKEND_OFF;
	if (vk->backend[SUBSYS_PID] == BACKEND_EMULATED) {
		/* the guest's /proc must show virtual pids: only the emulated
		 * filesystem sees its paths */
		r = fs_wanted(&w->fs) ? fs_layers_check(&w->fs, &vk->cow_lock, err) : 0;
		if (r < 0)
			return r;
		vk->backend[SUBSYS_FS] = BACKEND_EMULATED;
		snprintf(why, wsz, "the emulated pid backend needs the emulated filesystem (its /proc "
				   "shows virtual pids)%s",
			 fs_wanted(&w->fs) ? "" : "; the host's / is bound writable in place");
		return 0;
	}
	if (!fs_wanted(&w->fs)) {
		snprintf(why, wsz, "no --root, --cow or --bind: the host's files pass through");
		return 0;
	}
	/* bad layers are bad input whichever backend gets them */
	r = fs_layers_check(&w->fs, &vk->cow_lock, err);
	if (r < 0)
		return r;
	if (w->containerize == CONTAINERIZE_NEVER) {
		vk->backend[SUBSYS_FS] = BACKEND_EMULATED;
		snprintf(why, wsz, "--containerize=never");
		return 0;
	}
	reason[0] = '\0';
	bool can = (h->privileged || h->userns) && base_mappable(w, userns, reason, sizeof(reason)) &&
		   fs_mount_probe(&w->fs, userns, reason, sizeof(reason)) == 0;
	if (!h->privileged && !h->userns)
		snprintf(reason, sizeof(reason), "not privileged, and no user namespace (%s)",
			 h->userns_why);
	if (can) {
		vk->backend[SUBSYS_FS] = BACKEND_CONTAINER;
		if (userns)
			vk->container_userns = true;
		snprintf(why, wsz, "%smount namespace with overlayfs and pivot_root, and a PID "
				   "namespace for its /proc%s",
			 w->containerize == CONTAINERIZE_REQUIRED ? "--containerize=required: " : "",
			 userns ? ", inside a user namespace" : "");
		return 0;
	}
	if (w->containerize == CONTAINERIZE_REQUIRED)
		return umld_err_usage(err, "--containerize=required: fs: the host does not allow "
					   "these layers to be mounted: %s", reason);
	vk->backend[SUBSYS_FS] = BACKEND_EMULATED;
	snprintf(why, wsz, "no mount namespace for these layers: %s", reason);
	return 0;
}

int vkernel_init(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		 struct umld_err *err)
{
	struct utsname u;
	int r;

	memset(vk, 0, sizeof(*vk));
	vk->cow_lock = -1;
	pthread_mutex_init(&vk->lock, NULL);
	if (w->hostname) {
		size_t n = strlen(w->hostname);
		if (n == 0 || n > VK_NAME_MAX)
			return umld_err_usage(err, "--hostname: '%s' must be 1 to %d bytes",
					      w->hostname, VK_NAME_MAX);
	}
	r = choose_uts(vk, w, h, err);
	if (r == 0)
		r = choose_pid(vk, w, h, err);
	if (r == 0)
		r = choose_ident(vk, w, h, err);
	if (r == 0)
		r = choose_fs(vk, w, h, err);
	if (r < 0)
		return r;
	if (vk->backend[SUBSYS_PID] == BACKEND_EMULATED) {
		r = pids_new(&vk->pids);
		if (r < 0)
			return umld_err_set(err, r, "out of memory");
	}
	if (vk->backend[SUBSYS_FS] == BACKEND_EMULATED) {
		struct fs_wants fw = w->fs;

		/* only for the pid backend's /proc: the host's files as they are,
		 * written in place (a bind of / over the read-only root) */
		if (!fs_wanted(&w->fs)) {
			fw.binds[0] = (struct fs_bind){ .host = "/", .guest = "/" };
			fw.nbinds = 1;
			fw.root_in_place = true;
		}
		vk->fs = calloc(1, sizeof(*vk->fs));
		if (!vk->fs)
			return umld_err_set(err, -ENOMEM, "out of memory");
		r = fs_emul_init(vk->fs, &fw, w->cwd,
				 vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED, err);
		if (r < 0) {
			free(vk->fs);
			vk->fs = NULL;
			return r;
		}
		vk->fs->pids = vk->pids;
	}
	if (uname(&u) == 0)
		snprintf(vk->uts.domainname, sizeof(vk->uts.domainname), "%s", u.domainname);
	snprintf(vk->uts.nodename, sizeof(vk->uts.nodename), "%s",
		 w->hostname ? w->hostname : u.nodename);
	return 0;
}

int vkernel_claim(const struct vkernel *vk, struct emul_table *t, struct umld_err *err)
{
	int r = 0;

	if (vk->backend[SUBSYS_UTS] == BACKEND_EMULATED)
		r = emul_table_add(t, &emul_feature_uts, err);
	if (r == 0 && vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED)
		r = emul_table_add(t, &emul_feature_ident, err);
	if (r == 0 && vk->pids)
		r = emul_table_add(t, &emul_feature_pids, err);
	if (r == 0 && vk->pids && !vk->fs)
		r = emul_table_add(t, &emul_feature_pids_send, err);
	if (r == 0 && vk->fs) {
		/* the filesystem's open serves the virtual files too */
		r = emul_table_add(t, &emul_feature_fs, err);
		if (r == 0)
			r = emul_table_add(t, vk->pids ? &emul_feature_sock_pids
							    : &emul_feature_sock, err);
		if (r == 0)
			r = emul_table_add(t, &emul_feature_fs_exec, err);
		/* one base layer and no cow layer: no directory ever merges;
		 * /proc lists virtual pids */
		if (r == 0 && (vk->fs->stack.upper_fd >= 0 || vk->fs->stack.nlower > 1 || vk->pids))
			r = emul_table_add(t, &emul_feature_fs_dents, err);
		if (r == 0 && vk->fs->fake_root)
			r = emul_table_add(t, &emul_feature_fs_fake_root, err);
		if (r == 0)
			fs_claim_rest(t);
		return r;
	}
	if (r == 0 && (vk->backend[SUBSYS_UTS] == BACKEND_EMULATED ||
		       vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED))
		r = emul_table_add(t, &emul_feature_procfile, err);
	return r;
}

void vkernel_task_clone(void *arg, pid_t parent, pid_t child)
{
	struct vkernel *vk = arg;

	if (vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED)
		ident_task_clone(vk, parent, child);
	if (vk->fs)
		fs_task_clone(vk->fs, parent, child);
	if (vk->sandbox)
		sandbox_task_clone(vk->sandbox, child);
	if (vk->pids)
		pids_task_clone(vk->pids, parent, child);
}

void vkernel_task_start(void *arg, pid_t tid)
{
	struct vkernel *vk = arg;

	if (vk->pids)
		pids_task_start(vk->pids, tid);
}

void vkernel_task_root(struct vkernel *vk, pid_t pid)
{
	if (vk->pids)
		pids_add_process(vk->pids, pid);
}

void vkernel_task_gone(void *arg, pid_t tid)
{
	struct vkernel *vk = arg;

	if (vk->backend[SUBSYS_IDENT] == BACKEND_EMULATED)
		ident_task_gone(vk, tid);
	if (vk->fs)
		fs_task_gone(vk->fs, tid);
	if (vk->sandbox)
		sandbox_task_gone(vk->sandbox, tid);
	if (vk->pids)
		pids_task_gone(vk->pids, tid);
}

bool vkernel_task_exec(void *arg, pid_t tgid)
{
	struct vkernel *vk = arg;

	return vk->fs ? fs_exec_check(vk->fs, tgid) : true;
}

void vkernel_task_signal(void *arg, pid_t tid)
{
	struct vkernel *vk = arg;

	if (vk->pids)
		pids_task_signal(vk->pids, tid);
}

void vkernel_free(struct vkernel *vk)
{
	vkernel_ident_free(vk);
	vkernel_vfiles_free(vk);
	pids_free(vk->pids);
	vk->pids = NULL;
	if (vk->fs) {
		fs_emul_free(vk->fs);
		free(vk->fs);
		vk->fs = NULL;
	}
	if (vk->cow_lock >= 0)
		close(vk->cow_lock);
	vk->cow_lock = -1;
}

void vkernel_explain(const struct vkernel *vk, FILE *out)
{
	for (int s = 0; s < SUBSYS_COUNT; s++)
		fprintf(out, "%-6s %-13s %s\n", subsys_name(s), backend_name(vk->backend[s]),
			vk->why[s]);
}
