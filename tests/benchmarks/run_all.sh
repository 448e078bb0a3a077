#!/usr/bin/env bash
# Run the benchmarks in turn from the repository root. Each prints its figures and
# PASS/MISS and exits 0 either way; this script exits non-zero if any of them errored.
# Usage: tests/benchmarks/run_all.sh   (PYTHON=... to pick the interpreter)
set -u
cd "$(dirname "$0")/../.." || exit 2
python="${PYTHON:-python}"
status=0
for bench in bench_send bench_auth bench_load bench_startup bench_tui_startup bench_tui_body bench_endpoints bench_stream bench_jsonpath; do
    echo "== $bench"
    if ! "$python" "tests/benchmarks/$bench.py"; then
        echo "== $bench ERRORED" >&2
        status=1
    fi
    echo
done
exit "$status"
