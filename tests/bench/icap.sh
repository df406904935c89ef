#!/bin/bash
# ICAP throughput of srv_sslinspect (default policy) against c-icap's own
# srv_echo, both in the same c-icap, with tests/bench/icap_bench: keep-alive
# connections with TCP_NODELAY, no preview, no Allow: 204, so every body is
# echoed back. Then the peak RSS of all c-icap processes while 64
# connections upload 1 MiB bodies at once.
#
# Run from the build directory: bash ../tests/bench/icap.sh
# Knobs: SECS (per measurement, default 5), CONNS (default 4), MODE
# (reqmod or respmod, default reqmod), POLICY (a policy file instead of the
# built-in default, to see what each engine costs), CICAP_EXTRA (lines
# added to c-icap.conf, e.g. "MaxMemObject 1048576"). Exits 77 when the
# module is not built.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"

bench=$top_builddir/tests/bench/icap_bench
secs=${SECS:-5}
conns=${CONNS:-4}
mode=${MODE:-reqmod}
if [ ! -f "$top_builddir/icap_service/.libs/srv_sslinspect.so" ] ||
    [ ! -x "$bench" ]; then
	echo "icap.sh: build srv_sslinspect.la and tests/bench/icap_bench first"
	exit 77
fi

si_init bench-icap
# Enough threads for 64 concurrent connections in one child, so its RSS is
# the whole story.
SI_CICAP_EXTRA="StartServers 1
MaxServers 1
ThreadsPerChild 80
MinSpareThreads 1
MaxSpareThreads 80
${CICAP_EXTRA:-}"
if [ -n "${POLICY:-}" ]; then
	cp "$POLICY" "$T/etc/policy.yaml"
	SI_CICAP_EXTRA="$SI_CICAP_EXTRA
sslinspect.PolicyFile $T/etc/policy.yaml"
fi
si_cicap_start
[ "$SI_ICAP_SERVICE" = sslinspect ] || si_fail "srv_sslinspect not loaded"
cicap_sid=$(awk '$2 == "c-icap" { print $1 }' "$SI_PIDS")

# run SERVICE BYTES CONNS: one icap_bench line; its req/s on stdout.
run()
{
	local line
	line=$("$bench" -p "$ICAP_PORT" -s "$1" -m "$mode" -b "$2" -c "$3" \
	    -t "$secs") || si_fail "icap_bench $1 $2: $line"
	echo "$line" >&2
	echo "$line" | sed -n 's/.*req\/s=\([0-9.]*\).*/\1/p'
}

# rss_kib: resident memory of every process in c-icap's session.
rss_kib()
{
	ps -o rss= -s "$cicap_sid" | awk '{ s += $1 } END { print s }'
}

for size in 65536 1048576; do
	run echo "$size" "$conns" > /dev/null	# warm up both
	run sslinspect "$size" "$conns" > /dev/null
	e=$(run echo "$size" "$conns")
	s=$(run sslinspect "$size" "$conns")
	awk -v s="$s" -v e="$e" -v b="$size" 'BEGIN {
		printf "RESULT body=%d sslinspect=%.1f echo=%.1f req/s ratio=%.1f%%\n",
		    b, s, e, 100 * s / e }'
done

idle=$(rss_kib)
peak=$idle
"$bench" -p "$ICAP_PORT" -s sslinspect -m "$mode" -b 1048576 -c 64 \
    -t "$secs" > "$T/tmp/rss.out" 2>&1 &
bpid=$!
while kill -0 "$bpid" 2>/dev/null; do
	now=$(rss_kib)
	[ "$now" -gt "$peak" ] && peak=$now
	sleep 0.1
done
wait "$bpid" || si_fail "64-connection run: $(cat "$T/tmp/rss.out")"
cat "$T/tmp/rss.out" >&2
echo "RESULT rss: idle ${idle} KiB, peak ${peak} KiB with 64 concurrent 1 MiB ${mode} bodies, $(( (peak - idle) / 64 )) KiB per request"
