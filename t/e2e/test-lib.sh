# test-lib.sh - shell end-to-end tests that print TAP.
#
#   . "$WBS_SRCDIR/t/e2e/test-lib.sh"
#   test_expect_success 'title' 'commands'
#   test_done
#
# Each script runs in its own trash directory (removed on success unless
# -d is given).  Flags: -v (show command output), -i (stop at the first
# failure), -d (keep the trash directory).  Every wait is bounded: use
# test_wait_for.  Programs: $WBSTORE, $WBSTORED and the build directory on
# PATH.  With WBS_VALGRIND=1 the wbstore programs run under valgrind.

: "${WBS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${WBS_BUILDDIR:=$(pwd)}"
WBS_SHARED=${WBS_SHARED:-$WBS_SRCDIR/../shared}
export WBS_SRCDIR WBS_BUILDDIR WBS_SHARED

test_verbose=
test_immediate=
test_keep=
for arg in "$@"; do
	case "$arg" in
	-v) test_verbose=1 ;;
	-i) test_immediate=1 ;;
	-d) test_keep=1 ;;
	esac
done

test_count=0
test_failed=0
test_name=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/wbs-$test_name.XXXXXX")
export TRASH
cd "$TRASH" || exit 99
HOME=$TRASH/home
XDG_CONFIG_HOME=$HOME/.config
XDG_STATE_HOME=$HOME/.local/state
XDG_RUNTIME_DIR=$TRASH/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export HOME XDG_CONFIG_HOME XDG_STATE_HOME XDG_RUNTIME_DIR
unset WANDB_DIR WANDB_MODE WANDB_PROJECT WANDB_ENTITY WANDB_RUN_ID \
    WANDB_RESUME WANDB_RUN_GROUP WANDB_JOB_TYPE WANDB_TAGS WANDB_NAME \
    WANDB_NOTES WANDB_API_KEY WANDB_BASE_URL

test_wrap() {
	if [ "${WBS_VALGRIND:-0}" = 1 ]; then
		"$WBS_BUILDDIR/libtool" --mode=execute valgrind -q \
		    --error-exitcode=99 --leak-check=full \
		    --errors-for-leak-kinds=definite "$@"
	else
		"$@"
	fi
}
wbstore() { test_wrap "$WBS_BUILDDIR/wbstore" "$@"; }
WBSTORE=$WBS_BUILDDIR/wbstore
WBSTORED=$WBS_BUILDDIR/wbstored
PATH=$WBS_BUILDDIR:$WBS_BUILDDIR/t/helpers:$PATH
export PATH

test_cleanup_cmds=
# Run "$1" when the script ends (servers to stop, ...).
test_at_end() {
	test_cleanup_cmds="$1
$test_cleanup_cmds"
}

test_finish_() {
	eval "$test_cleanup_cmds"
	cd /
	if [ "$test_failed" = 0 ] && [ -z "$test_keep" ]; then
		rm -rf "$TRASH"
	else
		echo "# trash directory kept: $TRASH"
	fi
}
trap test_finish_ EXIT

test_expect_success() {
	test_count=$((test_count + 1))
	if [ -n "$test_verbose" ]; then
		{ (eval "$2") 2>&1; echo $? >"$TRASH/.status"; } |
		    sed 's/^/# /'
		status=$(cat "$TRASH/.status")
	else
		out=$( (eval "$2") 2>&1 )
		status=$?
	fi
	if [ $status = 0 ]; then
		echo "ok $test_count - $1"
	else
		echo "not ok $test_count - $1"
		[ -n "$test_verbose" ] || printf '%s\n' "$out" | tail -n 40 |
		    sed 's/^/#   /'
		test_failed=$((test_failed + 1))
		if [ -n "$test_immediate" ]; then
			echo "1..$test_count"
			exit 1
		fi
	fi
}

test_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
	exit $?
}

# test_wait_for SECONDS 'condition': poll every 0.05 s, bounded.
test_wait_for() {
	_wait_limit=$(( $1 * 20 ))
	_wait_i=0
	while [ $_wait_i -lt $_wait_limit ]; do
		if eval "$2"; then
			return 0
		fi
		sleep 0.05
		_wait_i=$((_wait_i + 1))
	done
	echo "timed out after $1 s waiting for: $2" >&2
	return 1
}

# Compare two files; show a diff on mismatch.
test_cmp() {
	diff -u "$1" "$2"
}
