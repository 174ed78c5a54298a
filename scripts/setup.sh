#!/usr/bin/env bash
# Idempotent setup for a fresh clone on this machine kind (no internet except the npm and Debian registries).
# Installs npm dependencies (root: firebase-tools + Node 22; functions/), builds the two small emulator JARs that
# firebase-tools would otherwise download, installs the Debian tools the tests use, and compiles the functions.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[setup] %s\033[0m\n' "$*" >&2; exit 1; }

# 1. Debian tools: Java for the Firestore/Pub/Sub/Storage emulators; the offline speech-to-text (pocketsphinx) the
#    emulated pipeline uses; ffmpeg (decoding uploads: the functions use the ffmpeg on PATH, as Cloud Functions' base
#    image has one); espeak-ng, which tests and the benchmark use to make speech with known words and voices.
APT_PACKAGES=(openjdk-17-jdk-headless ffmpeg pocketsphinx pocketsphinx-en-us espeak-ng)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]} (and no apt-get to install them)"
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v java >/dev/null || die "java not found: install a JDK (17 works) for the Firestore, Pub/Sub and Storage emulators"
command -v javac >/dev/null && command -v jar >/dev/null || die "javac/jar not found: install openjdk-17-jdk-headless"

# 2. npm dependencies (`npm ci`), re-installed only when the lockfile changed (stamp = hash of the lockfile).
npm_install() { # dir label [npm ci flags…]
  local dir="$1" label="$2" lock="$1/package-lock.json" stamp="$1/node_modules/.setup-stamp" want
  shift 2
  [ -f "$lock" ] || die "$lock is missing"
  want="$(sha256sum < "$lock" | cut -d' ' -f1)"
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

# 3. Emulator binaries firebase-tools cannot download offline, built from what the machine has.
GCLOUD_SDK_ROOT="${GCLOUD_SDK_ROOT:-/usr/lib/google-cloud-sdk}"
FS_JAR="$GCLOUD_SDK_ROOT/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
PS_BIN="$GCLOUD_SDK_ROOT/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
[ -f "$FS_JAR" ] || die "Firestore emulator not found at $FS_JAR (Debian package google-cloud-cli-firestore-emulator; set GCLOUD_SDK_ROOT if it lives elsewhere)"
[ -x "$PS_BIN" ] || die "Pub/Sub emulator not found at $PS_BIN (Debian package google-cloud-cli-pubsub-emulator; set GCLOUD_SDK_ROOT if it lives elsewhere)"
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

# 4. Compile the functions (firebase-tools loads functions/lib).
log "building functions (tsc)"
(cd functions && npm run --silent build)
log "ready"
