#!/bin/sh
# The installed library exports exactly the functions of its version script,
# and each of them is declared in the public header.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

lib=$WBS_BUILDDIR/.libs/libwbstore.so
map=$WBS_SRCDIR/src/lib/libwbstore.map
hdr=$WBS_SRCDIR/include/wbstore/wbstore.h
command -v nm >/dev/null || test_skip_all "nm not installed"

test_expect_success 'exported symbols equal the version script' '
	nm -D --defined-only "$lib" | awk "\$2 == \"T\" { print \$3 }" |
	    sed "s/@.*//" | sort -u >exported &&
	sed -n "s/^[[:space:]]*\(wbs_[a-z_]*\);/\1/p" "$map" | sort >mapped &&
	test_cmp mapped exported
'

test_expect_success 'every exported function is declared in wbstore.h' '
	while read -r sym; do
		grep -q "[[:space:]*]$sym(" "$hdr" || { echo "missing: $sym"; exit 1; }
	done <exported
'

test_expect_success 'every public function in wbstore.h is exported' '
	sed -n "s/.*WBS_EXPORT[^(]*[[:space:]*]\(wbs_[a-z_]*\)(.*/\1/p" "$hdr" |
	    sort -u >declared &&
	test_cmp declared exported
'

test_done
