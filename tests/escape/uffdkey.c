/* userfaultfd and the kernel keyrings: a userfaultfd stalls the kernel at
 * a page fault of the caller's choosing (the classic way to win races in
 * the kernel and in monitors), and keyrings are shared kernel state with
 * their own names. Either one had is the escape; under --sandbox=strict
 * userfaultfd, keyctl, add_key and request_key are denied. */
#include "escape.h"
#include <linux/keyctl.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>


int main(int argc, char **argv)
{
	struct esc e;
	long r;

	esc_init(&e, "uffdkey", argc, argv);
	/* user-mode faults only: what an unprivileged caller may have */
	r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	esc_fd_result(&e, "userfaultfd", r);
	r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0);
	if (r >= 0)
		esc_escaped(&e, "keyctl(KEYCTL_GET_KEYRING_ID)");
	else
		esc_note(&e, "keyctl: %s", esc_errname(errno));
	r = syscall(SYS_add_key, "user", "umld-escape", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (r >= 0)
		esc_escaped(&e, "add_key");
	else
		esc_note(&e, "add_key: %s", esc_errname(errno));
	return esc_finish(&e);
}
