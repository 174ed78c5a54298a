# Sourced by scripts/run.sh, test.sh and demo.sh: the environment every project command runs in (Node 22 from npm
# first on PATH), and which Firestore, Pub/Sub and Storage-rules emulators firebase-tools starts.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$ROOT/node_modules/node/bin:$ROOT/node_modules/.bin:$PATH"
GCLOUD_SDK_ROOT="${GCLOUD_SDK_ROOT:-/usr/lib/google-cloud-sdk}"

# EMULATOR_SOURCE says where those emulators come from (set it yourself to choose):
#   local     the gcloud Debian packages' Firestore and Pub/Sub emulators plus our allow-all Storage-rules stub, built
#             by scripts/setup.sh into .emulators/ (works offline; Storage rules are not evaluated);
#   download  firebase-tools' own emulators, downloaded on first start into ~/.cache/firebase/emulators (needs
#             internet and Java; Storage rules are evaluated).
# By default: local when setup built it and the gcloud packages are still there, else download.
emulators_local_ready() {
  [ -f "$ROOT/.emulators/firestore-gcloud-wrapper.jar" ] && [ -f "$ROOT/.emulators/storage-rules-stub.jar" ] &&
    [ -f "$(cat "$ROOT/.emulators/firestore-classpath" 2>/dev/null)" ] &&
    [ -x "$GCLOUD_SDK_ROOT/platform/pubsub-emulator/bin/cloud-pubsub-emulator" ]
}
if [ -z "${EMULATOR_SOURCE:-}" ]; then
  if emulators_local_ready; then EMULATOR_SOURCE=local; else EMULATOR_SOURCE=download; fi
fi
export EMULATOR_SOURCE
if [ "$EMULATOR_SOURCE" = local ]; then
  export FIRESTORE_EMULATOR_BINARY_PATH="$ROOT/.emulators/firestore-gcloud-wrapper.jar"
  export STORAGE_EMULATOR_BINARY_PATH="$ROOT/.emulators/storage-rules-stub.jar"
  export PUBSUB_EMULATOR_BINARY_PATH="$GCLOUD_SDK_ROOT/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
fi
# One line naming the emulators that run (setup prints it; so does run.sh before `firebase emulators:…`).
describe_emulators() {
  if [ "$EMULATOR_SOURCE" = local ]; then
    echo "emulators: local (Firestore and Pub/Sub from the gcloud packages in $GCLOUD_SDK_ROOT, Storage rules not evaluated: allow-all stub)"
  else
    echo "emulators: firebase-tools' own (downloaded on first start into ~/.cache/firebase/emulators: needs internet and Java 11+, 21 recommended)"
  fi
}

export METADATA_SERVER_DETECTION=none
export FIREBASE_CLI_DISABLE_UPDATE_CHECK=1
# The Functions emulator starts one worker process per concurrent invocation and gives each 30 s to load (this
# variable, in seconds). Fifty uploads at once (npm run bench) start fifty workers, which on 2 CPUs takes longer.
export FUNCTIONS_DISCOVERY_TIMEOUT="${FUNCTIONS_DISCOVERY_TIMEOUT:-180}"
# onnxruntime-node's postinstall would download its CUDA provider from NuGet (unused; fails offline).
export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
