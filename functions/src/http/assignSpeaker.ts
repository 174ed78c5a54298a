/**
 * `POST /v1/memories/{memoryId}/speakers/{label}/assign` with `{person_id}` or `{is_user: true}`: the user names a
 * speaker of one of their memories. Every segment of that speaker is relabelled by hand (a new transcript version,
 * kept through later re-runs), and the voice is taught from the memory's audio (the processing copy while it is
 * kept, else the recording the user allowed us to keep), so the next recording with that voice is named on its own.
 * Nothing changes when it is refused: 404 (no such memory, speaker or person), 409 (a job is running on the memory;
 * its audio was never uploaded or is not kept), 410 (its audio has expired), 422 (too little of the speaker's speech
 * to learn from). The app can offer enrollment instead.
 */
import type { Request, Response } from "express";
import { z } from "zod";
import { loadConfig } from "../config.js";
import { HttpError } from "../errors.js";
import * as logs from "../logs.js";
import type { TranscriptSegment } from "../model/transcript.js";
import { speakerEmbedderFor } from "../providers/speakerEmbedder/create.js";
import { embedSpeakerVoice, TEACH_MIN_SPEECH_SECONDS } from "../speaker/speakerSamples.js";
import { db } from "../store/firebase.js";
import { readPostprocessing, refusalForAnyJob } from "../store/jobs.js";
import { isNoAudio, withMemoryAudio, type NoAudio } from "../store/memoryAudio.js";
import { isValidDocumentId, memoryPath, personPath } from "../store/paths.js";
import { reembedProfiles } from "../store/profileMigration.js";
import { assignSpeaker, type AssignTarget } from "../store/speakerAssignments.js";
import { authenticate } from "./auth.js";
import { refusalError } from "./refusals.js";
import { memoryIdParam } from "./requestParams.js";
import { dropUnreferencedSamples, profileView, REEMBED_BUDGET_MS } from "./speechProfiles.js";

const bodySchema = z.union([
  z.strictObject({ person_id: z.string().min(1) }),
  z.strictObject({ is_user: z.literal(true) }),
]);

/** Diarization labels, "SPEAKER_00" and the like (a split-off turn gets one too). */
const LABEL = /^[A-Za-z0-9_-]{1,64}$/;

function noAudioError(missing: NoAudio["missing"], target: AssignTarget): HttpError {
  const enroll = target.kind === "user" ? "/v3/upload-audio" : `/v1/users/people/${target.personId}/speech-samples`;
  if (missing === "expired")
    return new HttpError(410, "audio_expired", "The memory's audio has expired; record a voice sample instead.", {
      enroll,
    });
  return new HttpError(
    409,
    "audio_not_kept",
    "The memory's audio is not kept (audio storage is off and the processing copy has expired); " +
      "record a voice sample instead.",
    { enroll },
  );
}

export async function assignSpeakerLabel(req: Request, res: Response): Promise<void> {
  const uid = await authenticate(req);
  const memoryId = memoryIdParam(req);
  const label = String(req.params.label ?? "");
  if (!LABEL.test(label)) throw new HttpError(400, "invalid_argument", "The speaker label is not valid.");
  const body = bodySchema.safeParse(req.body);
  if (!body.success)
    throw new HttpError(400, "invalid_argument", 'Send JSON {"person_id": "<id>"} or {"is_user": true}, nothing else.');
  if ("person_id" in body.data && !isValidDocumentId(body.data.person_id))
    throw new HttpError(400, "invalid_argument", "The person id is not valid.");
  const target: AssignTarget =
    "person_id" in body.data ? { kind: "person", personId: body.data.person_id } : { kind: "user" };
  const config = loadConfig();

  const memory = (await db().doc(memoryPath(uid, memoryId)).get()).data();
  const refusal = refusalForAnyJob(memory, new Date(), config.jobStaleAfterMs);
  if (refusal) throw refusalError(refusal);
  const segments = (memory!.transcript_segments ?? []) as TranscriptSegment[];
  if (!segments.some((s) => s.speaker === label))
    throw new HttpError(404, "speaker_not_found", `The memory has no speaker "${label}".`);
  if (target.kind === "person") {
    const person = await db().doc(personPath(uid, target.personId)).get();
    if (!person.exists || person.get("deleted") === true)
      throw new HttpError(404, "person_not_found", "No such person.");
  }
  const pp = readPostprocessing(memory);
  if (!pp)
    throw new HttpError(409, "no_recording", "The memory's audio was never uploaded; record a voice sample instead.");

  const embedder = await speakerEmbedderFor(config);
  // Profiles of an older model are brought to this one first, so the voice extends them rather than replacing them.
  await reembedProfiles(uid, embedder, { budgetMs: REEMBED_BUDGET_MS });
  const learned = await withMemoryAudio(config, uid, pp, async (wav, source) => ({
    source,
    voice: await embedSpeakerVoice(segments, label, wav, embedder),
  }));
  if (isNoAudio(learned)) throw noAudioError(learned.missing, target);
  if (!learned.voice)
    throw new HttpError(
      422,
      "not_enough_speech",
      `The speaker has less than ${TEACH_MIN_SPEECH_SECONDS} s of clear speech in this memory to learn the voice from.`,
    );

  const result = await assignSpeaker({
    uid,
    memoryId,
    label,
    target,
    voice: { modelId: embedder.modelId, ...learned.voice },
    transcriptVersion: Number(memory!.transcript_version ?? 0),
    now: new Date(),
  });
  await dropUnreferencedSamples(uid, result.unreferenced);
  logs.speakerAssigned(
    { uid, memoryId, route: req.path },
    {
      target: target.kind,
      segments: result.relabelled,
      source: learned.source,
      speechSeconds: Number(learned.voice.speechSeconds.toFixed(1)),
    },
  );
  res.status(200).json({
    memory_id: memoryId,
    speaker: label,
    is_user: target.kind === "user",
    person_id: target.kind === "person" ? target.personId : null,
    segments_relabelled: result.relabelled,
    transcript_version: result.transcriptVersion,
    learned_from: learned.source,
    speech_seconds: Number(learned.voice.speechSeconds.toFixed(2)),
    speech_profile: profileView(result.profile, embedder.modelId),
    transcript_segments: result.segments,
  });
}
