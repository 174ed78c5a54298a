// Writes .emulators/test-service-account.json: a service-account key generated on this machine (RSA 2048), so the
// provider test project's functions sign Cloud Storage V4 URLs exactly as deployed functions do (FAL downloads the
// audio through one). The key belongs to no Google project; the Storage emulator serves signed URLs without checking
// them, and the tests check each signature against this key's public half themselves. Idempotent.
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const target = join(dirname(fileURLToPath(import.meta.url)), "../../.emulators/test-service-account.json");
if (!existsSync(target)) {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    target,
    JSON.stringify(
      {
        type: "service_account",
        project_id: "demo-providers",
        private_key_id: randomUUID().replaceAll("-", ""),
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: "functions-test@demo-providers.iam.gserviceaccount.com",
        client_id: "100000000000000000000",
        token_uri: "http://127.0.0.1:1/token",
      },
      null,
      2,
    ),
  );
  console.log(`[setup] wrote ${target}`);
}
