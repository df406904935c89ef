#!/bin/sh
# Upload parser throughput per core (see tests/bench/parsers_bench.c):
# pinned to one CPU, three runs, so host noise shows as a range. Run from
# the build directory: sh ../tests/bench/parsers.sh [parsers_bench options]
set -e
bench=${BENCH:-tests/bench/parsers_bench}
cpu=$(($(nproc) - 1))
for i in 1 2 3; do
	echo "== run $i (cpu $cpu)"
	taskset -c "$cpu" "$bench" "$@"
done
