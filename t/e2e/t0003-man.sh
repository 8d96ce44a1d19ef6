#!/bin/sh
# The man pages are clean for mandoc -T lint, every one is installed, and
# they cover what they document: every function of wbstore.h in
# libwbstore(3), every command and long option of wbstore in wbstore(1),
# every option of wbstored in wbstored(1).
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

command -v mandoc >/dev/null || test_skip_all "mandoc not installed"
MAN=$WBS_SRCDIR/packaging/man

for page in "$MAN"/*.[0-9]; do
	test_expect_success "mandoc -T lint $(basename "$page")" "
		mandoc -T lint -W warning '$page'
	"
done

test_expect_success 'every page is in man_MANS' '
	for page in "$MAN"/*.[0-9]; do
		grep -q "packaging/man/${page##*/}" \
		    "$WBS_SRCDIR/packaging/Makefile.inc" ||
		    { echo "not installed: $page"; exit 1; }
	done
'

test_expect_success 'libwbstore(3) lists every function of wbstore.h' '
	sed -n "s/.*WBS_EXPORT[^(]*[[:space:]*]\(wbs_[a-z_]*\)(.*/\1/p" \
	    "$WBS_SRCDIR/include/wbstore/wbstore.h" | sort -u >declared &&
	sed -n "s/^\.Fn \(wbs_[a-z_]*\).*/\1/p" "$MAN/libwbstore.3" |
	    sort -u >documented &&
	comm -23 declared documented >missing &&
	test_cmp /dev/null missing
'

# words_of PAGE: the commands (.Cm) and long options (.Fl -x) of a page.
words_of() {
	sed -n "s/^\.It Cm \([a-z]*\).*/\1/p" "$1"
	grep -o "Fl -[a-z][a-z0-9-]*" "$1" | sed "s/^Fl //"
}

test_expect_success 'wbstore(1) documents every command' '
	wbstore --help | awk "/^Commands:/ { on = 1; next }
	    on && /^  [a-z]/ { print \$1 }" >commands &&
	grep -qx sync commands &&
	words_of "$MAN/wbstore.1" | sort -u >words &&
	for c in $(cat commands); do
		grep -qx "$c" words || { echo "undocumented: $c"; exit 1; }
	done
'

test_expect_success 'wbstore(1) documents every long option' '
	for c in $(cat commands); do
		wbstore $c --help 2>&1 | grep -o -- "--[a-z][a-z0-9-]*" |
		    sed "s/^-//" || true
	done | sort -u >opts &&
	test -s opts &&
	for o in $(cat opts); do
		grep -qx -- "$o" words || { echo "undocumented: -$o"; exit 1; }
	done
'

test_expect_success 'wbstored(1) documents every option' '
	"$WBSTORED" --help 2>&1 | grep -o -- "--[a-z][a-z0-9-]*" |
	    sed "s/^-//" | sort -u >dopts &&
	test -s dopts &&
	words_of "$MAN/wbstored.1" | sort -u >dwords &&
	for o in $(cat dopts); do
		grep -qx -- "$o" dwords || { echo "undocumented: -$o"; exit 1; }
	done
'

test_done
