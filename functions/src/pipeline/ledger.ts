/**
 * Writing the job's cost ledger (`postprocessing.usage`, model/usage.ts): a stage's wall time is added up over its
 * invocations; each paid provider call is recorded under a stable id with its estimated cost. One rule: every paid
 * request is in the ledger exactly once and logged (`provider_call`, which the cost metrics count) exactly once: a call
 * is logged only by the transaction that added it, whichever delivery that was (a checkpoint reused after a crash, a
 * delivery that lost its lease, a duplicate webhook all carry the same ids).
 */
import { createHash } from "node:crypto";
import { FieldValue, type DocumentSnapshot } from "firebase-admin/firestore";
import * as logs from "../logs.js";
import type { StageName } from "./definition.js";
import { estimateCost, type PriceTable, type ProviderCall } from "../model/usage.js";

export type UnpricedCall = Omit<ProviderCall, "estimated_cost_usd" | "stage">;

/** A call with its ledger id and estimated cost. */
export interface PricedCall {
  id: string;
  call: ProviderCall;
}

const CALLS_FIELD = "postprocessing.usage.calls";

/** Fields (dotted paths under the memory) that add `ms` to the stage's wall time. */
export const stageTimeFields = (stage: StageName, ms: number): Record<string, unknown> => ({
  [`postprocessing.usage.stages.${stage}.wall_ms`]: FieldValue.increment(Math.max(0, Math.round(ms))),
});

/** A call's ledger id: the provider's request id when there is one, else what and when. */
export function callId(stage: StageName, call: UnpricedCall, index: number): string {
  const basis = call.request_id ?? `${call.at}#${index}`;
  return `${stage}-${call.provider}-${call.kind}-${createHash("sha256").update(basis).digest("hex").slice(0, 12)}`;
}

/** `calls` of `stage` with their ids and estimated costs. Pure. */
export function priceCalls(stage: StageName, calls: UnpricedCall[], prices: PriceTable): PricedCall[] {
  return calls.map((call, index) => {
    const priced: ProviderCall = { ...call, stage, estimated_cost_usd: 0 };
    priced.estimated_cost_usd = Number(estimateCost(priced, prices).toFixed(8));
    return { id: callId(stage, call, index), call: priced };
  });
}

/**
 * The ledger fields for those of `calls` the memory (as read in a transaction) does not hold yet, and which calls
 * they are. Pure.
 */
export function newCallFields(
  snap: DocumentSnapshot,
  calls: PricedCall[],
): { fields: Record<string, unknown>; added: ProviderCall[] } {
  const fields: Record<string, unknown> = {};
  const added: ProviderCall[] = [];
  const seen = new Set<string>();
  for (const { id, call } of calls) {
    if (seen.has(id) || snap.get(`${CALLS_FIELD}.${id}`) !== undefined) continue;
    seen.add(id);
    fields[`${CALLS_FIELD}.${id}`] = call;
    added.push(call);
  }
  return { fields, added };
}

/** Logs the calls a committed transaction added to the ledger (and only those). */
export function logAddedCalls(log: logs.LogContext, added: ProviderCall[]): void {
  for (const call of added) logs.providerCallRecorded(log, call);
}
