# shellcheck shell=bash
# Sourced by the integration scripts: the `umld run` flags of each mode name,
# read from the table in ./modes (one table for the bash and python scripts).

UMLD_MODES_FILE=${UMLD_MODES_FILE:-$(dirname "${BASH_SOURCE[0]}")/modes}

# umld_mode_flags MODE: prints the flags of MODE, one per line; fails for an
# unknown mode.
umld_mode_flags() {
	local name rest
	while read -r name rest; do
		[[ -z $name || $name == \#* ]] && continue
		if [[ $name == "$1" ]]; then
			tr -s ' ' '\n' <<<"$rest"
			return 0
		fi
	done <"$UMLD_MODES_FILE"
	echo "unknown interception mode '$1' (see $UMLD_MODES_FILE)" >&2
	return 1
}

# umld_mode_cmd MODE: sets the array UMLD_CMD to `"$UMLD" run FLAGS... --`
# for MODE, ready to be followed by the guest command.
umld_mode_cmd() {
	local -a flags
	mapfile -t flags < <(umld_mode_flags "$1") || return 1
	[[ ${#flags[@]} -gt 0 ]] || return 1
	# shellcheck disable=SC2034 # used by the scripts that source this file
	UMLD_CMD=("$UMLD" run "${flags[@]}" --)
}

# umld_all_modes: the names of every mode in the table, space-separated.
umld_all_modes() {
	local name rest out=()
	while read -r name rest; do
		[[ -z $name || $name == \#* ]] || out+=("$name")
	done <"$UMLD_MODES_FILE"
	echo "${out[*]}"
}
