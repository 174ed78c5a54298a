#!/usr/bin/env bash
# `npm test`: type-check and lint; unit + end-to-end tests in one emulators:exec of the offline project
# (demo-memories); the provider tests (real FAL/OpenAI/… adapters against local stand-ins) in a second one
# (demo-providers); then a check that tests really ran (emulators:exec exits 0 if the emulators are stopped before
# the command runs, e.g. by a prompt on a closed stdin).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
npm --prefix functions run --silent typecheck
npm --prefix functions run --silent lint
reports=("$ROOT/functions/.vitest-report.json" "$ROOT/functions/.vitest-report-providers.json"
  "$ROOT/functions/.vitest-report-monitoring.json")
# The emulated functions copy their log lines here (LOG_TEE_FILE in functions/.env.demo-*) for the monitoring test.
rm -f "${reports[@]}" "$ROOT/functions/.e2e-logs.jsonl"
status=0
firebase emulators:exec --project demo-memories \
  "npm --prefix functions test -- --reporter=default --reporter=json --outputFile=.vitest-report.json" < /dev/null || status=$?
firebase emulators:exec --project demo-providers \
  "npm --prefix functions run test:providers -- --reporter=default --reporter=json --outputFile=.vitest-report-providers.json" \
  < /dev/null || status=$?
# The Cloud console assets (monitoring/) against the log lines both runs wrote.
npm --prefix functions run --silent test:monitoring -- --reporter=default --reporter=json \
  --outputFile=.vitest-report-monitoring.json || status=$?
node -e '
  let failed = false;
  for (const file of process.argv.slice(1)) {
    let r;
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")); } catch { console.log(`${file}: no report`); failed = true; continue; }
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`${require("path").basename(file)}: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
    if (!r.success || r.numTotalTests === 0 || r.numFailedTests > 0) failed = true;
    // Name every failed test and its first error line, so the last lines of a CI log say what failed.
    for (const suite of r.testResults ?? [])
      for (const t of suite.assertionResults ?? [])
        if (t.status === "failed")
          console.log(`  FAILED ${require("path").relative(process.cwd(), suite.name)} > ${t.fullName}: ` +
            String(t.failureMessages?.[0] ?? "").split("\n")[0]);
  }
  process.exit(failed ? 1 : 0);
' "${reports[@]}"
exit $status
