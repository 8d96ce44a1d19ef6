#!/bin/sh
# make install of the Python parts: the directories match what the
# configured python3 searches (dist-packages for Debian's), and the
# installed extension, wbstore package and wandb package work from a
# DESTDIR staging tree.
. "$WBS_SRCDIR/t/e2e/test-lib.sh"

pyenv="$WBS_BUILDDIR/contrib/python/pyenv.sh"
[ -f "$pyenv" ] || test_skip_all "the Python binding is not built"
. "$pyenv"
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
unset PYTHONPATH
py() { "$PYTHON" "$@"; }

# bmake ARGS: make in the build directory, outside the make running us.
bmake() {
	(unset MAKEFLAGS MFLAGS MAKELEVEL; make -s -C "$WBS_BUILDDIR" "$@")
}

# dirs_of FILE NAME: a value of make python-dirs' output.
dirs_of() {
	sed -n "s/^$2=//p" "$1"
}

test_expect_success 'the directories for prefixes /usr and /usr/local' '
	bmake python-dirs prefix=/usr >usr.dirs &&
	bmake python-dirs prefix=/usr/local >local.dirs &&
	cat usr.dirs local.dirs &&
	py - <<-\EOF
	import sys, sysconfig
	names = [p.rstrip("/").rsplit("/", 1)[-1] for p in sys.path]
	deb = "dist-packages" in names and "site-packages" not in names
	ver = sysconfig.get_python_version()
	for f, prefix in (("usr.dirs", "/usr"), ("local.dirs", "/usr/local")):
	    # (make may say more, such as that it remade the Makefile)
	    d = dict(l.strip().split("=", 1) for l in open(f)
	             if l.split("=")[0] in ("wbspythondir", "wbspyexecdir",
	                                    "wandbcompatdir", "libdir"))
	    assert d["wandbcompatdir"] == prefix + "/share/wbstore/python/wandb"
	    for k in ("wbspythondir", "wbspyexecdir"):
	        if deb:
	            # Debian: a directory this python3 searches.
	            assert d[k] in sys.path, (k, d[k], sys.path)
	            assert d[k] == "%s/lib/python%s/dist-packages" % (prefix,
	                                                              ver), d
	        else:
	            assert d[k] == "%s/lib/python%s/site-packages" % (prefix,
	                                                              ver), d
	print("# %s python3: %s" % ("Debian" if deb else "other", sys.path))
	EOF
'

test_expect_success 'make install puts the three parts there' '
	bmake python-dirs >here.dirs &&
	bmake install-libLTLIBRARIES DESTDIR="$TRASH/inst" &&
	bmake install-wbspyexecLTLIBRARIES install-wbstorepyDATA \
	    install-wbstorecompatDATA install-wandbcompatDATA \
	    DESTDIR="$TRASH/inst" &&
	exec=$TRASH/inst$(dirs_of here.dirs wbspyexecdir) &&
	pure=$TRASH/inst$(dirs_of here.dirs wbspythondir) &&
	compat=$TRASH/inst$(dirs_of here.dirs wandbcompatdir) &&
	test -f "$exec/_wbstore.so" &&
	test -f "$pure/wbstore/__init__.py" &&
	test -f "$pure/wbstore/reader.py" &&
	test -f "$pure/wbstore/compat/run.py" &&
	test -f "$compat/__init__.py" && test -f "$compat/errors.py"
'

test_expect_success 'the installed modules import from there and record a run' '
	exec=$TRASH/inst$(dirs_of here.dirs wbspyexecdir) &&
	pure=$TRASH/inst$(dirs_of here.dirs wbspythondir) &&
	compat=$(dirname "$TRASH/inst$(dirs_of here.dirs wandbcompatdir)") &&
	lib=$TRASH/inst$(dirs_of here.dirs libdir) &&
	PYTHONPATH=$compat:$pure:$exec LD_LIBRARY_PATH=$lib \
	    INST=$TRASH/inst py - <<-\EOF &&
	import os, _wbstore, wandb, wbstore
	inst = os.environ["INST"]
	for m in (_wbstore, wandb, wbstore):
	    assert m.__file__.startswith(inst), (m.__name__, m.__file__)
	maps = open("/proc/self/maps").read()
	assert inst in "".join(l for l in maps.splitlines(True)
	                       if "libwbstore.so" in l), "libwbstore not staged"
	with wandb.init(dir=".", id="inst1", config={"lr": 0.5}) as run:
	    for i in range(3):
	        run.log({"loss": 1.0 / (i + 1)})
	EOF
	wbstore show --json inst1 >show.json &&
	grep "\"rows\":3" show.json && grep "\"lr\":0.5" show.json &&
	grep "\"state\":\"finished\"" show.json
'

test_done
