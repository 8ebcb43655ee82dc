/* Unit tests of the control socket (fake ops, the real client, hostile bytes)
 * and of the state directory (claims, locks, stale folders). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "umld/control.h"
#include "umld/statedir.h"
#include "unit.h"

/* snprintf that must not truncate */
#define xsnprintf(buf, ...) \
	ck_assert_int_lt(snprintf((buf), sizeof(buf), __VA_ARGS__), (int)sizeof(buf))

/* ---- Fixture: a temporary folder and a server on a socket in it ---- */

/* What the fake ops saw; written on the server thread, read by the test. */
struct fake {
	pthread_mutex_t lock;
	int status, stop, kill, pause, resume, logs, exec, gone;
	int stop_timeout, kill_sig;
	bool fail_pause_text, fail_resume_bare, logs_fd, exec_fail, exec_done_at_once;
	uint64_t exec_handle, gone_handle;
	int exec_fds[3];
	int argc, envc;
	char argv0[64], env0[64], cwd[64];
	bool env_null, cwd_null;
};

static char tmpdir[PATH_MAX];
static char sock[PATH_MAX];
static struct control_server *server;
static struct fake fake;

static int fake_status(void *arg, json_object *resp)
{
	struct fake *f = arg;

	pthread_mutex_lock(&f->lock);
	f->status++;
	pthread_mutex_unlock(&f->lock);
	json_object_object_add(resp, "state", json_object_new_string("running"));
	json_object_object_add(resp, "tasks", json_object_new_int(3));
	/* the server sets "ok" whatever an op says */
	json_object_object_add(resp, "ok", json_object_new_boolean(0));
	return 0;
}

static int fake_stop(void *arg, int timeout_s, json_object *resp UMLD_UNUSED)
{
	struct fake *f = arg;

	pthread_mutex_lock(&f->lock);
	f->stop++;
	f->stop_timeout = timeout_s;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static int fake_kill(void *arg, int sig, json_object *resp)
{
	struct fake *f = arg;

	pthread_mutex_lock(&f->lock);
	f->kill++;
	f->kill_sig = sig;
	pthread_mutex_unlock(&f->lock);
	json_object_object_add(resp, "signalled", json_object_new_int(2));
	return 0;
}

static int fake_pause(void *arg, json_object *resp)
{
	struct fake *f = arg;
	bool fail;

	pthread_mutex_lock(&f->lock);
	f->pause++;
	fail = f->fail_pause_text;
	pthread_mutex_unlock(&f->lock);
	if (fail) {
		json_object_object_add(resp, "error", json_object_new_string("already paused"));
		return -EBUSY;
	}
	return 0;
}

static int fake_resume(void *arg, json_object *resp UMLD_UNUSED)
{
	struct fake *f = arg;
	bool fail;

	pthread_mutex_lock(&f->lock);
	f->resume++;
	fail = f->fail_resume_bare;
	pthread_mutex_unlock(&f->lock);
	return fail ? -ESRCH : 0;
}

static int fake_logs(void *arg, json_object *resp, int *fd)
{
	struct fake *f = arg;
	json_object *lines;
	bool want_fd;

	pthread_mutex_lock(&f->lock);
	f->logs++;
	want_fd = f->logs_fd;
	pthread_mutex_unlock(&f->lock);
	if (want_fd) {
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		if (write(p[1], "log text\n", 9) != 9) {
			close(p[0]);
			close(p[1]);
			return -EIO;
		}
		close(p[1]);
		*fd = p[0];
		return 0;
	}
	lines = json_object_new_array();
	json_object_array_add(lines, json_object_new_string("first line"));
	json_object_array_add(lines, json_object_new_string("second line"));
	json_object_object_add(resp, "lines", lines);
	return 0;
}

static int fake_exec(void *arg, char **argv, char **env, const char *cwd, int fds[3],
		     uint64_t handle, json_object *resp)
{
	struct fake *f = arg;
	bool fail, at_once;

	pthread_mutex_lock(&f->lock);
	f->exec++;
	f->exec_handle = handle;
	f->argc = 0;
	while (argv[f->argc])
		f->argc++;
	snprintf(f->argv0, sizeof(f->argv0), "%s", argv[0]);
	f->env_null = !env;
	f->envc = 0;
	while (env && env[f->envc])
		f->envc++;
	snprintf(f->env0, sizeof(f->env0), "%s", env && env[0] ? env[0] : "");
	f->cwd_null = !cwd;
	snprintf(f->cwd, sizeof(f->cwd), "%s", cwd ? cwd : "");
	fail = f->exec_fail;
	at_once = f->exec_done_at_once;
	if (!fail) {
		/* takes all three, as the monitor would to give them on */
		for (int i = 0; i < 3; i++) {
			f->exec_fds[i] = fds[i];
			fds[i] = -1;
		}
	}
	pthread_mutex_unlock(&f->lock);
	if (fail) {
		json_object_object_add(resp, "error", json_object_new_string("no such command"));
		return -ENOENT;
	}
	json_object_object_add(resp, "pid", json_object_new_int(4321));
	/* the command ended before the op even returned */
	if (at_once)
		control_exec_done(server, handle, 3 << 8);
	return 0;
}

static void fake_exec_gone(void *arg, uint64_t handle)
{
	struct fake *f = arg;

	pthread_mutex_lock(&f->lock);
	f->gone++;
	f->gone_handle = handle;
	pthread_mutex_unlock(&f->lock);
}

static const struct control_ops fake_ops = {
	.status = fake_status,
	.stop = fake_stop,
	.kill = fake_kill,
	.pause = fake_pause,
	.resume = fake_resume,
	.exec = fake_exec,
	.exec_gone = fake_exec_gone,
	.logs = fake_logs,
};

static int rm_one(const char *path, const struct stat *st UMLD_UNUSED, int flag UMLD_UNUSED,
		  struct FTW *ftw UMLD_UNUSED)
{
	remove(path);
	return 0;
}

static void make_tmpdir(void)
{
	xsnprintf(tmpdir, "/tmp/check_control.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	xsnprintf(sock, "%s/control.sock", tmpdir);
}

static void remove_tmpdir(void)
{
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_server(void)
{
	struct umld_err err = { 0 };

	make_tmpdir();
	/* fresh per test, also when Check does not fork (CK_FORK=no) */
	memset(&fake, 0, sizeof(fake));
	pthread_mutex_init(&fake.lock, NULL);
	memset(fake.exec_fds, -1, sizeof(fake.exec_fds));
	ck_assert_msg(control_server_start(&server, sock, &fake_ops, &fake, &err) == 0,
		      "start: %s", err.msg);
}

static void teardown_server(void)
{
	control_server_stop(server);
	server = NULL;
	for (int i = 0; i < 3; i++)
		if (fake.exec_fds[i] >= 0)
			close(fake.exec_fds[i]);
	remove_tmpdir();
}

/* ---- Helpers ---- */

static json_object *request(const char *cmd)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "cmd", json_object_new_string(cmd));
	return o;
}

/* Sends req (taken) through control_call; returns its result. */
static int call(json_object *req, json_object **resp, struct umld_err *err)
{
	int r = control_call(sock, req, NULL, 0, resp, err);

	json_object_put(req);
	return r;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_of(json_object *o, const char *key)
{
	json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no \"%s\" in %s", key,
		      json_object_to_json_string(o));
	return json_object_get_int64(v);
}

static bool ok_of(json_object *o)
{
	json_object *v;

	ck_assert(json_object_object_get_ex(o, "ok", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	return json_object_get_boolean(v);
}

static int fake_get(const int *field)
{
	int v;

	pthread_mutex_lock(&fake.lock);
	v = *field;
	pthread_mutex_unlock(&fake.lock);
	return v;
}

/* A fresh client is served: the server survived whatever came before. */
static void assert_serves(void)
{
	struct umld_err err = { 0 };
	json_object *resp;

	ck_assert_msg(call(request("status"), &resp, &err) == 0, "status: %s", err.msg);
	ck_assert(ok_of(resp));
	json_object_put(resp);
}

static int raw_connect(void)
{
	struct umld_err err = { 0 };
	int fd;

	ck_assert_msg(control_connect(sock, &fd, &err) == 0, "connect: %s", err.msg);
	return fd;
}

static void raw_send(int fd, const void *buf, size_t len)
{
	ck_assert_msg(send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "send: %s", strerror(errno));
}

/* A frame with a given body, in one send: a server that drops us after the
 * first bytes must not turn the rest into EPIPE. */
static void raw_frame(int fd, const char *body)
{
	size_t len = strlen(body);
	unsigned char buf[4 + 256];

	ck_assert_uint_le(len, 256);
	buf[0] = (unsigned char)(len >> 24);
	buf[1] = (unsigned char)(len >> 16);
	buf[2] = (unsigned char)(len >> 8);
	buf[3] = (unsigned char)len;
	memcpy(buf + 4, body, len);
	raw_send(fd, buf, 4 + len);
}

/* Reads one response within 2 s. */
static json_object *raw_response(int fd)
{
	struct umld_err err = { 0 };
	json_object *m;

	ck_assert_msg(control_recv(fd, 2000, &m, NULL, NULL, &err) == 0, "recv: %s", err.msg);
	return m;
}

/* Expects an error response whose text contains what. */
static void expect_error(int fd, const char *what)
{
	json_object *m = raw_response(fd);
	const char *e = str_of(m, "error");

	ck_assert(!ok_of(m));
	ck_assert_msg(e && strstr(e, what), "error '%s', wanted '%s'", e ? e : "(none)", what);
	ck_assert_int_gt(int_of(m, "errno"), 0);
	json_object_put(m);
}

/* The server closed fd (EOF, or a reset when it left our bytes unread). */
static void expect_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	ssize_t n;

	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	ck_assert_msg(n == 0 || (n < 0 && errno == ECONNRESET), "n=%zd errno=%d", n, errno);
}

/* ---- Control: round trips ---- */

START_TEST(test_status)
{
	struct umld_err err = { 0 };
	json_object *resp;

	ck_assert_int_eq(call(request("status"), &resp, &err), 0);
	ck_assert(ok_of(resp));
	ck_assert_str_eq(str_of(resp, "state"), "running");
	ck_assert_int_eq(int_of(resp, "tasks"), 3);
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.status), 1);
}
END_TEST

START_TEST(test_stop)
{
	struct umld_err err = { 0 };
	json_object *req, *resp;

	ck_assert_int_eq(call(request("stop"), &resp, &err), 0);
	ck_assert(ok_of(resp));
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.stop_timeout), 10); /* the default */
	req = request("stop");
	json_object_object_add(req, "timeout", json_object_new_int(3));
	ck_assert_int_eq(call(req, &resp, &err), 0);
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.stop), 2);
	ck_assert_int_eq(fake_get(&fake.stop_timeout), 3);
}
END_TEST

START_TEST(test_kill)
{
	struct umld_err err = { 0 };
	json_object *req, *resp;

	ck_assert_int_eq(call(request("kill"), &resp, &err), 0);
	ck_assert_int_eq(int_of(resp, "signalled"), 2);
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.kill_sig), SIGKILL);
	req = request("kill");
	json_object_object_add(req, "signal", json_object_new_int(SIGTERM));
	ck_assert_int_eq(call(req, &resp, &err), 0);
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.kill), 2);
	ck_assert_int_eq(fake_get(&fake.kill_sig), SIGTERM);
}
END_TEST

START_TEST(test_pause_resume)
{
	struct umld_err err = { 0 };
	json_object *resp;

	ck_assert_int_eq(call(request("pause"), &resp, &err), 0);
	json_object_put(resp);
	ck_assert_int_eq(call(request("resume"), &resp, &err), 0);
	json_object_put(resp);
	ck_assert_int_eq(fake_get(&fake.pause), 1);
	ck_assert_int_eq(fake_get(&fake.resume), 1);
}
END_TEST

START_TEST(test_op_errors)
{
	struct umld_err err = { 0 };
	json_object *resp = (json_object *)1;

	/* the op's own text */
	pthread_mutex_lock(&fake.lock);
	fake.fail_pause_text = fake.fail_resume_bare = true;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(call(request("pause"), &resp, &err), -EBUSY);
	ck_assert_ptr_null(resp);
	ck_assert_str_eq(err.msg, "already paused");
	/* none: strerror */
	ck_assert_int_eq(call(request("resume"), &resp, &err), -ESRCH);
	ck_assert_str_eq(err.msg, strerror(ESRCH));
}
END_TEST

START_TEST(test_logs)
{
	struct umld_err err = { 0 };
	json_object *resp, *lines;
	int fds[CONTROL_FDS_MAX], nfds = -1;
	char buf[32] = "";

	ck_assert_int_eq(call(request("logs"), &resp, &err), 0);
	ck_assert(json_object_object_get_ex(resp, "lines", &lines));
	ck_assert_int_eq(json_object_array_length(lines), 2);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(lines, 1)), "second line");
	json_object_put(resp);

	/* or an fd to read them from */
	pthread_mutex_lock(&fake.lock);
	fake.logs_fd = true;
	pthread_mutex_unlock(&fake.lock);
	lines = request("logs");
	ck_assert_int_eq(control_call_fds(sock, lines, NULL, 0, &resp, fds, &nfds, &err), 0);
	json_object_put(lines);
	json_object_put(resp);
	ck_assert_int_eq(nfds, 1);
	ck_assert(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	ck_assert_int_eq(read(fds[0], buf, sizeof(buf) - 1), 9);
	ck_assert_str_eq(buf, "log text\n");
	close(fds[0]);
}
END_TEST

START_TEST(test_missing_op)
{
	const struct control_ops few = { .status = fake_status };
	struct control_server *s2;
	struct umld_err err = { 0 };
	json_object *req = request("resume"), *resp;
	char path[PATH_MAX];

	xsnprintf(path, "%s/other.sock", tmpdir);
	ck_assert_int_eq(control_server_start(&s2, path, &few, &fake, &err), 0);
	ck_assert_int_eq(control_call(path, req, NULL, 0, &resp, &err), -ENOTSUP);
	ck_assert_msg(strstr(err.msg, "not supported"), "%s", err.msg);
	json_object_put(req);
	control_server_stop(s2);
	ck_assert_int_eq(access(path, F_OK), -1); /* its socket is removed */
}
END_TEST

START_TEST(test_socket_mode)
{
	struct stat st;

	ck_assert_int_eq(lstat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(st.st_uid, geteuid());
}
END_TEST

/* A path longer than sun_path still works (through /proc/self/fd). */
START_TEST(test_long_path)
{
	struct control_server *s2;
	struct umld_err err = { 0 };
	json_object *req = request("status"), *resp;
	char dir[PATH_MAX], path[PATH_MAX];

	xsnprintf(dir, "%s/%s", tmpdir,
		 "a-folder-with-a-rather-long-name-to-push-the-socket-path-past-108-bytes-"
		 "of-sun-path");
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	xsnprintf(path, "%s/control.sock", dir);
	ck_assert_uint_gt(strlen(path), sizeof(((struct sockaddr_un *)0)->sun_path));
	ck_assert_msg(control_server_start(&s2, path, &fake_ops, &fake, &err) == 0, "%s", err.msg);
	ck_assert_msg(control_call(path, req, NULL, 0, &resp, &err) == 0, "%s", err.msg);
	json_object_put(req);
	json_object_put(resp);
	control_server_stop(s2);
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

START_TEST(test_stale_socket)
{
	struct control_server *s2;
	struct umld_err err = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[PATH_MAX];
	int fd;

	/* a socket file nobody listens on any more: replaced */
	xsnprintf(path, "%s/stale.sock", tmpdir);
	xsnprintf(sa.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	ck_assert_msg(control_server_start(&s2, path, &fake_ops, &fake, &err) == 0, "%s", err.msg);
	control_server_stop(s2);

	/* a live server's socket is not taken over */
	ck_assert_int_eq(control_server_start(&s2, sock, &fake_ops, &fake, &err), -EADDRINUSE);
	assert_serves();

	/* nor is a file that is not a socket */
	xsnprintf(path, "%s/file", tmpdir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ck_assert_int_eq(control_server_start(&s2, path, &fake_ops, &fake, &err), -EEXIST);
}
END_TEST

/* ---- Control: bad requests ---- */

START_TEST(test_unknown_command)
{
	int fd = raw_connect();
	json_object *m;

	raw_frame(fd, "{\"cmd\":\"frobnicate\"}");
	expect_error(fd, "unknown command 'frobnicate'");
	/* the connection is kept: the next request is served */
	raw_frame(fd, "{\"cmd\":\"status\"}");
	m = raw_response(fd);
	ck_assert(ok_of(m));
	ck_assert_str_eq(str_of(m, "state"), "running");
	json_object_put(m);
	raw_frame(fd, "{\"nocmd\":1}");
	expect_error(fd, "\"cmd\"");
	raw_frame(fd, "{\"cmd\":7}");
	expect_error(fd, "\"cmd\"");
	raw_frame(fd, "{\"cmd\":\"status\"}");
	m = raw_response(fd);
	ck_assert(ok_of(m));
	json_object_put(m);
	close(fd);
	ck_assert_int_eq(fake_get(&fake.status), 2);
}
END_TEST

START_TEST(test_bad_fields)
{
	static const struct {
		const char *frame, *error;
	} cases[] = {
		{ "{\"cmd\":\"status\",\"verbose\":true}", "unknown field 'verbose'" },
		{ "{\"cmd\":\"stop\",\"timeout\":\"10\"}", "\"timeout\" must be an integer" },
		{ "{\"cmd\":\"stop\",\"timeout\":-1}", "\"timeout\" must be from 0" },
		{ "{\"cmd\":\"stop\",\"timeout\":1.5}", "\"timeout\" must be an integer" },
		{ "{\"cmd\":\"kill\",\"signal\":0}", "\"signal\" must be from 1 to 64" },
		{ "{\"cmd\":\"kill\",\"signal\":99999999999}", "\"signal\" must be from 1" },
		{ "{\"cmd\":\"kill\",\"signal\":null}", "\"signal\" must be an integer" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"x\"]}", "exec takes 3 file descriptors, not 0" },
	};
	int fd = raw_connect();
	json_object *m;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		raw_frame(fd, cases[i].frame);
		expect_error(fd, cases[i].error);
	}
	raw_frame(fd, "{\"cmd\":\"status\"}");
	m = raw_response(fd);
	ck_assert(ok_of(m));
	json_object_put(m);
	close(fd);
	ck_assert_int_eq(fake_get(&fake.stop), 0);
	ck_assert_int_eq(fake_get(&fake.kill), 0);
	ck_assert_int_eq(fake_get(&fake.exec), 0);
}
END_TEST

/* fds with a command that takes none: refused, and closed by the server. */
START_TEST(test_unexpected_fds)
{
	struct umld_err err = { 0 };
	json_object *req = request("status"), *resp;
	int p[2];
	char c;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(control_call(sock, req, &p[1], 1, &resp, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "status takes 0 file descriptors"), "%s", err.msg);
	json_object_put(req);
	close(p[1]);
	/* the server's copy is gone too: the pipe has no writer left */
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

START_TEST(test_garbage)
{
	int fd = raw_connect();
	const char junk[] = "hello, this is not a frame at all\n";

	raw_send(fd, junk, sizeof(junk) - 1);
	/* "hell" read as a length: far over the maximum */
	expect_error(fd, "bytes (the maximum is 65536)");
	expect_closed(fd);
	close(fd);
	assert_serves();
}
END_TEST

START_TEST(test_huge_length)
{
	const unsigned char hdr[4] = { 0x80, 0, 0, 0 }; /* 2 GiB */
	int fd = raw_connect();

	raw_send(fd, hdr, 4);
	expect_error(fd, "a message of 2147483648 bytes");
	expect_closed(fd);
	close(fd);

	/* one byte over the limit, and zero */
	fd = raw_connect();
	raw_send(fd, (const unsigned char[]){ 0, 1, 0, 1 }, 4);
	expect_error(fd, "a message of 65537 bytes");
	expect_closed(fd);
	close(fd);
	fd = raw_connect();
	raw_frame(fd, "");
	expect_error(fd, "a message of 0 bytes");
	expect_closed(fd);
	close(fd);
	assert_serves();
}
END_TEST

START_TEST(test_truncated)
{
	const unsigned char hdr[4] = { 0, 0, 0, 100 };
	int fd = raw_connect();

	/* cut short, then the client's side shut: it can still be told */
	raw_send(fd, hdr, 4);
	raw_send(fd, "{\"cmd\":", 7);
	ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
	expect_error(fd, "truncated");
	expect_closed(fd);
	close(fd);

	/* cut inside the header, and gone without a word */
	fd = raw_connect();
	raw_send(fd, hdr, 2);
	close(fd);
	fd = raw_connect();
	raw_send(fd, hdr, 4);
	raw_send(fd, "{", 1);
	close(fd);
	assert_serves();
}
END_TEST

START_TEST(test_not_object)
{
	static const char *const bodies[] = { "[1,2,3]", "42", "\"status\"", "null" };
	static const char *const broken[] = { "{\"cmd\":", "{'cmd':'status'}", "not json",
					      "{\"cmd\":\"status\"} trailing", "{\"cmd\":\"status\",}" };
	static const char nul[] = "{\"cmd\":\"st\0tus\"}";
	int fd;

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		fd = raw_connect();
		raw_frame(fd, bodies[i]);
		expect_error(fd, "must be a JSON object");
		expect_closed(fd);
		close(fd);
	}
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		fd = raw_connect();
		raw_frame(fd, broken[i]);
		expect_error(fd, "JSON");
		expect_closed(fd);
		close(fd);
	}
	/* a NUL inside the text */
	fd = raw_connect();
	raw_send(fd, (const unsigned char[]){ 0, 0, 0, sizeof(nul) - 1 }, 4);
	raw_send(fd, nul, sizeof(nul) - 1);
	expect_error(fd, "JSON");
	close(fd);
	assert_serves();
	ck_assert_int_eq(fake_get(&fake.status), 1);
}
END_TEST

START_TEST(test_too_many_fds)
{
	const char body[] = "{\"cmd\":\"status\"}";
	unsigned char frame[4 + sizeof(body) - 1] = { 0, 0, 0, sizeof(body) - 1 };
	int fds[5], fd = raw_connect();
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { .iov_base = frame, .iov_len = sizeof(frame) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf,
			     .msg_controllen = sizeof(cb.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memcpy(frame + 4, body, sizeof(body) - 1);
	for (int i = 0; i < 5; i++)
		fds[i] = STDERR_FILENO;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	ck_assert_int_eq(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(frame));
	expect_error(fd, "too many file descriptors");
	expect_closed(fd);
	close(fd);
	assert_serves();
}
END_TEST

/* A client stuck halfway through a frame holds up no one else. */
START_TEST(test_slow_client)
{
	int slow = raw_connect();

	raw_send(slow, (const unsigned char[]){ 0, 0 }, 2);
	assert_serves();
	raw_send(slow, (const unsigned char[]){ 0, 16 }, 2);
	raw_send(slow, "{\"cmd\":\"status\"}", 16);
	json_object_put(raw_response(slow));
	close(slow);
}
END_TEST

static void *status_thread(void *arg UMLD_UNUSED)
{
	for (int i = 0; i < 20; i++) {
		struct umld_err err = { 0 };
		json_object *resp;

		if (call(request("status"), &resp, &err) < 0)
			return (void *)1;
		json_object_put(resp);
	}
	return NULL;
}

START_TEST(test_concurrent_clients)
{
	pthread_t t[8];
	void *ret;

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, status_thread, NULL), 0);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(fake_get(&fake.status), 160);
}
END_TEST

/* Only the server's uid and root are served: a nobody client is refused. */
START_TEST(test_peer_uid)
{
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		printf("check_control: the peer-uid check needs root (it setuid()s a client to "
		       "65534): SKIPPED\n");
		fflush(stdout);
		assert_serves();
		return;
	}
	/* open the way to the socket: the file mode is not what is tested */
	ck_assert_int_eq(chmod(tmpdir, 0711), 0);
	ck_assert_int_eq(chmod(sock, 0666), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct umld_err err = { 0 };
		json_object *req = request("status"), *resp;
		int r;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		r = control_call(sock, req, NULL, 0, &resp, &err);
		if (r != -EPERM)
			_exit(11);
		if (!strstr(err.msg, "permission denied: uid 65534"))
			_exit(12);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert_int_eq(fake_get(&fake.status), 0); /* the op never ran */
	assert_serves();
}
END_TEST

/* ---- Control: exec ---- */

static json_object *exec_request(const char *argv0, bool with_env)
{
	json_object *req = request("exec"), *argv = json_object_new_array();

	json_object_array_add(argv, json_object_new_string(argv0));
	json_object_array_add(argv, json_object_new_string("-c"));
	json_object_array_add(argv, json_object_new_string("exit 3"));
	json_object_object_add(req, "argv", argv);
	if (with_env) {
		json_object *env = json_object_new_array();

		json_object_array_add(env, json_object_new_string("HOME=/root"));
		json_object_array_add(env, json_object_new_string("EMPTY="));
		json_object_object_add(req, "env", env);
		json_object_object_add(req, "cwd", json_object_new_string("/tmp"));
	}
	return req;
}

/* The fds the fake op took are the client's: a byte written through the
 * op's stdout arrives in the client's pipe. */
START_TEST(test_exec)
{
	struct umld_err err = { 0 };
	json_object *req = exec_request("/bin/sh", true), *resp;
	int in[2], out[2], conn, status = -1, handle;
	char c = 0;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_msg(control_exec_start(sock, req, (int[3]){ in[0], out[1], out[1] }, &conn, &resp,
					 &err) == 0,
		      "%s", err.msg);
	json_object_put(req);
	ck_assert(ok_of(resp));
	ck_assert_int_eq(int_of(resp, "pid"), 4321);
	handle = (int)int_of(resp, "handle");
	json_object_put(resp);
	ck_assert(fcntl(conn, F_GETFD) & FD_CLOEXEC);

	pthread_mutex_lock(&fake.lock);
	ck_assert_int_eq(fake.exec, 1);
	ck_assert_int_eq((int)fake.exec_handle, handle);
	ck_assert_int_eq(fake.argc, 3);
	ck_assert_str_eq(fake.argv0, "/bin/sh");
	ck_assert_int_eq(fake.envc, 2);
	ck_assert_str_eq(fake.env0, "HOME=/root");
	ck_assert_str_eq(fake.cwd, "/tmp");
	ck_assert_int_ge(fake.exec_fds[1], 0);
	ck_assert_int_eq(write(fake.exec_fds[1], "x", 1), 1);
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(read(out[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');

	/* nothing comes until the command ends */
	{
		struct pollfd p = { .fd = conn, .events = POLLIN };

		ck_assert_int_eq(poll(&p, 1, 100), 0);
	}
	/* reported from this thread, not the server's */
	control_exec_done(server, (uint64_t)handle, 3 << 8);
	ck_assert_msg(control_wait_exit(conn, &status, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(status, 3 << 8);
	expect_closed(conn);
	close(conn);
	for (int i = 0; i < 2; i++) {
		close(in[i]);
		close(out[i]);
	}
	ck_assert_int_eq(fake_get(&fake.gone), 0);
	assert_serves();
}
END_TEST

/* The command ends before the op has even returned. */
START_TEST(test_exec_done_at_once)
{
	struct umld_err err = { 0 };
	json_object *req = exec_request("true", false), *resp;
	int conn, status = -1;

	pthread_mutex_lock(&fake.lock);
	fake.exec_done_at_once = true;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err), 0);
	json_object_put(req);
	json_object_put(resp);
	pthread_mutex_lock(&fake.lock);
	ck_assert(fake.env_null);
	ck_assert(fake.cwd_null);
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(control_wait_exit(conn, &status, &err), 0);
	ck_assert_int_eq(status, 3 << 8);
	close(conn);
}
END_TEST

START_TEST(test_exec_failure)
{
	struct umld_err err = { 0 };
	json_object *req = exec_request("/nonexistent", false), *resp = NULL;
	int conn = 123;

	pthread_mutex_lock(&fake.lock);
	fake.exec_fail = true;
	pthread_mutex_unlock(&fake.lock);
	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err),
			 -ENOENT);
	ck_assert_str_eq(err.msg, "no such command");
	ck_assert_int_eq(conn, -1);
	ck_assert_ptr_null(resp);
	json_object_put(req);
	/* a late report for the failed handle is dropped harmlessly */
	control_exec_done(server, 1, 0);
	assert_serves();
}
END_TEST

START_TEST(test_exec_bad_requests)
{
	static const struct {
		const char *body, *error;
	} cases[] = {
		{ "{\"cmd\":\"exec\"}", "\"argv\" is missing" },
		{ "{\"cmd\":\"exec\",\"argv\":[]}", "\"argv\" must have 1 to 4096 entries" },
		{ "{\"cmd\":\"exec\",\"argv\":\"sh\"}", "\"argv\" must be a list of strings" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\",3]}", "\"argv\"[1] must be a non-empty string" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"\"]}", "\"argv\"[0] must be a non-empty string" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"a\\u0000b\"]}", "without NUL" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"env\":[\"NOEQUALS\"]}", "is not NAME=VALUE" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"env\":[\"=x\"]}", "is not NAME=VALUE" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"env\":{}}", "\"env\" must be a list" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"cwd\":\"tmp\"}", "\"cwd\" must be an absolute" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"cwd\":5}", "\"cwd\" must be an absolute" },
		{ "{\"cmd\":\"exec\",\"argv\":[\"sh\"],\"tty\":true}", "unknown field 'tty'" },
	};
	struct umld_err err = { 0 };
	json_object *req, *resp, *argv;
	int conn;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		req = json_tokener_parse(cases[i].body);
		ck_assert_ptr_nonnull(req);
		ck_assert_int_eq(control_call(sock, req, (int[3]){ 0, 1, 2 }, 3, &resp, &err),
				 -EINVAL);
		ck_assert_msg(strstr(err.msg, cases[i].error), "%s: '%s'", cases[i].body, err.msg);
		json_object_put(req);
	}
	/* 4097 entries: one too many */
	req = request("exec");
	argv = json_object_new_array();
	for (int i = 0; i <= CONTROL_ARGS_MAX; i++)
		json_object_array_add(argv, json_object_new_string("a"));
	json_object_object_add(req, "argv", argv);
	ck_assert_int_eq(control_call(sock, req, (int[3]){ 0, 1, 2 }, 3, &resp, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "1 to 4096 entries"), "%s", err.msg);
	/* 4096 pass */
	json_object_array_del_idx(argv, 0, 1);
	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err), 0);
	json_object_put(resp);
	close(conn);
	json_object_put(req);
	pthread_mutex_lock(&fake.lock);
	ck_assert_int_eq(fake.exec, 1);
	ck_assert_int_eq(fake.argc, CONTROL_ARGS_MAX);
	pthread_mutex_unlock(&fake.lock);
}
END_TEST

/* The client goes away while its command runs: the monitor is told, the
 * later report is dropped, and the server carries on. */
START_TEST(test_exec_client_gone)
{
	struct umld_err err = { 0 };
	json_object *req = exec_request("sleep", false), *resp;
	uint64_t handle;
	int conn;

	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err), 0);
	json_object_put(req);
	handle = (uint64_t)int_of(resp, "handle");
	json_object_put(resp);
	close(conn);
	for (int i = 0; i < 200 && fake_get(&fake.gone) == 0; i++)
		usleep(10000);
	ck_assert_int_eq(fake_get(&fake.gone), 1);
	pthread_mutex_lock(&fake.lock);
	ck_assert_uint_eq(fake.gone_handle, handle);
	pthread_mutex_unlock(&fake.lock);
	control_exec_done(server, handle, 0);
	assert_serves();

	/* bytes from an exec client are a protocol error: it is dropped */
	req = exec_request("sleep", false);
	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err), 0);
	json_object_put(req);
	json_object_put(resp);
	raw_frame(conn, "{\"cmd\":\"status\"}");
	expect_error(conn, "unexpected data");
	expect_closed(conn);
	close(conn);
	ck_assert_int_eq(fake_get(&fake.gone), 2);
	assert_serves();
}
END_TEST

/* The server stops while a command runs: its client learns it. */
START_TEST(test_exec_server_stops)
{
	struct umld_err err = { 0 };
	json_object *req = exec_request("sleep", false), *resp;
	int conn, status;

	ck_assert_int_eq(control_exec_start(sock, req, (int[3]){ 0, 1, 2 }, &conn, &resp, &err), 0);
	json_object_put(req);
	json_object_put(resp);
	control_server_stop(server);
	server = NULL;
	ck_assert_int_eq(control_wait_exit(conn, &status, &err), -ECONNRESET);
	ck_assert_msg(strstr(err.msg, "ended before the command"), "%s", err.msg);
	close(conn);
	ck_assert_int_eq(fake_get(&fake.gone), 0); /* no op runs during teardown */
	ck_assert_int_eq(access(sock, F_OK), -1);
	ck_assert_int_eq(call(request("status"), &resp, &err), -ENOENT);
}
END_TEST

/* ---- State directory ---- */

static void setup_statedir(void)
{
	make_tmpdir();
	statedir_force_xdg_for_tests(true);
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
}

static void teardown_statedir(void)
{
	remove_tmpdir();
}

START_TEST(test_names)
{
	static const char *const good[] = { "a", "web", "web-1", "A_b.c", "0",
					    "1234567890123456789012345678901234567890123456789012345678901234" };
	static const char *const bad[] = { "", ".", "..", ".hidden", "-opt", "a/b", "a b", "é",
					   "12345678901234567890123456789012345678901234567890123456789012345",
					   "x\n" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ck_assert_msg(statedir_name_ok(good[i]), "%s", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ck_assert_msg(!statedir_name_ok(bad[i]), "%s", bad[i]);
	ck_assert(!statedir_name_ok(NULL));
}
END_TEST

START_TEST(test_root)
{
	struct umld_err err = { 0 };
	char buf[PATH_MAX], want[PATH_MAX];

	xsnprintf(want, "%s/umld", tmpdir);
	ck_assert_int_eq(statedir_root(buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(statedir_path("web", STATEDIR_SOCK, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf + strlen(want), "/web/control.sock");
	ck_assert_int_eq(statedir_path("../x", NULL, buf, sizeof(buf), &err), -EINVAL);
	ck_assert_int_eq(err.exit_status, UMLD_EXIT_USAGE);

	unsetenv("XDG_RUNTIME_DIR");
	ck_assert_int_eq(statedir_root(buf, sizeof(buf), &err), -ENOENT);
	ck_assert_msg(strstr(err.msg, "XDG_RUNTIME_DIR is not set"), "%s", err.msg);
	setenv("XDG_RUNTIME_DIR", "run/user/1000", 1);
	ck_assert_int_eq(statedir_root(buf, sizeof(buf), &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, "not an absolute path"), "%s", err.msg);
	ck_assert_int_eq(statedir_claim("web", buf, sizeof(buf), &(int){ 0 }, &err), -EINVAL);

	if (geteuid() == 0) {
		statedir_force_xdg_for_tests(false);
		ck_assert_int_eq(statedir_root(buf, sizeof(buf), &err), 0);
		ck_assert_str_eq(buf, "/run/umld");
	}
}
END_TEST

struct seen {
	int n;
	char name[4][STATEDIR_NAME_MAX + 1];
	bool alive[4];
	pid_t pid[4];
};

static int record(const char *name, const char *dir, bool alive, pid_t pid, void *arg)
{
	struct seen *s = arg;

	ck_assert_ptr_nonnull(strstr(dir, name));
	if (s->n < 4) {
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
		s->alive[s->n] = alive;
		s->pid[s->n] = pid;
	}
	s->n++;
	return 0;
}

static void read_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	xsnprintf(path, "%s/%s", dir, file);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
}

START_TEST(test_claim)
{
	struct umld_err err = { 0 };
	char dir[PATH_MAX], dir2[PATH_MAX], buf[256], want[64];
	struct seen seen = { 0 };
	struct stat st;
	int lock, lock2 = -7;

	ck_assert_msg(statedir_claim("web", dir, sizeof(dir), &lock, &err) == 0, "%s", err.msg);
	ck_assert_int_ge(lock, 0);
	ck_assert(fcntl(lock, F_GETFD) & FD_CLOEXEC); /* guests never inherit it */
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	xsnprintf(buf, "%s/umld", tmpdir);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert_uint_eq(st.st_mode & 077, 0);
	read_file(dir, STATEDIR_PID, buf, sizeof(buf));
	xsnprintf(want, "%d\n", (int)getpid());
	ck_assert_str_eq(buf, want);

	/* a second claim while the first holds */
	ck_assert_int_eq(statedir_claim("web", dir2, sizeof(dir2), &lock2, &err), -EEXIST);
	xsnprintf(want, "instance web is already running (pid %d)", (int)getpid());
	ck_assert_str_eq(err.msg, want);
	ck_assert_int_eq(lock2, -1);

	/* files */
	ck_assert_int_eq(statedir_write_file(dir, STATEDIR_CONFIG, "[Instance]\nName=web\n", 0600),
			 0);
	ck_assert_int_eq(statedir_write_file(dir, STATEDIR_CONFIG, "[Instance]\nName=web2\n", 0600),
			 0);
	read_file(dir, STATEDIR_CONFIG, buf, sizeof(buf));
	ck_assert_str_eq(buf, "[Instance]\nName=web2\n");
	xsnprintf(buf, "%s/%s", dir, STATEDIR_CONFIG);
	ck_assert_int_eq(stat(buf, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(statedir_write_file(dir, "../escape", "x", 0600), -EINVAL);
	ck_assert_int_eq(statedir_write_pid(dir, 99999), 0);
	{
		pid_t pid;

		ck_assert_int_eq(statedir_read_pid(dir, &pid), 0);
		ck_assert_int_eq(pid, 99999);
		ck_assert_int_eq(statedir_write_pid(dir, getpid()), 0);
	}

	/* listing: alive */
	ck_assert_int_eq(statedir_list(true, record, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_str_eq(seen.name[0], "web");
	ck_assert(seen.alive[0]);
	ck_assert_int_eq(seen.pid[0], getpid());

	/* waiting for a monitor that does not go */
	ck_assert_int_eq(statedir_wait_released(dir, 100), -ETIMEDOUT);

	/* release: the folder is gone, and the name free again */
	ck_assert_int_eq(statedir_release(dir, lock), 0);
	ck_assert_int_eq(access(dir, F_OK), -1);
	ck_assert_int_eq(statedir_wait_released(dir, 100), 0);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(statedir_list(false, record, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 0);
	ck_assert_int_eq(statedir_claim("web", dir, sizeof(dir), &lock, &err), 0);
	ck_assert_int_eq(statedir_release(dir, lock), 0);

	ck_assert_int_eq(statedir_claim("-web", dir, sizeof(dir), &lock, &err), -EINVAL);
	ck_assert_int_eq(err.exit_status, UMLD_EXIT_USAGE);
}
END_TEST

/* A monitor that died without releasing: its child process claims and
 * exits. Returns the child's pid. */
static pid_t die_holding(const char *name)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct umld_err err = { 0 };
		char dir[PATH_MAX];
		int lock;

		if (statedir_claim(name, dir, sizeof(dir), &lock, &err) < 0)
			_exit(1);
		if (statedir_write_file(dir, STATEDIR_LOG, "old log\n", 0600) < 0)
			_exit(2);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

START_TEST(test_stale)
{
	struct umld_err err = { 0 };
	char dir[PATH_MAX], buf[64], want[64];
	struct seen seen = { 0 };
	pid_t dead_a = die_holding("a"), dead_b = die_holding("b");
	int lock;

	/* not cleaned: both shown as dead, with the pid they had */
	ck_assert_int_eq(statedir_list(false, record, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_str_eq(seen.name[0], "a");
	ck_assert_str_eq(seen.name[1], "b");
	ck_assert(!seen.alive[0] && !seen.alive[1]);
	ck_assert_int_eq(seen.pid[0], dead_a);
	ck_assert_int_eq(seen.pid[1], dead_b);

	/* a claim reuses a dead folder, emptied */
	ck_assert_msg(statedir_claim("a", dir, sizeof(dir), &lock, &err) == 0, "%s", err.msg);
	xsnprintf(buf, "%s/%s", dir, STATEDIR_LOG);
	ck_assert_int_eq(access(buf, F_OK), -1);
	read_file(dir, STATEDIR_PID, buf, sizeof(buf));
	xsnprintf(want, "%d\n", (int)getpid());
	ck_assert_str_eq(buf, want);

	/* cleaning removes only the dead */
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(statedir_list(true, record, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 2);
	ck_assert(seen.alive[0] && !seen.alive[1]);
	xsnprintf(buf, "%s/umld/b", tmpdir);
	ck_assert_int_eq(access(buf, F_OK), -1);
	ck_assert_int_eq(access(dir, F_OK), 0);
	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(statedir_list(true, record, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_int_eq(statedir_release(dir, lock), 0);
}
END_TEST

/* `umld stop` waits for the monitor to let go. */
START_TEST(test_wait_released)
{
	struct umld_err err = { 0 };
	char dir[PATH_MAX];
	int ready[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(ready), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int lock;

		close(ready[0]);
		if (statedir_claim("m", dir, sizeof(dir), &lock, &err) < 0)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(2);
		usleep(200000);
		_exit(0); /* dies holding it */
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &(char){ 0 }, 1), 1);
	close(ready[0]);
	ck_assert_int_eq(statedir_path("m", NULL, dir, sizeof(dir), &err), 0);
	ck_assert_int_eq(statedir_wait_released(dir, 5000), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}
END_TEST

/* A root that others can write is not trusted. */
START_TEST(test_unsafe_root)
{
	struct umld_err err = { 0 };
	char dir[PATH_MAX];
	int lock;

	xsnprintf(dir, "%s/umld", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(statedir_claim("web", dir, sizeof(dir), &lock, &err), -EPERM);
	ck_assert_msg(strstr(err.msg, "writable by other users"), "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("control");
	TCase *tc = tcase_create("control socket");
	TCase *bad = tcase_create("hostile clients");
	TCase *ex = tcase_create("exec");
	TCase *sd = tcase_create("state directory");

	tcase_add_checked_fixture(tc, setup_server, teardown_server);
	tcase_add_checked_fixture(bad, setup_server, teardown_server);
	tcase_add_checked_fixture(ex, setup_server, teardown_server);
	tcase_add_checked_fixture(sd, setup_statedir, teardown_statedir);
	tcase_set_timeout(tc, 30);
	tcase_set_timeout(bad, 30);
	tcase_set_timeout(ex, 30);
	tcase_set_timeout(sd, 30);

	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_kill);
	tcase_add_test(tc, test_pause_resume);
	tcase_add_test(tc, test_op_errors);
	tcase_add_test(tc, test_logs);
	tcase_add_test(tc, test_missing_op);
	tcase_add_test(tc, test_socket_mode);
	tcase_add_test(tc, test_long_path);
	tcase_add_test(tc, test_stale_socket);
	tcase_add_test(tc, test_concurrent_clients);
	suite_add_tcase(s, tc);

	tcase_add_test(bad, test_unknown_command);
	tcase_add_test(bad, test_bad_fields);
	tcase_add_test(bad, test_unexpected_fds);
	tcase_add_test(bad, test_garbage);
	tcase_add_test(bad, test_huge_length);
	tcase_add_test(bad, test_truncated);
	tcase_add_test(bad, test_not_object);
	tcase_add_test(bad, test_too_many_fds);
	tcase_add_test(bad, test_slow_client);
	tcase_add_test(bad, test_peer_uid);
	suite_add_tcase(s, bad);

	tcase_add_test(ex, test_exec);
	tcase_add_test(ex, test_exec_done_at_once);
	tcase_add_test(ex, test_exec_failure);
	tcase_add_test(ex, test_exec_bad_requests);
	tcase_add_test(ex, test_exec_client_gone);
	tcase_add_test(ex, test_exec_server_stops);
	suite_add_tcase(s, ex);

	tcase_add_test(sd, test_names);
	tcase_add_test(sd, test_root);
	tcase_add_test(sd, test_claim);
	tcase_add_test(sd, test_stale);
	tcase_add_test(sd, test_wait_released);
	tcase_add_test(sd, test_unsafe_root);
	suite_add_tcase(s, sd);

	return unit_run(s);
}
