#!/usr/bin/env bash
# Runs a command in the project's environment: Node 22 from npm first on PATH, emulator binaries from .emulators/.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
exec "$@"
