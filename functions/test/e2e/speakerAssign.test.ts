/**
 * Naming a speaker once (`POST /v1/memories/{id}/speakers/{label}/assign`): the voice is taught from the memory's own
 * audio, the next conversation with that voice is named on its own, the manual label survives a re-run of identify,
 * and a refused request changes nothing.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { sweepExpiredAudio } from "../../src/scheduled/sweepExpiredAudio.js";
import { db } from "../../src/store/firebase.js";
import { personPath, userPath } from "../../src/store/paths.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  postAudio,
  readMemory,
  waitFor,
  type TestUser,
} from "../support/emulators.js";
import { postVoiceSample, voiceSample } from "../support/enrollment.js";
import { makeConversation } from "../support/speech.js";

const USER = { voice: "en-us" };
const BOB = { voice: "en+f3" };
type Voice = typeof USER;
type Segment = {
  speaker: string;
  start: number;
  end: number;
  is_user: boolean;
  person_id: string | null;
  identity_status?: string;
  speaker_label_source?: string;
};

const postJson = (user: TestUser | null, path: string, body: unknown) =>
  fetch(apiUrl(path), {
    method: "POST",
    headers: { ...(user ? { authorization: `Bearer ${user.idToken}` } : {}), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const assign = (user: TestUser | null, memoryId: string, label: string, body: unknown) =>
  postJson(user, `/v1/memories/${memoryId}/speakers/${label}/assign`, body);
const refusal = async (res: Response) => [
  res.status,
  ((await res.json()) as { error?: { code?: string } }).error?.code,
];

const waitForEnded = (uid: string, memoryId: string, jobId: string) =>
  waitFor(
    async () => {
      const pp = (await readMemory(uid, memoryId))?.postprocessing;
      return pp?.job_id === jobId && ["completed", "failed", "canceled"].includes(pp.status) ? pp : null;
    },
    { what: "the job to end", timeoutMs: 150_000 },
  );

/** Uploads a conversation of `lines` to a new memory and waits for its job to end; returns where each turn was. */
async function converse(user: TestUser, lines: [Voice, string][]) {
  const memoryId = await createMemory(user.uid);
  const conversation = await makeConversation(
    lines.map(([v, text]) => ({ ...v, text })),
    { gapS: 0.8 },
  );
  const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
  expect(res.status).toBe(200);
  const jobId = (await res.json()).postprocessing.job_id as string;
  const pp = await waitForEnded(user.uid, memoryId, jobId);
  expect(pp.status).toBe("completed");
  /** The segments whose middle falls in a turn of `voice`. */
  const segmentsOf = async (voice: Voice) => {
    const segments = (await readMemory(user.uid, memoryId))!.transcript_segments as Segment[];
    return segments.filter((s) => {
      const mid = (s.start + s.end) / 2;
      const i = conversation.turns.findIndex((t) => mid >= t.start - 0.3 && mid <= t.end + 0.3);
      return i >= 0 && lines[i][0] === voice;
    });
  };
  return { memoryId, segmentsOf };
}

/** The label most of `segments` carry. */
function majorityLabel(segments: Segment[]): string {
  const counts = new Map<string, number>();
  for (const s of segments) counts.set(s.speaker, (counts.get(s.speaker) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0][0];
}

const share = (segments: Segment[], ok: (s: Segment) => boolean) =>
  segments.length ? segments.filter(ok).length / segments.length : 0;

async function newPerson(user: TestUser, name: string): Promise<string> {
  const res = await postJson(user, "/v1/users/people", { name });
  expect(res.status).toBe(200);
  return (await res.json()).id as string;
}

describe("naming a speaker once", () => {
  it(
    "teaches a stranger's voice from the memory: the next conversation names them, a re-run keeps the manual label",
    { timeout: 600_000 }, // three jobs in a row
    async () => {
      const user = await createUser({ storeRecordings: false });
      const own = await postVoiceSample(
        "/v3/upload-audio",
        user.idToken,
        await voiceSample(USER.voice, [
          "My name is Sam and this is my voice for the speech profile.",
          "I usually talk about work, running and the books I am reading.",
          "On weekends I like to cook for friends and walk by the river.",
          "This sample is long enough for the app to learn how I sound.",
        ]),
      );
      expect(own.status).toBe(200);

      const first = await converse(user, [
        [USER, "Good morning, thanks for coming over to look at the garden with me."],
        [BOB, "Happy to help, the roses along the fence look like they need pruning."],
        [USER, "I was thinking we could also move the bench closer to the apple tree."],
        [BOB, "That works, the ground there is flat and it gets the evening sun."],
        [USER, "Great, then let us do the roses first and the bench after lunch."],
        [BOB, "I will bring my gloves and the big shears from the shed tomorrow."],
      ]);
      const bobBefore = await first.segmentsOf(BOB);
      expect(bobBefore.length).toBeGreaterThan(0);
      // Nobody enrolled Bob: his voice is nobody's yet.
      expect(share(bobBefore, (s) => !s.is_user && s.person_id === null && s.identity_status === "unknown")).toBe(1);
      const bobLabel = majorityLabel(bobBefore);
      const before = (await readMemory(user.uid, first.memoryId))!;

      const bob = await newPerson(user, "Bob");
      const named = await assign(user, first.memoryId, bobLabel, { person_id: bob });
      expect(named.status).toBe(200);
      const body = await named.json();
      expect(body).toMatchObject({
        memory_id: first.memoryId,
        speaker: bobLabel,
        is_user: false,
        person_id: bob,
        transcript_version: before.transcript_version + 1,
        learned_from: "processing_copy",
      });
      expect(body.segments_relabelled).toBe(
        before.transcript_segments.filter((s: Segment) => s.speaker === bobLabel).length,
      );
      expect(body.speech_seconds).toBeGreaterThanOrEqual(5);
      const relabelled = (await readMemory(user.uid, first.memoryId))!;
      expect(relabelled.transcript_version).toBe(before.transcript_version + 1);
      for (const s of relabelled.transcript_segments as Segment[]) {
        if (s.speaker === bobLabel)
          expect(s).toMatchObject({
            person_id: bob,
            is_user: false,
            identity_status: "person",
            speaker_label_source: "manual",
          });
      }
      const version = await db()
        .doc(`users/${user.uid}/memories/${first.memoryId}/transcripts/${relabelled.transcript_version}`)
        .get();
      expect(version.get("source")).toBe("manual_assign");
      expect(version.get("segments")).toEqual(relabelled.transcript_segments);
      const samples = async () => ((await db().doc(personPath(user.uid, bob)).get()).get("samples") ?? []) as unknown[];
      expect(await samples()).toHaveLength(1);
      expect((await samples())[0]).toMatchObject({ memory_id: first.memoryId, speaker: bobLabel });

      // Naming the same speaker again changes nothing: no new version, one sample per memory speaker.
      const again = await assign(user, first.memoryId, bobLabel, { person_id: bob });
      expect(again.status).toBe(200);
      expect((await again.json()).transcript_version).toBe(relabelled.transcript_version);
      expect((await readMemory(user.uid, first.memoryId))!.transcript_version).toBe(relabelled.transcript_version);
      expect(await samples()).toHaveLength(1);

      // The next conversation, other sentences: Bob is named without anyone asking.
      const second = await converse(user, [
        [BOB, "Morning, I brought the shears and a box of new plant labels for the beds."],
        [USER, "Perfect timing, the kettle is on and the roses are waiting for you."],
        [BOB, "Let me start with the tall ones by the gate, they are blocking the path."],
        [USER, "Sure, I will fetch the wheelbarrow so we can carry the cuttings away."],
        [BOB, "After that we could plant the tulip bulbs before the ground gets too cold."],
      ]);
      const bobNow = await second.segmentsOf(BOB);
      expect(share(bobNow, (s) => s.person_id === bob && s.identity_status === "person")).toBeGreaterThanOrEqual(0.8);
      expect(share(await second.segmentsOf(USER), (s) => s.is_user && s.person_id === null)).toBeGreaterThanOrEqual(
        0.8,
      );

      // Re-running identify on the first memory keeps what the user said by hand.
      const rerun = await postJson(user, `/v1/memories/${first.memoryId}/post-processing/stages/identify`, {});
      expect(rerun.status).toBe(200);
      const rerunJob = (await rerun.json()).postprocessing.job_id as string;
      expect((await waitForEnded(user.uid, first.memoryId, rerunJob)).status).toBe("completed");
      const after = (await readMemory(user.uid, first.memoryId))!;
      expect(after.transcript_version).toBe(relabelled.transcript_version + 1);
      const manual = (after.transcript_segments as Segment[]).filter((s) => s.speaker_label_source === "manual");
      expect(manual.length).toBe(body.segments_relabelled);
      expect(manual.every((s) => s.person_id === bob && !s.is_user)).toBe(true);
      // And no other speaker of that memory was given Bob automatically.
      const others = (after.transcript_segments as Segment[]).filter((s) => s.speaker_label_source !== "manual");
      expect(others.some((s) => s.person_id === bob)).toBe(false);
    },
  );

  it(
    "teaches the user's own voice when they name themselves in a memory, once per memory speaker",
    { timeout: 400_000 },
    async () => {
      const user = await createUser({ storeRecordings: true });
      const first = await converse(user, [
        [USER, "I think the quarterly report should lead with the customer numbers this time."],
        [BOB, "Agreed, and the churn chart can move to the appendix where it belongs."],
        [USER, "Then I will rewrite the summary tonight and send it round in the morning."],
        [BOB, "Sounds good, I will check the figures against the finance sheet first."],
      ]);
      const mine = await first.segmentsOf(USER);
      expect(share(mine, (s) => s.is_user)).toBe(0); // no profile yet
      const label = majorityLabel(mine);
      const res = await assign(user, first.memoryId, label, { is_user: true });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ is_user: true, person_id: null });
      expect(body.speech_profile).toMatchObject({ sample_count: 1 });
      const profile = async () => (await db().doc(userPath(user.uid)).get()).get("speech_profile");
      expect((await profile()).taught_from).toEqual([`${first.memoryId}/${label}`]);
      expect((await assign(user, first.memoryId, label, { is_user: true })).status).toBe(200);
      expect((await profile()).sample_count).toBe(1);

      const second = await converse(user, [
        [BOB, "Did you manage to send the report round this morning as you planned?"],
        [USER, "Yes, it went out at eight, and the customer numbers are on the first page."],
        [BOB, "Great, then the meeting on Thursday should be a short one for once."],
        [USER, "Let us hope so, I still have the budget review to finish this week."],
        [BOB, "If you need a hand with the budget, just send me the sheet."],
        [USER, "Thanks, I will send it over tomorrow once the sales numbers are final."],
      ]);
      const why = JSON.stringify({
        profile: { ...(await profile()), embedding: undefined },
        speakers: (await readMemory(user.uid, second.memoryId))!.postprocessing.speakers,
      });
      // By speech time: a turn the per-turn check is unsure of is split off as unknown, never given to anyone else.
      const mine2 = await second.segmentsOf(USER);
      const seconds = (list: Segment[]) => list.reduce((n, s) => n + s.end - s.start, 0);
      expect(seconds(mine2.filter((s) => s.is_user)) / seconds(mine2), why).toBeGreaterThanOrEqual(0.6);
      expect(mine2.every((s) => s.is_user || s.person_id === null)).toBe(true);
      expect(share(await second.segmentsOf(BOB), (s) => !s.is_user)).toBe(1);
    },
  );

  it(
    "refuses bad requests, running jobs and memories without audio with clear errors, changing nothing",
    {
      timeout: 300_000,
    },
    async () => {
      const user = await createUser({ storeRecordings: false });
      const bob = await newPerson(user, "Bob");

      // A memory that was never uploaded: there is no audio to learn the voice from.
      const streamingOnly = await createMemory(user.uid);
      expect(await refusal(await assign(user, streamingOnly, "SPEAKER_00", { person_id: bob }))).toEqual([
        409,
        "no_recording",
      ]);

      const memoryId = await createMemory(user.uid);
      const jfk = await readFile(fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url)));
      const res = await postAudio({ memoryId, token: user.idToken, file: jfk });
      const jobId = (await res.json()).postprocessing.job_id as string;
      // While the job runs, the speakers are not settled.
      expect(await refusal(await assign(user, memoryId, "SPEAKER_00", { person_id: bob }))).toEqual([
        409,
        "job_in_progress",
      ]);
      expect((await waitForEnded(user.uid, memoryId, jobId)).status).toBe("completed");
      const before = (await readMemory(user.uid, memoryId))!;
      const label = (before.transcript_segments as Segment[])[0].speaker;

      const other = await createUser();
      const theirPerson = await newPerson(other, "Carol");
      const cases: [Promise<Response>, [number, string]][] = [
        [assign(null, memoryId, label, { person_id: bob }), [401, "unauthenticated"]],
        [assign(user, memoryId, label, {}), [400, "invalid_argument"]],
        [assign(user, memoryId, label, { person_id: bob, is_user: true }), [400, "invalid_argument"]],
        [assign(user, memoryId, label, { is_user: false }), [400, "invalid_argument"]],
        [assign(user, memoryId, "no such label!", { person_id: bob }), [400, "invalid_argument"]],
        [assign(user, memoryId, "SPEAKER_77", { person_id: bob }), [404, "speaker_not_found"]],
        [assign(user, memoryId, label, { person_id: "nobody" }), [404, "person_not_found"]],
        [assign(user, memoryId, label, { person_id: theirPerson }), [404, "person_not_found"]],
        [assign(other, memoryId, label, { person_id: theirPerson }), [404, "memory_not_found"]],
      ];
      for (const [request, expected] of cases) expect(await refusal(await request)).toEqual(expected);

      // The processing copy is swept after its retention, and the user keeps no recordings: nothing to learn from.
      await sweepExpiredAudio(config, new Date(Date.now() + config.retentionMs + 60_000));
      expect(await refusal(await assign(user, memoryId, label, { person_id: bob }))).toEqual([409, "audio_not_kept"]);
      // Allowing audio storage later brings nothing back: the audio has expired. The app is told where to enroll.
      await db().doc(userPath(user.uid)).update({ store_recording_permission: true });
      const expired = await assign(user, memoryId, label, { is_user: true });
      expect(expired.status).toBe(410);
      expect((await expired.json()).error).toMatchObject({
        code: "audio_expired",
        enroll: "/v3/upload-audio",
      });

      const after = (await readMemory(user.uid, memoryId))!;
      expect(after.transcript_segments).toEqual(before.transcript_segments);
      expect(after.transcript_version).toBe(before.transcript_version);
      expect((await db().doc(personPath(user.uid, bob)).get()).get("samples") ?? []).toEqual([]);
      expect((await db().doc(userPath(user.uid)).get()).get("speech_profile")).toBeUndefined();
      expect((await db().doc(personPath(other.uid, theirPerson)).get()).get("samples") ?? []).toEqual([]);
    },
  );
});
