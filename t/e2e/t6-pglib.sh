# t6-pglib.sh - a private PostgreSQL server for the export tests and the
# export benchmark (sourced, not a test of its own).
#
#   pg_find || skip "$PG_WHY"
#   pg_start DIR || fail "$PG_WHY"	# then $PG_URL, pg_psql SQL
#   pg_stop
#
# The server listens on a Unix socket in DIR/sock only (no TCP), keeps its
# data in DIR/data, trusts local connections and runs with fsync off: it
# is thrown away with DIR.  initdb refuses to run as root, so as root the
# server runs as the unprivileged user "nobody" (through runuser or
# setpriv, both part of util-linux); DIR is handed to it.

PG_BIN=
PG_DIR=
PG_URL=
PG_AS=
PG_WHY=

# Find initdb and pg_ctl: pg_config's bindir, Debian's versioned
# directories (newest first), then PATH.
pg_find() {
	for d in "$(pg_config --bindir 2>/dev/null)" \
	    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -nr) \
	    "$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_BIN=$d
			break
		fi
	done
	if [ -z "$PG_BIN" ]; then
		PG_WHY="PostgreSQL server programs (initdb, pg_ctl) not installed"
		return 1
	fi
	if ! command -v psql >/dev/null 2>&1; then
		PG_WHY="psql not installed"
		return 1
	fi
	if [ "$(id -u)" = 0 ]; then
		if ! id nobody >/dev/null 2>&1; then
			PG_WHY="running as root and there is no user nobody to run the server"
			return 1
		fi
		if command -v runuser >/dev/null 2>&1; then
			PG_AS="runuser -u nobody --"
		elif command -v setpriv >/dev/null 2>&1; then
			PG_AS="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups --"
		else
			PG_WHY="running as root without runuser or setpriv to drop privileges"
			return 1
		fi
	fi
	return 0
}

# Start a server in $1 (created; its parent must exist).
pg_start() {
	PG_DIR=$1
	mkdir -p "$PG_DIR/sock" || return 1
	if [ ${#PG_DIR} -gt 80 ]; then
		PG_WHY="$PG_DIR: too long for a Unix socket path"
		return 1
	fi
	if [ -n "$PG_AS" ]; then
		# nobody must reach DIR: let others traverse (not list) the
		# directories above it that we created.
		chmod o+x "$(dirname "$PG_DIR")" || return 1
		chown -R nobody "$PG_DIR" || return 1
		if ! $PG_AS test -w "$PG_DIR/sock"; then
			PG_WHY="user nobody cannot write to $PG_DIR"
			return 1
		fi
	fi
	if ! $PG_AS "$PG_BIN/initdb" -D "$PG_DIR/data" -U wbs --auth=trust \
	    --no-locale -E UTF8 >"$PG_DIR/initdb.log" 2>&1; then
		PG_WHY="initdb failed: $(tail -n 3 "$PG_DIR/initdb.log")"
		return 1
	fi
	if ! $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" \
	    -w -t 60 -o "-k $PG_DIR/sock -c listen_addresses= -c fsync=off" \
	    start >/dev/null 2>&1; then
		PG_WHY="the server did not start: $(tail -n 5 "$PG_DIR/server.log" 2>/dev/null)"
		return 1
	fi
	unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD \
	    PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE
	PG_URL="host=$PG_DIR/sock user=wbs dbname=postgres"
	return 0
}

# Stop the server (at once: its data is thrown away).
pg_stop() {
	if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
		$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w -t 30 \
		    stop >/dev/null 2>&1
	fi
}

# Run SQL, print unaligned tuples.
pg_psql() {
	psql "$PG_URL" -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"
}
