#!/usr/bin/env bash
# `npm test`: type-check and lint, then unit + end-to-end tests in one emulators:exec, then a check that tests really
# ran (emulators:exec exits 0 if the emulators are stopped before the command runs, e.g. by a prompt on a closed stdin).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
npm --prefix functions run --silent typecheck
npm --prefix functions run --silent lint
report="$ROOT/functions/.vitest-report.json"
rm -f "$report"
firebase emulators:exec --project demo-memories \
  "npm --prefix functions test -- --reporter=default --reporter=json --outputFile=.vitest-report.json" < /dev/null
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (!r.success || r.numTotalTests === 0 || r.numFailedTests > 0) process.exit(1);
' "$report"
