/** store/paths.ts: what a valid Firestore document id is. */
import { describe, expect, it } from "vitest";
import { isValidDocumentId } from "../../../src/store/paths.js";

describe("isValidDocumentId", () => {
  it("accepts ordinary ids and refuses paths and reserved names", () => {
    expect(isValidDocumentId("abc-123_x")).toBe(true);
    expect(isValidDocumentId("4f1c2b7e-8d0a-4d6e-9c3b-2f8a1e5d7c90")).toBe(true);
    for (const bad of ["", "a/b", ".", "..", "__x__", "a b", "x".repeat(300)])
      expect(isValidDocumentId(bad)).toBe(false);
  });
});
