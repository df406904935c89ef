#!/bin/bash
# Faults under load, on loopback, bounded in time. The stack of run.sh
# (Squid with workers 2, sslinspect-certgen, c-icap + srv_sslinspect, nginx
# and http.server origins) carries tests/load/loadclient's mixed transfers
# (clean downloads and uploads checked by SHA-256, infected ones that must
# be blocked) while one fault at a time is injected:
#
#   none         nothing: the baseline
#   certgen      kill -9 of one sslinspect-certgen process
#   cicap-child  kill -9 of one c-icap child
#   cicap-all    kill -9 of every c-icap process, then c-icap started again
#   cicap-stop   c-icap stopped by its command socket, then started again
#   lmdb         the helper's LMDB cache truncated, then replaced by junk
#   tmpdir       c-icap's TmpDir (a tmpfs here, 12 MiB per transfer) filled
#                for 5 s
#   origin-reset the origin cuts responses off mid-body (Content-Length
#                announced larger than what is sent)
#   client-gone  clients that vanish mid-upload (20 MB at 1 MB/s, 2 s)
#
# With FAULT_FRONT=ecap the service runs in Squid instead (the eCAP front
# end, sslinspect_ecap.so, through the shipped snippet; no c-icap), and the
# faults are those that apply to it:
#
#   none, certgen, origin-reset, client-gone   as above
#   squid-worker  kill -9 of one Squid worker (the front end runs in it;
#                Squid's master starts it again)
#   lmdb         the helpers' LMDB cache and the front end's verdict cache
#                truncated, then replaced by junk
#   tmpdir       the front end's TmpDir (a tmpfs) filled for 5 s
#
# For each: what the clients saw (loadclient's counts: a "digest" error is a
# body altered or cut short yet delivered as complete, a "breach" an
# infected transfer delivered; both must stay 0, while "transfer" and
# "status" errors are visible failures), and how long until a probe (a
# clean download and an EICAR download, the latter blocked) works again.
# At the end nothing may be left behind: temp files, zombies, stale LMDB
# readers, missing helpers or Squid workers. One table line per fault on
# stdout.
#
#   tests/load/faults.sh [BUILDDIR]   (default: the current directory)
#
# FAULT_SECS of load per fault (default 20), FAULT_CONC concurrent
# transfers (default 40), FAULT_TMPFS_MB the TmpDir's size (default 12 MiB
# per transfer; smaller keeps it full all along). FAULTS the faults to run,
# FAULT_FRONT icap (the default) or ecap.
# Needs root (the tmpfs for TmpDir).
set -u
top_builddir=$(cd "${1:-.}" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
secs=${FAULT_SECS:-20}
conc=${FAULT_CONC:-40}
client=$top_builddir/tests/load/loadclient
[ -x "$client" ] || { echo "faults: build $client first (make check)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "faults: run as root (a tmpfs is mounted)" >&2; exit 2; }
# shellcheck disable=SC2016 # the EICAR string, literally
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# shellcheck disable=SC2034 # read by lib.sh
SI_ORIGIN_NAMES="www.origin.test n1.origin.test n2.origin.test n3.origin.test"
SI_SQUID_WORKERS=2
front=${FAULT_FRONT:-icap}
case $front in
icap)
	# Every child from the start, and Max-Connections at half the
	# threads less one child's (tests/load/run.sh says why).
	SI_CICAP_EXTRA="sslinspect.MaxConnections $((conc + 10))
StartServers 4
MaxServers 4
ThreadsPerChild $(((2 * (conc + 10) + 2) / 3))
sslinspect.AuditLog off"
	spool=icap-tmp
	faults="none certgen cicap-child cicap-all cicap-stop lmdb tmpdir origin-reset client-gone" ;;
ecap)
	# shellcheck disable=SC2034 # read by lib.sh
	SI_ECAP=1
	# shellcheck disable=SC2034 # read by lib.sh
	SI_CICAP_EXTRA="sslinspect.AuditLog off"
	spool=ecap-tmp
	faults="none certgen squid-worker lmdb tmpdir origin-reset client-gone" ;;
*)
	echo "faults: FAULT_FRONT is icap or ecap, not $front" >&2
	exit 2 ;;
esac

make_files()
{
	local s f sha up
	up=$(printf 'received\n' | sha256sum | cut -d' ' -f1)
	: > "$T/manifest"
	for s in 1K 64K 1M 4M; do
		f=$T/www/d$s.bin
		head -c "$s" /dev/urandom > "$f"
		sha=$(sha256sum < "$f" | cut -d' ' -f1)
		head -c "$s" /dev/urandom > "$T/tmp/u$s.bin"
		echo "GET /d$s.bin 200 $sha" >> "$T/manifest"
		echo "POST https://www.origin.test:$PYORIGIN_PORT/upload 200 $up $T/tmp/u$s.bin" \
		    >> "$T/manifest"
	done
	printf '%s' "$EICAR" > "$T/www/eicar.txt"
	{ printf '%s' "$EICAR"; head -c 1M /dev/urandom; } > "$T/www/eicar1m.bin"
	head -c 20M /dev/urandom > "$T/tmp/u20M.bin"
	head -c 4M /dev/urandom > "$T/www/lie.bin"
	chmod a+r "$T/www/"*
	echo "GET /eicar.txt 403 -" >> "$T/manifest"
	echo "GET /eicar1m.bin 403 -" >> "$T/manifest"
	# Responses cut off by the origin: every one must fail visibly.
	echo "GET https://www.origin.test:$PYORIGIN_PORT/lie.bin?lie=8000000 200 -" \
	    > "$T/manifest.reset"
}

# load MANIFEST OUT: loadclient in the background; LOAD_PID.
load()
{
	"$client" -x "http://127.0.0.1:$PROXY_PORT" -C "$SI_ORG_ROOT" \
	    -u "https://www.origin.test:$ORIGIN_PORT" \
	    -r "www.origin.test:$ORIGIN_PORT:127.0.0.1" \
	    -r "www.origin.test:$PYORIGIN_PORT:127.0.0.1" \
	    -m "$1" -c "$conc" -t "$secs" > "$2" 2> "$2.err" &
	LOAD_PID=$!
}

# probe: 0 when a clean download arrives whole and EICAR gets the page.
probe()
{
	local a b
	a=$(si_curl --max-time 5 -s "$(si_url /d64K.bin)" | sha256sum | cut -d' ' -f1)
	b=$(si_curl --max-time 5 -s -o /dev/null -w '%{http_code}' "$(si_url /eicar.txt)")
	[ "$a" = "$(sha256sum < "$T/www/d64K.bin" | cut -d' ' -f1)" ] && [ "$b" = 403 ]
}

# recovery: seconds (0.1 s steps) until probe works, at most 120.
recovery()
{
	local t0 t
	t0=$(date +%s.%N)
	for _ in $(seq 1 600); do
		if probe; then
			t=$(date +%s.%N)
			awk -v a="$t0" -v b="$t" 'BEGIN { printf "%.1f", b - a }'
			return 0
		fi
		sleep 0.1
	done
	echo "never"
}

pick() { pgrep -x "$1" | shuf -n 1; }

# squid_worker: the pids of this Squid's workers (not its coordinator).
squid_worker() { pgrep -P "$(cat "$T/squid-run/squid.pid")" -f '^[(]squid-[0-9]+[)]'; }

cicap_restart()
{
	for _ in $(seq 1 100); do
		pgrep -x c-icap > /dev/null || break
		sleep 0.1
	done
	si_cicap_try || si_fail "c-icap did not start again"
}

# inject FAULT: the fault itself (the load runs meanwhile).
inject()
{
	case $1 in
	none) ;;
	certgen) kill -9 "$(pick sslinspect-cert)" ;;
	cicap-child)
		kill -9 "$(pgrep -x c-icap -P "$(cat "$T/icap-run/c-icap.pid")" | shuf -n 1)" ;;
	cicap-all) pkill -9 -x c-icap; cicap_restart ;;
	cicap-stop) si_icap_ctl stop; cicap_restart ;;
	squid-worker) kill -9 "$(squid_worker | shuf -n 1)" ;;
	lmdb)
		for db in "$T/certgen/cache.mdb" "$verdicts"; do
			[ -f "$db" ] || continue
			truncate -s 0 "$db"
			head -c 1M /dev/urandom > "$db.junk" && mv "$db.junk" "$db"
		done
		# New names make the helpers look up (and rebuild) the file.
		for h in n1 n2 n3; do
			si_served_cert "$h.origin.test" > /dev/null
		done ;;
	tmpdir)
		fallocate -l "${tmpfs_mb}M" "$T/$spool/filler" 2>/dev/null ||
		    head -c "${tmpfs_mb}M" /dev/zero > "$T/$spool/filler" 2>/dev/null
		sleep 5
		rm -f "$T/$spool/filler" ;;
	origin-reset) load "$T/manifest.reset" "$T/log/reset.out"; RESET_PID=$LOAD_PID ;;
	client-gone)
		for _ in $(seq 1 10); do
			si_curl -s -o /dev/null --limit-rate 1M --max-time 2 \
			    --data-binary @"$T/tmp/u20M.bin" \
			    "https://www.origin.test:$PYORIGIN_PORT/upload" &
		done
		wait_some ;;
	esac
}

# wait_some: the background uploads of client-gone (not the load).
wait_some() { sleep 3; }

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" "$2"; }

# one FAULT: a bounded load with FAULT injected after 5 s; one table line.
one()
{
	local f=$1 out=$T/log/load-$1.out rec n st dg tr br tmp extra="" died
	RESET_PID=""
	died=$(squid_worker | sort)
	load "$T/manifest" "$out"
	sleep 5
	inject "$f"
	rec=$(recovery)
	wait "$LOAD_PID"
	if [ -n "$RESET_PID" ]; then
		wait "$RESET_PID"
		extra=" reset-run: $(field transfers "$T/log/reset.out") cut off,"
		extra="$extra digest=$(field errors_digest "$T/log/reset.out")"
		extra="$extra transfer=$(field errors_transfer "$T/log/reset.out")"
		extra="$extra status=$(field errors_status "$T/log/reset.out")"
		[ "$(field errors_digest "$T/log/reset.out")" = 0 ] ||
		    BAD="$BAD $f(cut-off body delivered as complete)"
		# Seen as failed: cut short (Squid 5.7 had sent the headers),
		# or an error status (6.13 answers 502 when the origin ends
		# early while the body is still held).
		[ "$(field transfers "$T/log/reset.out")" = \
		    "$(( $(field errors_transfer "$T/log/reset.out") + \
		    $(field errors_status "$T/log/reset.out") ))" ] ||
		    BAD="$BAD $f(a cut-off response not seen as failed)"
	fi
	n=$(field transfers "$out")
	st=$(field errors_status "$out")
	dg=$(field errors_digest "$out")
	tr=$(field errors_transfer "$out")
	br=$(field errors_breach "$out")
	# Requests sent again after their reused connection closed before
	# any answer (as browsers do): not failures, but shown.
	[ "$(field retries "$out")" = 0 ] ||
	    extra="$extra sent again: $(field retries "$out")"
	sleep 2
	tmp=$(temp_files)
	# A Squid worker gone that the fault did not kill (the front end
	# runs in it): every transfer it carried was lost.
	died=$(squid_worker | sort | comm -23 <(echo "$died") - | wc -l)
	[ "$died" = 0 ] || extra="$extra Squid workers died: $died"
	[ "$f" = squid-worker ] && died=$((died - 1))
	[ "$died" = 0 ] || BAD="$BAD $f(a Squid worker died)"
	printf '| %-12s | %6s | %6s | %6s | %6s | %6s | %8s | %4s |%s\n' \
	    "$f" "$n" "$st" "$tr" "$dg" "$br" "$rec" "$tmp" "$extra"
	# What the failures were, most frequent first (stderr).
	sed 's/^loadclient: //; s/, status .*//' "$out.err" | sort | uniq -c |
	    sort -rn | head -n 4 | sed "s/^/    $f: /" >&2
	[ "$dg" = 0 ] && [ "$br" = 0 ] || BAD="$BAD $f(digest=$dg breach=$br)"
	[ "$rec" != never ] || BAD="$BAD $f(never recovered)"
}

# temp_files: spool files in TmpDir (the verdict cache is no spool). The
# front end's are unlinked at once, so only a name left behind counts.
temp_files() { find "$T/$spool" -path "${verdicts%/*}" -prune -o -type f -print | wc -l; }

# stale_readers DB: LMDB reader slots of processes that are gone.
stale_readers()
{
	[ -f "$1" ] || { echo 0; return; }
	mdb_stat -n -r "$1" 2>/dev/null |
	    awk '/^ *[0-9]+ +[0-9a-f]+ +[0-9-]+$/ { print $1 }' |
	    while read -r pid; do kill -0 "$pid" 2>/dev/null || echo "$pid"; done | wc -l
}

# leftovers: what a fault may leave behind, once the load is over.
leftovers()
{
	local tmp zomb readers helpers locks workers
	sleep 3
	tmp=$(temp_files)
	zomb=$(ps -eo stat=,comm= | awk '$1 ~ /^Z/ && ($2 ~ /c-icap|squid|sslinspect/)' | wc -l)
	readers=$(( $(stale_readers "$T/certgen/cache.mdb") + $(stale_readers "$verdicts") ))
	helpers=$(pgrep -x sslinspect-cert | wc -l)
	workers=$(squid_worker | wc -l)
	# c-icap's own lock files (its file_proc_mutex_init: always
	# /tmp/icap_lock_*, one per lock) stay after a kill -9 of the whole
	# c-icap: empty, and unused once it restarts; counted, not failed.
	find /proc/[0-9]*/fd -lname '/tmp/icap_lock_*' -printf '%l\n' 2>/dev/null |
	    sort -u > "$T/locks.held"
	locks=$(find /tmp -maxdepth 1 -name 'icap_lock_*' -newer "$T/faults.start" |
	    sort | comm -23 - "$T/locks.held" | wc -l)
	echo "left behind: temp files=$tmp zombies=$zomb stale LMDB readers=$readers certgen helpers=$helpers Squid workers=$workers c-icap lock files=$locks"
	[ "$tmp" = 0 ] || BAD="$BAD temp-files"
	[ "$zomb" = 0 ] || BAD="$BAD zombies"
	[ "$readers" = 0 ] || BAD="$BAD stale-readers"
	[ "$helpers" -ge 1 ] || BAD="$BAD no-helpers"
	[ "$workers" = "$SI_SQUID_WORKERS" ] || BAD="$BAD squid-workers"
}

si_init faults
touch "$T/faults.start"
# Room for every transfer's spool (4 MiB bodies, both ways) with margin:
# only the tmpdir fault may fill it.
tmpfs_mb=${FAULT_TMPFS_MB:-$((conc * 12 > 256 ? conc * 12 : 256))}
si_tmpfs "$T/$spool" "$tmpfs_mb"
verdicts=$T/$spool/sslinspect-verdicts/cache.mdb
si_start_all
si_pyorigin_start
make_files
BAD=""
echo "load: $conc concurrent transfers, $secs s per fault, inspected by $front"
echo "| fault        | xfers  | status | transf | digest | breach | recovery | tmp  |"
echo "|---|---|---|---|---|---|---|---|"
for f in ${FAULTS:-$faults}; do
	one "$f"
done
leftovers
[ -z "$BAD" ] || si_fail "faults:$BAD"
echo "faults: passed"
