#!/usr/bin/env bash
# `npm run demo [-- demo flags]`: scripts/demo.mjs in one `firebase emulators:exec` with the seed data imported. The
# terminal shows only the demo's own lines; everything the emulators print (firebase-tools and the functions' logs)
# goes to demo-emulators.log, whose last lines are shown if something fails.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
LOG="$ROOT/demo-emulators.log"
say() { printf '\033[36m[demo]\033[0m %s\n' "$*"; }
tmp="$(mktemp -d)"
cat_pid=""
cleanup() {
  exec 4>&- 2>/dev/null || true
  [ -z "$cat_pid" ] || wait "$cat_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Where the demo writes: this script's own stdout when it is a terminal or a pipe, reopened by path (Linux:
# /proc/<pid>/fd/1, so a terminal stays a terminal), else a FIFO copied to stdout.
if { [ -t 1 ] || [ -p /dev/stdout ]; } && [ -e "/proc/$$/fd/1" ] && (: >> "/proc/$$/fd/1") 2>/dev/null; then
  out="/proc/$$/fd/1"
else
  mkfifo "$tmp/out"
  cat "$tmp/out" &
  cat_pid=$!
  exec 4> "$tmp/out"
  out="$tmp/out"
fi
demo="node scripts/demo.mjs"
if (($#)); then demo+="$(printf ' %q' "$@")"; fi
say "starting the emulators (their output goes to ${LOG#"$ROOT"/})"
status=0
firebase emulators:exec --project demo-memories --import emulator-data \
  "$demo >> $(printf %q "$out") 2>&1; rc=\$?; echo \$rc > $(printf %q "$tmp/ran"); exit \$rc" \
  > "$LOG" 2>&1 < /dev/null || status=$?
if [ ! -f "$tmp/ran" ]; then
  say "the emulators stopped before the demo ran; the end of ${LOG#"$ROOT"/}:" >&2
  tail -n 25 "$LOG" >&2
  exit 1
fi
if [ "$status" != 0 ]; then
  say "failed (exit $status); the end of ${LOG#"$ROOT"/} (the functions' logs are there too):" >&2
  tail -n 25 "$LOG" >&2
fi
exit "$status"
