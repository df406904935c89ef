#!/bin/bash
# Downloads through the inspecting proxy against the same proxy without
# inspection, in one run on loopback: one origin (nginx), c-icap with
# srv_sslinspect, and two Squids that differ only in the ICAP snippet
# (both bump with sslinspect-certgen). Prints, as key=value lines:
#
#   clean:    MB/s of a clean 100 MB download, median of BENCH_N each,
#             bump alone and bump + inspection alternating, and the ratio;
#   infected: seconds until the client has the block page for 20 MB and
#             200 MB files with EICAR at their end. Where Squid cannot
#             wait for a held download (before 6.13) that is the cut-off
#             first try plus the retry the verdict cache answers.
#
#   tests/bench/downloads.sh [BUILDDIR]   (default: the current dir)
#
# BENCH_N rounds (default 5); BENCH_MB the clean size (default 100).
set -u
top_builddir=$(cd "${1:-.}" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
n=${BENCH_N:-5}
mb=${BENCH_MB:-100}
# shellcheck disable=SC2016 # the EICAR string, literally
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# get PORT PATH: curl's total time of one download, in seconds; exit
# status and HTTP code on the second line.
get()
{
	local rc=0 w
	w=$(curl -sS -o "$T/tmp/got" --max-time 300 --proxy "http://127.0.0.1:$1" \
	    --cacert "$SI_ORG_ROOT" -w '%{time_total} %{http_code}' "$(si_url "$2")" \
	    2>/dev/null) || rc=$?
	echo "$w $rc"
}

median()
{
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

si_init bench-downloads
si_start_all
si_plain_squid_start
head -c "${mb}M" /dev/urandom > "$T/www/clean.bin"
for s in 20 200; do
	{ head -c "${s}M" /dev/urandom; printf '%s' "$EICAR"; } > "$T/www/eicar$s.bin"
done
chmod a+r "$T/www/"*
get "$PLAIN_PORT" /clean.bin > /dev/null	# warm both paths
get "$PROXY_PORT" /clean.bin > /dev/null
cmp -s "$T/tmp/got" "$T/www/clean.bin" || si_fail "the inspected download differs"

: > "$T/plain.t"
: > "$T/inspect.t"
for _ in $(seq 1 "$n"); do
	read -r t code rc <<< "$(get "$PLAIN_PORT" /clean.bin)"
	[ "$rc$code" = 0200 ] || si_fail "plain download: curl $rc, status $code"
	echo "$t" >> "$T/plain.t"
	read -r t code rc <<< "$(get "$PROXY_PORT" /clean.bin)"
	[ "$rc$code" = 0200 ] || si_fail "inspected download: curl $rc, status $code"
	echo "$t" >> "$T/inspect.t"
done
pt=$(median < "$T/plain.t")
it=$(median < "$T/inspect.t")
printf 'clean_mb=%s rounds=%s squid=%s bump_mbps=%.1f inspect_mbps=%.1f ratio=%.2f\n' \
    "$mb" "$n" "$(si_squid_version)" "$(awk -v m="$mb" -v t="$pt" 'BEGIN { print m * 1.048576 / t }')" \
    "$(awk -v m="$mb" -v t="$it" 'BEGIN { print m * 1.048576 / t }')" \
    "$(awk -v a="$pt" -v b="$it" 'BEGIN { print a / b }')"

for s in 20 200; do
	read -r t code rc <<< "$(get "$PROXY_PORT" "/eicar$s.bin")"
	how=page
	if [ "$code" != 403 ]; then
		# Cut off (Squid before 6.13): the retry gets the page.
		[ "$rc" != 0 ] || si_fail "infected $s MB delivered whole"
		read -r t2 code rc <<< "$(get "$PROXY_PORT" "/eicar$s.bin")"
		t=$(awk -v a="$t" -v b="$t2" 'BEGIN { print a + b }')
		how=cut+retry
	fi
	[ "$code" = 403 ] || si_fail "infected $s MB: no block page (status $code)"
	printf 'infected_mb=%s to_page_s=%.2f how=%s\n' "$s" "$t" "$how"
done
