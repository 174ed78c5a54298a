/** http/recordingPermission.ts: what a POST sets, from `?value=` or a JSON body `{value}`. */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../src/errors.js";
import { permissionValue } from "../../../src/http/recordingPermission.js";

const refused = (query: unknown, body: unknown) => {
  try {
    permissionValue(query, body);
  } catch (err) {
    return err instanceof HttpError ? [err.status, err.code] : err;
  }
  return "accepted";
};

describe("permissionValue", () => {
  it("reads ?value=true|false (and 1/0) as Omi's clients send it", () => {
    expect(permissionValue({ value: "true" }, {})).toBe(true);
    expect(permissionValue({ value: "false" }, undefined)).toBe(false);
    expect(permissionValue({ value: "1" }, {})).toBe(true);
    expect(permissionValue({ value: "0" }, {})).toBe(false);
  });

  it("reads a JSON body {value: boolean}, alone or agreeing with the query", () => {
    expect(permissionValue({}, { value: true })).toBe(true);
    expect(permissionValue({}, { value: false })).toBe(false);
    expect(permissionValue({ value: "true" }, { value: true })).toBe(true);
  });

  it("refuses anything else with 400 invalid_argument rather than guessing", () => {
    for (const [query, body] of [
      [{}, {}],
      [undefined, undefined],
      [{ value: "yes" }, {}],
      [{ value: "" }, {}],
      [{ value: ["true", "false"] }, {}],
      [{}, { value: "true" }],
      [{}, { value: 1 }],
      [{}, { value: null }],
      [{ value: "true" }, { value: false }],
    ] as const) {
      expect(refused(query, body), JSON.stringify({ query, body })).toEqual([400, "invalid_argument"]);
    }
  });

  it("ignores a body that is not a JSON object", () => {
    expect(permissionValue({ value: "false" }, Buffer.from('{"value":true}'))).toBe(false);
    expect(refused({}, "true")).toEqual([400, "invalid_argument"]);
  });
});
