#!/usr/bin/env bash
# The default walkthrough: installs what is missing, builds, runs every scenario in
# scenarios/ against the embedded demo app and mock Polar, and prints the report path.
# Extra arguments go to `walkthrough run` (see `walkthrough run --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo build --quiet --bin walkthrough
exec target/debug/walkthrough run "$@"
