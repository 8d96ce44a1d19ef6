#!/bin/sh
# The man pages are clean for mandoc -T lint.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

command -v mandoc >/dev/null || test_skip_all "mandoc not installed"

for page in "$WBS_SRCDIR"/packaging/man/*.[0-9]; do
	test_expect_success "mandoc -T lint $(basename "$page")" "
		mandoc -T lint -W warning '$page'
	"
done

test_done
