#!/usr/bin/env bash
# Video overhead benchmark (not a test). Two modes:
#
#   scripts/bench-video.sh [ROUNDS]                 (default 2)
#     The default walkthrough (scenarios/, the six lifecycle slots as one journey on the
#     embedded demo app and mock Polar) with --video on and --video off, alternated
#     (odd rounds on first, even rounds off first), release build. Reports the median
#     wall time of each and the ratio on/off, the sum of step times, the time between the
#     last step of each scenario and the first of the next (and from the last step to the
#     exit), and the CPU spent in ffmpeg/ffprobe.
#
#   scripts/bench-video.sh --anim [ROUNDS] [SCENARIO]   (defaults: 2, fixtures/bench/anim.yaml)
#     The same walkthrough on a continuously animated fixture page (--app fixtures), off
#     then on, ROUNDS times: the wall-time ratio, the effective frame rate on moving
#     content, the CPU spent in ffmpeg/ffprobe and the bytes per minute of video.
#     Targets (2 cores, 1280x800): overhead <= 15 %, >= 15 fps, <= 3 MB/min.
#     Debug build, as for the figures published in the README.
#   CODECS=1 scripts/bench-video.sh --anim          also compares encoders on the recorded video
#   WALKTHROUGH_BIN=path scripts/bench-video.sh     measures that binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=scenarios
if [ "${1:-}" = --anim ]; then MODE=anim; shift; fi
ROUNDS=${1:-2}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [--anim] [ROUNDS] [SCENARIO]" >&2; exit 2; }
SCENARIO=${2:-fixtures/bench/anim.yaml}
if [ -n "${WALKTHROUGH_BIN:-}" ]; then
  BIN=$WALKTHROUGH_BIN                     # another build, e.g. to compare two commits
elif [ "$MODE" = anim ]; then
  cargo build --quiet
  BIN=$PWD/target/debug/walkthrough
else
  cargo build --release --quiet --bin walkthrough
  BIN=$PWD/target/release/walkthrough
fi
WORK=$(mktemp -d /tmp/walkthrough-bench-XXXXXX)
CHILD=""
cleanup() {
  # A run is in its own process group (setsid); walkthrough stops its browser on SIGTERM.
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

# ffmpeg/ffprobe shims that add each call's CPU time (user+sys of the tool) to a log.
mkdir -p "$WORK/bin"
for tool in ffmpeg ffprobe; do
  real=$(command -v "$tool")
  cat > "$WORK/bin/$tool" <<SHIM
#!/usr/bin/env bash
exec /usr/bin/time -a -o "$WORK/cpu.log" -f "$tool %U %S" "$real" "\$@"
SHIM
  chmod +x "$WORK/bin/$tool"
done

# The CPU of a session's processes (walkthrough, driver, browser; ffmpeg/ffprobe left to
# the shims), sampled from /proc every 0.1 s until the session leader exits. Sampling rather
# than wait(2) rusage: a browser the run kills at the end is never reaped by the run's tree,
# so /usr/bin/time alone would not see its CPU.
cat > "$WORK/session-cpu.py" <<'PY'
import os, sys, time
sid, out = int(sys.argv[1]), sys.argv[2]
tick, seen = os.sysconf("SC_CLK_TCK"), {}
while True:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        comm, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and comm not in ("ffmpeg", "ffprobe", "time"):
            seen[pid] = max(seen.get(pid, 0), int(fields[11]) + int(fields[12]))
    if not os.path.exists(f"/proc/{sid}"):
        break
    time.sleep(0.1)
open(out, "w").write(f"{sum(seen.values()) / tick:.2f}\n")
PY

# run VIDEO NAME [RUN ARGS...]: one `walkthrough run` in its own session, timed.
# Writes "wall_s cpu_s steps_ms load1 exit_epoch" to $WORK/NAME.result (cpu: walkthrough,
# driver and browser, ffmpeg included) and the ffmpeg/ffprobe CPU log to $WORK/NAME.cpu.
run() {
  local video=$1 name=$2 out="$WORK/$2" code=0 start end load steps
  shift 2
  : > "$WORK/cpu.log"
  load=$(cut -d' ' -f1 /proc/loadavg)
  start=$(date +%s.%N)
  PATH="$WORK/bin:$PATH" setsid /usr/bin/time -f "%U %S" -o "$out.time" \
    "$BIN" run "$@" --out "$out" --quiet --video "$video" >/dev/null 2>"$out.log" &
  CHILD=$!
  python3 "$WORK/session-cpu.py" "$CHILD" "$out.session-cpu" &
  wait "$CHILD" || code=$?
  wait $! || true
  end=$(date +%s.%N)
  CHILD=""
  if [ "$code" != 0 ]; then
    echo "$name: walkthrough run --video $video failed (exit $code), its log:" >&2; cat "$out.log" >&2; exit 1
  fi
  cp "$WORK/cpu.log" "$out.cpu"
  steps=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(s['duration_ms'] for sc in r['scenarios'] for s in sc['steps']))" "$out/report.json")
  local ff
  ff=$(awk 'NF == 3 { s += $2 + $3 } END { printf "%.2f", s }' "$out.cpu")
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }') $(awk -v f="$ff" '{ printf "%.2f", $1 + f }' "$out.session-cpu") $steps $load $end" > "$out.result"
}

if [ "$MODE" = scenarios ]; then
  for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="on off"; else order="off on"; fi
    for video in $order; do
      run "$video" "$video-$r"
      # Every run must pass: six slots, verified with video, passed but unverified without.
      python3 - "$video" "$WORK/$video-$r/report.json" <<'PY' || { echo "$video-$r did not pass" >&2; exit 1; }
import json, sys
video, report = sys.argv[1], json.load(open(sys.argv[2]))
want = "verified" if video == "on" else "unverified"
bad = [f"{s['id']}: {s['status']}" for s in report["slots"] if s["status"] != want]
if len(report["slots"]) != 6 or bad:
    sys.exit(f"expected six {want} slots: {bad}")
PY
    done
    echo "round $r ($order): [wall s, cpu s, steps ms, load before] off $(cut -d' ' -f1-4 "$WORK/off-$r.result") | on $(cut -d' ' -f1-4 "$WORK/on-$r.result")" >&2
  done
  BIN_VERSION=$("$BIN" --version) CHROMIUM_VERSION=$(/usr/bin/chromium --version 2>/dev/null) \
  FFMPEG_VERSION=$(ffmpeg -version | head -1 | cut -d' ' -f1-3) python3 - "$WORK" "$ROUNDS" <<'PY'
import calendar, json, os, statistics, sys, time
work, rounds = sys.argv[1], int(sys.argv[2])
res = {(v, r): list(map(float, open(f"{work}/{v}-{r}.result").read().split())) for v in ("on", "off") for r in range(1, rounds + 1)}
def col(video, i):
    return [res[video, r][i] for r in range(1, rounds + 1)]
med = statistics.median
def ff_cpu(r):
    return sum(float(p[1]) + float(p[2]) for p in (l.split() for l in open(f"{work}/on-{r}.cpu")) if len(p) == 3)
ff = med([ff_cpu(r) for r in range(1, rounds + 1)])
clips = unhealthy = 0
for r in range(1, rounds + 1):
    for sc in json.load(open(f"{work}/on-{r}/report.json"))["scenarios"]:
        for st in sc["steps"]:
            if st.get("clip"):
                clips += 1
                unhealthy += not st["clip_ok"]
def epoch(stamp):
    whole, frac = stamp.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)
def gaps(video, r):
    """Seconds from each scenario's last step end to the next scenario's first step, then
    from the last step's end to the process exit."""
    scenarios = [sc for sc in json.load(open(f"{work}/{video}-{r}/report.json"))["scenarios"] if sc["steps"]]
    ends = [epoch(sc["steps"][-1]["started_at"]) + sc["steps"][-1]["duration_ms"] / 1000 for sc in scenarios]
    starts = [epoch(sc["steps"][0]["started_at"]) for sc in scenarios]
    return [b - a for a, b in zip(ends, starts[1:])] + [res[video, r][4] - ends[-1]]
def gap_medians(video):
    per_run = [gaps(video, r) for r in range(1, rounds + 1)]
    return [med(g[i] for g in per_run) for i in range(len(per_run[0]))]
gap_on, gap_off = gap_medians("on"), gap_medians("off")
wall_on, wall_off = med(col("on", 0)), med(col("off", 0))
steps_on, steps_off = med(col("on", 2)), med(col("off", 2))
loads = sorted(col("on", 3) + col("off", 3))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
print()
print(f"Default walkthrough (scenarios/, six slots as one journey), Chromium at 1280x800 as the run chose it (its own Xvfb when installed, else headless), {rounds} round(s), medians:")
print()
print("| | video on | video off | on / off |")
print("|---|---|---|---|")
print(f"| wall time of `walkthrough run` | {wall_on:.2f} s | {wall_off:.2f} s | {wall_on / wall_off:.2f} |")
print(f"| sum of step times | {steps_on / 1000:.2f} s | {steps_off / 1000:.2f} s | {steps_on / steps_off:.2f} |")
print(f"| wall time outside the steps | {wall_on - steps_on / 1000:.2f} s | {wall_off - steps_off / 1000:.2f} s | |")
print("| between scenarios: last step's end to the next scenario's first step | "
      + " / ".join(f"{g:.2f}" for g in gap_on[:-1]) + " s | " + " / ".join(f"{g:.2f}" for g in gap_off[:-1]) + " s | |")
print(f"| last step's end to the exit | {gap_on[-1]:.2f} s | {gap_off[-1]:.2f} s | |")
print(f"| CPU of walkthrough, chromedriver, Chromium (ffmpeg excluded) | {med(col('on', 1)) - ff:.2f} s | {med(col('off', 1)):.2f} s | |")
print(f"| CPU of ffmpeg + ffprobe | {ff:.2f} s | 0 | |")
print()
print("Runs (wall s): on " + " / ".join(f"{w:.2f}" for w in col("on", 0)) + "; off " + " / ".join(f"{w:.2f}" for w in col("off", 0))
      + f". Step clips: {clips // rounds} per run, {unhealthy} unhealthy.")
print(f"Machine: {os.cpu_count()} cores, {cpu}; load average (1 min) before the runs: min {loads[0]:.2f}, "
      f"median {med(loads):.2f}, max {loads[-1]:.2f}. Tools: {os.environ['BIN_VERSION']}; "
      f"{os.environ['CHROMIUM_VERSION']}; {os.environ['FFMPEG_VERSION']}.")
PY
  exit 0
fi

declare -a OFF ON
for r in $(seq 1 "$ROUNDS"); do
  run off "off-$r" "$SCENARIO" --app fixtures
  run on "on-$r" "$SCENARIO" --app fixtures
  OFF+=("$(cut -d' ' -f1-3 "$WORK/off-$r.result")")
  ON+=("$(cut -d' ' -f1-3 "$WORK/on-$r.result")")
  echo "round $r: off [wall s, cpu s (walkthrough+driver+browser), steps ms] ${OFF[-1]} | on ${ON[-1]}" >&2
done

python3 - "$WORK" "$ROUNDS" "${OFF[*]}" "${ON[*]}" <<'PY'
import json, glob, os, subprocess, sys, statistics
work, rounds = sys.argv[1], int(sys.argv[2])
off = [list(map(float, sys.argv[3].split()[i:i+3])) for i in range(0, 3 * rounds, 3)]
on = [list(map(float, sys.argv[4].split()[i:i+3])) for i in range(0, 3 * rounds, 3)]
med = lambda xs: statistics.median(xs)
wall_off, wall_on = med([o[0] for o in off]), med([o[0] for o in on])
steps_off, steps_on = med([o[2] for o in off]), med([o[2] for o in on])
cpu_off, cpu_on = med([o[1] for o in off]), med([o[1] for o in on])

clip_bytes = clip_secs = 0.0
distinct = moving_secs = 0.0
ff_cpu = []
unhealthy = 0
for r in range(1, rounds + 1):
    run = os.path.join(work, f"on-{r}")
    report = json.load(open(os.path.join(run, "report.json")))
    cpu = 0.0
    for line in open(run + ".cpu"):
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("ffmpeg", "ffprobe"):
            cpu += float(parts[1]) + float(parts[2])
    ff_cpu.append(cpu)
    for sc in report["scenarios"]:
        for st in sc["steps"]:
            if not st.get("clip"):
                continue
            if not st["clip_ok"]:
                unhealthy += 1
                print(f"unhealthy: {st['name']}: {st['clip_problem']}")
            path = os.path.join(run, st["clip"])
            clip_bytes += os.path.getsize(path)
            clip_secs += st["clip_duration_ms"] / 1000
            # Moving steps: count frames that differ from the one before (not cfr copies).
            if st["duration_ms"] >= 1000:
                out = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", "mpdecimate=hi=64*4:lo=64:frac=0.1",
                                      "-fps_mode", "vfr", "-f", "null", "-", "-stats"],
                                     capture_output=True, text=True).stderr
                frames = [l for l in out.replace("\r", "\n").splitlines() if l.startswith("frame=")]
                n = int(frames[-1].split("=")[1].split()[0]) if frames else 0
                distinct += n
                moving_secs += st["clip_duration_ms"] / 1000
print()
loads = sorted(float(open(os.path.join(work, f"{v}-{r}.result")).read().split()[3]) for v in ("on", "off") for r in range(1, rounds + 1))
print(f"rounds: {rounds} (medians); load average (1 min) before the runs: min {loads[0]:.2f}, median {med(loads):.2f}, max {loads[-1]:.2f}")
print(f"wall time      off {wall_off:6.2f} s   on {wall_on:6.2f} s   ratio {wall_on / wall_off:.3f}  (overhead {100 * (wall_on / wall_off - 1):+.1f} %)")
print(f"step time sum  off {steps_off / 1000:6.2f} s   on {steps_on / 1000:6.2f} s   ratio {steps_on / steps_off:.3f}")
print(f"run CPU (walkthrough+driver+chromium, excl. ffmpeg)  off {cpu_off:.2f} s   on {cpu_on - med(ff_cpu):.2f} s")
print(f"ffmpeg+ffprobe CPU  {med(ff_cpu):.2f} s per run  = {100 * med(ff_cpu) / wall_on:.0f} % of one core over the run")
print(f"effective fps on moving steps  {distinct / moving_secs:.1f}  (distinct frames / clip seconds)")
print(f"step clips  {clip_bytes / rounds / 1024:.0f} KiB per run for {clip_secs / rounds:.1f} s  = {clip_bytes / clip_secs * 60 / 1e6:.2f} MB per minute of video")
print(f"unhealthy clips: {unhealthy}")
PY

if [ "${CODECS:-0}" = 1 ]; then
  src=$(ls "$WORK"/on-1/scenarios/*/scenario.mp4 | head -1)
  echo
  echo "encoder comparison on $(basename "$src") (decoded and re-encoded at 15 fps, 1280x800):"
  for spec in "mp4|-c:v libx264 -preset ultrafast -pix_fmt yuv420p" \
              "mp4|-c:v libx264 -preset ultrafast -crf 30 -pix_fmt yuv420p" \
              "mp4|-c:v libx264 -preset superfast -crf 30 -bf 0 -pix_fmt yuv420p" \
              "mp4|-c:v libx264 -preset veryfast -crf 30 -bf 0 -pix_fmt yuv420p" \
              "mp4|-c:v libx264 -preset veryfast -pix_fmt yuv420p" \
              "webm|-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -row-mt 1 -crf 35 -b:v 0 -pix_fmt yuv420p" \
              "webm|-c:v libvpx -deadline realtime -cpu-used 8 -crf 10 -b:v 1M"; do
    ext=${spec%%|*}; args=${spec#*|}
    /usr/bin/time -f "%U %S" -o "$WORK/codec.time" ffmpeg -v error -y -i "$src" $args "$WORK/codec.$ext"
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/codec.$ext")
    size=$(stat -c %s "$WORK/codec.$ext")
    awk -v a="$args" -v s="$size" -v d="$dur" '{ printf "  %-78s %6.2f CPU-s per min  %5.2f MB per min\n", a, ($1 + $2) * 60 / d, s * 60 / d / 1e6 }' "$WORK/codec.time"
  done
fi
