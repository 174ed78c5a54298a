import * as functionsV1 from "firebase-functions/v1";
import { loadConfig, REGION } from "../config.js";
import { runtimeOptions } from "../pipeline/runtime.js";

/**
 * On deletion of a Firebase Auth account: erase everything this backend holds for that uid (store/erasure.ts).
 * Authentication events exist only for 1st-gen functions. Retried on failure; the erasure is idempotent.
 */
const o = runtimeOptions("userDeleted");
export const userDeleted = functionsV1
  .region(REGION)
  .runWith({
    memory: `${Number.parseInt(o.memory)}${o.memory.endsWith("GiB") ? "GB" : "MB"}` as "256MB",
    timeoutSeconds: o.timeoutSeconds,
    maxInstances: o.maxInstances,
    minInstances: o.minInstances,
    failurePolicy: true,
  })
  .auth.user()
  .onDelete(async (user) => {
    const [{ erase }, logs] = await Promise.all([import("../store/erasure.js"), import("../logs.js")]);
    const target = { kind: "user" as const, uid: user.uid };
    logs.dataErased(target, await erase(loadConfig(), target, new Date()));
  });
