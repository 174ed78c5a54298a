# Sourced by scripts/run.sh: the environment every project command runs in (Node 22, local emulator binaries).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$ROOT/node_modules/node/bin:$ROOT/node_modules/.bin:$PATH"
GCLOUD_SDK_ROOT="${GCLOUD_SDK_ROOT:-/usr/lib/google-cloud-sdk}"
export FIRESTORE_EMULATOR_BINARY_PATH="$ROOT/.emulators/firestore-gcloud-wrapper.jar"
export STORAGE_EMULATOR_BINARY_PATH="$ROOT/.emulators/storage-rules-stub.jar"
export PUBSUB_EMULATOR_BINARY_PATH="$GCLOUD_SDK_ROOT/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
export METADATA_SERVER_DETECTION=none
export FIREBASE_CLI_DISABLE_UPDATE_CHECK=1
export ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
