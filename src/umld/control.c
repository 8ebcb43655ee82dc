/* The control socket: a server thread whose libevent loop owns every
 * connection, and the blocking client the CLI uses. */
#include "config.h"

#include <stdbool.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "umld/control.h"

#define CONN_MAX 64          /* clients served at once */
#define CONN_IDLE_S 60       /* a client silent this long mid-request, or not reading, is dropped */
#define ACCEPT_RETRY_MS 200  /* pause after running out of fds */
#define JSON_DEPTH 16        /* nesting a request may have */
#define SIGNAL_MAX 64        /* _NSIG - 1 on Linux */
#define STOP_TIMEOUT_MAX 86400

/* ---- Both sides ---- */

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The socket address of path. A path longer than sun_path is reached
 * through its folder's fd, /proc/self/fd/N/NAME; *dirfd is that fd (-1 if
 * none), to close once bound or connected. */
static int sun_fill(const char *path, struct sockaddr_un *sa, int *dirfd)
{
	const char *slash;
	char dir[PATH_MAX];
	int n;

	*dirfd = -1;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (!*path)
		return -EINVAL;
	if (strlen(path) < sizeof(sa->sun_path)) {
		memcpy(sa->sun_path, path, strlen(path) + 1);
		return 0;
	}
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*dirfd = open(slash == path ? "/" : dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", *dirfd, slash + 1);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The frame of msg: header and JSON text, malloc'ed. NULL when it does not
 * fit in CONTROL_MSG_MAX (or on ENOMEM: *len is 0 then). */
static unsigned char *frame_of(json_object *msg, size_t *len)
{
	const char *txt = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = txt ? strlen(txt) : 0;
	unsigned char *buf;

	*len = n;
	if (n == 0 || n > CONTROL_MSG_MAX)
		return NULL;
	buf = malloc(n + 4);
	if (!buf) {
		*len = 0;
		return NULL;
	}
	put_be32(buf, (uint32_t)n);
	memcpy(buf + 4, txt, n);
	*len = n + 4;
	return buf;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parses a frame's body: a JSON object and nothing else (trailing
 * whitespace aside). NULL with why set otherwise. */
static json_object *parse_object(const char *body, size_t len, const char **why)
{
	json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	json_object *obj;
	size_t end;

	if (!tok) {
		*why = "out of memory";
		return NULL;
	}
	/* said plainly, and before a bare number leaves the tokener waiting
	 * for more digits */
	for (end = 0; end < len && is_space(body[end]); end++)
		;
	if (end == len || body[end] != '{') {
		json_tokener_free(tok);
		*why = "a message must be a JSON object";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		json_tokener_free(tok);
		*why = "the message is not valid JSON";
		return NULL;
	}
	json_tokener_free(tok);
	while (end < len && is_space(body[end]))
		end++;
	if (end != len) {
		json_object_put(obj);
		*why = "the message has bytes after its JSON value";
		return NULL;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		*why = "a message must be a JSON object";
		return NULL;
	}
	return obj;
}

/* Takes the fds of SCM_RIGHTS messages: up to max into fds (from *nfds on),
 * closing the rest. Returns whether any had to be closed. */
static bool take_fds(struct msghdr *mh, int *fds, int *nfds, int max)
{
	bool over = (mh->msg_flags & MSG_CTRUNC) != 0;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fds && *nfds < max) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				over = true;
			}
		}
	}
	return over;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

/* ---- Server ---- */

/* A message waiting to be written; its fds go with its first byte. */
struct out_msg {
	struct out_msg *next;
	unsigned char *buf;
	size_t len, off;
	int fds[CONTROL_FDS_MAX];
	int nfds;
};

enum conn_state {
	CONN_READ,    /* reading requests */
	CONN_EXEC,    /* an exec runs: waiting for its end, watching for EOF */
	CONN_CLOSING, /* closed once the output is written */
};

struct conn {
	struct conn *prev, *next;
	struct control_server *s;
	int fd;
	uid_t uid;
	pid_t pid;
	struct event *rev, *wev;
	enum conn_state state;
	uint64_t handle; /* CONN_EXEC: the exec's */
	/* the frame being read */
	unsigned char hdr[4];
	size_t hdr_got;
	char *body;
	size_t body_len, body_got;
	int fds[CONTROL_FDS_MAX];
	int nfds;
	struct out_msg *out, **out_tail;
};

struct exec_done {
	struct exec_done *next;
	uint64_t handle;
	int status;
};

struct control_server {
	const struct control_ops *ops;
	void *arg;
	uid_t uid; /* served besides root */
	char *sock_path;
	dev_t sock_dev;
	ino_t sock_ino;
	int listen_fd, wake_fd;
	struct event_base *base;
	struct event *listen_ev, *wake_ev, *retry_ev;
	pthread_t thread;
	bool thread_started;
	/* server thread only (or after it ended) */
	bool teardown; /* no op may run any more */
	struct conn *conns;
	unsigned nconns;
	uint64_t next_handle;
	/* shared with other threads, under lock */
	pthread_mutex_t lock;
	struct exec_done *done, **done_tail;
	bool stopping;
};

/* A client gone mid-exec: the monitor may want to know, unless we are
 * tearing down (ops run on the server thread only). */
static void abandon_exec(struct conn *c)
{
	struct control_server *s = c->s;

	if (c->state == CONN_EXEC && s->ops->exec_gone && !s->teardown)
		s->ops->exec_gone(s->arg, c->handle);
	if (c->state == CONN_EXEC)
		c->state = CONN_CLOSING;
}

static void conn_free(struct conn *c)
{
	struct control_server *s = c->s;

	abandon_exec(c);
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	close(c->fd);
	free(c->body);
	close_fds(c->fds, c->nfds);
	while (c->out) {
		struct out_msg *m = c->out;

		c->out = m->next;
		close_fds(m->fds, m->nfds);
		free(m->buf);
		free(m);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

/* Queues msg, and rfd (-1: none; taken) with it. A message too large to
 * send becomes an error. */
static void conn_queue(struct conn *c, json_object *msg, int rfd)
{
	struct out_msg *m = calloc(1, sizeof(*m));
	size_t len = 0;

	if (m)
		m->buf = frame_of(msg, &len);
	if (m && !m->buf && len > 0) {
		json_object *e = json_object_new_object();

		log_warn("a response of %zu bytes exceeds the maximum (%d)", len, CONTROL_MSG_MAX);
		json_object_object_add(e, "ok", json_object_new_boolean(0));
		json_object_object_add(e, "error", json_object_new_string("response too large"));
		json_object_object_add(e, "errno", json_object_new_int(EMSGSIZE));
		m->buf = frame_of(e, &len);
		json_object_put(e);
		if (rfd >= 0)
			close(rfd);
		rfd = -1;
	}
	if (!m || !m->buf) {
		/* out of memory: the client would wait for nothing */
		log_error("out of memory: dropping a client");
		free(m);
		if (rfd >= 0)
			close(rfd);
		c->state = CONN_CLOSING;
		return;
	}
	m->len = len;
	if (rfd >= 0)
		m->fds[m->nfds++] = rfd;
	*c->out_tail = m;
	c->out_tail = &m->next;
}

static void queue_error(struct conn *c, int code, const char *text)
{
	json_object *e = json_object_new_object();

	json_object_object_add(e, "ok", json_object_new_boolean(0));
	json_object_object_add(e, "error", json_object_new_string(text));
	json_object_object_add(e, "errno", json_object_new_int(code < 0 ? -code : code));
	conn_queue(c, e, -1);
	json_object_put(e);
}

/* Bad framing: the stream cannot be trusted past this point. */
static void protocol_error(struct conn *c, const char *text)
{
	log_info("client pid %d: %s: disconnecting it", (int)c->pid, text);
	abandon_exec(c);
	queue_error(c, -EPROTO, text);
	c->state = CONN_CLOSING;
}

/* Writes what can be written. false: c is freed. */
static bool conn_write(struct conn *c)
{
	while (c->out) {
		struct out_msg *m = c->out;
		union {
			char buf[CMSG_SPACE(sizeof(int) * CONTROL_FDS_MAX)];
			struct cmsghdr align;
		} cb;
		struct iovec iov = { .iov_base = m->buf + m->off, .iov_len = m->len - m->off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (m->nfds) {
			struct cmsghdr *cm;

			memset(&cb, 0, sizeof(cb));
			mh.msg_control = cb.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)m->nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)m->nfds);
			memcpy(CMSG_DATA(cm), m->fds, sizeof(int) * (size_t)m->nfds);
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0) {
			log_debug("client pid %d: %s", (int)c->pid, strerror(errno));
			conn_free(c);
			return false;
		}
		close_fds(m->fds, m->nfds); /* they went with the first byte */
		m->nfds = 0;
		m->off += (size_t)n;
		if (m->off == m->len) {
			c->out = m->next;
			if (!c->out)
				c->out_tail = &c->out;
			free(m->buf);
			free(m);
		}
	}
	return true;
}

/* Writes, then waits for what fits the state: more room to write, the next
 * request, or the end. false: c is freed. */
static bool conn_arm(struct conn *c)
{
	const struct timeval idle = { .tv_sec = CONN_IDLE_S };

	if (!conn_write(c))
		return false;
	if (c->out) {
		/* no reading while a response is pending: a client that
		 * sends and never reads cannot make us buffer without end */
		event_del(c->rev);
		event_add(c->wev, &idle);
		return true;
	}
	event_del(c->wev);
	switch (c->state) {
	case CONN_READ:
		event_add(c->rev, &idle);
		return true;
	case CONN_EXEC:
		event_add(c->rev, NULL); /* commands may run for days */
		return true;
	case CONN_CLOSING:
	default:
		conn_free(c);
		return false;
	}
}

/* ---- Requests ---- */

struct request {
	struct conn *c;
	json_object *req, *resp;
	int *fds;      /* those received: a handler takes one by setting it to -1 */
	int rfd;       /* sent with the response, or -1 */
};

static int req_error(struct request *rq, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int req_error(struct request *rq, int code, const char *fmt, ...)
{
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_object_object_add(rq->resp, "error", json_object_new_string(text));
	return code;
}

/* An optional integer field within [lo, hi]. */
static int field_int(struct request *rq, const char *key, int lo, int hi, int dflt, int *out)
{
	json_object *v;
	int64_t x;

	*out = dflt;
	if (!json_object_object_get_ex(rq->req, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return req_error(rq, -EINVAL, "\"%s\" must be an integer", key);
	x = json_object_get_int64(v);
	if (x < lo || x > hi)
		return req_error(rq, -EINVAL, "\"%s\" must be from %d to %d", key, lo, hi);
	*out = (int)x;
	return 0;
}

/* A string without NULs of 1 to max bytes. */
static int check_string(json_object *v, size_t max, const char **out)
{
	const char *str;
	size_t len;

	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	str = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len == 0 || len > max || strlen(str) != len)
		return -EINVAL;
	*out = str;
	return 0;
}

/* A list of strings as a NULL-terminated array (malloc'ed; the strings
 * stay in the request). Absent: *out is NULL, unless it is required. */
static int field_strv(struct request *rq, const char *key, bool required, bool env, char ***out)
{
	json_object *v;
	size_t n;
	char **list;

	*out = NULL;
	if (!json_object_object_get_ex(rq->req, key, &v)) {
		if (required)
			return req_error(rq, -EINVAL, "\"%s\" is missing", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return req_error(rq, -EINVAL, "\"%s\" must be a list of strings", key);
	n = json_object_array_length(v);
	if ((required && n == 0) || n > CONTROL_ARGS_MAX)
		return req_error(rq, -EINVAL, "\"%s\" must have %d to %d entries", key,
				 required ? 1 : 0, CONTROL_ARGS_MAX);
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *str;

		if (check_string(json_object_array_get_idx(v, i), CONTROL_MSG_MAX, &str) < 0) {
			free(list);
			return req_error(rq, -EINVAL,
					 "\"%s\"[%zu] must be a non-empty string without NUL", key, i);
		}
		/* NAME=VALUE with a name: what execve's callers expect */
		if (env && (str[0] == '=' || !strchr(str, '='))) {
			free(list);
			return req_error(rq, -EINVAL, "\"%s\"[%zu] is not NAME=VALUE", key, i);
		}
		list[i] = (char *)str;
	}
	*out = list;
	return 0;
}

/* A monitor that leaves an op NULL does not offer the command. */
#define NEED_OP(rq, op)                                                                 \
	do {                                                                            \
		if (!(rq)->c->s->ops->op)                                               \
			return req_error((rq), -ENOTSUP, "%s is not supported by this monitor", \
					 #op);                                          \
	} while (0)

static int h_status(struct request *rq)
{
	const struct control_server *s = rq->c->s;

	NEED_OP(rq, status);
	return s->ops->status(s->arg, rq->resp);
}

static int h_stop(struct request *rq)
{
	const struct control_server *s = rq->c->s;
	int timeout, r;

	NEED_OP(rq, stop);
	r = field_int(rq, "timeout", 0, STOP_TIMEOUT_MAX, 10, &timeout);
	if (r < 0)
		return r;
	return s->ops->stop(s->arg, timeout, rq->resp);
}

static int h_kill(struct request *rq)
{
	const struct control_server *s = rq->c->s;
	int sig, r;

	NEED_OP(rq, kill);
	r = field_int(rq, "signal", 1, SIGNAL_MAX, SIGKILL, &sig);
	if (r < 0)
		return r;
	return s->ops->kill(s->arg, sig, rq->resp);
}

static int h_pause(struct request *rq)
{
	const struct control_server *s = rq->c->s;

	NEED_OP(rq, pause);
	return s->ops->pause(s->arg, rq->resp);
}

static int h_resume(struct request *rq)
{
	const struct control_server *s = rq->c->s;

	NEED_OP(rq, resume);
	return s->ops->resume(s->arg, rq->resp);
}

static int h_logs(struct request *rq)
{
	const struct control_server *s = rq->c->s;
	int fd = -1, r;

	NEED_OP(rq, logs);
	r = s->ops->logs(s->arg, rq->resp, &fd);
	if (r < 0 && fd >= 0)
		close(fd);
	else
		rq->rfd = fd;
	return r;
}

static int h_exec(struct request *rq)
{
	struct conn *c = rq->c;
	struct control_server *s = c->s;
	cleanup_free char **argv = NULL;
	cleanup_free char **env = NULL;
	const char *cwd = NULL;
	json_object *v;
	uint64_t handle;
	int r;

	NEED_OP(rq, exec);
	r = field_strv(rq, "argv", true, false, &argv);
	if (r == 0)
		r = field_strv(rq, "env", false, true, &env);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(rq->req, "cwd", &v) &&
	    (check_string(v, PATH_MAX - 1, &cwd) < 0 || cwd[0] != '/'))
		return req_error(rq, -EINVAL, "\"cwd\" must be an absolute path");
	/* the handle is live before the op runs: the command may end (and
	 * control_exec_done come) before the op returns */
	handle = ++s->next_handle;
	c->state = CONN_EXEC;
	c->handle = handle;
	r = s->ops->exec(s->arg, argv, env, cwd, rq->fds, handle, rq->resp);
	if (r < 0) {
		c->state = CONN_READ;
		c->handle = 0;
		return r;
	}
	json_object_object_add(rq->resp, "handle", json_object_new_uint64(handle));
	return 0;
}

/* The commands, like OpenSSH's monitor table: a name, the fds it takes,
 * the fields it accepts besides "cmd", and its handler. */
static const char *const no_fields[] = { NULL };
static const char *const stop_fields[] = { "timeout", NULL };
static const char *const kill_fields[] = { "signal", NULL };
static const char *const exec_fields[] = { "argv", "env", "cwd", NULL };

static const struct command {
	const char *name;
	int nfds;
	const char *const *fields;
	int (*handler)(struct request *rq);
} commands[] = {
	{ "status", 0, no_fields, h_status },
	{ "stop", 0, stop_fields, h_stop },
	{ "kill", 0, kill_fields, h_kill },
	{ "pause", 0, no_fields, h_pause },
	{ "resume", 0, no_fields, h_resume },
	{ "exec", 3, exec_fields, h_exec },
	{ "logs", 0, no_fields, h_logs },
};

/* Checks the request's shape, runs its handler and queues the response. */
static void dispatch(struct conn *c, json_object *req)
{
	struct request rq = { .c = c, .req = req, .fds = c->fds, .rfd = -1 };
	const struct command *cmd = NULL;
	json_object *v;
	const char *name;
	int r = 0;

	rq.resp = json_object_new_object();
	if (!rq.resp) {
		queue_error(c, -ENOMEM, strerror(ENOMEM));
		return;
	}
	if (!json_object_object_get_ex(req, "cmd", &v) || !json_object_is_type(v, json_type_string)) {
		r = req_error(&rq, -EINVAL, "a request needs a \"cmd\" string");
		goto out;
	}
	name = json_object_get_string(v);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			cmd = &commands[i];
	if (!cmd) {
		r = req_error(&rq, -EINVAL, "unknown command '%.40s'", name);
		goto out;
	}
	json_object_object_foreach(req, key, val) {
		bool known = !strcmp(key, "cmd");

		(void)val;
		for (const char *const *f = cmd->fields; *f && !known; f++)
			known = !strcmp(key, *f);
		if (!known) {
			r = req_error(&rq, -EINVAL, "%s: unknown field '%.40s'", cmd->name, key);
			goto out;
		}
	}
	if (c->nfds != cmd->nfds) {
		r = req_error(&rq, -EINVAL, "%s takes %d file descriptors, not %d", cmd->name,
			      cmd->nfds, c->nfds);
		goto out;
	}
	r = cmd->handler(&rq);
out:
	if (r < 0) {
		json_object *e;

		/* the op's own text if it gave one */
		if (json_object_object_get_ex(rq.resp, "error", &e) &&
		    json_object_is_type(e, json_type_string))
			queue_error(c, r, json_object_get_string(e));
		else
			queue_error(c, r, strerror(-r));
		if (rq.rfd >= 0)
			close(rq.rfd);
	} else {
		json_object_object_add(rq.resp, "ok", json_object_new_boolean(1));
		conn_queue(c, rq.resp, rq.rfd);
	}
	json_object_put(rq.resp);
}

/* A whole frame has arrived. */
static void handle_frame(struct conn *c)
{
	const char *why = NULL;
	json_object *req = parse_object(c->body, c->body_len, &why);

	if (!req)
		protocol_error(c, why);
	else
		dispatch(c, req);
	json_object_put(req);
	free(c->body);
	c->body = NULL;
	c->hdr_got = c->body_len = c->body_got = 0;
	close_fds(c->fds, c->nfds); /* those no handler took */
	c->nfds = 0;
}

/* Reads what has arrived, one frame at a time. false: c is freed. */
static bool conn_read(struct conn *c)
{
	for (;;) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * CONTROL_FDS_MAX)];
			struct cmsghdr align;
		} cb;
		struct iovec iov;
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
				     .msg_controllen = sizeof(cb.buf) };
		bool in_body = c->hdr_got == sizeof(c->hdr);
		ssize_t n;

		if (in_body) {
			iov.iov_base = c->body + c->body_got;
			iov.iov_len = c->body_len - c->body_got;
		} else {
			iov.iov_base = c->hdr + c->hdr_got;
			iov.iov_len = sizeof(c->hdr) - c->hdr_got;
		}
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0) {
			log_debug("client pid %d: %s", (int)c->pid, strerror(errno));
			conn_free(c);
			return false;
		}
		if (take_fds(&mh, c->fds, &c->nfds, CONTROL_FDS_MAX)) {
			protocol_error(c, "too many file descriptors (the maximum is 4 per message)");
			return true;
		}
		if (c->state == CONN_EXEC) {
			/* nothing is expected until the command ends */
			if (n == 0) {
				conn_free(c);
				return false;
			}
			protocol_error(c, "unexpected data while the command runs");
			return true;
		}
		if (n == 0) {
			if (c->hdr_got == 0 && c->nfds == 0) {
				conn_free(c);
				return false;
			}
			/* the client may only have shut down its side */
			protocol_error(c, "truncated message");
			return true;
		}
		if (!in_body) {
			uint32_t len;

			c->hdr_got += (size_t)n;
			if (c->hdr_got < sizeof(c->hdr))
				continue;
			len = get_be32(c->hdr);
			if (len == 0 || len > CONTROL_MSG_MAX) {
				char why[96];

				snprintf(why, sizeof(why),
					 "a message of %u bytes (the maximum is %d)", len,
					 CONTROL_MSG_MAX);
				protocol_error(c, why);
				return true;
			}
			c->body = malloc(len);
			if (!c->body) {
				protocol_error(c, "out of memory");
				return true;
			}
			c->body_len = len;
			continue;
		}
		c->body_got += (size_t)n;
		if (c->body_got < c->body_len)
			continue;
		handle_frame(c);
		/* one request at a time: the next waits for this response */
		if (c->out || c->state != CONN_READ)
			return true;
	}
}

static void conn_read_cb(evutil_socket_t fd UMLD_UNUSED, short what, void *arg)
{
	struct conn *c = arg;

	if (what & EV_TIMEOUT) {
		log_info("client pid %d: idle for %d s: disconnecting it", (int)c->pid, CONN_IDLE_S);
		conn_free(c);
		return;
	}
	if (conn_read(c))
		conn_arm(c);
}

static void conn_write_cb(evutil_socket_t fd UMLD_UNUSED, short what, void *arg)
{
	struct conn *c = arg;

	if (what & EV_TIMEOUT) {
		log_info("client pid %d does not read its responses: disconnecting it",
			 (int)c->pid);
		conn_free(c);
		return;
	}
	conn_arm(c);
}

/* A new client: served if it is us or root, else told why not. */
static void conn_new(struct control_server *s, int fd)
{
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1 };
	socklen_t len = sizeof(cred);
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->s = s;
	c->fd = fd;
	c->out_tail = &c->out;
	for (int i = 0; i < CONTROL_FDS_MAX; i++)
		c->fds[i] = -1;
	c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
	c->wev = event_new(s->base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	if (!c->rev || !c->wev) {
		conn_free(c);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		cred.uid = (uid_t)-1;
	c->uid = cred.uid;
	c->pid = cred.pid;
	if (cred.uid != s->uid && cred.uid != 0) {
		char text[128];

		log_warn("refused a client: uid %u (pid %d) may not control this instance",
			 (unsigned)cred.uid, (int)cred.pid);
		snprintf(text, sizeof(text), "permission denied: uid %u may not control this instance",
			 (unsigned)cred.uid);
		queue_error(c, -EPERM, text);
		c->state = CONN_CLOSING;
	} else if (s->nconns > CONN_MAX) {
		log_warn("refused a client: %d clients already", CONN_MAX);
		queue_error(c, -EBUSY, "too many clients");
		c->state = CONN_CLOSING;
	}
	conn_arm(c);
}

static void accept_cb(evutil_socket_t fd UMLD_UNUSED, short what UMLD_UNUSED, void *arg)
{
	struct control_server *s = arg;

	for (int i = 0; i < 16; i++) {
		int cfd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd >= 0) {
			conn_new(s, cfd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the pending client stays readable: pause instead of
			 * spinning on it */
			const struct timeval tv = { .tv_usec = ACCEPT_RETRY_MS * 1000 };

			log_warn("cannot accept a client: %s", strerror(errno));
			event_del(s->listen_ev);
			event_add(s->retry_ev, &tv);
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("accept: %s", strerror(errno));
		}
		return;
	}
}

static void retry_cb(evutil_socket_t fd UMLD_UNUSED, short what UMLD_UNUSED, void *arg)
{
	struct control_server *s = arg;

	event_add(s->listen_ev, NULL);
}

static struct conn *conn_by_handle(struct control_server *s, uint64_t handle)
{
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->state == CONN_EXEC && c->handle == handle)
			return c;
	return NULL;
}

/* Woken by control_exec_done or control_server_stop. */
static void wake_cb(evutil_socket_t fd UMLD_UNUSED, short what UMLD_UNUSED, void *arg)
{
	struct control_server *s = arg;
	struct exec_done *list;
	uint64_t count;
	bool stopping;

	if (read(s->wake_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->lock);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	stopping = s->stopping;
	pthread_mutex_unlock(&s->lock);
	while (list) {
		struct exec_done *d = list;
		struct conn *c = conn_by_handle(s, d->handle);

		list = d->next;
		if (c) {
			json_object *m = json_object_new_object();

			json_object_object_add(m, "ok", json_object_new_boolean(1));
			json_object_object_add(m, "exited", json_object_new_boolean(1));
			json_object_object_add(m, "status", json_object_new_int(d->status));
			conn_queue(c, m, -1);
			json_object_put(m);
			c->state = CONN_CLOSING;
			conn_arm(c);
		} else {
			log_debug("exec %llu ended after its client left",
				  (unsigned long long)d->handle);
		}
		free(d);
	}
	if (stopping)
		event_base_loopbreak(s->base);
}

static void *serve(void *arg)
{
	struct control_server *s = arg;

	/* returns on loopbreak, or when epoll itself fails */
	if (event_base_dispatch(s->base) < 0)
		log_error("the control server's event loop failed: no more clients are served");
	return NULL;
}

void control_exec_done(struct control_server *s, uint64_t handle, int status)
{
	struct exec_done *d = malloc(sizeof(*d));
	uint64_t one = 1;

	if (!d) {
		log_error("out of memory: the client of exec %llu will not learn its status",
			  (unsigned long long)handle);
		return;
	}
	d->next = NULL;
	d->handle = handle;
	d->status = status;
	pthread_mutex_lock(&s->lock);
	*s->done_tail = d;
	s->done_tail = &d->next;
	pthread_mutex_unlock(&s->lock);
	/* EAGAIN: the counter is full, so the loop is being woken anyway */
	if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
}

/* Frees whatever of s was set up (the thread is not running). */
static void server_free(struct control_server *s)
{
	struct stat st;

	s->teardown = true;
	while (s->conns)
		conn_free(s->conns);
	while (s->done) {
		struct exec_done *d = s->done;

		s->done = d->next;
		free(d);
	}
	if (s->listen_ev)
		event_free(s->listen_ev);
	if (s->wake_ev)
		event_free(s->wake_ev);
	if (s->retry_ev)
		event_free(s->retry_ev);
	if (s->base)
		event_base_free(s->base);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		/* only our socket: a successor may have bound its own */
		if (s->sock_ino && lstat(s->sock_path, &st) == 0 && st.st_ino == s->sock_ino &&
		    st.st_dev == s->sock_dev)
			unlink(s->sock_path);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->sock_path);
	free(s);
}

/* Removes a stale socket file at path; a live one is -EADDRINUSE. */
static int clear_path(const char *path, const struct sockaddr_un *sa, struct umld_err *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return umld_err_set(err, -errno, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return umld_err_set(err, -EEXIST, "%s exists and is not a socket", path);
	/* non-blocking: a live server with a full backlog says EAGAIN */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 ||
			errno == EAGAIN))
		return umld_err_set(err, -EADDRINUSE, "a server already answers on %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return umld_err_set(err, -errno, "cannot remove the stale socket %s: %s", path,
				    strerror(errno));
	return 0;
}

/* Creates the listening socket, mode 0600. */
static int bind_socket(struct control_server *s, const char *path, struct umld_err *err)
{
	cleanup_close int dirfd = -1;
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	r = sun_fill(path, &sa, &dirfd);
	if (r < 0)
		return umld_err_set(err, r, "cannot use %s as a socket: %s", path, strerror(-r));
	r = clear_path(sa.sun_path, &sa, err);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return umld_err_set(err, -errno, "socket: %s", strerror(errno));
	s->listen_fd = fd;
	/* the mode of the socket's inode is what bind gives the file (minus
	 * the umask, which is process-wide and so left alone); the chmod
	 * after bind is for file systems that disagree */
	fchmod(fd, 0600);
	if (bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		return umld_err_set(err, -errno, "cannot bind %s: %s", path, strerror(errno));
	if (chmod(sa.sun_path, 0600) < 0 || lstat(sa.sun_path, &st) < 0)
		return umld_err_set(err, -errno, "%s: %s", path, strerror(errno));
	s->sock_dev = st.st_dev;
	s->sock_ino = st.st_ino;
	if (listen(fd, 16) < 0)
		return umld_err_set(err, -errno, "cannot listen on %s: %s", path, strerror(errno));
	return 0;
}

int control_server_start(struct control_server **out, const char *sock_path,
			 const struct control_ops *ops, void *arg, struct umld_err *err)
{
	struct control_server *s = calloc(1, sizeof(*s));
	sigset_t all, old;
	int r;

	*out = NULL;
	if (!s)
		return umld_err_set(err, -ENOMEM, "out of memory");
	s->ops = ops;
	s->arg = arg;
	s->uid = geteuid();
	s->listen_fd = s->wake_fd = -1;
	s->done_tail = &s->done;
	pthread_mutex_init(&s->lock, NULL);
	s->sock_path = strdup(sock_path);
	if (!s->sock_path) {
		server_free(s);
		return umld_err_set(err, -ENOMEM, "out of memory");
	}
	r = bind_socket(s, sock_path, err);
	if (r < 0) {
		server_free(s);
		return r;
	}
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		r = umld_err_set(err, -errno, "eventfd: %s", strerror(errno));
		server_free(s);
		return r;
	}
	s->base = event_base_new();
	if (s->base) {
		s->listen_ev = event_new(s->base, s->listen_fd, EV_READ | EV_PERSIST, accept_cb, s);
		s->wake_ev = event_new(s->base, s->wake_fd, EV_READ | EV_PERSIST, wake_cb, s);
		s->retry_ev = evtimer_new(s->base, retry_cb, s);
	}
	if (!s->base || !s->listen_ev || !s->wake_ev || !s->retry_ev ||
	    event_add(s->listen_ev, NULL) < 0 || event_add(s->wake_ev, NULL) < 0) {
		server_free(s);
		return umld_err_set(err, -ENOMEM, "cannot set up the control server's event loop");
	}
	/* the thread starts with every signal blocked: the monitor's signals
	 * are for the tracer thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		server_free(s);
		return umld_err_set(err, -r, "cannot start the control thread: %s", strerror(r));
	}
	s->thread_started = true;
	*out = s;
	return 0;
}

void control_server_stop(struct control_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_mutex_unlock(&s->lock);
	if (write(s->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	server_free(s);
}

/* ---- Client ---- */

int control_connect(const char *sock_path, int *out, struct umld_err *err)
{
	const struct timeval tv = { .tv_sec = CONTROL_TIMEOUT_MS / 1000,
				    .tv_usec = CONTROL_TIMEOUT_MS % 1000 * 1000 };
	cleanup_close int dirfd = -1;
	cleanup_close int fd = -1;
	struct sockaddr_un sa;
	int r;

	*out = -1;
	r = sun_fill(sock_path, &sa, &dirfd);
	if (r < 0)
		return umld_err_set(err, r, "cannot use %s as a socket: %s", sock_path, strerror(-r));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return umld_err_set(err, -errno, "socket: %s", strerror(errno));
	/* bounds connect (a full backlog) and sends alike */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOENT || errno == ECONNREFUSED)
			return umld_err_set(err, -errno, "no monitor is listening on %s", sock_path);
		if (errno == EAGAIN)
			return umld_err_set(err, -ETIMEDOUT, "the monitor on %s does not accept",
					    sock_path);
		return umld_err_set(err, -errno, "cannot connect to %s: %s", sock_path,
				    strerror(errno));
	}
	*out = umld_take_fd(&fd);
	return 0;
}

int control_send(int fd, json_object *msg, const int *fds, int nfds, struct umld_err *err)
{
	cleanup_free unsigned char *buf = NULL;
	size_t len, off = 0;

	if (nfds < 0 || nfds > CONTROL_FDS_MAX)
		return umld_err_set(err, -EINVAL, "at most %d file descriptors per message",
				    CONTROL_FDS_MAX);
	buf = frame_of(msg, &len);
	if (!buf && len)
		return umld_err_set(err, -EMSGSIZE, "the request is too large (%zu bytes, at most %d)",
				    len, CONTROL_MSG_MAX);
	if (!buf)
		return umld_err_set(err, -ENOMEM, "out of memory");
	while (off < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * CONTROL_FDS_MAX)];
			struct cmsghdr align;
		} cb;
		struct iovec iov = { .iov_base = buf + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (off == 0 && nfds > 0) {
			struct cmsghdr *cm;

			memset(&cb, 0, sizeof(cb));
			mh.msg_control = cb.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
			memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return umld_err_set(err, -ETIMEDOUT, "the monitor does not read its requests");
		if (n < 0)
			return umld_err_set(err, -errno, "cannot send to the monitor: %s",
					    strerror(errno));
		off += (size_t)n;
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly len bytes (fds alongside into fds/nfds), by the deadline
 * (-1: none). got says how much of the message came before. intr: return
 * -EINTR from a wait before the message's first byte. */
static int recv_exact(int fd, void *buf, size_t len, size_t got, long long deadline, bool intr,
		      int *fds, int *nfds, bool *fds_over)
{
	size_t off = 0;

	while (off < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * CONTROL_FDS_MAX)];
			struct cmsghdr align;
		} cb;
		struct iovec iov = { .iov_base = (char *)buf + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
				     .msg_controllen = sizeof(cb.buf) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int timeout = -1, r;
		ssize_t n;

		if (deadline >= 0) {
			long long left = deadline - now_ms();

			timeout = left > 0 ? (int)left : 0;
		}
		r = poll(&p, 1, timeout);
		if (r < 0 && errno == EINTR) {
			if (intr && got + off == 0)
				return -EINTR;
			continue;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (take_fds(&mh, fds, nfds, fds ? CONTROL_FDS_MAX : 0) && fds)
			*fds_over = true;
		if (n == 0)
			return got + off == 0 ? -ECONNRESET : -EPROTO;
		off += (size_t)n;
	}
	return 0;
}

static int recv_msg(int fd, int timeout_ms, bool intr, json_object **msg, int *fds, int *nfds,
		    struct umld_err *err)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	unsigned char hdr[4] = { 0 };
	cleanup_free char *body = NULL;
	bool over = false;
	const char *why;
	uint32_t len = 0;
	int r, n = 0;

	*msg = NULL;
	if (nfds)
		*nfds = 0;
	r = recv_exact(fd, hdr, sizeof(hdr), 0, deadline, intr, fds, &n, &over);
	if (r == 0) {
		len = get_be32(hdr);
		if (len == 0 || len > CONTROL_MSG_MAX) {
			r = -EPROTO;
		} else if (!(body = malloc(len))) {
			r = -ENOMEM;
		} else {
			r = recv_exact(fd, body, len, sizeof(hdr), deadline, false, fds, &n, &over);
		}
	}
	if (r == 0 && over)
		r = -EPROTO;
	if (r == 0 && !(*msg = parse_object(body, len, &why)))
		r = -EPROTO;
	if (r < 0 && fds)
		close_fds(fds, n);
	else if (nfds)
		*nfds = n;
	switch (r) {
	case 0:
		return 0;
	case -EINTR:
		return r; /* not an error: the caller decides */
	case -ETIMEDOUT:
		return umld_err_set(err, r, "no answer from the monitor within %d s",
				    timeout_ms / 1000);
	case -ECONNRESET:
		return umld_err_set(err, r, "the monitor closed the connection");
	case -EPROTO:
		return umld_err_set(err, r, "malformed message from the monitor");
	default:
		return umld_err_set(err, r, "cannot read from the monitor: %s", strerror(-r));
	}
}

int control_recv(int fd, int timeout_ms, json_object **msg, int *fds, int *nfds,
		 struct umld_err *err)
{
	return recv_msg(fd, timeout_ms, false, msg, fds, nfds, err);
}

/* {"ok": false, ...} as an error; takes resp then. */
static int check_ok(json_object *resp, struct umld_err *err)
{
	json_object *ok, *e, *no;
	const char *text = "the monitor gave no reason";
	int code = EIO;

	if (!json_object_object_get_ex(resp, "ok", &ok) || !json_object_is_type(ok, json_type_boolean)) {
		json_object_put(resp);
		return umld_err_set(err, -EPROTO, "malformed response from the monitor");
	}
	if (json_object_get_boolean(ok))
		return 0;
	if (json_object_object_get_ex(resp, "errno", &no) && json_object_is_type(no, json_type_int) &&
	    json_object_get_int64(no) > 0 && json_object_get_int64(no) < 4096)
		code = (int)json_object_get_int64(no);
	if (json_object_object_get_ex(resp, "error", &e) && json_object_is_type(e, json_type_string))
		text = json_object_get_string(e);
	umld_err_set(err, -code, "%s", text);
	json_object_put(resp);
	return -code;
}

/* Connects, sends, reads the response. On success *conn is kept open when
 * conn is not NULL. */
static int call(const char *sock_path, json_object *req, const int *fds, int nfds, int *conn,
		json_object **resp, int *rfds, int *nrfds, struct umld_err *err)
{
	cleanup_close int fd = -1;
	struct umld_err send_err = { 0 };
	int r;

	*resp = NULL;
	if (nrfds)
		*nrfds = 0;
	r = control_connect(sock_path, &fd, err);
	if (r < 0)
		return r;
	r = control_send(fd, req, fds, nfds, &send_err);
	/* a monitor that refused us may have said why before closing */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET) {
		if (err)
			*err = send_err;
		return r;
	}
	r = recv_msg(fd, CONTROL_TIMEOUT_MS, false, resp, rfds, nrfds, err);
	if (r < 0) {
		if (send_err.code && err)
			*err = send_err;
		return send_err.code ? send_err.code : r;
	}
	r = check_ok(*resp, err);
	if (r < 0) {
		*resp = NULL;
		if (rfds && nrfds)
			close_fds(rfds, *nrfds);
		if (nrfds)
			*nrfds = 0;
		return r;
	}
	if (conn)
		*conn = umld_take_fd(&fd);
	return 0;
}

int control_call(const char *sock_path, json_object *req, const int *fds, int nfds,
		 json_object **resp, struct umld_err *err)
{
	return call(sock_path, req, fds, nfds, NULL, resp, NULL, NULL, err);
}

int control_call_fds(const char *sock_path, json_object *req, const int *fds, int nfds,
		     json_object **resp, int *rfds, int *nrfds, struct umld_err *err)
{
	return call(sock_path, req, fds, nfds, NULL, resp, rfds, nrfds, err);
}

int control_exec_start(const char *sock_path, json_object *req, const int fds[3], int *conn,
		       json_object **resp, struct umld_err *err)
{
	*conn = -1;
	return call(sock_path, req, fds, 3, conn, resp, NULL, NULL, err);
}

int control_wait_exit(int conn, int *status, struct umld_err *err)
{
	json_object *msg, *v;
	int r;

	r = recv_msg(conn, -1, true, &msg, NULL, NULL, err);
	if (r == -ECONNRESET)
		return umld_err_set(err, r, "the instance ended before the command did");
	if (r < 0)
		return r;
	r = check_ok(msg, err);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(msg, "exited", &v) || !json_object_get_boolean(v) ||
	    !json_object_object_get_ex(msg, "status", &v) || !json_object_is_type(v, json_type_int)) {
		json_object_put(msg);
		return umld_err_set(err, -EPROTO, "malformed message from the monitor");
	}
	*status = json_object_get_int(v);
	json_object_put(msg);
	return 0;
}
