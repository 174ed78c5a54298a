#!/usr/bin/env bash
# Runs a command in the project's environment (scripts/env.sh): Node 22 from npm first on PATH, and the emulators
# firebase-tools should start (local ones from .emulators/ when setup built them, else its own downloads).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
if [ "${1:-}" = firebase ] && [[ "${2:-}" == emulators:* ]]; then echo "[run] $(describe_emulators)" >&2; fi
exec "$@"
