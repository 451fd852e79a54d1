#!/usr/bin/env bash
# The reference Bluesky PDS (@atproto/pds 0.4.217, with an in-memory PLC directory from
# @did-plc/server 0.0.1) on 127.0.0.1, for farm's tests against the real server.
#
#   tests/pds/pds.sh setup   install the pinned packages (package-lock.json) once, with
#                            `npm ci --ignore-scripts`, and build better-sqlite3 from source
#                            with npm's own node-gyp (no prebuilt download); ~100 s, then cached
#   tests/pds/pds.sh start   set up if needed, start one server, print `PDS_URL=http://…` and
#                            `PLC_URL=http://…` (its DID directory, for readers that follow)
#   tests/pds/pds.sh stop    stop every server this script started (and only those)
#
# Needs node 20 (the 0.5 line of the PDS needs 22), npm, python3, make, g++ and node's headers.
# Env: FARM_PDS_INSTALL (install dir; default under ~/.cache/farm-pds), FARM_PDS_STATE (where
# running servers are recorded), FARM_PDS_TIMEOUT (a server stops by itself after this many
# seconds; default 1800), and any PDS_* variable @atproto/pds reads.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "pds.sh: $*" >&2; exit 1; }
command -v node >/dev/null || die "node is not installed (node 20 is needed)"
command -v npm >/dev/null || die "npm is not installed"

key="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)-abi$(node -p process.versions.modules)"
install="${FARM_PDS_INSTALL:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/farm-pds/$key}"
state="${FARM_PDS_STATE:-${TMPDIR:-/tmp}/farm-pds-$(id -u)}"

loads() {
  (cd "$install" && node -e "new (require('better-sqlite3'))(':memory:'); require('@atproto/pds'); require('@did-plc/server')") >/dev/null 2>&1
}

setup() {
  if [ -f "$install/.ok" ] && loads; then return 0; fi
  mkdir -p "$install"
  exec 9>"$install/.lock"
  flock 9
  if [ -f "$install/.ok" ] && loads; then return 0; fi
  local t0=$SECONDS
  echo "pds.sh: installing @atproto/pds into $install" >&2
  cp "$here/package.json" "$here/package-lock.json" "$install/"
  (cd "$install" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
  local gyp nodedir
  gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || die "npm's node-gyp not found at $gyp"
  nodedir="$(node -p 'require("path").resolve(process.execPath, "..", "..")')"
  echo "pds.sh: building better-sqlite3 (1-2 minutes)" >&2
  if ! (cd "$install/node_modules/better-sqlite3" &&
    node "$gyp" rebuild --release --nodedir="$nodedir" -j "$(nproc)") >"$install/build.log" 2>&1; then
    tail -n 20 "$install/build.log" >&2
    die "building better-sqlite3 failed; see $install/build.log"
  fi
  loads || die "the installed packages do not load"
  touch "$install/.ok"
  echo "pds.sh: installed in $((SECONDS - t0)) s" >&2
}

start() {
  setup
  mkdir -p "$state"
  local dir pid line
  dir="$(mktemp -d "$state/run.XXXXXXXX")"
  nohup node "$here/server.js" "$install" "$dir" >"$dir/log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/pid"
  for _ in $(seq 1 300); do
    if line="$(grep -m1 '^LISTENING ' "$dir/log")"; then
      echo "pds.sh: pid $pid, data in $dir" >&2
      echo "PDS_URL=${line#LISTENING }"
      line="$(grep -m1 '^PLC ' "$dir/log")" && echo "PLC_URL=${line#PLC }"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  tail -n 20 "$dir/log" >&2
  kill "$pid" 2>/dev/null || true
  rm -rf "$dir"
  die "the PDS did not start"
}

# True when pid $1 is the server.js of instance dir $2.
ours() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "server.js $install $2"
}

stop() {
  [ -d "$state" ] || return 0
  local dir pid
  for dir in "$state"/run.*; do
    [ -f "$dir/pid" ] || { rm -rf "$dir"; continue; }
    pid="$(cat "$dir/pid")"
    if ours "$pid" "$dir"; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do ours "$pid" "$dir" || break; sleep 0.2; done
      ours "$pid" "$dir" && kill -KILL "$pid" 2>/dev/null || true
      echo "pds.sh: stopped pid $pid" >&2
    fi
    rm -rf "$dir"
  done
}

case "${1:-}" in
  setup) setup ;;
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 setup|start|stop" ;;
esac
