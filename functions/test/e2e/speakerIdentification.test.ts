/**
 * Enrollment and speaker identification end to end: the user enrolls their voice (`POST /v3/upload-audio`), adds a
 * known person with a sample, uploads a conversation; the emulated pipeline segments it and names the speakers.
 */
import { topicOf } from "../../src/pipeline/definition.js";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bucket, db } from "../../src/store/firebase.js";
import { createSpeakerEmbedder } from "../../src/providers/speakerEmbedder/create.js";
import { identify } from "../../src/stages/identify.js";
import { segment } from "../../src/stages/segment.js";
import { memoryPath, userPath } from "../../src/store/paths.js";
import { encodeWavSamples } from "../../src/audio/pcm.js";
import { makeWav } from "../support/audio.js";
import { makeConversation } from "../support/speech.js";
import { logLines } from "../support/logLines.js";
import {
  apiUrl,
  collectMessages,
  config,
  createMemory,
  createUser,
  objectNames,
  postAudio,
  readMemory,
  uniqueId,
  waitFor,
  type TestUser,
} from "../support/emulators.js";

const USER_VOICE = { voice: "en-us" };
const PERSON_VOICE = { voice: "en+f3" };
const STRANGER_VOICE = { voice: "en-us", pitch: 99 };

let reprocessMessages: Awaited<ReturnType<typeof collectMessages>>;
beforeAll(async () => {
  reprocessMessages = await collectMessages(topicOf("reprocess")!);
});
afterAll(() => reprocessMessages?.close());

async function sample(voice: { voice: string; pitch?: number }, sentences: string[]) {
  return (
    await makeConversation(
      sentences.map((text) => ({ ...voice, text })),
      { gapS: 0.4 },
    )
  ).wav;
}

function postForm(path: string, token: string | undefined, file: Buffer | undefined) {
  const form = new FormData();
  if (file) form.append("file", new Blob([new Uint8Array(file)], { type: "audio/wav" }), "sample.wav");
  return fetch(apiUrl(path), {
    method: "POST",
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: form,
  });
}
const postJson = (path: string, token: string, body: unknown, method = "POST") =>
  fetch(apiUrl(path), {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function enrollOwnVoice(user: TestUser) {
  const own = await postForm(
    "/v3/upload-audio",
    user.idToken,
    await sample(USER_VOICE, [
      "My name is Sam and this is my voice for the speech profile.",
      "I usually talk about work, running and the books I am reading.",
      "On weekends I like to cook for friends and walk by the river.",
      "This sample is long enough for the app to learn how I sound.",
    ]),
  );
  expect(own.status).toBe(200);
}

async function enroll(user: TestUser) {
  await enrollOwnVoice(user);
  const person = await (await postJson("/v1/users/people", user.idToken, { name: "Alice" })).json();
  const added = await postForm(
    `/v1/users/people/${person.id}/speech-samples`,
    user.idToken,
    await sample(PERSON_VOICE, [
      "Hi, I am Alice, and I work with Sam on the design of the new app.",
      "We meet every week to go through the plans and the open questions.",
      "Most of my days are spent sketching screens and talking to users.",
      "I record this so the app can tell my voice apart from the others.",
    ]),
  );
  expect(added.status).toBe(200);
  return person.id as string;
}

const waitForIdentified = (uid: string, memoryId: string) =>
  waitFor(
    async () => {
      const pp = (await readMemory(uid, memoryId))?.postprocessing;
      return pp && (pp.stages?.identify?.next_published || ["failed", "canceled"].includes(pp.status)) ? pp : null;
    },
    { what: "speakers identified", timeoutMs: 150_000 },
  );

const waitForEnded = (uid: string, memoryId: string, jobId?: string) =>
  waitFor(
    async () => {
      const pp = (await readMemory(uid, memoryId))?.postprocessing;
      const ended = pp && ["completed", "failed", "canceled"].includes(pp.status);
      return ended && (!jobId || pp.job_id === jobId) ? pp : null;
    },
    { what: "the job to end", timeoutMs: 150_000 },
  );

describe("speaker identification", () => {
  it("marks the user's segments is_user, the enrolled person's with person_id, leaves a stranger unknown", async () => {
    const user = await createUser({ storeRecordings: false });
    const personId = await enroll(user);
    const profile = (await db().doc(userPath(user.uid)).get()).get("speech_profile");
    expect(profile).toMatchObject({ model_id: "baseline-mfcc-f0-v1", sample_count: 1 });
    expect(await objectNames(config.recordingsBucket, `${user.uid}/`)).toEqual([]); // embeddings only, no audio

    const streaming = [
      { text: "hi", speaker: "SPEAKER_00", speaker_id: 0, is_user: false, person_id: null, start: 0, end: 1 },
    ];
    const memoryId = await createMemory(user.uid, { transcript_segments: streaming });
    const lines = [
      [USER_VOICE, "Good morning Alice, thanks for joining the planning call today."],
      [PERSON_VOICE, "Morning Sam, happy to be here, I brought the new sketches."],
      [STRANGER_VOICE, "Hello both, I am from the finance team and I will take notes."],
      [USER_VOICE, "Great, let us start with the budget and then look at the sketches."],
      [PERSON_VOICE, "The sketches need two more weeks before they are ready to share."],
      [STRANGER_VOICE, "Two weeks is fine for us as long as the costs stay the same."],
      [USER_VOICE, "Then we agree, I will send a summary to everyone this afternoon."],
    ] as const;
    const conversation = await makeConversation(
      lines.map(([v, text]) => ({ ...v, text })),
      { gapS: 0.8 },
    );
    const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
    expect(res.status).toBe(200);
    const jobId = (await res.json()).postprocessing.job_id;

    await waitForIdentified(user.uid, memoryId);
    const pp = await waitForEnded(user.uid, memoryId);
    expect(pp.status).toBe("completed");
    expect(pp.stages.reprocess).toMatchObject({ state: "done" });
    expect(pp.stages.emotion).toBeUndefined(); // not requested
    await expect.poll(() => reprocessMessages.forJob(jobId).length, { timeout: 60_000 }).toBe(1);

    const memory = (await readMemory(user.uid, memoryId))!;
    const segments = memory.transcript_segments as {
      is_user: boolean;
      person_id: string | null;
      start: number;
      end: number;
      speaker: string;
    }[];
    const whoAt = (s: { start: number; end: number }) => {
      const mid = (s.start + s.end) / 2;
      const i = conversation.turns.findIndex((t) => mid >= t.start - 0.3 && mid <= t.end + 0.3);
      return i < 0 ? null : lines[i][0];
    };
    const check = (voice: object, expected: (s: (typeof segments)[number]) => boolean) => {
      const mine = segments.filter((s) => whoAt(s) === voice);
      expect(mine.length).toBeGreaterThan(0);
      const why = JSON.stringify({ speakers: memory.postprocessing.speakers, mine });
      expect(mine.filter(expected).length / mine.length, why).toBeGreaterThanOrEqual(0.8);
    };
    check(USER_VOICE, (s) => s.is_user && s.person_id === null);
    check(PERSON_VOICE, (s) => !s.is_user && s.person_id === personId);
    check(STRANGER_VOICE, (s) => !s.is_user && s.person_id === null);
    expect(
      segments
        .filter((s) => s.is_user)
        .map((s) => s.speaker)
        .filter((v, i, a) => a.indexOf(v) === i),
    ).toHaveLength(1);

    const versions = await db()
      .collection(`${memoryPath(user.uid, memoryId)}/transcripts`)
      .orderBy("version")
      .get();
    expect(versions.docs.map((d) => [d.id, d.get("source")])).toEqual([
      ["1", "streaming"],
      ["2", pp.transcript.model],
    ]);
    expect(versions.docs[0].get("segments")).toEqual(streaming);
    expect(versions.docs[1].get("segments")).toEqual(segments);
    expect(memory.transcript_version).toBe(2);

    // A duplicate delivery of segment and identify writes nothing more.
    const deps = {
      config,
      now: () => new Date(),
      eventId: uniqueId("dup"),
      eventTime: new Date(),
      maxEventAgeMs: 3_600_000,
      deadline: new Date(Date.now() + 510_000),
    };
    await segment({ uid: user.uid, memoryId, jobId }, deps);
    const speakerEmbedder = () => createSpeakerEmbedder(config.speakerModelPath, config.speakerModelThreads);
    const identifyDuplicate = uniqueId("dup");
    await identify({ uid: user.uid, memoryId, jobId }, { ...deps, eventId: identifyDuplicate, speakerEmbedder });
    // Both duplicates ran to their end and said they skipped (a delivery that publishes says so instead).
    const skips = await logLines((l) => l.event === "stage_skipped" && l.jobId === jobId);
    expect(
      skips.filter((l) => [deps.eventId, identifyDuplicate].includes(String(l.eventId))).map((l) => l.stage),
    ).toEqual(["segment", "identify"]);
    expect(
      (
        await db()
          .collection(`${memoryPath(user.uid, memoryId)}/transcripts`)
          .get()
      ).size,
    ).toBe(2);
    expect((await readMemory(user.uid, memoryId))!.transcript_segments).toEqual(segments);
    expect(reprocessMessages.forJob(jobId)).toHaveLength(1);
  });

  it("brings a profile another speaker model made to the current one before matching (from its sample)", async () => {
    const user = await createUser({ storeRecordings: true });
    await enrollOwnVoice(user);
    // As if an earlier speaker model had made the profile: its embedding means nothing to the current one.
    await db()
      .doc(userPath(user.uid))
      .update({ "speech_profile.model_id": "an-older-model", "speech_profile.embedding": [0.5, -0.5, 0.5] });
    const memoryId = await createMemory(user.uid, { transcript_segments: [] });
    const lines = [
      [USER_VOICE, "Good morning Alice, thanks for joining the planning call today."],
      [PERSON_VOICE, "Morning Sam, happy to be here, I brought the new sketches."],
      [USER_VOICE, "Then we agree, I will send a summary to everyone this afternoon."],
    ] as const;
    const conversation = await makeConversation(
      lines.map(([v, text]) => ({ ...v, text })),
      { gapS: 0.8 },
    );
    const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
    expect(res.status).toBe(200);
    const pp = await waitForEnded(user.uid, memoryId);
    expect(pp.status).toBe("completed");
    const profile = (await db().doc(userPath(user.uid)).get()).get("speech_profile");
    expect(profile.model_id).toBe("baseline-mfcc-f0-v1");
    expect(profile.needs_reenrollment ?? false).toBe(false);
    const segments = (await readMemory(user.uid, memoryId))!.transcript_segments as { is_user: boolean }[];
    expect(segments.some((s) => s.is_user)).toBe(true);
  });

  it("keeps the existing transcript when the new one has under 85% of its characters", async () => {
    const user = await createUser();
    const long = Array.from({ length: 10 }, (_, i) => ({
      text: "this streaming transcript has far more words than the short recording below could ever produce",
      speaker: "SPEAKER_00",
      speaker_id: 0,
      is_user: false,
      person_id: null,
      start: i * 2,
      end: i * 2 + 1.9,
    }));
    const memoryId = await createMemory(user.uid, { transcript_segments: long });
    const audio = await makeConversation(
      [
        { voice: "en-us", text: "Just a few words." },
        { voice: "en+f3", text: "Yes." },
      ],
      { gapS: 5 },
    );
    const res = await postAudio({ memoryId, token: user.idToken, file: audio.wav });
    expect(res.status).toBe(200);
    const pp = await waitFor(
      async () => {
        const p = (await readMemory(user.uid, memoryId))!.postprocessing;
        return p.status !== "in_progress" ? p : null;
      },
      { timeoutMs: 150_000 },
    );
    expect(pp.status).toBe("failed");
    expect(pp.fail_reason).toMatch(/^transcript_too_short: .* the existing transcript is kept/);
    const memory = (await readMemory(user.uid, memoryId))!;
    expect(memory.transcript_segments).toEqual(long);
    expect(
      (
        await db()
          .collection(`${memoryPath(user.uid, memoryId)}/transcripts`)
          .get()
      ).size,
    ).toBe(0);
  });
});

/**
 * Many-voice conversations through the real triggers (issue: three clearly different voices in 33 s of 8 turns came
 * out as one speaker). Each voice's segments must carry one speaker label of its own; the enrolled user's are
 * `is_user`, the enrolled person's named, and the strangers' unknown.
 */
describe("conversations of three and four voices", () => {
  const SECOND_STRANGER = { voice: "en-us+m7", pitch: 10 };
  const cases = [
    {
      name: "three voices in eight turns (about 38 s)",
      lines: [
        [USER_VOICE, "Did you get the invitation for the party on Saturday evening? I found it in the letter box."],
        [PERSON_VOICE, "Yes, it came this morning, together with a little map of the garden and the parking."],
        [STRANGER_VOICE, "Mine came too, so are we all going to be there? I would like to bring my brother."],
        [USER_VOICE, "I think so, if the weather holds and the trains are running on time that day."],
        [PERSON_VOICE, "I can bring the salad and some fresh bread from the bakery around the corner."],
        [STRANGER_VOICE, "Then I will bring drinks and ice for everyone, and some music for the evening."],
        [USER_VOICE, "Perfect, let us meet at the station at six and walk to the garden together."],
        [PERSON_VOICE, "See you there, and do not forget the umbrella in case it rains again."],
      ],
    },
    {
      name: "four voices",
      lines: [
        [USER_VOICE, "Welcome everyone, let us go through the launch plan for next month."],
        [PERSON_VOICE, "The design work is finished and the screens are ready for review."],
        [STRANGER_VOICE, "Marketing needs the final screenshots by the end of this week."],
        [SECOND_STRANGER, "The servers are ready and the load tests passed yesterday evening."],
        [USER_VOICE, "Good, then the only open point is the pricing page."],
        [PERSON_VOICE, "I can finish the pricing page on Wednesday and send it round for review on Thursday."],
        [STRANGER_VOICE, "That works for us, we will write the announcement around it."],
        [SECOND_STRANGER, "I will keep an eye on the servers during the launch day."],
        [USER_VOICE, "Thank you all, I will send the notes after this meeting."],
      ],
    },
  ] as const;

  it.each(cases)(
    "$name: each voice one speaker, the user is_user, the person named",
    { timeout: 240_000 },
    async ({ lines }) => {
      const user = await createUser({ storeRecordings: false });
      const personId = await enroll(user);
      const memoryId = await createMemory(user.uid);
      const conversation = await makeConversation(
        lines.map(([v, text]) => ({ ...v, text })),
        { gapS: 0.6 },
      );
      const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
      expect(res.status).toBe(200);
      const pp = await waitForEnded(user.uid, memoryId);
      expect(pp.status).toBe("completed");

      const segments = (await readMemory(user.uid, memoryId))!.transcript_segments as {
        is_user: boolean;
        person_id: string | null;
        start: number;
        end: number;
        speaker: string;
      }[];
      // The voice speaking at a segment's middle (segments between turns are not counted).
      const voiceAt = (s: { start: number; end: number }) => {
        const mid = (s.start + s.end) / 2;
        const i = conversation.turns.findIndex((t) => mid >= t.start && mid <= t.end);
        return i < 0 ? null : lines[i][0];
      };
      const voices = [...new Set(lines.map(([v]) => v))];
      const labelOf = new Map<object, string>();
      for (const voice of voices) {
        const mine = segments.filter((s) => voiceAt(s) === voice);
        expect(mine.length, JSON.stringify(voice)).toBeGreaterThan(0);
        const counts = new Map<string, number>();
        for (const s of mine) counts.set(s.speaker, (counts.get(s.speaker) ?? 0) + (s.end - s.start));
        const [label, time] = [...counts].sort((a, b) => b[1] - a[1])[0];
        const total = mine.reduce((n, s) => n + s.end - s.start, 0);
        // Consistent: at least 80 % of the voice's speech under one label.
        expect(time / total, `${JSON.stringify(voice)}: ${JSON.stringify([...counts])}`).toBeGreaterThanOrEqual(0.8);
        labelOf.set(voice, label);
      }
      // Distinct: no two voices share their label.
      expect(new Set(labelOf.values()).size).toBe(voices.length);
      const share = (voice: object, expected: (s: (typeof segments)[number]) => boolean) => {
        const mine = segments.filter((s) => voiceAt(s) === voice);
        return mine.filter(expected).length / mine.length;
      };
      const why = JSON.stringify((await readMemory(user.uid, memoryId))!.postprocessing.speakers);
      expect(
        share(USER_VOICE, (s) => s.is_user && s.person_id === null),
        why,
      ).toBeGreaterThanOrEqual(0.8);
      expect(
        share(PERSON_VOICE, (s) => !s.is_user && s.person_id === personId),
        why,
      ).toBeGreaterThanOrEqual(0.8);
      for (const stranger of voices.filter((v) => v !== USER_VOICE && v !== PERSON_VOICE)) {
        expect(share(stranger, (s) => !s.is_user && s.person_id === null)).toBe(1);
      }
    },
  );
});

describe("enrollment endpoints", () => {
  it("stores sample audio only when the user allows audio storage", async () => {
    const user = await createUser({ storeRecordings: true });
    const res = await postForm(
      "/v3/upload-audio",
      user.idToken,
      await sample(USER_VOICE, [
        "This is my voice sample for the profile, recorded today.",
        "It should be long enough to say who I am.",
      ]),
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.url).toMatch(
      new RegExp(`^gs://${config.recordingsBucket}/${user.uid}/speech_profiles/self/\\d+\\.wav$`),
    );
    expect(body.speech_profile).toMatchObject({ model_id: "baseline-mfcc-f0-v1", sample_count: 1 });
    expect(body.speech_profile.speech_seconds).toBeGreaterThan(2);
    expect(await objectNames(config.recordingsBucket, `${user.uid}/speech_profiles/`)).toHaveLength(1);
  });

  it("refuses bad samples and requests with clear errors, changing nothing", async () => {
    const user = await createUser();
    const code = async (res: Response) => [res.status, (await res.json()).error?.code];
    const silence = encodeWavSamples(new Float32Array(16_000 * 8), 16_000);
    expect(
      await code(
        await postForm("/v3/upload-audio", user.idToken, makeWav({ seconds: 3, channels: 1, sampleRate: 16_000 })),
      ),
    ).toEqual([422, "sample_too_short"]);
    expect(await code(await postForm("/v3/upload-audio", user.idToken, silence))).toEqual([422, "no_speech"]);
    expect(
      await code(
        await postForm("/v3/upload-audio", user.idToken, encodeWavSamples(new Float32Array(16_000 * 181), 16_000)),
      ),
    ).toEqual([422, "sample_too_long"]);
    expect(
      await code(await postForm("/v3/upload-audio", user.idToken, Buffer.from("not audio at all ".repeat(100)))),
    ).toEqual([415, "unsupported_media_type"]);
    expect(await code(await postForm("/v3/upload-audio", user.idToken, undefined))).toEqual([400, "invalid_argument"]);
    expect(await code(await postForm("/v3/upload-audio", undefined, silence))).toEqual([401, "unauthenticated"]);
    expect((await db().doc(userPath(user.uid)).get()).get("speech_profile")).toBeUndefined();

    expect(await code(await postJson("/v1/users/people", user.idToken, { name: "" }))).toEqual([
      400,
      "invalid_argument",
    ]);
    expect(await code(await postForm("/v1/users/people/nobody/speech-samples", user.idToken, silence))).toEqual([
      404,
      "person_not_found",
    ]);
    const other = await createUser();
    const theirs = await (await postJson("/v1/users/people", other.idToken, { name: "Bob" })).json();
    expect(
      await code(await postJson(`/v1/users/people/${theirs.id}`, user.idToken, { name: "Mallory" }, "PATCH")),
    ).toEqual([404, "person_not_found"]);
    const renamed = await (
      await postJson(`/v1/users/people/${theirs.id}`, other.idToken, { name: "Robert" }, "PATCH")
    ).json();
    expect(renamed).toMatchObject({ id: theirs.id, name: "Robert", speech_samples_count: 0, speech_profile: null });
    expect(
      (
        await db()
          .collection(`${userPath(user.uid)}/people`)
          .get()
      ).size,
    ).toBe(0);
  });

  it(
    "re-runs identify after the user enrolled: a new job, no new upload, a new transcript version",
    { timeout: 300_000 }, // two sequential jobs, each wait allowing 150 s
    async () => {
      const user = await createUser();
      const memoryId = await createMemory(user.uid);
      const lines = [
        [USER_VOICE, "Good morning Alice, thanks for joining the planning call today."],
        [PERSON_VOICE, "Morning Sam, happy to be here, I brought the new sketches."],
        [USER_VOICE, "Great, let us start with the budget and then look at the sketches."],
        [PERSON_VOICE, "The sketches need two more weeks before they are ready to share."],
      ] as const;
      const conversation = await makeConversation(
        lines.map(([v, text]) => ({ ...v, text })),
        { gapS: 0.8 },
      );
      const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
      const firstJob = (await res.json()).postprocessing.job_id as string;
      const first = await waitForEnded(user.uid, memoryId, firstJob);
      expect(first.status).toBe("completed");
      const before = (await readMemory(user.uid, memoryId))!;
      expect(before.transcript_segments.some((s: { is_user: boolean }) => s.is_user)).toBe(false); // no profile yet

      const rerunUrl = `/v1/memories/${memoryId}/post-processing/stages/identify`;
      // Transcription cannot be re-run (it would pay again); another user's memory is not found.
      const transcribe = await postJson(`/v1/memories/${memoryId}/post-processing/stages/transcribe`, user.idToken, {});
      expect([transcribe.status, (await transcribe.json()).error.code]).toEqual([400, "stage_not_rerunnable"]);
      const stranger = await createUser();
      expect((await postJson(rerunUrl, stranger.idToken, {})).status).toBe(404);

      await enroll(user);
      const rerun = await postJson(rerunUrl, user.idToken, {});
      expect(rerun.status).toBe(200);
      const secondJob = (await rerun.json()).postprocessing.job_id as string;
      expect(secondJob).not.toBe(firstJob);
      expect(rerun.headers.get("location")).toBe(`../jobs/${secondJob}`);
      // While it runs, another re-run is refused. The re-run may also have ended already (it takes about a
      // second): then the second request is a re-run of the re-run, with its own job and transcript version.
      const again = await postJson(rerunUrl, user.idToken, {});
      const againBody = await again.json();
      const jobs = [null, firstJob, secondJob];
      if (again.status === 200) jobs.push(againBody.postprocessing.job_id as string);
      else expect([again.status, againBody.error.code]).toEqual([409, "job_in_progress"]);

      const lastJob = jobs.at(-1)!;
      const last = await waitForEnded(user.uid, memoryId, lastJob);
      expect(last).toMatchObject({ status: "completed", rerun: { stage: "identify", of_job: jobs.at(-2) } });
      expect(last.stages.transcribe.attempts).toBe(first.stages.transcribe.attempts); // not transcribed again
      const after = (await readMemory(user.uid, memoryId))!;
      expect(after.transcript_version).toBe(jobs.length);
      const userTurns = after.transcript_segments.filter((s: { start: number }) =>
        conversation.turns.some((t, i) => lines[i][0] === USER_VOICE && s.start >= t.start - 0.3 && s.start <= t.end),
      );
      expect(userTurns.length).toBeGreaterThan(0);
      expect(
        userTurns.every((s: { is_user: boolean }) => s.is_user),
        JSON.stringify({ speakers: after.postprocessing.speakers, userTurns }),
      ).toBe(true);
      const versions = await db()
        .collection(`${memoryPath(user.uid, memoryId)}/transcripts`)
        .orderBy("version")
        .get();
      expect(versions.docs.map((d) => d.get("job_id"))).toEqual(jobs);
    },
  );

  it("answers 410 when the audio a re-run of identify needs has been swept", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const jfk = await readFile(fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url)));
    const res = await postAudio({ memoryId, token: user.idToken, file: jfk });
    const jobId = (await res.json()).postprocessing.job_id as string;
    const pp = await waitForEnded(user.uid, memoryId, jobId);
    expect(pp.status).toBe("completed");
    await bucket(config.postprocessingBucket).file(pp.audio.normalized_object).delete();
    const rerun = await postJson(`/v1/memories/${memoryId}/post-processing/stages/identify`, user.idToken, {});
    expect([rerun.status, (await rerun.json()).error.code]).toEqual([410, "artifacts_expired"]);
    expect((await readMemory(user.uid, memoryId))!.postprocessing.job_id).toBe(jobId);
  });
});
