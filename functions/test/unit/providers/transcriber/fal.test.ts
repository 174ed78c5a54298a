/** providers/transcriber/fal.ts: the FAL request we send, the output we read back, and how failures are classified. */
import { ApiError, ValidationError } from "@fal-ai/client";
import { describe, expect, it } from "vitest";
import {
  classifyFalError,
  falOutputToTranscript,
  webhookErrorStatus,
  falCallBudgetMs,
  whisperInput,
} from "../../../../src/providers/transcriber/fal.js";

describe("whisperInput", () => {
  it("asks for a diarized, word-level transcription with a language hint only when it is a real code", () => {
    expect(whisperInput("https://a/b.wav", "en")).toEqual({
      audio_url: "https://a/b.wav",
      task: "transcribe",
      diarize: true,
      chunk_level: "word",
      language: "en",
    });
    expect(whisperInput("https://a/b.wav", "multi")).not.toHaveProperty("language");
    expect(whisperInput("https://a/b.wav", null)).not.toHaveProperty("language");
  });
});

describe("falOutputToTranscript", () => {
  it("turns word chunks with speakers into words", () => {
    const transcript = falOutputToTranscript(
      {
        text: "hello there",
        chunks: [
          { timestamp: [0.5, 0.9], text: " hello", speaker: "SPEAKER_00" },
          { timestamp: [1.0, 1.4], text: "there ", speaker: "SPEAKER_01" },
        ],
        inferred_languages: ["de"],
      },
      "fal-ai/whisper",
    );
    expect(transcript).toEqual({
      words: [
        { text: "hello", start: 0.5, end: 0.9, speaker: "SPEAKER_00" },
        { text: "there", start: 1.0, end: 1.4, speaker: "SPEAKER_01" },
      ],
      language: "de",
      model: "fal-ai/whisper",
    });
  });

  it("takes missing speakers from the diarization turns, and missing ends from the next word", () => {
    const { words, language } = falOutputToTranscript(
      {
        chunks: [
          { timestamp: [0, null], text: "one" },
          { timestamp: [0.4, 0.8], text: "two" },
          { timestamp: [5, 5.5], text: "three", speaker: null },
        ],
        diarization_segments: [
          { timestamp: [0, 2], speaker: "SPEAKER_00" },
          { timestamp: [4.5, 6], speaker: "SPEAKER_01" },
        ],
      },
      "m",
    );
    expect(words.map((w) => [w.text, w.start, w.end, w.speaker])).toEqual([
      ["one", 0, 0.4, "SPEAKER_00"],
      ["two", 0.4, 0.8, "SPEAKER_00"],
      ["three", 5, 5.5, "SPEAKER_01"],
    ]);
    expect(language).toBeNull();
  });

  it("drops empty and untimed chunks, and refuses output without chunks", () => {
    const { words } = falOutputToTranscript(
      {
        chunks: [
          { timestamp: [0, 1], text: "  " },
          { timestamp: ["x", 1], text: "bad" },
          { timestamp: [2, 3], text: "ok" },
        ],
      },
      "m",
    );
    expect(words.map((w) => w.text)).toEqual(["ok"]);
    expect(() => falOutputToTranscript({ text: "no chunks" }, "m")).toThrow(
      expect.objectContaining({ code: "fal_bad_output", retryable: false }),
    );
    expect(() => falOutputToTranscript(null, "m")).toThrow(expect.objectContaining({ code: "fal_bad_output" }));
  });
});

describe("classifyFalError", () => {
  const apiError = (status: number, body: unknown = { detail: "x" }) =>
    new ApiError({ message: "failed", status, body });
  it("makes 4xx answers permanent and 408, 429 and 5xx retryable", () => {
    expect(classifyFalError(apiError(422), "submit")).toMatchObject({ code: "fal_rejected", retryable: false });
    expect(classifyFalError(new ValidationError({ message: "bad", status: 422, body: {} }), "submit")).toMatchObject({
      code: "fal_rejected",
    });
    expect(classifyFalError(apiError(401), "status")).toMatchObject({ code: "fal_rejected", retryable: false });
    for (const status of [408, 429, 500, 503]) {
      expect(classifyFalError(apiError(status), "submit")).toMatchObject({ code: "fal_unavailable", retryable: true });
    }
  });
  it("treats an error without an HTTP answer as unreachable and retryable", () => {
    expect(classifyFalError(new TypeError("fetch failed"), "result")).toMatchObject({
      code: "fal_unreachable",
      retryable: true,
    });
  });
  it("says which call failed, and keeps signed URLs FAL echoes out of the reason", () => {
    const err = classifyFalError(
      apiError(422, { detail: "cannot download https://storage.googleapis.com/b/o?X-Goog-Signature=abc" }),
      "submit",
    );
    expect(err.message).toMatch(/^FAL submit returned 422: /);
    expect(err.message).not.toContain("X-Goog-Signature=abc");
    expect(err.message).not.toContain("storage.googleapis.com");
  });
});

describe("webhookErrorStatus", () => {
  it("reads the status code out of FAL's webhook error", () => {
    expect(webhookErrorStatus("Invalid status code: 422")).toBe(422);
    expect(webhookErrorStatus("Invalid status code: 500")).toBe(500);
    expect(webhookErrorStatus("something broke")).toBeNull();
    expect(webhookErrorStatus(undefined)).toBeNull();
  });

  it("does not read other numbers as a status (a timeout in seconds is no HTTP 600)", () => {
    expect(webhookErrorStatus("Request timed out after 600 seconds")).toBeNull();
    expect(webhookErrorStatus("worker 503 of 800 crashed")).toBeNull();
    expect(webhookErrorStatus("Invalid status code: 600")).toBeNull();
  });
});

describe("falCallBudgetMs", () => {
  it("adds the client's own retries and backoff to the per-request timeout", () => {
    // submit/result: 4 attempts, backoff 1 + 2 + 4 s with at most 25 % jitter.
    expect(falCallBudgetMs("submit", 30_000)).toBe(4 * 30_000 + 8_750);
    // status: 6 attempts, backoff 1 + 2 + 4 + 8 + 16 s.
    expect(falCallBudgetMs("status", 30_000)).toBe(6 * 30_000 + 38_750);
  });
});
