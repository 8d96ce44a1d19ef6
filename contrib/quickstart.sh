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
	echo "== a wbstored relay on 127.0.0.1 plays the W&B server"
	"$build/wbstored" --listen 127.0.0.1:0 --store "$demo/server" \
	    --port-file "$demo/port" 2>"$demo/relay.log" &
	relay=$!
	trap 'kill $relay 2>/dev/null || true; wait $relay 2>/dev/null || true' \
	    EXIT INT TERM
	i=0
	while [ ! -s "$demo/port" ] && [ $i -lt 100 ] &&
	    kill -0 $relay 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$demo/port" ]; then
		echo "quickstart: the relay did not start:" >&2
		cat "$demo/relay.log" >&2
		exit 1
	fi
	WANDB_BASE_URL=http://127.0.0.1:$(cat "$demo/port")
	WANDB_API_KEY=demo_0123456789012345678901234567890123456789
	export WANDB_BASE_URL WANDB_API_KEY
	echo "== wbstore sync: upload the run to $WANDB_BASE_URL"
	"$build/wbstore" sync wandb
	echo "== wbstore show: the relay's copy"
	"$build/wbstore" show "$demo/server/wandb/latest-run"
	echo "== stop the relay"
	kill -TERM $relay
	wait $relay || true
	trap - EXIT INT TERM
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
