/**
 * Writing the job's cost ledger (`postprocessing.usage`, model/usage.ts): a stage's wall time is added up over its
 * invocations; each paid provider call is recorded once under a stable id with its estimated cost, and logged so
 * log-based metrics can count paid calls and cost.
 */
import { createHash } from "node:crypto";
import { FieldValue } from "firebase-admin/firestore";
import * as logs from "../logs.js";
import type { StageName } from "../model/job.js";
import { estimateCost, type PriceTable, type ProviderCall } from "../model/usage.js";

export type UnpricedCall = Omit<ProviderCall, "estimated_cost_usd" | "stage">;

/** Fields (dotted paths under the memory) that add `ms` to the stage's wall time. */
export const stageTimeFields = (stage: StageName, ms: number): Record<string, unknown> => ({
  [`postprocessing.usage.stages.${stage}.wall_ms`]: FieldValue.increment(Math.max(0, Math.round(ms))),
});

/** A call's ledger id: the provider's request id when there is one, else what and when. */
export function callId(stage: StageName, call: UnpricedCall, index: number): string {
  const basis = call.request_id ?? `${call.at}#${index}`;
  return `${stage}-${call.provider}-${call.kind}-${createHash("sha256").update(basis).digest("hex").slice(0, 12)}`;
}

/** Fields recording `calls` of `stage` with their estimated cost; each call is also logged. */
export function callFields(
  stage: StageName,
  calls: UnpricedCall[],
  prices: PriceTable,
  log: logs.LogContext,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  calls.forEach((call, index) => {
    const priced: ProviderCall = { ...call, stage, estimated_cost_usd: 0 };
    priced.estimated_cost_usd = Number(estimateCost(priced, prices).toFixed(8));
    fields[`postprocessing.usage.calls.${callId(stage, call, index)}`] = priced;
    logs.providerCallRecorded(log, priced);
  });
  return fields;
}
