/* The control protocol between the CLI and a running instance's monitor, on
 * the instance's control.sock: the server (a thread) and the client. */

/* The server runs in its own thread with its own libevent loop, so that the
 * tracer thread stays free for ptrace; only that thread touches libevent,
 * other threads reach it through a mutex-guarded queue and an eventfd.
 *
 * Framing: each message is a 4-byte big-endian length, then that many bytes
 * of JSON text, an object (1 to CONTROL_MSG_MAX bytes). File descriptors
 * travel with SCM_RIGHTS alongside a message (at most CONTROL_FDS_MAX).
 * Requests are {"cmd": "NAME", ...}; each gets one response, {"ok": true,
 * ...} or {"ok": false, "error": "text", "errno": N}. A request the server
 * cannot read as a JSON object (or too long, or cut short) gets an error
 * response if possible and the connection is closed; any other bad request
 * (unknown command, bad field) gets an error response and the connection
 * stays usable. Only the monitor's own uid and root are served.
 *
 * Commands: status; stop {"timeout": s}; kill {"signal": n}; pause; resume;
 * logs; exec {"argv": [...], "env": [...], "cwd": "..."} with the client's
 * fds 0, 1, 2 attached: after its response ({"ok": true, "handle": H, ...})
 * the connection stays open until the command ends, when the server sends
 * {"ok": true, "exited": true, "status": N} and closes it. */
#ifndef UMLD_UMLD_CONTROL_H
#define UMLD_UMLD_CONTROL_H

#include <stdbool.h>
#include <json-c/json.h>
#include <stdint.h>

#include "common/error.h"

#define CONTROL_MSG_MAX 65536  /* bytes of JSON in one message */
#define CONTROL_FDS_MAX 4      /* fds alongside one message */
#define CONTROL_ARGS_MAX 4096  /* entries of exec's argv and of its env */
#define CONTROL_TIMEOUT_MS 5000 /* how long a client waits for a response */

/* What the monitor does for each command. Each runs on the server thread,
 * returns 0 or a negative errno, and may add keys to resp (on failure an
 * "error" string there becomes the response's text; otherwise strerror is
 * used). The server sets "ok" itself. A NULL op answers -ENOTSUP. Ops must
 * not block for long: every client waits meanwhile. */
struct control_ops {
	int (*status)(void *arg, json_object *resp);              /* "status" */
	/* "stop": end the instance, killing what is left after timeout_s
	 * (default 10). Answer at once; `umld stop` waits for the lock
	 * (statedir_wait_released). */
	int (*stop)(void *arg, int timeout_s, json_object *resp);
	int (*kill)(void *arg, int sig, json_object *resp);       /* "kill", default SIGKILL */
	int (*pause)(void *arg, json_object *resp);               /* "pause" */
	int (*resume)(void *arg, json_object *resp);              /* "resume" */
	/* "exec": start argv in the instance. env NULL: the instance's
	 * environment; cwd NULL: its working directory. argv, env and cwd
	 * are valid during the call only. fds are the client's stdin,
	 * stdout and stderr (O_CLOEXEC here); the op takes one by setting it
	 * to -1, and the server closes the rest when the op returns. On
	 * success the op owes exactly one control_exec_done(handle) (from
	 * any thread), even if the client has gone; failing, it owes none. */
	int (*exec)(void *arg, char **argv, char **env, const char *cwd, int fds[3],
		    uint64_t handle, json_object *resp);
	/* Optional: the client of a running exec disconnected (say, to send
	 * the command SIGHUP). control_exec_done is still owed. */
	void (*exec_gone)(void *arg, uint64_t handle);
	/* "logs": add {"lines": [...]} to resp, or set *fd (-1 on entry) to
	 * a readable fd (e.g. the log file) that the server sends with the
	 * response and then closes. The response must stay under
	 * CONTROL_MSG_MAX bytes, or the client gets an error instead. */
	int (*logs)(void *arg, json_object *resp, int *fd);
};

struct control_server;

/* Binds sock_path (a stale socket file there is replaced; one a live
 * server answers on is -EADDRINUSE) with mode 0600 and starts the server
 * thread, which blocks all signals. ops and arg must outlive the server. */
int control_server_start(struct control_server **out, const char *sock_path,
			 const struct control_ops *ops, void *arg, struct umld_err *err);

/* Reports the end of an exec'd command: status goes to its client
 * unchanged (umld's convention: the waitpid() status, which the CLI turns
 * into its exit status). Thread-safe; takes a mutex and writes an eventfd,
 * so never from a signal handler. Unknown or abandoned handles are dropped.
 * Must not be called once control_server_stop has begun. */
void control_exec_done(struct control_server *s, uint64_t handle, int status);

/* Stops the thread, closes every connection (exec clients see the
 * connection end), removes the socket file, frees s. Not from an op. NULL
 * is fine. */
void control_server_stop(struct control_server *s);

/* ---- Client side; all blocking. ---- */

/* Connects (O_CLOEXEC). -ENOENT or -ECONNREFUSED: no monitor listens. */
int control_connect(const char *sock_path, int *fd, struct umld_err *err);
/* Sends one message with nfds (<= CONTROL_FDS_MAX) fds. */
int control_send(int fd, json_object *msg, const int *fds, int nfds, struct umld_err *err);
/* Reads one message within timeout_ms (-1: no limit). Received fds go to
 * fds (room for CONTROL_FDS_MAX; O_CLOEXEC) and *nfds, or are closed when
 * fds is NULL. -ECONNRESET when the peer closed before a message began. */
int control_recv(int fd, int timeout_ms, json_object **msg, int *fds, int *nfds,
		 struct umld_err *err);

/* One request, one response, CONTROL_TIMEOUT_MS at most. Returns 0 with
 * *resp (the caller puts it) for {"ok": true}; for {"ok": false} returns
 * -errno (the response's "errno", else -EIO) with its text in err, and
 * *resp is NULL. Fds received with the response are closed. */
int control_call(const char *sock_path, json_object *req, const int *fds, int nfds,
		 json_object **resp, struct umld_err *err);
/* The same, keeping the response's fds (room for CONTROL_FDS_MAX): "logs". */
int control_call_fds(const char *sock_path, json_object *req, const int *fds, int nfds,
		     json_object **resp, int *rfds, int *nrfds, struct umld_err *err);

/* exec, first half: sends req ({"cmd": "exec", ...}) with fds[0..2] and
 * reads its response as control_call does. On success *conn is the open
 * connection (O_CLOEXEC), to pass to control_wait_exit and then close. */
int control_exec_start(const char *sock_path, json_object *req, const int fds[3], int *conn,
		       json_object **resp, struct umld_err *err);
/* exec, second half: waits, without a time limit, for the command's end;
 * *status is what the monitor gave control_exec_done. -EINTR when a signal
 * interrupted the wait before anything arrived (call again); -ECONNRESET
 * when the monitor went away first. Does not close conn. */
int control_wait_exit(int conn, int *status, struct umld_err *err);

#endif
