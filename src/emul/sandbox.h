/* The sandbox (`--sandbox=strict`, [Sandbox] in instance files): a policy
 * that denies what it does not allow, and the handlers, child set-up and
 * audit log that enforce it. The policy is parsed here for both the CLI
 * flags and the instance files, so the two accept exactly the same values. */
#ifndef UMLD_EMUL_SANDBOX_H
#define UMLD_EMUL_SANDBOX_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/error.h"
#include "common/privdir.h"
#include "emul/audit.h"
#include "emul/fs.h"
#include "emul/handler.h"
#include "emul/syscalls.h"

#define SB_PATHS_MAX 16
#define SB_RULES_MAX 64

enum sb_profile { SB_PROFILE_OFF = 0, SB_PROFILE_STRICT };
/* SB_NET_DEFAULT: none under strict, host otherwise. */
enum sb_network { SB_NET_DEFAULT = 0, SB_NET_NONE, SB_NET_LOOPBACK, SB_NET_HOST };

/* Allow=NAME or Deny=NAME[:ERRNO]: by name, so both ABIs. */
struct sb_rule {
	const char *name; /* the table's own copy */
	int error;        /* 0: allow; else the errno a denial answers */
};

/* What the user asked. Strings are the policy's own copies
 * (sandbox_policy_free). */
struct sandbox_policy {
	enum sb_profile profile;
	char *read_only[SB_PATHS_MAX], *read_write[SB_PATHS_MAX], *hide[SB_PATHS_MAX];
	size_t nread_only, nread_write, nhide;
	enum sb_network network;
	struct sb_rule rules[SB_RULES_MAX];
	size_t nrules;
	long long timeout; /* wall-clock seconds, -1: none */
	char *audit;       /* AuditLog=/--audit: a file, "-" for stderr, NULL: none */
};

void sandbox_policy_init(struct sandbox_policy *p);
void sandbox_policy_free(struct sandbox_policy *p);
bool sandbox_policy_active(const struct sandbox_policy *p);
/* Sets one key (the instance file's name: Profile, ReadOnly, ReadWrite,
 * Hide, Network, Allow, Deny, Timeout, AuditLog) from its text. 0, -ENOMEM,
 * or -EINVAL with what is wrong in why (without the key). */
int sandbox_policy_set(struct sandbox_policy *p, const char *key, const char *value, char *why,
		       size_t size);

/* What the guest's first process does before its filter is installed
 * (spawn.c calls sandbox_child_apply): no new privileges, capabilities
 * dropped, Landlock, loopback up. Filled by sandbox_prepare. */
struct sandbox_child {
	bool active;
	bool lo_up;        /* a new network namespace: bring lo up */
	bool tcp_closed;   /* no network: Landlock closes TCP */
	bool abstract_closed; /* not the host's network: Landlock scopes abstract sockets */
	bool devpts;       /* mount a devpts instance of its own at /dev/pts */
	bool drop_caps;
	int landlock_abi;  /* 0: none */
	/* Landlock rules, as paths the child sees (after pivot_root for the
	 * containerized filesystem) */
	const char *ll_read[SB_PATHS_MAX + 24];
	size_t nll_read;
	const char *ll_write[SB_PATHS_MAX + 16];
	size_t nll_write;
};
/* In the child, async-signal-safe apart from libcap-ng: 0, or -errno with
 * what failed in why. sandbox_child_ns right after its namespaces are set
 * up (lo, devpts), sandbox_child_apply just before its filter. */
int sandbox_child_ns(const struct sandbox_child *c, char *why, size_t size);
int sandbox_child_apply(const struct sandbox_child *c, char *why, size_t size);

#define SB_TASK_BUCKETS 256
struct sb_task {
	pid_t tid;
	struct sb_task *next;
};

/* The running sandbox: the monitor's state. */
struct sandbox {
	struct sandbox_policy p; /* a shallow copy: the caller's strings */
	bool strict;
	enum sb_network net;          /* what is enforced */
	bool net_ns;                  /* Network=loopback got a network namespace */
	bool pids_isolated;           /* a PID namespace: the kernel keeps signals inside */
	/* the check of abstract addresses is the only wall (no network
	 * namespace, no Landlock scope): sock.c makes the address calls */
	bool sock_wall;
	struct privdir base;          /* private, removed at the end (or, left by a
				       * monitor killed, by the next one): */
	char scratch[80];             /* ... base/tmp, the guest's /tmp */
	char dev[80];                 /* ... base/dev, the guest's /dev (containerized) */
	char shm[80];                 /* ... base/shm, its /dev/shm (emulated) */
	char dev_paths[8][16];        /* the host's devices bound into it */
	struct privdir hide;          /* Hide='s own, where it is not in base */
	char hide_layer[96];          /* whiteouts of Hide=, in base or hide */
	char explain[4][256];
	struct sandbox_child child;
	struct audit audit;
	/* per ABI and number: the errno of a denial, 0 when not denied */
	int deny[ABI_COUNT][SC_NR_LIMIT];
	/* Allow=: neither denied nor checked */
	bool allowed[ABI_COUNT][SC_NR_LIMIT];
	/* the handlers the sandbox wrapped */
	const struct emul_handler *prev[ABI_COUNT][SC_NR_LIMIT];
	/* its own entries, one per call it claims ([ABI_COUNT][SC_NR_LIMIT]) */
	struct emul_handler *wrap;
	/* the ioctl commands the wrapped ioctl is claimed for (emul_handler.arg1):
	 * the sandbox's, and those of the handler it wraps */
	uint32_t ioctl_cmds[ABI_COUNT][8];
	long max_tasks;            /* Tasks=, -1: none */
	pthread_mutex_t lock;
	long ntasks;
	struct sb_task *tasks[SB_TASK_BUCKETS];
	pthread_t timer;
	bool timer_started;
	pid_t first;
	bool prepared;
};

struct fs_wants;
struct vk_pids;
/* Before the virtual kernel is set up: the private /tmp, the binds of
 * ReadOnly=/ReadWrite= and the Hide= layer go into fs (which must outlive
 * the sandbox). instance: the name for the audit log, or NULL. */
int sandbox_prepare(struct sandbox *sb, const struct sandbox_policy *p, struct fs_wants *fs,
		    long max_tasks, const char *instance, struct umld_err *err);
/* After: the handlers (over those of the virtual kernel, which they wrap),
 * and the child's set-up. fs_container: the containerized filesystem
 * (paths as the guest sees them); pid_ns: the guest has its own PID
 * namespace or the emulated pids (pids: their table, which names the
 * guest's processes in the audit log); net_ns: the guest gets a network namespace of its own
 * (sandbox_wants_netns). */
int sandbox_claim(struct sandbox *sb, struct emul_table *t, struct fs_wants *fs,
		  bool fs_container, bool pid_ns, struct vk_pids *pids, bool net_ns,
		  struct umld_err *err);
/* Whether umld's own check of socket addresses is the only wall. */
bool sandbox_sock_wall(const struct sandbox *sb);
/* Whether the host's abstract sockets are to be kept out of reach by umld
 * (no network namespace, the network closed): a call the monitor makes for
 * the guest must refuse them, Landlock binding only the guest. */
bool sandbox_sock_keeps_abstract(const struct sandbox *sb);
struct sockaddr_un;
/* A socket call sock.c refuses: an abstract address (un, len) or, with un
 * NULL, a socket of another family under the wall. Audits it and returns
 * error. */
int sandbox_sock_denied(struct sandbox *sb, const struct sc_request *req,
			const struct sockaddr_un *un, size_t len, int error);
/* Whether the guest should get a network namespace, when one can be had. */
bool sandbox_wants_netns(const struct sandbox *sb);
/* The guest runs: the wall-clock timeout starts. */
void sandbox_started(struct sandbox *sb, pid_t first);
void sandbox_explain(const struct sandbox *sb, FILE *out);
void sandbox_task_clone(struct sandbox *sb, pid_t child);
void sandbox_task_gone(struct sandbox *sb, pid_t tid);
void sandbox_free(struct sandbox *sb);

#endif
