#!/usr/bin/env bash
# Runs the default walkthrough N times in a row (default 10) and reports how many runs
# passed with all six slots verified, and the median wall time.
# Usage: scripts/repeat-walkthrough.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --quiet --bin walkthrough
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  code=0
  ./target/debug/walkthrough run --quiet --out "$work/run$i" >/dev/null 2>"$work/run$i.err" || code=$?
  end=$(date +%s.%N)
  wall=$(python3 -c "print(round($end - $start, 2))")
  verified=$(python3 -c "import json;r=json.load(open('$work/run$i/report.json'));print(sum(s['status']=='verified' for s in r['slots']))" 2>/dev/null || echo 0)
  if [ "$code" = 0 ] && [ "$verified" = 6 ]; then pass=$((pass + 1)); fi
  times+=("$wall")
  echo "run $i: exit $code, $verified/6 slots verified, ${wall} s (load $(cut -d' ' -f1 /proc/loadavg))"
done
median=$(printf '%s\n' "${times[@]}" | python3 -c "import sys,statistics;print(statistics.median(float(l) for l in sys.stdin))")
echo "passed $pass/$runs; median wall time ${median} s"
