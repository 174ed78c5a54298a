/**
 * The offline transcriber end to end in the emulators: upload as the app does → prepareAudio → the emulated
 * transcribe trigger (pocketsphinx words, Silero VAD + speaker embeddings + clustering), split over several
 * invocations (LOCAL_CHUNK_SECONDS=30 in the emulator project) → words JSON in Storage → hand-off to segmentation.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Transcript } from "../../src/model/transcript.js";
import { loadJobJson } from "../../src/store/objects.js";
import { makeConversation } from "../support/speech.js";
import { db } from "../../src/store/firebase.js";
import { memoryPath } from "../../src/store/paths.js";
import {
  apiUrl,
  config,
  createMemory,
  createUser,
  postAudio,
  waitForTranscribedOrEnded,
} from "../support/emulators.js";

const JFK = fileURLToPath(new URL("../fixtures/jfk.wav", import.meta.url));

const SCRIPT = [
  { voice: "en-us", text: "Good morning, did you get a chance to look at the budget report yesterday?" },
  { voice: "en+f3", text: "Yes, I read it last night and I think the numbers for travel are too high." },
  { voice: "en-us", text: "I agree with you. We should cut the travel budget before the next meeting." },
  { voice: "en+f3", text: "Then let us schedule a call with the finance team on Thursday afternoon." },
  { voice: "en-us", text: "Thursday works for me. I will send the invitation to everyone this morning." },
  { voice: "en+f3", text: "Great, and please attach the report so they can read it before the call." },
  { voice: "en-us", text: "Of course. Is there anything else we need to prepare for them?" },
  { voice: "en+f3", text: "Maybe a short summary of the changes we want to make to the plan." },
];

describe("offline transcription and diarization", () => {
  it("transcribes a two-voice conversation over several invocations with the right speaker turns", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const conversation = await makeConversation(SCRIPT, { gapS: 0.8 });
    const duration = conversation.turns.at(-1)!.end + 0.8;
    expect(duration).toBeGreaterThan(30); // more than one 30 s chunk

    const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
    expect(res.status).toBe(200);
    const pp = await waitForTranscribedOrEnded(user.uid, memoryId, 150_000);
    // Handed on to segmentation; the later stages take about a second, so the job may already have completed.
    expect(["in_progress", "completed"]).toContain(pp.status);
    expect(pp.stages.segment).toBeDefined();
    expect(pp.stages.transcribe.provider).toBe("local");
    expect(pp.stages.transcribe.chunks.done).toBe(pp.stages.transcribe.chunks.boundaries.length - 1);
    expect(pp.stages.transcribe.chunks.done).toBeGreaterThanOrEqual(2);
    expect(pp.transcript).toMatchObject({ speaker_count: 2, language: "en" });

    const { words } = await loadJobJson<Transcript>(config.postprocessingBucket, pp.transcript.words_object);
    expect(words.length).toBeGreaterThan(40);
    for (let i = 1; i < words.length; i++) expect(words[i].start).toBeGreaterThanOrEqual(words[i - 1].start);
    expect(words.at(-1)!.end).toBeLessThanOrEqual(duration + 0.1);

    // Speaker labels: map each label to the voice it mostly covers, then count words on the right side.
    const voiceAt = (t: number) =>
      conversation.turns.find((turn) => t >= turn.start - 0.3 && t <= turn.end + 0.3)?.voice;
    const votes = new Map<string, Map<string, number>>();
    for (const w of words) {
      const voice = voiceAt((w.start + w.end) / 2);
      if (!voice || !w.speaker) continue;
      const byVoice = votes.get(w.speaker) ?? new Map<string, number>();
      byVoice.set(voice, (byVoice.get(voice) ?? 0) + 1);
      votes.set(w.speaker, byVoice);
    }
    const labelVoice = new Map(
      [...votes].map(([label, byVoice]) => [label, [...byVoice].sort((a, b) => b[1] - a[1])[0][0]]),
    );
    expect(new Set(labelVoice.values()).size).toBe(2);
    const judged = words.filter((w) => voiceAt((w.start + w.end) / 2) && w.speaker);
    const right = judged.filter((w) => labelVoice.get(w.speaker!) === voiceAt((w.start + w.end) / 2));
    expect(right.length / judged.length).toBeGreaterThan(0.9);

    // Recognition is weak (pocketsphinx on robotic voices), but real: some script words come back.
    const scriptWords = new Set(SCRIPT.flatMap((t) => t.text.toLowerCase().match(/[a-z']+/g) ?? []));
    const recognised = new Set(words.map((w) => w.text.toLowerCase()).filter((w) => scriptWords.has(w)));
    expect(recognised.size).toBeGreaterThanOrEqual(8);
  });

  it("shows progress the app can follow: a phase, a percent that only grows, an ETA once measured", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid);
    const conversation = await makeConversation(SCRIPT, { gapS: 0.8 });
    // Follow the memory as the app does, with a listener, recording every progress it shows.
    const seen: { phase: string; percent: number; eta_seconds: number | null; status: string }[] = [];
    let resolveEnded: () => void;
    const ended = new Promise<void>((r) => (resolveEnded = r));
    const unsubscribe = db()
      .doc(memoryPath(user.uid, memoryId))
      .onSnapshot((snap) => {
        const pp = snap.get("postprocessing");
        if (pp?.progress) seen.push({ ...pp.progress, status: pp.status });
        if (pp && ["completed", "failed", "canceled"].includes(pp.status)) resolveEnded();
      });
    let jobId: string;
    try {
      const res = await postAudio({ memoryId, token: user.idToken, file: conversation.wav });
      expect(res.status).toBe(200);
      jobId = (await res.json()).postprocessing.job_id as string;
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("the job did not end")), 150_000));
      await Promise.race([ended, timeout]);
    } finally {
      unsubscribe();
    }
    const phases = seen.map((p) => p.phase);
    expect(phases).toContain("transcribing");
    expect(phases.at(-1)).toBe("completed");
    expect(seen.at(-1)).toMatchObject({ percent: 100, eta_seconds: 0, status: "completed" });
    const percents = seen.map((p) => p.percent);
    for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThanOrEqual(percents[i - 1]);
    // Several distinct steps on the way (stage boundaries and chunks), all below 100 until the end.
    expect(new Set(percents.slice(0, -1)).size).toBeGreaterThanOrEqual(4);
    expect(Math.max(...percents.slice(0, -1))).toBeLessThan(100);
    // Mid-transcription, between chunks: a percent inside the transcription's share and an ETA in seconds.
    const midChunk = seen.filter((p) => p.phase === "transcribing" && p.percent > 0);
    expect(midChunk.length).toBeGreaterThan(0);
    expect(midChunk.every((p) => typeof p.eta_seconds === "number" && p.eta_seconds > 0)).toBe(true);
    // And the job view the app can poll carries the same.
    const job = await (
      await fetch(apiUrl(`/v1/memories/${memoryId}/post-processing/jobs/${jobId}`), {
        headers: { authorization: `Bearer ${user.idToken}` },
      })
    ).json();
    expect(job.job.progress).toEqual({ phase: "completed", percent: 100, eta_seconds: 0 });
  });

  it("recognises real human speech with plausible timings", async () => {
    const user = await createUser();
    const memoryId = await createMemory(user.uid, { transcript_segments: [] });
    const res = await postAudio({ memoryId, token: user.idToken, file: await readFile(JFK) });
    expect(res.status).toBe(200);
    const pp = await waitForTranscribedOrEnded(user.uid, memoryId);
    expect(pp.stages.transcribe.state).toBe("done");
    const { words } = await loadJobJson<Transcript>(config.postprocessingBucket, pp.transcript.words_object);
    const texts = words.map((w) => w.text.toLowerCase());
    expect(texts).toContain("country");
    const country = words.find((w) => w.text.toLowerCase() === "country")!;
    expect(country.start).toBeGreaterThan(3);
    expect(country.end).toBeLessThan(11.5);
    expect(pp.transcript.speaker_count).toBe(1);
  });
});
