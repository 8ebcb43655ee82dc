# shellcheck shell=bash
# mkroot.sh - sourced by the integration tests that need a guest root: a
# minimal one built from the static busybox, and a way to run a command in
# such a root natively, as a container would, for the reference output.
# (tools/mkroot builds full Debian roots; this one stays small and fast.)

# umld_mkroot DIR [HOST-FILE:GUEST-PATH]...
# Builds a minimal root in DIR (which must not exist yet): /bin/busybox (the
# busybox-static binary) and its applets as symlinks to it, as
# `busybox --install -s` would make them, /etc/passwd and /etc/group with
# root and nobody, /tmp (1777), an empty /dev and /proc; then copies each
# HOST-FILE to GUEST-PATH inside it. Returns non-zero with a message on
# stderr when it cannot.
umld_mkroot() {
	local dir=$1 bb applet spec
	shift
	bb=$(command -v busybox) || {
		echo "umld_mkroot: busybox is not installed (apt-get install busybox-static)" >&2
		return 1
	}
	# a dynamic busybox would need the host's libc inside the root
	if LC_ALL=C readelf -l "$bb" 2>/dev/null | grep -q 'Requesting program interpreter'; then
		echo "umld_mkroot: $bb is dynamically linked; install busybox-static" >&2
		return 1
	fi
	mkdir "$dir" || return 1
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,dev,proc,root} || return 1
	chmod 1777 "$dir/tmp" || return 1
	cp "$bb" "$dir/bin/busybox" || return 1
	while read -r applet; do
		# the list names busybox itself, and linuxrc (an init, not wanted here)
		case $applet in bin/busybox | linuxrc | '') continue ;; esac
		mkdir -p "$dir/$(dirname "$applet")" &&
			ln -s /bin/busybox "$dir/$applet" || return 1
	done < <("$bb" --list-full)
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
		'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$dir/etc/passwd" &&
		printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$dir/etc/group" || return 1
	for spec; do
		mkdir -p "$dir/$(dirname "${spec#*:}")" &&
			cp "${spec%%:*}" "$dir/${spec#*:}" || return 1
	done
}

# umld_in_root_natively ROOT COMMAND [ARG...]
# Runs COMMAND (a path inside ROOT) natively with ROOT as its root, the way
# a container does and umld's containerized backend must: a new mount and
# pid namespace (a user namespace too when not root: `unshare -r`, so that
# the caller is root in it and owns ROOT's files), ROOT bind-mounted,
# pivot_root into it and the old root detached, a /proc of its own. Plain
# chroot(2) would be escapable by a root guest (chroot inside chroot, then
# "..": tests/escape/chroot2.c) and would show the host's pids in /proc.
# ROOT gets a directory .oldroot, removed again before COMMAND runs.
# CAP_DAC_READ_SEARCH is dropped, as container runtimes do: with it a root
# opens any file of the filesystem by handle (tests/escape/handle.c).
umld_in_root_natively() {
	local root=$1 user=()
	shift
	[[ $(id -u) -eq 0 ]] || user=(-r)
	# The host's tools run before pivot_root; after it only the root's
	# static busybox is there, which detaches the old root.
	# shellcheck disable=SC2016 # expanded by the inner shells
	unshare "${user[@]}" -m -p -f --propagation private \
		setpriv --inh-caps=-dac_read_search --bounding-set=-dac_read_search \
		sh -c 'r=$1 && shift && mount --bind "$r" "$r" && mount -t proc proc "$r/proc" && cd "$r" &&
			mkdir .oldroot && pivot_root . .oldroot &&
			exec /bin/busybox sh -c "umount -l /.oldroot && rmdir /.oldroot && exec \"\$@\"" sh "$@"' \
		sh "$root" "$@"
}
