#!/bin/sh
# quickstart.sh - set up a fresh Debian 12 machine, build, and then either
# run the demo (demo) or the whole test suite (test).
#
#   sh contrib/quickstart.sh demo
#   sh contrib/quickstart.sh test
set -e
what=${1:-demo}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${WBS_BUILD_DIR:-$top/_build}

# What the build and the tests need, from Debian's packages.
pkgs="build-essential autoconf automake libtool pkg-config
    liblmdb-dev libprotobuf-c-dev protobuf-c-compiler liblz4-dev zlib1g-dev
    libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libev-dev
    libyaml-dev libpq-dev python3 python3-dev curl postgresql valgrind
    clang libclang-rt-14-dev mandoc"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "quickstart: installing:$missing"
	sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing
fi

# Shared test fixtures live beside the source tree when it has them.
if [ -z "${WBS_SHARED:-}" ] && [ -d "$top/../shared" ]; then
	WBS_SHARED=$(cd "$top/../shared" && pwd)
	export WBS_SHARED
fi

cd "$top"
[ -x configure ] || autoreconf -fi
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q ${WBS_CONFIGURE_FLAGS:-}
make -j"$(nproc)" >/dev/null

case "$what" in
demo)
	demo=$build/demo
	rm -rf "$demo"
	mkdir -p "$demo"
	cd "$demo"
	echo "== the example trainer logs a run into ./wandb"
	"$build/contrib/examples/train"
	echo "== wbstore ls"
	"$build/wbstore" ls
	echo "== wbstore show latest-run"
	"$build/wbstore" show latest-run
	;;
test)
	make -j"$(nproc)" check 2>&1 | grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' |
	    grep -v '^PASS:' || true
	sh "$top/contrib/test-summary.sh" "$build"
	;;
*)
	echo "usage: quickstart.sh demo|test" >&2
	exit 2
	;;
esac
