/* chroot inside the root: chroot to a subdirectory while the cwd stays
 * outside it, climb with chdir(".."), chroot("."), open the secret. This
 * escapes a plain chroot(2) jail when the process may call chroot (root);
 * in a mount namespace whose root was pivot_root'ed and the old one
 * detached, ".." stops at the new root. A monitor must keep the guest's
 * chroot from resetting its own view of the root. As a user, chroot fails
 * with EPERM and the climb must still stop. */
#include "escape.h"

int main(int argc, char **argv)
{
	struct esc e;

	esc_init(&e, "chroot2", argc, argv);
	if (mkdir("jail", 0755) < 0)
		esc_die(&e, "mkdir jail");
	if (chroot("jail") < 0)
		esc_note(&e, "chroot(jail): %s", esc_errname(errno));
	for (int i = 0; i < ESC_UPS; i++)
		if (chdir("..") < 0) {
			esc_note(&e, "chdir(..): %s", esc_errname(errno));
			break;
		}
	if (chroot(".") < 0)
		esc_note(&e, "chroot(.): %s", esc_errname(errno));
	esc_open(&e, "open(SECRET)", AT_FDCWD, e.secret);
	esc_open(&e, "open(SECRET without /)", AT_FDCWD, e.rel);
	return esc_finish(&e);
}
