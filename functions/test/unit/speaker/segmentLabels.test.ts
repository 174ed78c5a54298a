/** speaker/segmentLabels.ts: decisions to labelled segments, turn checks, and manual labels kept through re-runs. */
import { describe, expect, it } from "vitest";
import type { SpeakerDecision } from "../../../src/speaker/matching.js";
import {
  keepManualLabels,
  labelSegments,
  manualIdentities,
  MAX_TURN_CHECK_S,
  turnsToCheck,
} from "../../../src/speaker/segmentLabels.js";
import { segmentOf } from "../../support/transcripts.js";

const decision = (status: SpeakerDecision["status"], profileId: string | null = null): SpeakerDecision => ({
  status,
  profileId,
  nearest: profileId,
  similarity: 0.9,
  runnerUp: null,
  speechSeconds: 20,
});

const segments = [
  segmentOf("a", 0, { speaker: "SPEAKER_00" }),
  segmentOf("b", 4, { speaker: "SPEAKER_01" }),
  { ...segmentOf("c", 8, { speaker: "SPEAKER_00" }), end: 9 }, // 1 s: too short to check on its own
  { ...segmentOf("d", 9, { speaker: "SPEAKER_00" }), end: 39 }, // 30 s: checked on its middle
  segmentOf("e", 40, { speaker: "SPEAKER_02" }),
];
const decisions = new Map([
  ["SPEAKER_00", decision("user", "user")],
  ["SPEAKER_01", decision("person", "p1")],
  ["SPEAKER_02", decision("ambiguous")],
]);

describe("turnsToCheck", () => {
  it("checks the named speakers' turns of checkable length, each on its middle", () => {
    expect(turnsToCheck(segments, decisions)).toEqual([
      { key: 0, start: 0, end: 4 },
      { key: 1, start: 4, end: 8 },
      { key: 3, start: 9 + (30 - MAX_TURN_CHECK_S) / 2, end: 39 - (30 - MAX_TURN_CHECK_S) / 2 },
    ]);
  });
});

describe("labelSegments", () => {
  it("labels each segment from its speaker's decision, and splits a failed turn off under a new label", () => {
    const labelled = labelSegments(
      segments,
      decisions,
      new Map([
        [0, { keep: true }],
        [3, { keep: false, status: "unknown" }],
      ]),
    );
    expect(labelled.map((s) => [s.speaker, s.is_user, s.person_id, s.identity_status])).toEqual([
      ["SPEAKER_00", true, null, "user"],
      ["SPEAKER_01", false, "p1", "person"],
      ["SPEAKER_00", true, null, "user"], // unchecked: follows its speaker
      ["SPEAKER_03", false, null, "unknown"], // split off: never the user
      ["SPEAKER_02", false, null, "ambiguous"],
    ]);
    expect(labelled[3].speaker_id).toBe(3);
    expect(labelled.every((s) => s.speaker_label_source === "auto")).toBe(true);
  });

  it("marks a speaker without a decision (no segment long enough to embed) too_short", () => {
    const [s] = labelSegments([segmentOf("x", 0, { speaker: "SPEAKER_05" })], new Map(), new Map());
    expect(s).toMatchObject({ is_user: false, person_id: null, identity_status: "too_short" });
  });
});

describe("keepManualLabels", () => {
  const auto = labelSegments(segments, decisions, new Map());
  it("carries a manual label to the new segment it covers, even when the re-run cut segments differently", () => {
    const current = [
      { ...segments[1], is_user: false, person_id: "p9", speaker_label_source: "manual" as const },
      { ...segments[4], is_user: true, person_id: null, speaker_label_source: "manual" as const },
    ];
    const recut = [...auto.slice(0, 4), { ...auto[4], start: 40.5, end: 43 }];
    const kept = keepManualLabels(recut, current);
    expect(kept[1]).toMatchObject({ person_id: "p9", identity_status: "person", speaker_label_source: "manual" });
    expect(kept[4]).toMatchObject({ is_user: true, identity_status: "user", speaker_label_source: "manual" });
    // The user is placed by hand on SPEAKER_02: the automatic user label elsewhere is withdrawn.
    expect(kept[0]).toMatchObject({ is_user: false, identity_status: "ambiguous", speaker_label_source: "auto" });
    expect(manualIdentities(current)).toEqual(new Set(["p9", "user"]));
  });

  it("leaves segments alone when nothing was labelled by hand, or the manual one covers too little", () => {
    expect(keepManualLabels(auto, segments)).toEqual(auto);
    const tiny = [{ ...segments[1], start: 7, end: 9, person_id: "p9", speaker_label_source: "manual" as const }];
    expect(keepManualLabels(auto, tiny)[1]).toEqual(auto[1]);
  });
});
