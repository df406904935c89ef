#!/bin/sh
# Category lookup benchmark (tests/bench/categories_bench.c): a database of
# 5 million domains, then µs per lookup for listed names, subdomains of
# listed names and unlisted names. Run from the build directory:
#   sh ../tests/bench/categories.sh [-n DOMAINS] [-l LOOKUPS]
set -eu
exec "${BENCH:-tests/bench/categories_bench}" "$@"
