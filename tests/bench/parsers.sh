#!/bin/sh
# Upload parser throughput per core (see tests/bench/parsers_bench.c),
# pinned and run three times as engines.sh does. Run from the build
# directory: sh ../tests/bench/parsers.sh [parsers_bench options]
BENCH=${BENCH:-tests/bench/parsers_bench} exec sh "$(dirname "$0")/engines.sh" "$@"
