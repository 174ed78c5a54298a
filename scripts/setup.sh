#!/usr/bin/env bash
# Idempotent setup for a fresh clone. On Debian bookworm without internet access (only the npm and Debian
# registries) it installs the Debian tools with apt, the npm dependencies (root: firebase-tools + Node 22; functions/),
# builds the two small emulator JARs firebase-tools would otherwise download, and compiles the functions. Elsewhere
# (macOS, or Linux without the gcloud emulator packages) it checks the tools are on PATH and leaves the emulators to
# firebase-tools' own downloads (scripts/env.sh, EMULATOR_SOURCE).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
warn() { printf '\033[33m[setup] %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# 1. Debian tools: Java for the Firestore/Pub/Sub/Storage emulators; the offline speech-to-text (pocketsphinx) the
#    emulated pipeline uses; ffmpeg (decoding uploads: the functions use the ffmpeg on PATH, as Cloud Functions' base
#    image has one); espeak-ng, which tests and the benchmark use to make speech with known words and voices.
APT_PACKAGES=(openjdk-17-jdk-headless ffmpeg pocketsphinx pocketsphinx-en-us espeak-ng)
if command -v dpkg >/dev/null; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]} (and no apt-get to install them)"
    log "apt-get install ${missing[*]}"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  # Not Debian (e.g. macOS): the same tools, installed with the system's own package manager.
  missing=()
  for tool in ffmpeg ffprobe pocketsphinx_continuous espeak-ng; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  ((${#missing[@]} == 0)) ||
    warn "not on PATH: ${missing[*]} (uploads need ffmpeg/ffprobe; the offline transcriber pocketsphinx_continuous; tests espeak-ng)"
fi
command -v java >/dev/null || die "java not found: install a JDK (17 works, 21 recommended) for the Firestore, Pub/Sub and Storage emulators"

# 2. npm dependencies (`npm ci`), re-installed only when the lockfile changed (stamp = hash of the lockfile).
sha256() { if command -v sha256sum >/dev/null; then sha256sum; else shasum -a 256; fi | cut -d' ' -f1; }
npm_install() { # dir label [npm ci flags…]
  local dir="$1" label="$2" lock="$1/package-lock.json" stamp="$1/node_modules/.setup-stamp" want
  shift 2
  [ -f "$lock" ] || die "$lock is missing"
  want="$(sha256 < "$lock")"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "npm ci in $label"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "$@")
  echo "$want" > "$stamp"
}
# Root: firebase-tools and Node 22. Its optional re2 would be compiled from source offline (minutes, unused here).
npm_install "$ROOT" "the repo root" --omit=optional
[ -x "$ROOT/node_modules/node/bin/node" ] || die "Node 22 (npm package 'node') did not install"
export PATH="$ROOT/node_modules/node/bin:$ROOT/node_modules/.bin:$PATH"
npm_install "$ROOT/functions" "functions/"

# 3. Emulator binaries firebase-tools cannot download offline, built from the gcloud emulator packages when the
#    machine has them (and EMULATOR_SOURCE does not ask for firebase-tools' downloads).
GCLOUD_SDK_ROOT="${GCLOUD_SDK_ROOT:-/usr/lib/google-cloud-sdk}"
FS_JAR="$GCLOUD_SDK_ROOT/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
PS_BIN="$GCLOUD_SDK_ROOT/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
if [ "${EMULATOR_SOURCE:-local}" = local ] && [ -f "$FS_JAR" ] && [ -x "$PS_BIN" ]; then
  command -v javac >/dev/null && command -v jar >/dev/null || die "javac/jar not found: install openjdk-17-jdk-headless"
  mkdir -p .emulators
  if [ ! -f .emulators/firestore-gcloud-wrapper.jar ] || [ "$(cat .emulators/firestore-classpath 2>/dev/null)" != "$FS_JAR" ]; then
    log "building .emulators/firestore-gcloud-wrapper.jar (Main-Class for the gcloud Firestore emulator)"
    tmp="$(mktemp -d)"
    printf 'Main-Class: com.google.cloud.datastore.emulator.firestore.CloudFirestore\nClass-Path: file:%s\n' "$FS_JAR" > "$tmp/manifest.txt"
    jar cfm .emulators/firestore-gcloud-wrapper.jar "$tmp/manifest.txt"
    echo "$FS_JAR" > .emulators/firestore-classpath
    rm -rf "$tmp"
  fi
  if [ ! -f .emulators/storage-rules-stub.jar ] || [ scripts/emulators/StorageRulesStub.java -nt .emulators/storage-rules-stub.jar ]; then
    log "building .emulators/storage-rules-stub.jar (allow-all Storage rules runtime stand-in)"
    tmp="$(mktemp -d)"
    javac --release 11 -d "$tmp" scripts/emulators/StorageRulesStub.java
    jar cfe .emulators/storage-rules-stub.jar StorageRulesStub -C "$tmp" .
    rm -rf "$tmp"
  fi
elif [ "${EMULATOR_SOURCE:-local}" = local ]; then
  warn "no gcloud Firestore/Pub/Sub emulator packages under $GCLOUD_SDK_ROOT (set GCLOUD_SDK_ROOT if they live elsewhere):" \
    "firebase-tools will download its own emulators on first start (needs internet and Java)"
fi

# A service-account key of this machine's own, for the provider tests' signed Storage URLs (functions/.env.demo-providers).
node scripts/emulators/test-service-account.mjs

# 4. Compile the functions (firebase-tools loads functions/lib).
log "building functions (tsc)"
(cd functions && npm run --silent build)
. "$ROOT/scripts/env.sh"
log "ready; $(describe_emulators)"
