#!/usr/bin/env bash
# Video overhead benchmark (not a test): runs the same walkthrough with --video off and
# --video on, back to back, ROUNDS times, and reports the wall-time ratio, the effective
# frame rate on moving content, the CPU spent in ffmpeg/ffprobe and the bytes per minute
# of video. Targets (2 cores, headless, 1280x800): overhead <= 15 %, >= 15 fps, <= 3 MB/min.
#
#   scripts/bench-video.sh [ROUNDS] [SCENARIO]      (defaults: 2, fixtures/bench/anim.yaml)
#   CODECS=1 scripts/bench-video.sh                 also compares encoders on the recorded video
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-2}
SCENARIO=${2:-fixtures/bench/anim.yaml}
cargo build --quiet
BIN=$PWD/target/debug/walkthrough
WORK=$(mktemp -d /tmp/walkthrough-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

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

secs() { # "1m2.345s" -> 62.345
  awk -v t="$1" 'BEGIN { split(t, a, "m"); sub("s", "", a[2]); print a[1] * 60 + a[2] }'
}

run() { # mode round -> prints "wall cpu_total steps_ms"
  local out="$WORK/$1-$2"
  : > "$WORK/cpu.log"
  local start end
  start=$(date +%s.%N)
  PATH="$WORK/bin:$PATH" /usr/bin/time -f "%U %S" -o "$out.time" \
    "$BIN" run "$SCENARIO" --app fixtures --out "$out" --quiet --video "$1" >/dev/null 2>"$out.log" \
    || { echo "run failed, see $out.log" >&2; cat "$out.log" >&2; exit 1; }
  end=$(date +%s.%N)
  cp "$WORK/cpu.log" "$out.cpu"
  local steps
  steps=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(sum(s['duration_ms'] for sc in r['scenarios'] for s in sc['steps']))" "$out/report.json")
  echo "$(echo "$end - $start" | bc) $(awk '{print $1 + $2}' "$out.time") $steps"
}

declare -a OFF ON
for r in $(seq 1 "$ROUNDS"); do
  OFF+=("$(run off "$r")")
  ON+=("$(run on "$r")")
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
print(f"rounds: {rounds} (medians); load average before: {open('/proc/loadavg').read().split()[0]}")
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
