#!/bin/bash
# Benchmark srv_sslinspect against c-icap's echo service in the same run
# (ratios, not absolute goals): N RESPMOD transactions of a body through
# c-icap-client, without 204, so both services return the whole body.
# Bodies: random binary, text with a few card-like numbers, and that text
# gzip-encoded (MB/s of the body as sent, so of compressed bytes there).
# Usage: bench-svc.sh [N] [MB]   (from a configured build dir)
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
N=${1:-20}
MB=${2:-5}

run()
{
	local svc=$1 body=$2 t0 t1 size
	shift 2
	size=$(stat -c %s "$body")
	t0=$(date +%s.%N)
	for _ in $(seq 1 "$N"); do
		rm -f "$T/tmp/out"
		c-icap-client -i 127.0.0.1 -p "$ICAP_PORT" -s "$svc" -f "$body" \
		    -o "$T/tmp/out" -no204 "$@" > /dev/null 2>&1 || si_fail "$svc failed"
	done
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk -v n="$N" -v sz="$size" '{ printf "%.1f", n * sz / 1048576 / ($2 - $1) }'
}

si_init bench-svc
si_cicap_start
[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "module not built"
head -c $((MB * 1048576)) /dev/urandom > "$T/tmp/rand"
awk -v n=$((MB * 1048576 / 64)) 'BEGIN { for (i = 0; i < n; i++)
	printf "line %08d of the quarterly report, ref 1234-5678-%04d ok\n", i, i % 10000 }' \
	> "$T/tmp/text"
gzip -c "$T/tmp/text" > "$T/tmp/text.gz"
printf 'body            echo MB/s  sslinspect MB/s  ratio\n'
for b in rand text text.gz; do
	extra=""
	[ "$b" = text.gz ] && extra=gzip
	# shellcheck disable=SC2086
	e=$(run echo "$T/tmp/$b" ${extra:+-rhx "Content-Encoding: gzip"})
	# shellcheck disable=SC2086
	s=$(run sslinspect "$T/tmp/$b" ${extra:+-rhx "Content-Encoding: gzip"})
	printf '%-15s %9s  %15s  %5s\n' "$b" "$e" "$s" \
	    "$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", a / b }')"
done
