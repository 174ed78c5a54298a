#!/usr/bin/env bash
# `npm run bench`: the figures in bench-results/*.json. First the benches that need no emulators (transcription,
# segments, speakers, reprocess, long recordings, cold starts), then the load test in the emulators on the production
# path (FAL and OpenAI stand-ins; the offline transcriber would make it a test of this machine's CPUs). 12 uploads, not
# 50: the Functions emulator runs every concurrent invocation in a worker process of its own (about 170 MiB) and keeps
# it, so 12 uploads peak at 95 workers and 16 GiB; 50 would need about 65 GiB (docs/benchmarks.md "Load").
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
(cd functions && node --expose-gc ./node_modules/.bin/vitest run --project bench)
# In the emulators: the load run, and the fault suite's recovery figure (bench-results/redrive.json).
firebase emulators:exec --project demo-providers \
  "cd functions && LOAD_UPLOADS=${LOAD_UPLOADS:-12} BENCH_LOAD=1 BENCH_FIGURES=1 ./node_modules/.bin/vitest run --project providers test/providers/load.test.ts test/providers/faults.test.ts -t 'load|crashes'" \
  < /dev/null
ls -1 bench-results/
