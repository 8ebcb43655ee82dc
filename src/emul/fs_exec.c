/* execve and execveat under the emulated filesystem. At the ptrace stop of
 * the call, the program is resolved inside the guest's root, its "#!" line
 * or ELF interpreter is found there too (so that a root of another
 * distribution runs its own loader), and the call is rewritten to execute
 * the host path of what was found; for a loader the host does not share, the
 * loader itself is executed with the program as its argument, as ld.so
 * allows.
 *
 * Rewriting a path in guest memory could be raced by a second thread, or the
 * host path changed meanwhile: so the file's identity is recorded, and at
 * the exec event, before the new image runs a single instruction, the
 * executable the kernel actually loaded is compared with it. Any other
 * file, and the process is killed (fs_exec_check). */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "emul/fs_emul.h"
#include "emul/vkernel.h"
#include "sysemu/mem.h"

#define EXEC_NEST_MAX 4     /* interpreters of interpreters, as the kernel allows */
#define EXEC_ARGV_MAX 65536 /* guest argv entries we are ready to copy */

/* The host path of an existing entry, from our fd on its directory. */
static int host_path_of(const struct fs_loc *loc, char *out, size_t size)
{
	char link[64], dir[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fs_loc_dirfd(loc));
	n = readlink(link, dir, sizeof(dir) - 1);
	if (n < 0)
		return -errno;
	dir[n] = '\0';
	if ((size_t)snprintf(out, size, "%s/%s", strcmp(dir, "/") ? dir : "", loc->name) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* A guest path as the calling process names it (inside its chroot). */
static void visible_path(struct fs_emul *fs, pid_t tid, const char *vpath, char *out, size_t size)
{
	struct fs_proc *p = fs_proc_of(fs, tid);
	char root[PATH_MAX] = "/";
	ssize_t n;

	if (p) {
		pthread_mutex_lock(&fs->lock);
		snprintf(root, sizeof(root), "%s", p->root);
		pthread_mutex_unlock(&fs->lock);
	}
	n = path_prefix_len(vpath, root);
	if (n > 0)
		snprintf(out, size, "%s", vpath[n] ? vpath + n : "/");
	else
		snprintf(out, size, "%s", vpath);
}

/* What the kernel would load: a "#!" line, an ELF with an interpreter, or
 * neither. */
struct image {
	bool script;
	char interp[PATH_MAX]; /* script: the interpreter; ELF: PT_INTERP ("" for none) */
	char arg[256];         /* script: the optional argument */
	bool has_arg;
};

/* Type, file offset and file size of the program header at off. */
static int read_phdr(int fd, bool is64, uint64_t off, uint32_t *type, uint64_t *foff,
		     uint64_t *fsize)
{
	union {
		Elf64_Phdr p64;
		Elf32_Phdr p32;
	} ph;
	size_t len = is64 ? sizeof(ph.p64) : sizeof(ph.p32);

	if (pread(fd, &ph, len, (off_t)off) != (ssize_t)len)
		return -EIO;
	*type = is64 ? ph.p64.p_type : ph.p32.p_type;
	*foff = is64 ? ph.p64.p_offset : ph.p32.p_offset;
	*fsize = is64 ? ph.p64.p_filesz : ph.p32.p_filesz;
	return 0;
}

static int read_image(int fd, struct image *im)
{
	unsigned char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	memset(im, 0, sizeof(*im));
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		char *p = (char *)buf + 2, *end = strchr(p, '\n'), *q;

		if (!end)
			end = (char *)buf + n;
		*end = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		for (q = end; q > p && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r'); q--)
			q[-1] = '\0';
		if (!*p)
			return -ENOEXEC;
		q = p + strcspn(p, " \t");
		if (*q) {
			*q++ = '\0';
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q) {
				snprintf(im->arg, sizeof(im->arg), "%s", q);
				im->has_arg = true;
			}
		}
		im->script = true;
		snprintf(im->interp, sizeof(im->interp), "%s", p);
		return 0;
	}
	if (n < (ssize_t)sizeof(Elf32_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0)
		return 0; /* not ours to judge: the kernel says ENOEXEC */
	bool is64 = buf[EI_CLASS] == ELFCLASS64;
	uint64_t phoff;
	unsigned phnum, phentsize;
	if (is64) {
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	} else {
		Elf32_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		phoff = eh.e_phoff;
		phnum = eh.e_phnum;
		phentsize = eh.e_phentsize;
	}
	if (phnum > 256 || phentsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return 0;
	for (unsigned i = 0; i < phnum; i++) {
		uint64_t off, size;
		uint32_t type;
		if (read_phdr(fd, is64, phoff + (uint64_t)i * phentsize, &type, &off, &size) < 0)
			return 0;
		if (type != PT_INTERP)
			continue;
		if (size < 2 || size >= sizeof(im->interp))
			return -ENOEXEC;
		if (pread(fd, im->interp, (size_t)size, (off_t)off) != (ssize_t)size)
			return -EIO;
		im->interp[size - 1] = '\0';
		break;
	}
	return 0;
}

/* Resolves an executable file: exists, regular, executable for the caller. */
static int resolve_exec(struct fs_emul *fs, pid_t tid, int dirfd, const char *path,
			unsigned flags, struct fs_loc *loc)
{
	int r = fs_resolve(fs, tid, dirfd, path, flags, loc);

	if (r < 0)
		return r;
	if (!fs_loc_exists(loc))
		r = -ENOENT;
	else if (S_ISLNK(loc->e.st.st_mode))
		r = -ELOOP;
	else if (!S_ISREG(loc->e.st.st_mode) || !loc->name[0])
		r = -EACCES;
	else if (faccessat(fs_loc_dirfd(loc), loc->name, X_OK, AT_SYMLINK_NOFOLLOW | AT_EACCESS) < 0)
		r = -errno;
	if (r < 0)
		fs_loc_free(loc);
	return r;
}

/* Strings and pointers built below the stopped thread's red zone. */
struct stackbuf {
	const struct sc_request *req;
	uint64_t top; /* next free byte, growing down */
	int err;
};

static uint64_t push(struct stackbuf *sb, const void *data, size_t len, size_t align)
{
	uint64_t at;

	if (sb->err)
		return 0;
	at = (sb->top - len) & ~(uint64_t)(align - 1);
	int r = req_write(sb->req, at, data, len);
	if (r < 0) {
		sb->err = r;
		return 0;
	}
	sb->top = at;
	return at;
}

static uint64_t push_str(struct stackbuf *sb, const char *s)
{
	return push(sb, s, strlen(s) + 1, 1);
}

/* Reads the guest's argv (pointers) after its first entry. */
static int read_argv_tail(const struct sc_request *req, uint64_t argv, uint64_t **out, size_t *n)
{
	size_t cap = 64, count = 0;
	uint64_t *v = malloc(cap * sizeof(*v));

	if (!v)
		return -ENOMEM;
	if (argv) {
		for (size_t i = 1;; i++) {
			uint64_t p = 0;
			if (i >= EXEC_ARGV_MAX) {
				free(v);
				return -E2BIG;
			}
			if (req->abi == ABI_I386) {
				uint32_t p32;
				if (req_read(req, argv + i * 4, &p32, 4) < 0) {
					free(v);
					return -EFAULT;
				}
				p = p32;
			} else if (req_read(req, argv + i * 8, &p, 8) < 0) {
				free(v);
				return -EFAULT;
			}
			if (i == 1) {
				/* argv[0] itself must be readable too */
				uint64_t p0 = 0;
				if (req_read(req, argv, &p0, req->abi == ABI_I386 ? 4 : 8) < 0) {
					free(v);
					return -EFAULT;
				}
				if (!p0) {
					p = 0;
				}
			}
			if (!p)
				break;
			if (count == cap) {
				uint64_t *nv = realloc(v, 2 * cap * sizeof(*v));
				if (!nv) {
					free(v);
					return -ENOMEM;
				}
				v = nv;
				cap *= 2;
			}
			v[count++] = p;
		}
	}
	*out = v;
	*n = count;
	return 0;
}

/* The argv prefix that replaces the guest's argv[0] (see exec_common). */
struct prefix {
	char *s[2 * EXEC_NEST_MAX + 8];
	size_t n;
};

static void prefix_free(struct prefix *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->s[i]);
	p->n = 0;
}

/* Replaces the prefix's first entry by adds[] (or puts adds[] first when
 * the prefix is empty: then the guest's argv[0] is what is dropped). */
static int prefix_replace_first(struct prefix *p, const char *const *adds, size_t nadd)
{
	size_t keep = p->n ? p->n - 1 : 0;

	if (nadd + keep > ARRAY_SIZE(p->s))
		return -E2BIG;
	if (p->n)
		free(p->s[0]);
	memmove(p->s + nadd, p->s + (p->n ? 1 : 0), keep * sizeof(char *));
	for (size_t i = 0; i < nadd; i++) {
		p->s[i] = strdup(adds[i]);
		if (!p->s[i])
			return -ENOMEM;
	}
	p->n = nadd + keep;
	return 0;
}

static struct verdict exec_common(struct emul_ctx *ctx, const struct sc_request *req, int dirfd,
				  uint64_t path_addr, uint64_t argv_addr, int flags, int path_arg,
				  int argv_arg)
{
	struct fs_emul *fs = fs_of(ctx);
	char path[PATH_MAX], host[PATH_MAX], prog[PATH_MAX], a0[PATH_MAX];
	struct prefix pre = { .n = 0 };
	struct fs_loc loc;
	struct image im;
	struct stat final_st;
	uint64_t *tail = NULL;
	size_t ntail = 0;
	int r, fd;

	if (req->path == SC_PATH_NOTIFY)
		return verdict_deny(ENOSYS); /* needs_ptrace: never here */
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return verdict_deny(EINVAL);
	if (!path_addr)
		return verdict_deny(EFAULT);
	r = (int)req_read_str(req, path_addr, path, sizeof(path));
	if (r < 0)
		return verdict_deny(-r);
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		/* fexecve: the fd's file, if it is one of the guest's */
		r = fs_fd_vpath(fs, req->tid, dirfd, prog, sizeof(prog));
		if (r < 0)
			return verdict_deny(r == -EBADF ? EBADF : EACCES);
		r = resolve_exec(fs, req->tid, AT_FDCWD, prog, 0, &loc);
	} else {
		r = resolve_exec(fs, req->tid, dirfd, path,
				 (flags & AT_SYMLINK_NOFOLLOW) ? 0 : FS_FOLLOW, &loc);
	}
	if (r < 0)
		return verdict_deny(-r);
	visible_path(fs, req->tid, loc.vpath, prog, sizeof(prog));
	fs_set_exe(fs, req->tid, loc.vpath);

	/* "#!" lines, each interpreter found inside the root: the argv
	 * becomes interpreter [arg] script, then the rest, as the kernel does */
	for (int depth = 0;; depth++) {
		fd = fs_loc_open(&loc, O_RDONLY, 0);
		if (fd < 0) {
			memset(&im, 0, sizeof(im)); /* executable, unreadable: a binary */
		} else {
			r = read_image(fd, &im);
			close(fd);
			if (r < 0)
				goto fail_loc;
		}
		if (!im.script)
			break;
		if (depth == EXEC_NEST_MAX) {
			r = -ELOOP;
			goto fail_loc;
		}
		char script[PATH_MAX];
		snprintf(script, sizeof(script), "%s",
			 depth == 0 ? (path[0] ? path : prog) : pre.s[0]);
		const char *adds[3];
		size_t nadd = 0;
		adds[nadd++] = im.interp;
		if (im.has_arg)
			adds[nadd++] = im.arg;
		adds[nadd++] = script;
		r = prefix_replace_first(&pre, adds, nadd);
		if (r < 0)
			goto fail_loc;
		fs_loc_free(&loc);
		r = resolve_exec(fs, req->tid, AT_FDCWD, im.interp, FS_FOLLOW, &loc);
		if (r < 0)
			goto fail;
		fs_set_exe(fs, req->tid, loc.vpath);
	}
	/* an ELF interpreter the host does not share: run that loader, with
	 * the program as its argument */
	if (im.interp[0]) {
		struct fs_loc lloc;
		struct stat hs;

		r = resolve_exec(fs, req->tid, AT_FDCWD, im.interp, FS_FOLLOW, &lloc);
		if (r < 0) {
			r = r == -EACCES ? -EACCES : -ENOENT;
			goto fail_loc;
		}
		if (stat(im.interp, &hs) == 0 && hs.st_dev == lloc.e.st.st_dev &&
		    hs.st_ino == lloc.e.st.st_ino) {
			fs_loc_free(&lloc);
		} else {
			char binary[PATH_MAX];
			visible_path(fs, req->tid, loc.vpath, binary, sizeof(binary));
			a0[0] = '\0';
			if (pre.n) {
				snprintf(a0, sizeof(a0), "%s", pre.s[0]);
			} else {
				uint64_t p0 = 0;
				if (argv_addr &&
				    req_read(req, argv_addr, &p0, req->abi == ABI_I386 ? 4 : 8) == 0 && p0 &&
				    req_read_str(req, p0, a0, sizeof(a0)) < 0)
					a0[0] = '\0';
			}
			const char *adds[4] = { im.interp, "--argv0", a0[0] ? a0 : binary, binary };
			r = prefix_replace_first(&pre, adds, 4);
			fs_loc_free(&loc);
			loc = lloc;
			if (r < 0)
				goto fail_loc;
		}
	}
	r = host_path_of(&loc, host, sizeof(host));
	final_st = loc.e.st;
	fs_loc_free(&loc);
	if (r < 0)
		goto fail;

	/* the host path (and the new argv, when it changed) under the red zone */
	struct stackbuf sb = { .req = req, .top = req->sp - 128 };
	struct verdict v = { .kind = VERDICT_REWRITE };
	memcpy(v.args, req->args, sizeof(v.args));
	v.args[path_arg] = push_str(&sb, host);
	if (path_arg == 1) {
		v.args[0] = (uint64_t)(int64_t)AT_FDCWD;
		v.args[4] &= ~(uint64_t)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	}
	if (pre.n) {
		size_t psz = req->abi == ABI_I386 ? 4 : 8;
		r = read_argv_tail(req, argv_addr, &tail, &ntail);
		if (r < 0)
			goto fail;
		size_t total = pre.n + ntail + 1;
		unsigned char *arr = calloc(total, psz);
		if (!arr) {
			free(tail);
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < pre.n; i++) {
			uint64_t at = push_str(&sb, pre.s[i]);
			memcpy(arr + i * psz, &at, psz);
		}
		for (size_t i = 0; i < ntail; i++)
			memcpy(arr + (pre.n + i) * psz, &tail[i], psz);
		v.args[argv_arg] = push(&sb, arr, total * psz, 16);
		free(arr);
		free(tail);
	}
	prefix_free(&pre);
	if (sb.err)
		return verdict_deny(sb.err == -EFAULT ? E2BIG : -sb.err);
	/* what must be running after the exec event, or the process dies */
	struct fs_proc *p = fs_proc_of(fs, req->tid);
	if (p) {
		pthread_mutex_lock(&fs->lock);
		p->exec_dev = final_st.st_dev;
		p->exec_ino = final_st.st_ino;
		p->exec_armed = true;
		pthread_mutex_unlock(&fs->lock);
	}
	return v;

fail_loc:
	fs_loc_free(&loc);
fail:
	prefix_free(&pre);
	return verdict_deny(-r);
}

static struct verdict h_execve(struct emul_ctx *ctx, const struct sc_request *req)
{
	return exec_common(ctx, req, AT_FDCWD, req->args[0], req->args[1], 0, 0, 1);
}

static struct verdict h_execveat(struct emul_ctx *ctx, const struct sc_request *req)
{
	return exec_common(ctx, req, (int)(int32_t)req->args[0], req->args[1], req->args[2],
			   (int)req->args[4], 1, 2);
}

bool fs_exec_check(struct fs_emul *fs, pid_t tgid)
{
	struct fs_proc *p = fs_proc_of(fs, tgid);
	char link[64];
	struct stat st;
	bool ok;

	if (!p)
		return false;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)tgid);
	if (stat(link, &st) < 0)
		return false;
	pthread_mutex_lock(&fs->lock);
	ok = p->exec_armed && p->exec_dev == st.st_dev && p->exec_ino == st.st_ino;
	p->exec_armed = false;
	pthread_mutex_unlock(&fs->lock);
	if (!ok)
		glog_warn(tgid, "executed a file other than the one resolved in its root: killed");
	return ok;
}

int fs_which(struct fs_emul *fs, pid_t tid, const char *cmd, const char *path_env, char *out,
	     size_t size)
{
	struct fs_loc loc;
	char cand[PATH_MAX];
	int first = -ENOENT, r;

	if (strchr(cmd, '/')) {
		r = resolve_exec(fs, tid, AT_FDCWD, cmd, FS_FOLLOW, &loc);
		if (r < 0)
			return r;
		fs_loc_free(&loc);
		snprintf(out, size, "%s", cmd);
		return 0;
	}
	const char *p = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, n ? p : ".", cmd);
		r = resolve_exec(fs, tid, AT_FDCWD, cand, FS_FOLLOW, &loc);
		if (r == 0) {
			fs_loc_free(&loc);
			snprintf(out, size, "%s", cand);
			return 0;
		}
		if (r != -ENOENT && r != -ENOTDIR && first == -ENOENT)
			first = r;
		p += n;
		if (*p == ':')
			p++;
	}
	return first;
}

static const struct emul_handler exec_handlers[] = {
	{ .name = "execve", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = h_execve },
	{ .name = "execveat", .abis = EMUL_ABI_64, .needs_ptrace = true, .enter = h_execveat },
};

const struct emul_feature emul_feature_fs_exec = {
	.name = "fs-exec",
	.handlers = exec_handlers,
	.count = ARRAY_SIZE(exec_handlers),
};
