/* The audit log's lines. Arguments are decoded by the kinds syscalls.list
 * gives them: numbers stay numbers, flags are hex strings, modes octal,
 * paths and strings are read from the guest (null when unreadable). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "emul/audit.h"
#include "emul/fs_emul.h"
#include "sysemu/mem.h"

int audit_open(struct audit *a, const char *dest, bool to_stderr, const char *instance,
	       struct umld_err *err)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	a->fd = -1;
	a->instance = instance;
	a->to_stderr = to_stderr || (dest && strcmp(dest, "-") == 0);
	if (dest && strcmp(dest, "-") != 0) {
		a->fd = open(dest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
		if (a->fd < 0)
			return umld_err_usage(err, "audit log %s: %s", dest, strerror(errno));
	}
	return 0;
}

bool audit_enabled(const struct audit *a)
{
	return a->fd >= 0 || a->to_stderr;
}

/* The process id the guest knows the caller's process by: the last
 * NStgid field of the thread's status (the innermost PID namespace's;
 * the host's when there is only one). */
static long guest_pid(pid_t tid)
{
	char buf[128];
	const char *last;

	if (!fs_status_field(tid, "NStgid:", buf, sizeof(buf)))
		return tid;
	last = strrchr(buf, '\t');
	return strtol(last ? last + 1 : buf, NULL, 10);
}

static json_object *hex(uint64_t v, bool octal)
{
	char buf[32];

	if (octal)
		snprintf(buf, sizeof(buf), "0%llo", (unsigned long long)v);
	else
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_object_new_string(buf);
}

static json_object *decode_arg(const struct sc_request *req, enum umld_arg_kind kind, uint64_t v)
{
	char buf[PATH_MAX];
	bool i386 = req->abi == ABI_I386;

	if (i386)
		v &= 0xffffffffu;
	switch (kind) {
	case ARG_INT:
	case ARG_FD:
	case ARG_DIRFD:
	case ARG_PID:
	case ARG_SIG:
		if ((kind == ARG_DIRFD) && (int)v == -100)
			return json_object_new_string("AT_FDCWD");
		return json_object_new_int64(i386 ? (int32_t)v : (int64_t)v);
	case ARG_UINT:
	case ARG_ID:
		return json_object_new_int64((int64_t)v);
	case ARG_MODE:
		return hex(v, true);
	case ARG_PATH:
	case ARG_STR:
		if (v && req_read_str(req, v, buf, sizeof(buf)) >= 0)
			return json_object_new_string(buf);
		return NULL;
	case ARG_PTR:
		return v ? hex(v, false) : NULL;
	case ARG_HEX:
	case ARG_VOID:
	default:
		return hex(v, false);
	}
}

static void emit(struct audit *a, json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							     JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(text);
	char line[8192];

	if (n + 1 >= sizeof(line))
		n = sizeof(line) - 2;
	memcpy(line, text, n);
	line[n++] = '\n';
	pthread_mutex_lock(&a->lock);
	/* a full disk loses the line, never the guest's call */
	if (a->fd >= 0 && write(a->fd, line, n) < 0) {
	}
	if (a->to_stderr && write(STDERR_FILENO, line, n) < 0) {
	}
	a->lines++;
	pthread_mutex_unlock(&a->lock);
}

static json_object *base(const struct audit *a, long pid)
{
	json_object *o = json_object_new_object();
	struct timespec ts;
	struct tm tm;
	char when[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
		 ts.tv_nsec / 1000000);
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "instance",
			       a->instance ? json_object_new_string(a->instance) : NULL);
	json_object_object_add(o, "pid", json_object_new_int64(pid));
	return o;
}

void audit_denial(struct audit *a, const struct sc_request *req, const char *path, int error)
{
	const struct sc_info *info = req->info;
	json_object *o, *args;
	char name[32];
	const char *ename = strerrorname_np(error);

	if (!audit_enabled(a))
		return;
	o = base(a, a->vpid ? a->vpid(a->vpid_arg, req->tid) : guest_pid(req->tid));
	if (!info)
		snprintf(name, sizeof(name), "syscall_%ld", req->nr);
	json_object_object_add(o, "syscall", json_object_new_string(info ? info->name : name));
	json_object_object_add(o, "abi", json_object_new_string(abi_name(req->abi)));
	args = json_object_new_array();
	for (unsigned i = 0; i < (info ? info->nargs : SC_ARGS_MAX); i++)
		json_object_array_add(args, decode_arg(req, info ? info->args[i] : ARG_HEX,
						       req->args[i]));
	json_object_object_add(o, "args", args);
	json_object_object_add(o, "path", path ? json_object_new_string(path) : NULL);
	json_object_object_add(o, "verdict", json_object_new_string("deny"));
	json_object_object_add(o, "errno", json_object_new_string(ename ? ename : "E?"));
	emit(a, o);
	json_object_put(o);
}

void audit_event(struct audit *a, pid_t pid, const char *what, const char *verdict)
{
	json_object *o;

	if (!audit_enabled(a))
		return;
	o = base(a, guest_pid(pid));
	json_object_object_add(o, "event", json_object_new_string(what));
	json_object_object_add(o, "verdict", json_object_new_string(verdict));
	emit(a, o);
	json_object_put(o);
}

void audit_close(struct audit *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->to_stderr = false;
}
