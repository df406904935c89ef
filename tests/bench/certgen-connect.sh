#!/bin/bash
# TLS connect time through Squid: bumped (leaf from sslinspect-certgen,
# served from its cache after the first connection) against spliced, for
# the same origin, in one run on loopback. Prints the medians and p90s of
# curl's time_appconnect (proxy CONNECT plus TLS handshake) and the ratio.
#
#   tests/bench/certgen-connect.sh [BUILDDIR]   (default: the current dir)
#
# BENCH_N connections per mode (default 100); SI_STOCK_CERTGEN=1 measures
# Squid's own helper instead.
set -u
top_builddir=$(cd "${1:-.}" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export top_srcdir top_builddir
. "$top_srcdir/tests/integration/lib.sh"
SI_ORIGIN_NAMES="www.origin.test bank.origin.test"
SI_NO_INSPECT=".bank.origin.test"
n=${BENCH_N:-100}

# one HOST CAFILE: the time_appconnect of one connection, in ms.
one()
{
	curl -sS -o /dev/null --max-time 20 -w '%{time_appconnect}\n' \
	    --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$2" \
	    "$(si_url /index.html "$1")" | awk '{ printf "%.3f\n", $1 * 1000 }'
}

# measure: n bumped and n spliced connections, alternating so that load
# from elsewhere on the machine hits both alike.
measure()
{
	local _
	for _ in $(seq 1 "$n"); do
		one www.origin.test "$SI_ORG_ROOT" >> "$T/bump.raw" || si_fail "bump"
		one bank.origin.test "$T/pki/web-root.pem" >> "$T/splice.raw" ||
		    si_fail "splice"
	done
	sort -n "$T/bump.raw" > "$T/bump"
	sort -n "$T/splice.raw" > "$T/splice"
}

# stats FILE: median and p90.
stats()
{
	awk '{ v[NR] = $1 } END { printf "%.2f %.2f", v[int((NR + 1) / 2)], v[int(NR * 0.9)] }' "$1"
}

si_init certgen-connect
si_start_all
one www.origin.test "$SI_ORG_ROOT" > /dev/null	# warm both paths
one bank.origin.test "$T/pki/web-root.pem" > /dev/null
measure
read -r bm b90 <<< "$(stats "$T/bump")"
read -r sm s90 <<< "$(stats "$T/splice")"
helper=sslinspect-certgen
[ -n "${SI_STOCK_CERTGEN:-}" ] && helper=security_file_certgen
printf 'connect_ms helper=%s n=%s bump_p50=%s bump_p90=%s splice_p50=%s splice_p90=%s ratio_p50=%s\n' \
    "$helper" "$n" "$bm" "$b90" "$sm" "$s90" "$(awk -v a="$bm" -v b="$sm" 'BEGIN { printf "%.2f", a / b }')"
