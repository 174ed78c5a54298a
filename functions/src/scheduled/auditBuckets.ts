/**
 * The daily audit of both buckets: every object under a user's prefix must be referred to by something, or it is an
 * orphan (a bug left it behind) and is deleted once it is older than AUDIT_GRACE_HOURS:
 * - `{uid}/{memoryId}/…`: in the post-processing bucket, while its memory exists and is not deleted (the sweep deletes
 *   it when its retention is over); in the recordings bucket, while the memory exists, is not deleted and names it as
 *   its kept recording (`postprocessing.audio.recording_object`);
 * - `{uid}/speech_profiles/self/…`: while the user's profile names it (`speech_profile.sample_object`);
 * - `{uid}/speech_profiles/{personId}/…`: while one of the person's samples names it (`samples[].object`).
 * Whatever belongs to a memory whose job is running is kept, whatever its age: an upload in flight writes its object
 * before its reference. Objects younger than the grace period are kept too. Names of no known shape are counted and
 * left alone (they are not ours to judge).
 * Bounded work per run: at most MAX_PAGES pages of a listing, then the cursor (`ops/bucket_audit`) is stored and the
 * next run continues there; a finished pass over both buckets starts again from the beginning.
 */
import type { File } from "@google-cloud/storage";
import type { Config } from "../config.js";
import * as logs from "../logs.js";
import { bucket, db } from "../store/firebase.js";
import { memoryPath, personPath, userPath } from "../store/paths.js";

const PAGE = 500;
/** Pages per run (both buckets together): 10 000 objects, well inside the function's timeout. */
export const MAX_PAGES = 20;
export const AUDIT_CURSOR = "ops/bucket_audit";

export type ObjectKind = "memory_audio" | "kept_recording" | "user_voice_sample" | "person_voice_sample" | "unknown";

export interface AuditResult {
  scanned: number;
  orphansDeleted: string[];
  orphansByKind: Partial<Record<ObjectKind, number>>;
  keptYoung: number;
  errors: number;
  /** The run reached the end of both buckets (the next one starts over). */
  done: boolean;
}

type Cursor = { bucketIndex: number; pageToken: string | null };

/** What an object is by its name, and what would refer to it. */
export function classify(
  name: string,
  bucketRole: "recordings" | "postprocessing",
): { kind: ObjectKind; uid: string; memoryId?: string; personId?: string } {
  const parts = name.split("/");
  const uid = parts[0] ?? "";
  if (parts.length >= 4 && parts[1] === "speech_profiles") {
    return parts[2] === "self"
      ? { kind: "user_voice_sample", uid }
      : { kind: "person_voice_sample", uid, personId: parts[2] };
  }
  if (parts.length >= 3 && parts[1] !== "speech_profiles")
    return { kind: bucketRole === "recordings" ? "kept_recording" : "memory_audio", uid, memoryId: parts[1] };
  return { kind: "unknown", uid };
}

export async function auditBuckets(
  config: Pick<Config, "recordingsBucket" | "postprocessingBucket" | "auditGraceMs">,
  now: Date,
): Promise<AuditResult> {
  if (!Number.isFinite(now.getTime())) throw new Error("auditBuckets: the run's time is not a valid date");
  const started = Date.now();
  const buckets = [
    { name: config.recordingsBucket, role: "recordings" as const },
    { name: config.postprocessingBucket, role: "postprocessing" as const },
  ];
  const cursorRef = db().doc(AUDIT_CURSOR);
  const saved = (await cursorRef.get()).data() as Cursor | undefined;
  let cursor: Cursor = saved && saved.bucketIndex < buckets.length ? saved : { bucketIndex: 0, pageToken: null };
  const result: AuditResult = {
    scanned: 0,
    orphansDeleted: [],
    orphansByKind: {},
    keptYoung: 0,
    errors: 0,
    done: false,
  };

  let docs = new Map<string, Promise<FirebaseFirestore.DocumentData | undefined>>();
  const read = (path: string) => {
    if (!docs.has(path))
      docs.set(
        path,
        db()
          .doc(path)
          .get()
          .then((s) => s.data()),
      );
    return docs.get(path)!;
  };

  const referenced = async (file: File, role: "recordings" | "postprocessing") => {
    const c = classify(file.name, role);
    if (c.kind === "unknown") return { kind: c.kind, keep: true, uid: c.uid };
    if (c.kind === "user_voice_sample") {
      const user = await read(userPath(c.uid));
      const profile = user?.speech_profile as { sample_object?: unknown } | undefined;
      // A profile from before `sample_object` was stored uses the newest sample it finds: keep them all.
      const legacy = !!profile && profile.sample_object === undefined;
      return { kind: c.kind, keep: legacy || profile?.sample_object === file.name, uid: c.uid };
    }
    if (c.kind === "person_voice_sample") {
      const person = await read(personPath(c.uid, c.personId!));
      const samples = (person?.samples ?? []) as { object?: unknown }[];
      return { kind: c.kind, keep: samples.some((s) => s?.object === file.name), uid: c.uid };
    }
    const memory = await read(memoryPath(c.uid, c.memoryId!));
    const ctx = { kind: c.kind, uid: c.uid, memoryId: c.memoryId };
    if (!memory) return { ...ctx, keep: false };
    const pp = memory.postprocessing as { status?: unknown; audio?: { recording_object?: unknown } } | undefined;
    // An upload in flight, or a job still using what it wrote: never the audit's to judge.
    if (pp?.status === "in_progress") return { ...ctx, keep: true };
    if (memory.deleted === true) return { ...ctx, keep: false };
    if (c.kind === "memory_audio") return { ...ctx, keep: true };
    return { ...ctx, keep: pp?.audio?.recording_object === file.name };
  };

  for (let page = 0; page < MAX_PAGES; page++) {
    const current = buckets[cursor.bucketIndex];
    type Query = { autoPaginate: false; maxResults: number; pageToken?: string };
    const query: Query = {
      autoPaginate: false,
      maxResults: PAGE,
      ...(cursor.pageToken ? { pageToken: cursor.pageToken } : {}),
    };
    const [files, next] = (await bucket(current.name).getFiles(query)) as unknown as [File[], Query | null];
    docs = new Map();
    const outcomes = await Promise.allSettled(
      files.map(async (file) => {
        result.scanned += 1;
        const verdict = await referenced(file, current.role);
        if (verdict.keep) return;
        const created = Date.parse(file.metadata.timeCreated ?? "");
        const ageMs = now.getTime() - created;
        if (!Number.isFinite(created) || ageMs < config.auditGraceMs) {
          result.keptYoung += 1;
          return;
        }
        await file.delete({ ignoreNotFound: true });
        result.orphansDeleted.push(`${current.name}/${file.name}`);
        result.orphansByKind[verdict.kind] = (result.orphansByKind[verdict.kind] ?? 0) + 1;
        logs.orphanDeleted(
          { uid: verdict.uid, memoryId: "memoryId" in verdict ? verdict.memoryId : undefined },
          { bucket: current.name, object: file.name, kind: verdict.kind, ageHours: Math.round(ageMs / 3_600_000) },
        );
      }),
    );
    for (const o of outcomes) if (o.status === "rejected") result.errors += 1;
    if (next?.pageToken) {
      cursor = { bucketIndex: cursor.bucketIndex, pageToken: next.pageToken };
    } else if (cursor.bucketIndex + 1 < buckets.length) {
      cursor = { bucketIndex: cursor.bucketIndex + 1, pageToken: null };
    } else {
      cursor = { bucketIndex: 0, pageToken: null };
      result.done = true;
      break;
    }
  }
  await cursorRef.set({ ...cursor, updated_at: new Date().toISOString() });
  logs.bucketAuditFinished({
    scanned: result.scanned,
    orphansDeleted: result.orphansDeleted.length,
    orphansByKind: result.orphansByKind,
    keptYoung: result.keptYoung,
    errors: result.errors,
    done: result.done,
    durationMs: Date.now() - started,
  });
  return result;
}
