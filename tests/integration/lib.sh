# shellcheck shell=bash
# lib.sh - shared code of the "compare with native" integration tests.
#
# A test script sources this file, declares cases with compare_case and ends
# with umld_finish.  Each case is run natively (twice, to prove that the case
# itself is deterministic) and then once under
#     "$UMLD" run FLAGS-OF-MODE -- COMMAND...   (see ./modes)
# for every MODE in $UMLD_MODES.  Every run gets a fresh working directory at
# the same path, populated by the case's setup function, and its stdout,
# stderr and exit status are captured separately and compared byte for byte
# with the native run.
#
# Environment:
#   UMLD         absolute path of the umld binary (required)
#   UMLD_PROGS   directory holding the compiled tests/progs programs
#   UMLD_MODES   interception modes to test, names from ./modes
#                (default: every mode there)
#   PYTHON       python interpreter (default python3)
#   UMLD_TEST_TIMEOUT  seconds before one run is killed (default 120)
#   UMLD_KEEP_TMP      if 1, keep the temporary directory and print its path
#
# Exit codes (automake): 0 all passed, 1 something failed, 77 skipped,
# 99 hard error.

set -u
set -o pipefail

# Outputs must not depend on the caller's locale or time zone.
export LC_ALL=C TZ=UTC
unset LANGUAGE

umld_error() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 99
}

umld_skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

if [[ -z ${UMLD:-} ]]; then
	umld_error "UMLD is not set; it must be the absolute path of the umld binary (e.g. UMLD=\$PWD/umld)"
fi
if [[ $UMLD != /* ]]; then
	umld_error "UMLD must be an absolute path, got '$UMLD'"
fi
if [[ ! -f $UMLD || ! -x $UMLD ]]; then
	umld_error "UMLD=$UMLD is not an executable file"
fi

# shellcheck source-path=SCRIPTDIR source=modes.sh
source "$(dirname "${BASH_SOURCE[0]}")/modes.sh"
UMLD_MODES=${UMLD_MODES:-$(umld_all_modes)}
PYTHON=${PYTHON:-python3}
UMLD_PROGS=${UMLD_PROGS:-}
UMLD_TEST_TIMEOUT=${UMLD_TEST_TIMEOUT:-120}
UMLD_KEEP_TMP=${UMLD_KEEP_TMP:-0}
export UMLD UMLD_MODES PYTHON UMLD_PROGS

read -r -a umld_modes <<<"$UMLD_MODES"
if [[ ${#umld_modes[@]} -eq 0 ]]; then
	umld_skip "UMLD_MODES lists no interception mode"
fi

if [[ -r /proc/sys/kernel/yama/ptrace_scope &&
	$(</proc/sys/kernel/yama/ptrace_scope) == 3 ]]; then
	umld_skip "ptrace is disabled on this system (kernel.yama.ptrace_scope = 3)"
fi

UMLD_T=$(mktemp -d "${TMPDIR:-/tmp}/umld-compare.XXXXXX") ||
	umld_error "cannot create a temporary directory under ${TMPDIR:-/tmp}"

# Remove a tree even if a case left read-only directories in it.
_umld_rmtree() {
	[[ -e $1 || -L $1 ]] || return 0
	chmod -R u+rwX -- "$1" 2>/dev/null
	rm -rf -- "$1"
}

_umld_cleanup() {
	if [[ $UMLD_KEEP_TMP == 1 ]]; then
		printf 'note: temporary files kept in %s\n' "$UMLD_T"
	else
		_umld_rmtree "$UMLD_T"
	fi
}
trap _umld_cleanup EXIT
trap 'echo "interrupted" >&2; exit 99' INT TERM HUP

mkdir "$UMLD_T/results" "$UMLD_T/data" || umld_error "cannot populate $UMLD_T"
mkfifo "$UMLD_T/fifo" || umld_error "mkfifo failed in $UMLD_T"

# A directory for data a script generates once and copies into each run's
# working directory from its setup function.
# shellcheck disable=SC2034 # used by the test scripts
UMLD_DATA=$UMLD_T/data

umld_passed=0
umld_failed=0
_umld_ncase=0

printf '# umld: %s\n# modes: %s\n# tmp: %s\n' "$UMLD" "${umld_modes[*]}" "$UMLD_T"

# umld_have CMD... - true if every CMD can be found in PATH.
umld_have() {
	local c
	for c; do
		command -v -- "$c" >/dev/null 2>&1 || return 1
	done
}

# umld_require CMD... - skip the whole script (exit 77) if a CMD is missing.
umld_require() {
	local c
	for c; do
		umld_have "$c" || umld_skip "required command '$c' is not installed"
	done
}

# umld_prog NAME - print the path of a compiled test program.
umld_prog() {
	[[ -n $UMLD_PROGS ]] ||
		umld_error "UMLD_PROGS is not set; it must name the directory with the compiled tests/progs programs"
	[[ -x $UMLD_PROGS/$1 ]] ||
		umld_error "test program $UMLD_PROGS/$1 is missing or not executable"
	printf '%s\n' "$UMLD_PROGS/$1"
}

# The watchdog kills the run whose pid is in $UMLD_T/pid after $1 seconds.
# It sleeps in the read builtin, so killing it leaves no stray process.
_umld_watchdog() {
	local _
	exec 3<>"$UMLD_T/fifo"
	if ! read -r -t "$1" -u 3 _; then
		if [[ -s $UMLD_T/pid ]]; then
			: >"$UMLD_T/timedout"
			kill -KILL "$(<"$UMLD_T/pid")"
		fi
	fi
}

# _umld_run LABEL -- COMMAND...: one run in a fresh $UMLD_T/w.  Leaves
# $base.out, $base.err, $base.status and the working directory as $base.d,
# where base=$UMLD_T/results/LABEL.  Returns 1 (with a message in
# $base.why) if the run could not be carried out.
_umld_run() {
	local label=$1 base=$UMLD_T/results/$1 w=$UMLD_T/w
	shift 2
	_umld_rmtree "$w"
	mkdir "$w" || umld_error "cannot create $w"
	: >"$base.why"
	if [[ -n $_umld_setup ]]; then
		# set -e is in force because the subshell is not tested by || or if.
		(
			set -e
			cd "$w"
			"$_umld_setup"
		) >"$base.setup" 2>&1
		local rc=$?
		if [[ $rc -ne 0 ]]; then
			{
				printf '  setup function %s failed with status %d:\n' "$_umld_setup" "$rc"
				sed 's/^/    /' "$base.setup"
			} >>"$base.why"
			return 1
		fi
	fi
	rm -f "$UMLD_T/pid" "$UMLD_T/timedout"
	# The outer subshell's own stderr is /dev/null so that bash's reports
	# about a child killed by a signal ("Segmentation fault") never end up
	# in a captured file or in the log.
	(
		exec 2>/dev/null
		_umld_watchdog "$_umld_timeout" </dev/null >/dev/null &
		wd=$!
		(
			cd "$w" || exit 99
			echo "$BASHPID" >"$UMLD_T/pid"
			exec "$@" <"$_umld_stdin"
		) >"$base.out" 2>"$base.err"
		echo "$?" >"$base.status"
		kill "$wd"
	)
	if [[ -e $UMLD_T/timedout ]]; then
		printf '  timed out: killed after %s seconds\n' "$_umld_timeout" >>"$base.why"
	fi
	mv "$w" "$base.d" || umld_error "cannot move $w"
	return 0
}

# Print a unified diff of two files, at most 60 lines of it.
_umld_diff() { # LABEL_A FILE_A LABEL_B FILE_B
	local lines
	lines=$(diff -u -a --label "$1" --label "$3" "$2" "$4" | head -n 60 | sed 's/^/    /')
	printf '%s\n' "$lines"
	printf '    (%s: %s bytes, %s: %s bytes)\n' "$1" "$(wc -c <"$2")" "$3" "$(wc -c <"$4")"
}

# Types, modes, owners, sizes and link targets of everything in a tree, but
# not its timestamps (directory sizes are left out: they depend on history).
_umld_tree_list() {
	(
		cd "$1" &&
			find . -mindepth 1 \
				\( -type d -printf 'd %m %U:%G %P\n' \) -o \
				\( -type l -printf 'l %U:%G %P -> %l\n' \) -o \
				-printf '%y %m %U:%G %s %n %P\n'
	) | sort
}

# Compare the working directories left by two runs; append findings to WHY.
_umld_compare_trees() { # LABEL_A DIR_A LABEL_B DIR_B WHY
	local la=$1 a=$2 lb=$3 b=$4 why=$5 f n=0
	_umld_tree_list "$a" >"$UMLD_T/tree.a"
	_umld_tree_list "$b" >"$UMLD_T/tree.b"
	if ! cmp -s "$UMLD_T/tree.a" "$UMLD_T/tree.b"; then
		{
			echo "  working directory trees differ (type, mode, owner, size):"
			_umld_diff "$la tree" "$UMLD_T/tree.a" "$lb tree" "$UMLD_T/tree.b"
		} >>"$why"
	fi
	while IFS= read -r -d '' f; do
		[[ -f $b/$f && ! -L $b/$f ]] || continue
		cmp -s -- "$a/$f" "$b/$f" && continue
		n=$((n + 1))
		if [[ $n -le 3 ]]; then
			{
				printf '  file %s differs:\n' "$f"
				_umld_diff "$la $f" "$a/$f" "$lb $f" "$b/$f"
			} >>"$why"
		fi
	done < <(cd "$a" && find . -type f -printf '%P\0' | sort -z)
	if [[ $n -gt 3 ]]; then
		printf '  ... %d files differ in all\n' "$n" >>"$why"
	fi
}

# Compare run B with reference run A (stdout, stderr, status, tree).
_umld_compare_runs() { # LABEL_A LABEL_B WHY
	local a=$UMLD_T/results/$1 b=$UMLD_T/results/$2 why=$3 s
	for s in out err; do
		if ! cmp -s "$a.$s" "$b.$s"; then
			{
				printf '  std%s differs:\n' "$s"
				_umld_diff "$1 std$s" "$a.$s" "$2 std$s" "$b.$s"
			} >>"$why"
		fi
	done
	if [[ $(<"$a.status") != "$(<"$b.status")" ]]; then
		printf '  exit status differs: %s %s, %s %s\n' \
			"$1" "$(<"$a.status")" "$2" "$(<"$b.status")" >>"$why"
	fi
	if [[ $_umld_tree == 1 ]]; then
		_umld_compare_trees "$1" "$a.d" "$2" "$b.d" "$why"
	fi
}

# Check a run against the values the case knows in advance.
_umld_check_expected() { # LABEL WHY
	local r=$UMLD_T/results/$1 why=$2 st
	st=$(<"$r.status")
	if [[ -n $_umld_want_status && $st != "$_umld_want_status" ]]; then
		printf '  exit status is %s, expected %s\n' "$st" "$_umld_want_status" >>"$why"
	fi
	if [[ $_umld_want_out_set == 1 ]]; then
		printf '%s' "$_umld_want_out" >"$UMLD_T/want"
		if ! cmp -s "$UMLD_T/want" "$r.out"; then
			{
				echo "  stdout is not the expected text:"
				_umld_diff "expected stdout" "$UMLD_T/want" "$1 stdout" "$r.out"
			} >>"$why"
		fi
	fi
	if [[ $_umld_want_err_set == 1 ]]; then
		printf '%s' "$_umld_want_err" >"$UMLD_T/want"
		if ! cmp -s "$UMLD_T/want" "$r.err"; then
			{
				echo "  stderr is not the expected text:"
				_umld_diff "expected stderr" "$UMLD_T/want" "$1 stderr" "$r.err"
			} >>"$why"
		fi
	fi
}

_umld_report() { # NAME LABEL WHY
	if [[ -s $3 ]]; then
		printf 'FAIL: %s [%s]\n' "$1" "$2"
		cat "$3"
		umld_failed=$((umld_failed + 1))
	else
		printf 'PASS: %s [%s]\n' "$1" "$2"
		umld_passed=$((umld_passed + 1))
	fi
}

# compare_case NAME [OPTION...] -- COMMAND [ARG...]
#
# Run COMMAND natively twice and once under umld in each mode, and compare.
# COMMAND must be something execve can run (not a shell function).
# Options:
#   --setup FUNC    shell function run natively, with set -e, in each fresh
#                   working directory before the run; must be deterministic
#   --stdin FILE    the command's stdin (default /dev/null); a relative name
#                   is looked up in the working directory
#   --status N      expected exit status
#   --stdout TEXT   expected stdout, exactly (include the final newline)
#   --stderr TEXT   expected stderr, exactly
#   --tree          also compare the working directories left by the runs
#   --timeout SECS  time limit for one run (default $UMLD_TEST_TIMEOUT)
compare_case() {
	local name=$1 mode why label
	shift
	_umld_setup='' _umld_stdin=/dev/null _umld_tree=0
	_umld_want_status='' _umld_want_out_set=0 _umld_want_err_set=0
	_umld_want_out='' _umld_want_err='' _umld_timeout=$UMLD_TEST_TIMEOUT
	while [[ $# -gt 0 ]]; do
		case $1 in
		--tree)
			_umld_tree=1
			shift
			continue
			;;
		--)
			shift
			break
			;;
		--setup | --stdin | --status | --stdout | --stderr | --timeout)
			[[ $# -ge 2 ]] || umld_error "compare_case $name: option $1 needs a value"
			;;
		*) umld_error "compare_case $name: unknown option '$1'" ;;
		esac
		case $1 in
		--setup) _umld_setup=$2 ;;
		--stdin) _umld_stdin=$2 ;;
		--status) _umld_want_status=$2 ;;
		--stdout) _umld_want_out=$2 _umld_want_out_set=1 ;;
		--stderr) _umld_want_err=$2 _umld_want_err_set=1 ;;
		--timeout) _umld_timeout=$2 ;;
		esac
		shift 2
	done
	[[ $# -gt 0 ]] || umld_error "compare_case $name: no command"
	_umld_ncase=$((_umld_ncase + 1))
	why=$UMLD_T/why
	: >"$why"

	# Native, twice: the second run proves the case is reproducible.
	if _umld_run native -- "$@" && _umld_run native-again -- "$@"; then
		cat "$UMLD_T/results/native.why" "$UMLD_T/results/native-again.why" >>"$why"
		_umld_check_expected native "$why"
		: >"$UMLD_T/why2"
		_umld_compare_runs native native-again "$UMLD_T/why2"
		if [[ -s $UMLD_T/why2 ]]; then
			echo "  the case is not reproducible natively (a bug in the test):" >>"$why"
			cat "$UMLD_T/why2" >>"$why"
		fi
	else
		cat "$UMLD_T/results/native.why" "$UMLD_T/results/native-again.why" >>"$why" 2>/dev/null
	fi
	_umld_report "$name" native "$why"
	if [[ -s $why ]]; then
		# Without a sound native reference there is nothing to compare with.
		for mode in "${umld_modes[@]}"; do
			printf 'FAIL: %s [%s]\n  not run: the native run failed\n' "$name" "$mode"
			umld_failed=$((umld_failed + 1))
		done
		_umld_clean_results
		return 0
	fi

	for mode in "${umld_modes[@]}"; do
		label=$mode
		: >"$why"
		umld_mode_cmd "$mode" || umld_error "unknown interception mode $mode"
		if _umld_run "$label" -- "${UMLD_CMD[@]}" "$@"; then
			cat "$UMLD_T/results/$label.why" >>"$why"
			# The native run met the expectations, so matching it is enough.
			_umld_compare_runs native "$label" "$why"
		else
			cat "$UMLD_T/results/$label.why" >>"$why"
		fi
		_umld_report "$name" "$mode" "$why"
		_umld_rmtree "$UMLD_T/results/$label.d"
	done
	_umld_clean_results
}

_umld_clean_results() {
	if [[ $UMLD_KEEP_TMP == 1 ]]; then
		mv "$UMLD_T/results" "$UMLD_T/case-$_umld_ncase"
		mkdir "$UMLD_T/results"
	else
		_umld_rmtree "$UMLD_T/results"
		mkdir "$UMLD_T/results"
	fi
}

# umld_note_skip NAME REASON - report a case that cannot run here.
umld_note_skip() {
	printf 'SKIP: %s (%s)\n' "$1" "$2"
}

# Print the summary and exit with the automake status.
umld_finish() {
	printf '%d passed, %d failed\n' "$umld_passed" "$umld_failed"
	if [[ $umld_failed -ne 0 ]]; then
		exit 1
	fi
	if [[ $umld_passed -eq 0 ]]; then
		echo "SKIP: no case could be run"
		exit 77
	fi
	exit 0
}
