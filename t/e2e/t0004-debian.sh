#!/bin/sh
# The Debian packages build from a clean copy of the source tree with
# dpkg-buildpackage, hold what each should hold, and lintian finds no
# error in them.  The build is bounded by WBS_DEB_TIMEOUT seconds
# (default 1800); WBS_DEB_SKIP=1 skips it.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

[ "${WBS_DEB_SKIP:-0}" = 1 ] &&
	test_skip_all "WBS_DEB_SKIP=1 (inside the package build, or tested elsewhere)"
for p in dpkg-buildpackage dpkg-checkbuilddeps dh dh_python3 dpkg-deb \
    timeout; do
	command -v $p >/dev/null ||
	    test_skip_all "$p not installed (apt-get install devscripts debhelper dh-python)"
done
missing=$(cd "$WBS_SRCDIR/packaging" && dpkg-checkbuilddeps 2>&1) ||
	test_skip_all "build dependencies missing: ${missing##*:}"

SRC=$TRASH/src/wbstore-pkg
LIMIT=${WBS_DEB_TIMEOUT:-1800}

# copy_tree: the files that belong to the source tree (git's tracked and
# untracked-but-not-ignored files when it is a checkout's top, else -- a
# tarball, as under distcheck -- everything but build directories),
# writable, with packaging/debian as debian/.
copy_tree() {
	mkdir -p "$SRC" &&
	top=$(git -C "$WBS_SRCDIR" rev-parse --show-toplevel 2>/dev/null)
	if [ -n "$top" ] && [ "$top" = "$(cd "$WBS_SRCDIR" && pwd -P)" ]; then
		(cd "$WBS_SRCDIR" && git ls-files -co --exclude-standard |
		    while IFS= read -r f; do
			[ -f "$f" ] && printf '%s\n' "$f"
		    done | tar -cf - -T -) | (cd "$SRC" && tar -xf -)
	else
		(cd "$WBS_SRCDIR" && tar -cf - --exclude=./_build \
		    --exclude=./autom4te.cache --exclude=./debian .) |
		    (cd "$SRC" && tar -xf -)
	fi &&
	chmod -R u+w "$SRC" &&
	rm -rf "$SRC/debian" && cp -R "$SRC/packaging/debian" "$SRC/debian"
}

test_expect_success 'a clean copy of the tree' '
	copy_tree &&
	test -x "$SRC/debian/rules" && test -f "$SRC/configure.ac" &&
	! test -e "$SRC/config.status"
'

test_expect_success "dpkg-buildpackage -us -uc -b (at most $LIMIT s)" '
	(cd "$SRC" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	    timeout -k 10 "$LIMIT" dpkg-buildpackage -us -uc -b) \
	    >build.log 2>&1 || { tail -n 60 build.log; false; } &&
	ls src/*.deb >debs &&
	for p in libwbstore0 libwbstore-dev wbstore python3-wbstore; do
		grep "/${p}_[^/]*\\.deb\$" debs || exit 1
	done
'

# contents PACKAGE: the paths in PACKAGE's .deb, one a line.
contents() {
	dpkg-deb -c src/"$1"_*.deb | awk "{ print \$6 }" | sed "s,^\\./,/,"
}

test_expect_success 'libwbstore0: the shared library, its symbols' '
	contents libwbstore0 >c &&
	grep -E "^/usr/lib/[^/]+/libwbstore\.so\.0\.0\.0$" c &&
	grep -E "^/usr/lib/[^/]+/libwbstore\.so\.0$" c &&
	! grep -E "\.so$|/include/|/bin/" c &&
	dpkg-deb --ctrl-tarfile src/libwbstore0_*.deb | tar -xf - ./symbols &&
	grep -q "^ wbs_run_log@WBSTORE_0 " symbols &&
	grep -c "@WBSTORE_0 " symbols >n &&
	sed -n "s/^[[:space:]]*\(wbs_[a-z_]*\);/\1/p" \
	    "$WBS_SRCDIR/src/lib/libwbstore.map" | wc -l >m &&
	test $(cat n) = $(( $(cat m) + 1 ))
'

test_expect_success 'libwbstore-dev: header, .so, wbstore.pc, libwbstore(3)' '
	contents libwbstore-dev >c &&
	grep -x /usr/include/wbstore/wbstore.h c &&
	grep -x /usr/include/wbstore/version.h c &&
	grep -E "^/usr/lib/[^/]+/libwbstore\.so$" c &&
	grep -E "^/usr/lib/[^/]+/pkgconfig/wbstore\.pc$" c &&
	grep -x /usr/share/man/man3/libwbstore.3.gz c &&
	! grep -E "\.la$" c
'

test_expect_success 'wbstore: programs, man pages, completion, user unit' '
	contents wbstore >c &&
	grep -x /usr/bin/wbstore c && grep -x /usr/bin/wbstored c &&
	for page in "$SRC"/packaging/man/*.[158]; do
		n=${page##*/}
		grep -x "/usr/share/man/man${n##*.}/$n.gz" c || exit 1
	done &&
	grep -x /usr/share/bash-completion/completions/wbstore c &&
	grep -x /usr/share/bash-completion/completions/wbstored c &&
	grep -x /usr/share/zsh/vendor-completions/_wbstore c &&
	grep -x /usr/lib/systemd/user/wbstored.service c &&
	dpkg-deb --fsys-tarfile src/wbstore_*.deb |
	    tar -xOf - ./usr/lib/systemd/user/wbstored.service >unit &&
	test_cmp "$SRC/packaging/systemd/wbstored.service" unit
'

# The maintainer scripts may keep an administrator's choice across upgrades
# (enable only what was-enabled), never enable or start the unit anew.
test_expect_success 'wbstore: the user unit is not enabled on install' '
	dpkg-deb --ctrl-tarfile src/wbstore_*.deb | tar -tf - >ctrl &&
	for s in preinst postinst prerm postrm; do
		grep -qx "./$s" ctrl || continue
		dpkg-deb --ctrl-tarfile src/wbstore_*.deb |
		    tar -xOf - ./$s >$s &&
		! grep -E "systemctl.*(enable|start)|--user start|invoke-rc" $s &&
		awk "/was-enabled/ { ok = 1; next }
		    /deb-systemd-helper.* enable / && !ok { bad = 1 }
		    /^[[:space:]]*fi\$/ { ok = 0 }
		    END { exit bad }" $s || exit 1
	done &&
	! contents wbstore | grep -E "\.(target|service)\.wants/"
'

test_expect_success 'python3-wbstore: the module and its extension' '
	contents python3-wbstore >c &&
	grep -x /usr/lib/python3/dist-packages/wbstore/__init__.py c &&
	grep -x /usr/lib/python3/dist-packages/wbstore/compat/run.py c &&
	grep -E "^/usr/lib/python3/dist-packages/_wbstore[.a-z0-9_-]*\.so$" c &&
	grep -x /usr/share/wbstore/python/wandb/__init__.py c &&
	dpkg-deb -f src/python3-wbstore_*.deb Depends | grep libwbstore0
'

test_expect_success 'the programs in the package run' '
	mkdir -p root && for p in libwbstore0 wbstore; do
		dpkg-deb -x src/${p}_*.deb root || exit 1
	done &&
	LD_LIBRARY_PATH=$(dirname "$TRASH"/root/usr/lib/*/libwbstore.so.0) \
	    root/usr/bin/wbstore --version >v &&
	grep "^wbstore [0-9]" v &&
	LD_LIBRARY_PATH=$(dirname "$TRASH"/root/usr/lib/*/libwbstore.so.0) \
	    root/usr/bin/wbstored --version &&
	LD_LIBRARY_PATH=$(dirname "$TRASH"/root/usr/lib/*/libwbstore.so.0) \
	    root/usr/bin/wbstore --help >help &&
	grep "^  sync " help
'

if command -v hardening-check >/dev/null; then
	test_expect_success 'the binaries are hardened (PIE, RELRO, BIND_NOW, SSP)' '
		hardening-check root/usr/bin/wbstore root/usr/bin/wbstored \
		    root/usr/lib/*/libwbstore.so.0.0.0 >hardening 2>&1;
		cat hardening &&
		! grep -E "(Position Independent Executable|Stack protected|Read-only relocations|Immediate binding): no" \
		    hardening | grep -v "regular shared library"
	'
fi

test_expect_success 'the Python module in the package imports' '
	dpkg-deb -x src/python3-wbstore_*.deb root &&
	LD_LIBRARY_PATH=$(dirname "$TRASH"/root/usr/lib/*/libwbstore.so.0) \
	    PYTHONPATH=$TRASH/root/usr/lib/python3/dist-packages \
	    python3 -c "import wbstore, _wbstore; print(wbstore.__file__)" \
	    >py.out &&
	grep "/root/usr/lib/python3/dist-packages/wbstore/" py.out
'

if command -v lintian >/dev/null; then
	test_expect_success 'lintian reports no errors' '
		timeout -k 10 600 lintian --tag-display-limit 0 \
		    src/wbstore_*.changes >lintian.out 2>&1;
		cat lintian.out &&
		! grep "^E: " lintian.out
	'
fi

test_done
