#!/usr/bin/env bash
# walkthrough against Playwright (a benchmark, not a test): the six lifecycle scenarios of
# scenarios/ as one journey, once as `walkthrough run` and once as the same steps written
# with Playwright for Python (scripts/bench/playwright_lifecycle.py), each with video on
# and off. It reports the median wall time of each whole command (process start to exit,
# app and mock start included on both sides) and the ratios between them.
#
#   scripts/bench-vs-playwright.sh [ROUNDS]        (default 2)
#   STEPS=1 scripts/bench-vs-playwright.sh         also per-step medians, side by side
#   WARMUP=0 scripts/bench-vs-playwright.sh        no unmeasured warm-up run of each side
#   PLAYWRIGHT_XVFB=1 scripts/bench-vs-playwright.sh  Playwright's Chromium headed on an Xvfb
#                                                   of its own too (walkthrough's default)
#
# Each round runs the four configurations, alternating who goes first:
#   odd rounds   walkthrough on, Playwright on, walkthrough off, Playwright off
#   even rounds  Playwright on, walkthrough on, Playwright off, walkthrough off
# Every run must pass: walkthrough exits 0 with its six slots verified (video on) or
# passed but unverified for lack of video (video off); the Playwright script exits 0 only
# when every expectation held, and its .webm videos must be playable (ffprobe duration > 0).
#
# Playwright (PyPI `playwright`, pinned below) is installed into .tools/playwright-venv.
# It never downloads a browser: it drives Debian's /usr/bin/chromium, and its video
# encoder is Debian's ffmpeg, linked where Playwright looks for its own build.
set -euo pipefail
cd "$(dirname "$0")/.."

PLAYWRIGHT_VERSION=1.65.2
ROUNDS=${1:-2}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]  (a positive number)" >&2; exit 2; }
say() { printf '%s\n' "$*" >&2; }

WORK=$(mktemp -d /tmp/walkthrough-vs-playwright-XXXXXX)
CHILD=""
cleanup() {
  # Every command runs in its own process group (setsid); stop what is left of it.
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    kill -TERM -- "-$CHILD" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CHILD" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools ------------------------------------------------------------------------------
say "building walkthrough (release)"
cargo build --release --quiet --bin walkthrough
BIN=$PWD/target/release/walkthrough

VENV=$PWD/.tools/playwright-venv
PY=$VENV/bin/python
if ! "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('playwright') != '$PLAYWRIGHT_VERSION')" 2>/dev/null; then
  say "installing playwright==$PLAYWRIGHT_VERSION into .tools/playwright-venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "playwright==$PLAYWRIGHT_VERSION"
fi
# Playwright records video with its own ffmpeg build, found at
# $PLAYWRIGHT_BROWSERS_PATH/ffmpeg-<revision>/ffmpeg-linux; the revision is in its browsers.json.
export PLAYWRIGHT_BROWSERS_PATH=$PWD/.tools/playwright-browsers
FFMPEG_REV=$("$PY" -c '
import json, pathlib, playwright
doc = json.loads((pathlib.Path(playwright.__file__).parent / "driver/package/browsers.json").read_text())
print(next(b["revision"] for b in doc["browsers"] if b["name"] == "ffmpeg"))')
mkdir -p "$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-$FFMPEG_REV"
ln -sfn "$(command -v ffmpeg)" "$PLAYWRIGHT_BROWSERS_PATH/ffmpeg-$FFMPEG_REV/ffmpeg-linux"

# --- one run ----------------------------------------------------------------------------
# run SIDE VIDEO NAME: runs one command in its own process group, checks that it passed,
# and appends "SIDE VIDEO WALL_S LOAD1 NAME START_EPOCH" to $WORK/runs.
run() {
  local side=$1 video=$2 name=$3 out="$WORK/$3" code=0 start end load
  local -a cmd
  if [ "$side" = walkthrough ]; then
    cmd=("$BIN" run --quiet --out "$out" --video "$video")
  else
    cmd=("$PY" scripts/bench/playwright_lifecycle.py --walkthrough "$BIN" --out "$out" --video "$video")
    if [ "${PLAYWRIGHT_XVFB:-0}" = 1 ]; then cmd+=(--xvfb); fi
  fi
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  setsid "${cmd[@]}" >"$out.stdout" 2>"$out.stderr" &
  CHILD=$!
  wait "$CHILD" || code=$?
  end=$(date +%s.%N)
  CHILD=""
  if [ "$code" != 0 ]; then
    say "$name: $side --video $video failed with exit code $code"; tail -n 30 "$out.stderr" >&2; exit 1
  fi
  check_"$side" "$video" "$out" || { say "$name: $side --video $video did not pass its checks"; exit 1; }
  local wall
  wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
  echo "$side $video $wall $load $name $start" >> "$WORK/runs"
  say "$(printf '%-18s %-12s video %-3s  %7.2f s   (load before %s)' "$name" "$side" "$video" "$wall" "$load")"
}

check_walkthrough() { # VIDEO OUT: six slots, verified with video, passed-but-unverified without
  python3 - "$1" "$2/report.json" <<'PY'
import json, sys
video, report = sys.argv[1], json.load(open(sys.argv[2]))
slots = report["slots"]
want = "verified" if video == "on" else "unverified"
bad = [f"{s['id']}: {s['status']}" for s in slots if s["status"] != want]
# The sandbox canary of Polar's pages (no slot) is not runnable on the mock; all else passes.
ok = lambda sc: sc["status"] == "passed" or (sc["status"] == "not_runnable" and not sc.get("slot"))
bad += [f"{sc['name']}: {sc['status']}" for sc in report["scenarios"] if not ok(sc)]
if len(slots) != 6 or bad:
    sys.exit(f"expected six {want} slots and every scenario passed: {bad}")
PY
}

check_playwright() { # VIDEO OUT: 23 passed steps; with video, every .webm plays (duration > 0)
  python3 - "$1" "$2" <<'PY'
import json, pathlib, subprocess, sys
video, out = sys.argv[1], pathlib.Path(sys.argv[2])
steps = json.loads((out / "steps.json").read_text())["steps"]
if len(steps) != 23 or any(s["error"] for s in steps):
    sys.exit("expected 23 passed steps")
webms = sorted((out / "video").glob("*.webm"))
if video == "on":
    if not webms:
        sys.exit("no .webm video was recorded")
    for w in webms:
        d = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(w)],
                           capture_output=True, text=True).stdout.strip()
        if not d or d == "N/A" or float(d) <= 0:
            sys.exit(f"{w.name}: not a playable video (duration {d!r})")
elif webms:
    sys.exit("video off, yet a video was recorded")
PY
}

# --- the runs ---------------------------------------------------------------------------
if [ "${WARMUP:-1}" != 0 ]; then
  say "warm-up (not measured)"
  run walkthrough off warmup-w && run playwright off warmup-p
  : > "$WORK/runs"
fi
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then order="walkthrough playwright"; else order="playwright walkthrough"; fi
  for video in on off; do
    for side in $order; do run "$side" "$video" "r$r-$side-$video"; done
  done
done

# --- the table --------------------------------------------------------------------------
WALKTHROUGH_VERSION=$("$BIN" --version)
CHROMIUM_VERSION=$(/usr/bin/chromium --version 2>/dev/null)
CHROMEDRIVER_VERSION=$(chromedriver --version | cut -d' ' -f1-2)
FFMPEG_VERSION=$(ffmpeg -version | head -1 | cut -d' ' -f1-3)
PYTHON_VERSION=$("$PY" --version)
export WALKTHROUGH_VERSION CHROMIUM_VERSION CHROMEDRIVER_VERSION FFMPEG_VERSION PYTHON_VERSION PLAYWRIGHT_VERSION
python3 - "$WORK" "$ROUNDS" "${STEPS:-0}" <<'PY'
import json, os, pathlib, re, statistics, sys
work, rounds, per_step = pathlib.Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
runs = [l.split() for l in (work / "runs").read_text().splitlines()]
def walls(side, video):
    return [float(r[2]) for r in runs if r[0] == side and r[1] == video]
med = {(s, v): statistics.median(walls(s, v)) for s in ("walkthrough", "playwright") for v in ("on", "off")}
loads = sorted(float(r[3]) for r in runs)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
e = os.environ

print()
print(f"Six lifecycle scenarios as one journey, Chromium at 1280x800 (walkthrough: on its own Xvfb when installed, else headless; Playwright: {'headed on its own Xvfb' if os.environ.get('PLAYWRIGHT_XVFB') == '1' else 'headless'}), {rounds} round(s), medians of whole-command wall time:")
print()
print("| configuration | median wall time | runs |")
print("|---|---|---|")
for side, label in (("walkthrough", "walkthrough run"), ("playwright", "Playwright for Python")):
    for video in ("on", "off"):
        each = " / ".join(f"{w:.2f}" for w in walls(side, video))
        print(f"| {label}, video {video} | {med[side, video]:.2f} s | {each} |")
print()
print("| ratio | value |")
print("|---|---|")
print(f"| walkthrough / Playwright, video on | {med['walkthrough', 'on'] / med['playwright', 'on']:.2f} |")
print(f"| walkthrough / Playwright, video off | {med['walkthrough', 'off'] / med['playwright', 'off']:.2f} |")
print(f"| walkthrough video on / off | {med['walkthrough', 'on'] / med['walkthrough', 'off']:.2f} |")
print(f"| Playwright video on / off | {med['playwright', 'on'] / med['playwright', 'off']:.2f} |")
print()
print(f"Machine: {os.cpu_count()} cores, {cpu}; load average (1 min) before the runs: "
      f"min {loads[0]:.2f}, median {statistics.median(loads):.2f}, max {loads[-1]:.2f}.")
print(f"Tools: {e['WALKTHROUGH_VERSION']}; Playwright {e['PLAYWRIGHT_VERSION']} ({e['PYTHON_VERSION']}); "
      f"{e['CHROMIUM_VERSION']}; {e['CHROMEDRIVER_VERSION']}; {e['FFMPEG_VERSION']}.")

if per_step:
    # Per-step medians over the rounds (walkthrough's report.json, the script's steps.json),
    # then where the rest of the wall time goes: before the first step, between steps of a
    # scenario, between scenarios, after the last step.
    from datetime import datetime
    start_of = {r[4]: float(r[5]) for r in runs}
    def epoch(text):  # RFC 3339 in UTC with up to nanoseconds, e.g. 2026-01-01T09:00:00.123456789Z
        day, frac = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z", text).groups()
        return datetime.fromisoformat(f"{day}.{(frac or '')[:6].ljust(6, '0')}+00:00").timestamp()
    def steps_of(side, run):
        if side == "walkthrough":
            rep = json.loads((work / run / "report.json").read_text())
            return [(sc["name"], st["name"], epoch(st["started_at"]), st["duration_ms"]) for sc in rep["scenarios"] for st in sc["steps"]]
        return [(s["scenario"], s["name"], s["started_at"], s["duration_ms"])
                for s in json.loads((work / run / "steps.json").read_text())["steps"]]
    def phases(side, run):
        steps, t0 = steps_of(side, run), start_of[run]
        t_end = t0 + next(float(r[2]) for r in runs if r[4] == run)
        within = between = 0.0
        for a, b in zip(steps, steps[1:]):
            gap = b[2] - (a[2] + a[3] / 1000)
            if a[0] == b[0]:
                within += gap
            else:
                between += gap
        last = steps[-1]
        return [steps[0][2] - t0, sum(s[3] for s in steps) / 1000, within, between, t_end - (last[2] + last[3] / 1000)]
    for video in ("on", "off"):
        names = {side: [f"r{r}-{side}-{video}" for r in range(1, rounds + 1)] for side in ("walkthrough", "playwright")}
        wt = [steps_of("walkthrough", n) for n in names["walkthrough"]]
        pw = [steps_of("playwright", n) for n in names["playwright"]]
        print()
        print(f"Per step, video {video} (median ms over the rounds):")
        print()
        print("| # | step | walkthrough | Playwright |")
        print("|---|---|---|---|")
        for i, step in enumerate(wt[0]):
            w = statistics.median(run[i][3] for run in wt)
            p = statistics.median(run[i][3] for run in pw)
            print(f"| {i + 1} | {step[1]} | {w:.0f} | {p:.0f} |")
        print()
        print(f"Where the wall time goes, video {video} (median s over the rounds):")
        print()
        print("| phase | walkthrough | Playwright |")
        print("|---|---|---|")
        ph = {side: [phases(side, n) for n in names[side]] for side in names}
        for i, label in enumerate(("process start to the first step (app, mock, browser)", "the 23 steps",
                                   "between steps of a scenario", "between scenarios", "last step to process exit")):
            w = statistics.median(p[i] for p in ph["walkthrough"])
            p = statistics.median(p[i] for p in ph["playwright"])
            print(f"| {label} | {w:.2f} | {p:.2f} |")
PY
