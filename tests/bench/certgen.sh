#!/bin/sh
# Benchmark sslinspect-certgen against Squid's security_file_certgen in one
# run, with identical Squid-shaped requests (signing CA cert + key, a
# distinct origin certificate per host): cold mints/s, cache hits/s, hit
# latency, and the ratios. Not a test: it prints figures.
#
#   tests/bench/certgen.sh [BUILDDIR]     (default: the current directory)
#
# Both helpers get the same cold requests (BENCH_COLD distinct origins,
# default 2000: Squid's helper keeps them in its -M 4MB database, evicting
# the oldest as a busy proxy's would). Hits then cycle over the last 500
# origins, which both caches hold: BENCH_HITS for ours, a tenth for the
# stock helper, which is that much slower. STOCK=path overrides Squid's
# helper.
set -eu
b=$(cd "${1:-.}" && pwd)
stock=${STOCK:-/usr/lib/squid/security_file_certgen}
cold=${BENCH_COLD:-2000}
hits=${BENCH_HITS:-30000}
shits=$((hits / 10))
make -C "$b" -s cert_helper/sslinspect-certgen tests/bench/certgen_bench >/dev/null
d=$(mktemp -d "${TMPDIR:-/tmp}/certgen-bench.XXXXXX")
trap 'rm -rf "$d"' EXIT INT TERM
"$stock" -c -s "$d/ssl_db" -M 4MB >/dev/null
ours=$("$b/tests/bench/certgen_bench" sslinspect-certgen "$cold" "$hits" -- \
    "$b/cert_helper/sslinspect-certgen" --cache-dir "$d/ours" \
    --crl-url 'http://crl.example/{ca}.crl')
theirs=$("$b/tests/bench/certgen_bench" security_file_certgen "$cold" "$shits" -- \
    "$stock" -s "$d/ssl_db" -M 4MB)
echo "$ours"
echo "$theirs"
printf '%s\n%s\n' "$ours" "$theirs" | awk '
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
	END {
		printf "ratio cold=%.1fx hits=%.1fx hit_p99: %.3f ms vs %.3f ms\n",
		    v[1, "cold_per_s"] / v[2, "cold_per_s"],
		    v[1, "hits_per_s"] / v[2, "hits_per_s"],
		    v[1, "hit_p99_ms"], v[2, "hit_p99_ms"]
		printf "ratio by helper CPU per request: cold=%.1fx hits=%.1fx\n",
		    v[2, "cold_cpu_us"] / v[1, "cold_cpu_us"],
		    v[2, "hit_cpu_us"] / v[1, "hit_cpu_us"]
	}'
