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
    libdeflate-dev libfast-float-dev libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev
    libev-dev libyaml-dev libpq-dev python3 python3-dev python3-numpy curl
    openssl postgresql valgrind clang libclang-rt-14-dev mandoc
    dpkg-dev debhelper dh-python lintian devscripts bash-completion zsh
    fuse3 libfuse3-dev"
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

	echo "== wbstored watches ./live/wandb and syncs each run live"
	mkdir -p live/wandb "$demo/xdg"
	chmod 700 "$demo/xdg"
	XDG_RUNTIME_DIR=$demo/xdg
	export XDG_RUNTIME_DIR
	"$build/wbstored" --root "$demo/live/wandb" 2>"$demo/daemon.log" &
	daemon=$!
	trap 'kill $relay $daemon 2>/dev/null || true; wait 2>/dev/null ||
	    true' EXIT INT TERM
	echo "== a trainer writes 300 steps, 20 ms each; the relay meanwhile:"
	(cd live && "$build/contrib/examples/train" -i live1 -n 300 -d 20 \
	    >/dev/null 2>&1) &
	trainer=$!
	while kill -0 $trainer 2>/dev/null; do
		sleep 1
		"$build/wbstore" ls "$demo/server/wandb" 2>/dev/null |
		    grep '^live1 ' || echo "live1 not there yet"
	done
	wait $trainer
	i=0
	until "$build/wbstore" ls "$demo/server/wandb" 2>/dev/null |
	    grep -q '^live1 .* finished'; do
		[ $i -lt 300 ] || { echo "quickstart: live1 did not finish" >&2;
		    cat "$demo/daemon.log" >&2; exit 1; }
		sleep 0.1
		i=$((i + 1))
	done
	"$build/wbstore" ls "$demo/server/wandb" | grep '^live1 '
	echo "== wbstore status: what the daemon did"
	"$build/wbstore" status
	echo "== stop the daemon and the relay"
	kill -TERM $daemon $relay
	wait $daemon $relay || true
	trap - EXIT INT TERM
	;;
test)
	# Most end-to-end tests wait on servers and timers: run twice as
	# many as there are cores.
	make -j"$(($(nproc) * 2))" check 2>&1 | grep -E '^(PASS|FAIL|ERROR|XPASS|SKIP):' |
	    grep -v '^PASS:' || true
	sh "$top/contrib/test-summary.sh" "$build"
	;;
*)
	echo "usage: quickstart.sh demo|test" >&2
	exit 2
	;;
esac
