#!/usr/bin/env bash
# `npm run test:unit|test:e2e|test:providers -- [files…] [vitest flags…]`: one vitest project, all of it or the named
# files. unit runs without emulators; e2e and providers run in one `firebase emulators:exec` of their project
# (demo-memories, demo-providers) against the compiled functions (the npm scripts run setup first, which builds them).
# Files may be named from the repo root (functions/test/e2e/upload.test.ts) or from functions/ (test/e2e/upload.test.ts).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
suite="${1:?usage: test-files.sh unit|e2e|providers [files…] [vitest flags…]}"
shift
args=()
for a in "$@"; do args+=("${a#functions/}"); done
case "$suite" in
  unit) cd "$ROOT/functions" && exec ./node_modules/.bin/vitest run --project unit ${args[@]+"${args[@]}"} ;;
  e2e) project=demo-memories ;;
  providers) project=demo-providers ;;
  *) echo "unknown test suite '$suite' (unit, e2e or providers)" >&2 && exit 2 ;;
esac
cd "$ROOT"
ran="$(mktemp)"
rm -f "$ran"
quoted=""
[ ${#args[@]} -eq 0 ] || quoted="$(printf ' %q' "${args[@]}")"
# stdin closed: a param prompt must fail, not wait. emulators:exec exits 0 when the emulators stop before the command
# runs, hence the marker file.
status=0
firebase emulators:exec --project "$project" \
  "cd functions && ./node_modules/.bin/vitest run --project $suite$quoted; rc=\$?; echo \$rc > $ran; exit \$rc" \
  < /dev/null || status=$?
if [ ! -f "$ran" ]; then
  echo "[test] the tests did not run: the emulators stopped first (see the output above)" >&2
  exit 1
fi
rm -f "$ran"
exit "$status"
