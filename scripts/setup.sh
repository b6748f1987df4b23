#!/usr/bin/env bash
# Installs what `walkthrough run` needs and is missing, and nothing else: Chromium and its
# driver, ffmpeg, Xvfb and the Rust toolchain. What only the test suite needs (Firefox, Java,
# Node and Polar's SDKs, the example apps' packages, geckodriver, Selenium, actionlint) is
# scripts/setup-tests.sh's. Safe to run again: packages already present are left alone, and
# apt is only asked when one is missing. Sourced by scripts/walkthrough.sh and
# scripts/setup-tests.sh; can also be run on its own.
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
  [firefox-esr]=/usr/bin/firefox-esr
  [default-jre-headless]=/usr/bin/java
  [nodejs]=/usr/bin/node
  [npm]=/usr/bin/npm
)

# apt_install_missing <package>...: installs those of the packages whose file is missing.
apt_install_missing() {
  local missing=() pkg
  for pkg in "$@"; do
    case "$pkg" in
      nodejs) command -v node >/dev/null 2>&1 || missing+=(nodejs) ;;
      npm) command -v npm >/dev/null 2>&1 || missing+=(npm) ;;
      *) [ -e "${provides[$pkg]}" ] || missing+=("$pkg") ;;
    esac
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    say "missing ${missing[*]} and this is not a Debian/Ubuntu machine: install them by hand"; exit 4
  fi
  say "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
apt_install_missing chromium chromium-driver ffmpeg xvfb ca-certificates curl

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "installing the Rust toolchain with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

for tool in chromium chromedriver ffmpeg cargo; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is still missing after setup"; exit 4; }
done
# `walkthrough run --browser firefox` finds geckodriver on PATH once scripts/setup-tests.sh
# (or `cargo install geckodriver`) has built it.
if [ -x "$here/.tools/geckodriver/bin/geckodriver" ]; then
  export PATH="$here/.tools/geckodriver/bin:$PATH"
fi
