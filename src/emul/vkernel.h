/* The per-instance virtual kernel: which backend each subsystem got and why,
 * and the state the emulated backends answer from. Handlers run on the tracer
 * thread and on the notification thread: state changes take the lock. */
#ifndef UMLD_EMUL_VKERNEL_H
#define UMLD_EMUL_VKERNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/privdir.h"
#include "emul/fs.h"
#include "emul/handler.h"

enum subsys { SUBSYS_UTS = 0, SUBSYS_PID, SUBSYS_IDENT, SUBSYS_FS, SUBSYS_COUNT };

enum backend {
	BACKEND_OFF = 0,   /* not asked for: the host's view passes through */
	BACKEND_EMULATED,  /* answered by umld's handlers */
	BACKEND_CONTAINER, /* a host namespace does it; calls pass through */
};

enum containerize { CONTAINERIZE_AUTO = 0, CONTAINERIZE_NEVER, CONTAINERIZE_REQUIRED };

/* What the host lets an unprivileged (or privileged) monitor create. */
struct host_ns {
	bool privileged; /* CAP_SYS_ADMIN: namespaces without a user namespace */
	bool userns;     /* unshare(CLONE_NEWUSER) works */
	bool utsns;      /* unshare(CLONE_NEWUTS) works (inside a user ns if !privileged) */
	bool pidns;      /* unshare(CLONE_NEWPID|CLONE_NEWNS) works (likewise) */
	char userns_why[128]; /* why not, when !userns */
	char utsns_why[192];
	char pidns_why[192];
};

/* What the user asked of the virtual kernel. */
struct vk_wants {
	const char *hostname; /* NULL: the host's */
	bool virtual_pids;    /* the guest's first process is pid 1 */
	bool fake_root;       /* the guest runs as (virtual) root */
	struct fs_wants fs;   /* --root, --cow, --bind */
	const char *cwd;      /* the first process's working directory (a guest path) */
	enum containerize containerize;
};

#define VK_NAME_MAX 64
#define VK_GROUPS_MAX 64
#define VK_CRED_BUCKETS 256
#define VK_VFILES_KEPT 64

/* A task's virtual credentials (the identity subsystem, emulated). */
struct vk_creds {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[VK_GROUPS_MAX];
};

struct vk_cred_entry {
	pid_t tid;
	struct vk_creds c;
	struct vk_cred_entry *next;
};

struct vk_pids;

struct vkernel {
	pthread_mutex_t lock;
	enum backend backend[SUBSYS_COUNT];
	char why[SUBSYS_COUNT][256];
	bool container_userns; /* the containerized backends need a user namespace */
	bool map_root;         /* ... in which the caller's ids are 0 (fake root) */
	struct {
		char nodename[VK_NAME_MAX + 1];
		char domainname[VK_NAME_MAX + 1];
	} uts;
	struct {
		/* virtual files handed out at ptrace stops (procfile.c): a
		 * private folder under /tmp, made on first use */
		struct privdir dir;
		unsigned next;
	} vfiles;
	struct fs_emul *fs; /* the emulated filesystem (fs_emul.h), or NULL */
	struct sandbox *sandbox; /* the sandbox's state (sandbox.h), or NULL */
	int cow_lock;       /* the --cow layer's lock (fs_layers_check), or -1 */
	struct vk_pids *pids; /* the emulated pid table (pids.h), or NULL */
	struct {
		/* tid -> credentials; a task without an entry is the virtual root */
		struct vk_cred_entry *buckets[VK_CRED_BUCKETS];
	} ident;
};

const char *subsys_name(enum subsys s);
const char *backend_name(enum backend b);
int containerize_parse(const char *s, enum containerize *out);

/* Probes the host in short-lived children. */
void host_ns_probe(struct host_ns *h);

/* Chooses each subsystem's backend and fills the initial state. Fails (exit
 * status 2) when --containerize=required cannot be met, naming the
 * subsystem and the reason. */
int vkernel_init(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		 struct umld_err *err);
/* Adds the emulated subsystems' handlers to t. */
int vkernel_claim(const struct vkernel *vk, struct emul_table *t, struct umld_err *err);
/* One line per subsystem: backend and why (umld run --explain). */
void vkernel_explain(const struct vkernel *vk, FILE *out);

/* The UTS subsystem's handler set (uts.c). */
extern const struct emul_feature emul_feature_uts;
/* The identity subsystem's handler set (ident.c), and the tracer's hooks
 * that keep each task's credentials (arg: the struct vkernel). */
extern const struct emul_feature emul_feature_ident;
void vkernel_task_clone(void *arg, pid_t parent, pid_t child);
void vkernel_task_gone(void *arg, pid_t tid);
/* A new task about to run (the tracer's on_start). */
void vkernel_task_start(void *arg, pid_t tid);
/* A process with no parent in the guest: the first one (spawned, not yet
 * running guest code), or one that umld exec starts. */
void vkernel_task_root(struct vkernel *vk, pid_t pid);
/* At an exec event: false when the process must die (fs_exec_check). */
bool vkernel_task_exec(void *arg, pid_t tgid);
/* At a signal-delivery stop (the tracer's on_signal). */
void vkernel_task_signal(void *arg, pid_t tid);
void ident_task_clone(struct vkernel *vk, pid_t parent, pid_t child);
void ident_task_gone(struct vkernel *vk, pid_t tid);
void vkernel_free(struct vkernel *vk);
void vkernel_ident_free(struct vkernel *vk);
/* Virtual files (procfile.c): the open handlers, the providers' content
 * functions (0: path is theirs, content in buf; -ENOENT: not theirs), and
 * the cleanup of the private folder. */
extern const struct emul_feature emul_feature_procfile;
/* The same for an open the emulated filesystem resolved to abs (a guest
 * path): 1 with *v set when abs is a virtual file, 0 when not. */
int procfile_open(struct vkernel *vk, const struct sc_request *req, const char *abs,
		  uint64_t flags, struct verdict *v);
int uts_vfile(struct vkernel *vk, const char *abs, char *buf, size_t size, size_t *len);
int ident_vfile(struct vkernel *vk, const struct sc_request *req, const char *abs, char *buf,
		size_t size, size_t *len);
void vkernel_vfiles_free(struct vkernel *vk);

#endif
