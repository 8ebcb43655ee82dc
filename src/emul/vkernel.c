/* Choosing a backend per subsystem, and probing what the host allows. */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "emul/vkernel.h"

const char *subsys_name(enum subsys s)
{
	static const char *const names[SUBSYS_COUNT] = { [SUBSYS_UTS] = "uts" };

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

/* Runs unshare(flags) in a child; 0 or the child's errno. */
static int try_unshare(int flags)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(unshare(flags) == 0 ? 0 : (errno & 0x7f) + 1);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status) ? WEXITSTATUS(status) - 1 : 0;
}

void host_ns_probe(struct host_ns *h)
{
	int e;

	memset(h, 0, sizeof(*h));
	/* CAP_SYS_ADMIN is what unshare(CLONE_NEWUTS) asks for */
	h->privileged = try_unshare(CLONE_NEWUTS) == 0;
	e = try_unshare(CLONE_NEWUSER);
	h->userns = e == 0;
	if (e)
		snprintf(h->userns_why, sizeof(h->userns_why), "unshare(CLONE_NEWUSER): %s",
			 strerror(e));
	if (h->privileged) {
		h->utsns = true;
	} else if (h->userns) {
		e = try_unshare(CLONE_NEWUSER | CLONE_NEWUTS);
		h->utsns = e == 0;
		if (e)
			snprintf(h->utsns_why, sizeof(h->utsns_why),
				 "unshare(CLONE_NEWUSER|CLONE_NEWUTS): %s", strerror(e));
	} else {
		snprintf(h->utsns_why, sizeof(h->utsns_why),
			 "not privileged, and no user namespace (%s)", h->userns_why);
	}
}

static int choose_uts(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		      struct umld_err *err)
{
	char *why = vk->why[SUBSYS_UTS];
	size_t wsz = sizeof(vk->why[SUBSYS_UTS]);

	if (!w->hostname) {
		vk->backend[SUBSYS_UTS] = BACKEND_OFF;
		snprintf(why, wsz, "no --hostname: the host's names pass through");
		return 0;
	}
	switch (w->containerize) {
	case CONTAINERIZE_NEVER:
		vk->backend[SUBSYS_UTS] = BACKEND_EMULATED;
		snprintf(why, wsz, "--containerize=never");
		return 0;
	case CONTAINERIZE_REQUIRED:
		if (!h->utsns)
			return umld_err_usage(err,
					      "--containerize=required: uts: the host does not allow a "
					      "UTS namespace: %s", h->utsns_why);
		vk->backend[SUBSYS_UTS] = BACKEND_CONTAINER;
		vk->container_userns = !h->privileged;
		snprintf(why, wsz, "--containerize=required: UTS namespace%s",
			 h->privileged ? "" : " inside a user namespace (unmapped users show as nobody)");
		return 0;
	case CONTAINERIZE_AUTO:
	default:
		break;
	}
	if (h->privileged) {
		vk->backend[SUBSYS_UTS] = BACKEND_CONTAINER;
		snprintf(why, wsz, "UTS namespace (the monitor may create one)");
	} else {
		/* a user namespace would change what the guest sees of file
		 * owners (unmapped users show as nobody): not invisible, so auto
		 * does not take it */
		vk->backend[SUBSYS_UTS] = BACKEND_EMULATED;
		snprintf(why, wsz, "%s", h->utsns ?
			 "a UTS namespace would need a user namespace, which shows unmapped file "
			 "owners as nobody (--containerize=required takes it)" : h->utsns_why);
	}
	return 0;
}

int vkernel_init(struct vkernel *vk, const struct vk_wants *w, const struct host_ns *h,
		 struct umld_err *err)
{
	struct utsname u;
	int r;

	memset(vk, 0, sizeof(*vk));
	pthread_mutex_init(&vk->lock, NULL);
	vk->uts.name_fd[0] = vk->uts.name_fd[1] = -1;
	if (w->hostname) {
		size_t n = strlen(w->hostname);
		if (n == 0 || n > VK_NAME_MAX)
			return umld_err_usage(err, "--hostname: '%s' must be 1 to %d bytes",
					      w->hostname, VK_NAME_MAX);
	}
	r = choose_uts(vk, w, h, err);
	if (r < 0)
		return r;
	if (uname(&u) == 0)
		snprintf(vk->uts.domainname, sizeof(vk->uts.domainname), "%s", u.domainname);
	snprintf(vk->uts.nodename, sizeof(vk->uts.nodename), "%s",
		 w->hostname ? w->hostname : u.nodename);
	return 0;
}

int vkernel_claim(const struct vkernel *vk, struct emul_table *t, struct umld_err *err)
{
	if (vk->backend[SUBSYS_UTS] == BACKEND_EMULATED)
		return emul_table_add(t, &emul_feature_uts, err);
	return 0;
}

void vkernel_explain(const struct vkernel *vk, FILE *out)
{
	for (int s = 0; s < SUBSYS_COUNT; s++)
		fprintf(out, "%-6s %-13s %s\n", subsys_name(s), backend_name(vk->backend[s]),
			vk->why[s]);
}
