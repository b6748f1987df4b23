#!/usr/bin/env bash
# The whole test suite: installs what is missing, then formatting, lints and every test
# (unit, scenario diagnostics, real Chromium, real ffmpeg, the mock and the demo app).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup-tests.sh
echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --quiet --all-targets -- -D warnings
echo "== cargo test" >&2
cargo test --all-targets "$@"
