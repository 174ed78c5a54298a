#!/usr/bin/env bash
# `npm run bench`: the figures in bench-results/*.json. First the benches that need no emulators (transcription,
# segments, speakers, reprocess, long recordings, cold starts), then the load test with 50 uploads in the emulators.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
(cd functions && node --expose-gc ./node_modules/.bin/vitest run --project bench)
firebase emulators:exec --project demo-memories \
  "cd functions && LOAD_UPLOADS=50 BENCH_LOAD=1 ./node_modules/.bin/vitest run --project e2e test/e2e/load.test.ts" < /dev/null
ls -1 bench-results/
