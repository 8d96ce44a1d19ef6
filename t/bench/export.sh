#!/bin/sh
# export.sh - benchmark of wbstore export: CSV and PostgreSQL export of a
# run of 1 M history rows (10 doubles each).  Prints rows/s and the peak
# RSS of the export process (VmHWM, printed by --stats; also GNU time's
# figure when /usr/bin/time is installed), against the budget of 64 MiB,
# and ratios to reference runs on the same data: reading the journal
# (wbstore verify) for CSV, and psql's \copy of the same rows for
# PostgreSQL (the server's own floor), into a like table without and with
# the history table's foreign key.  CPU seconds of the exporter come from
# GNU time: on a loaded machine the wall clock counts other processes.
#
#   make bench-export            (or: sh t/bench/export.sh [ROWS])
set -u

: "${WBS_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${WBS_BUILDDIR:=$(pwd)}"
ROWS=${1:-1000000}
WBSTORE=$WBS_BUILDDIR/wbstore
MKRUNS=$WBS_BUILDDIR/t/bench/export-mkruns
BUDGET_KIB=$((64 * 1024))
DIR=$(mktemp -d "${TMPDIR:-/tmp}/wbs-bench-export.XXXXXX") || exit 1
. "$WBS_SRCDIR/t/e2e/t6-pglib.sh"

cleanup() {
	pg_stop
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

now() {
	date +%s.%N
}

secs() {
	echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'
}

# The figures of a --stats line: "ROWS_PER_S RSS_MIB".
stats_of() {
	sed -n 's/.*(\([0-9]*\) rows\/s).*peak RSS \([0-9.]*\) MiB.*/\1 \2/p' "$1"
}

# CPU seconds (user + system) of a GNU time -v report, or "?".
cpu_of() {
	awk '/User time \(seconds\)/ { u = $NF; n++ }
	    /System time \(seconds\)/ { s = $NF; n++ }
	    END { if (n == 2) printf "%.2f", u + s; else printf "?" }' "$1"
}

# "N rows per CPU-second" for CPU seconds $1, or nothing.
per_cpu() {
	echo "$1" | awk -v r="$ROWS" '$1 > 0 { printf "%.0f rows per CPU-second", r / $1 }'
}

verdict() {
	awk -v r="$1" -v b="$BUDGET_KIB" \
	    'BEGIN { print (r * 1024 <= b) ? "within" : "OVER" }'
}

echo "# wbstore export benchmark: $ROWS rows of 10 doubles"
t0=$(now)
"$MKRUNS" -d "$DIR" -i bench1 -m bench -s "$ROWS" || exit 1
t1=$(now)
echo "writing the run:      $(secs "$t0" "$t1") s  ($(du -sh "$DIR/wandb" | cut -f1) journal)"

t0=$(now)
"$WBSTORE" verify "$DIR/wandb" >/dev/null || exit 1
t1=$(now)
read_s=$(secs "$t0" "$t1")
echo "reading the journal:  $read_s s  (wbstore verify)"

cd "$DIR" || exit 1
TIMEV=
if [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; then
	TIMEV="/usr/bin/time -v"
fi
$TIMEV "$WBSTORE" export "$DIR/wandb" --format csv -o csv --stats \
    2>csv.err || { cat csv.err; exit 1; }
set -- $(stats_of csv.err)
csv_rate=$1 csv_rss=$2
csv_s=$(sed -n 's/.* rows in \([0-9.]*\) s.*/\1/p' csv.err)
echo "CSV export:           $csv_s s, $csv_rate rows/s, peak RSS $csv_rss MiB" \
    "($(verdict "$csv_rss") the 64 MiB budget)"
if [ -n "$TIMEV" ]; then
	echo "  GNU time: max RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' csv.err) KiB"
	c=$(cpu_of csv.err)
	echo "  CPU: $c s ($(per_cpu "$c"); the wall clock counts other load)"
fi
echo "  ratio: CSV export time / journal read time = $(echo "$csv_s $read_s" |
    awk '{ printf "%.2f", $1 / $2 }')"
echo "  output: $(wc -c <csv/history.csv) bytes of history.csv"

if ! pg_find; then
	echo "PostgreSQL: skipped ($PG_WHY)"
	exit 0
fi
if ! pg_start "$DIR/pg"; then
	echo "PostgreSQL: cannot start a server: $PG_WHY"
	exit 1
fi
$TIMEV "$WBSTORE" export "$DIR/wandb" --format postgres --db-url "$PG_URL" \
    --stats 2>pg.err || { cat pg.err; exit 1; }
set -- $(stats_of pg.err)
pg_rate=$1 pg_rss=$2
pg_s=$(sed -n 's/.* rows in \([0-9.]*\) s.*/\1/p' pg.err)
echo "PostgreSQL export:    $pg_s s, $pg_rate rows/s, peak RSS $pg_rss MiB" \
    "($(verdict "$pg_rss") the 64 MiB budget)"
if [ -n "$TIMEV" ]; then
	echo "  GNU time: max RSS $(sed -n 's/.*Maximum resident set size (kbytes): //p' pg.err) KiB"
	c=$(cpu_of pg.err)
	echo "  client CPU: $c s ($(per_cpu "$c"); the rest is the server's)"
fi
t0=$(now)
"$WBSTORE" export "$DIR/wandb" --format postgres --db-url "$PG_URL" \
    --stats 2>pg2.err || { cat pg2.err; exit 1; }
t1=$(now)
echo "  re-export (nothing new): $(secs "$t0" "$t1") s"
pg_psql "\\copy wbstore.history TO '$DIR/h.copy'" || exit 1
# References: the same rows loaded by psql, into a like table without
# and with the history table's foreign key (checked row by row).
pg_psql "CREATE TABLE wbstore.h2 (LIKE wbstore.history INCLUDING ALL)" ||
    exit 1
pg_psql "CREATE TABLE wbstore.h3 (LIKE wbstore.history INCLUDING ALL,
    FOREIGN KEY (project, run_id) REFERENCES wbstore.runs)" || exit 1
t0=$(now)
pg_psql "\\copy wbstore.h2 FROM '$DIR/h.copy'" || exit 1
t1=$(now)
copy_s=$(secs "$t0" "$t1")
t0=$(now)
pg_psql "\\copy wbstore.h3 FROM '$DIR/h.copy'" || exit 1
t1=$(now)
fk_s=$(secs "$t0" "$t1")
printf '%s\n' "  reference: psql's \\copy of the same rows into a like table: $copy_s s; with the foreign key: $fk_s s"
printf '%s\n' "  ratio: export time / psql's \\copy time = $(echo "$pg_s $copy_s" |
    awk '{ printf "%.2f", $1 / $2 }'); with the foreign key: $(echo "$pg_s $fk_s" |
    awk '{ printf "%.2f", $1 / $2 }')"
