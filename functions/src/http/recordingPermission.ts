/**
 * The user's consent to keeping their audio (`users/{uid}.store_recording_permission`), with Omi's routes and
 * semantics:
 * - `GET /v1/users/store-recording-permission` → `{store_recording_permission}` (a missing field is false, as the
 *   upload treats it);
 * - `POST …?value=true|false` (or JSON `{value}`) → sets it; recordings already kept stay;
 * - `DELETE …` → sets it false, then deletes every recording and voice sample kept in the recordings bucket and clears
 *   the references to them (store/keptAudio.ts); an audit entry records what went. Repeating it is safe.
 */
import type { Request, Response } from "express";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import { deleteKeptAudio } from "../store/keptAudio.js";
import { allowsAudioStorage, setAudioStorage } from "../store/users.js";
import { authenticate } from "./auth.js";

export const RECORDING_PERMISSION_ROUTE = "/v1/users/store-recording-permission";

const BAD_VALUE = "Send ?value=true|false (or a JSON body {value: true|false}).";

/**
 * The value a POST sets: `?value=true|false` (also 1/0, as Omi's clients send it) or a JSON body `{value: boolean}`.
 * Anything else, or the two disagreeing, is refused rather than guessed.
 */
export function permissionValue(query: unknown, body: unknown): boolean {
  const raw = (query as { value?: unknown } | undefined)?.value;
  let fromQuery: boolean | undefined;
  if (raw !== undefined) {
    if (raw === "true" || raw === "1") fromQuery = true;
    else if (raw === "false" || raw === "0") fromQuery = false;
    else throw new HttpError(400, "invalid_argument", `value must be true or false. ${BAD_VALUE}`);
  }
  let fromBody: boolean | undefined;
  if (body && typeof body === "object" && !Buffer.isBuffer(body) && "value" in body) {
    const value: unknown = body.value;
    if (typeof value !== "boolean")
      throw new HttpError(400, "invalid_argument", `value must be a boolean. ${BAD_VALUE}`);
    fromBody = value;
  }
  if (fromQuery !== undefined && fromBody !== undefined && fromQuery !== fromBody)
    throw new HttpError(400, "invalid_argument", "The query and the body give different values.");
  const value = fromQuery ?? fromBody;
  if (value === undefined) throw new HttpError(400, "invalid_argument", BAD_VALUE);
  return value;
}

export async function getRecordingPermission(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  res.status(200).json({ store_recording_permission: await allowsAudioStorage(uid) });
}

export async function setRecordingPermission(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const value = permissionValue(req.query, req.body);
  const before = await setAudioStorage(uid, value);
  logs.recordingPermissionSet({ uid, route: req.path }, { value, before });
  res.status(200).json({ status: "ok", store_recording_permission: value });
}

export async function deleteRecordingPermission(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  let deletion;
  try {
    deletion = await deleteKeptAudio(uid, {
      recordingsBucket: loadConfig().recordingsBucket,
      by: uid,
      via: `DELETE ${RECORDING_PERMISSION_ROUTE}`,
    });
  } catch (err) {
    // The permission may already be off and some audio gone: say so rather than "nothing was changed".
    logs.recordingsDeletionFailed({ uid, route: req.path }, err);
    throw deletionIncomplete();
  }
  if (deletion.objectsFailed) throw deletionIncomplete();
  res.status(200).json({
    status: "ok",
    store_recording_permission: false,
    deleted: { objects: deletion.objectsDeleted, bytes: deletion.bytesDeleted },
    references_cleared: {
      memories: deletion.referencesCleared.memories,
      voice_samples: deletion.referencesCleared.voiceSamples,
    },
    audit_id: deletion.auditId,
  });
}

const deletionIncomplete = () =>
  new HttpError(
    503,
    "deletion_incomplete",
    "Audio storage is off, but not every kept recording could be deleted yet; retry (repeating is safe).",
  );
