/** http/multipart.ts: parsing the uploaded file out of a multipart body, and its size and shape limits. */
import { describe, expect, it } from "vitest";
import { HttpError } from "../../../src/errors.js";
import { parseMultipartFile } from "../../../src/http/multipart.js";

async function encode(form: FormData) {
  const req = new Request("http://localhost/", { method: "POST", body: form });
  return { headers: { "content-type": req.headers.get("content-type")! }, body: Buffer.from(await req.arrayBuffer()) };
}
const file = (bytes: Buffer | string) => new Blob([typeof bytes === "string" ? bytes : new Uint8Array(bytes)]);

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HttpError);
  return err as HttpError;
}

describe("parseMultipartFile", () => {
  it("returns the file part as chunks with its size and head, ignoring other fields", async () => {
    const payload = Buffer.alloc(300_000, 7);
    payload.write("RIFF", 0);
    const form = new FormData();
    form.append("note", "hello");
    form.append("file", file(payload), "memo.wav");
    const { headers, body } = await encode(form);
    const parsed = await parseMultipartFile(headers, body, { fieldName: "file", maxBytes: 1_000_000 });
    expect(parsed.filename).toBe("memo.wav");
    expect(parsed.size).toBe(payload.length);
    expect(Buffer.concat(parsed.chunks).equals(payload)).toBe(true);
    expect(parsed.head.length).toBe(4100);
    expect(parsed.head.subarray(0, 4).toString()).toBe("RIFF");
  });

  it("413 when the file exceeds the limit", async () => {
    const form = new FormData();
    form.append("file", file(Buffer.alloc(2048)), "a.wav");
    const { headers, body } = await encode(form);
    expect((await refusal(parseMultipartFile(headers, body, { fieldName: "file", maxBytes: 1024 }))).status).toBe(413);
  });

  it("400 for no file, an empty file, two files, or a truncated body; 415 when not multipart", async () => {
    const none = new FormData();
    none.append("other", file("x"), "a.wav");
    const empty = new FormData();
    empty.append("file", file(Buffer.alloc(0)), "a.wav");
    const two = new FormData();
    two.append("file", file("abc"), "a.wav");
    two.append("file", file("def"), "b.wav");
    for (const form of [none, empty, two]) {
      const { headers, body } = await encode(form);
      expect((await refusal(parseMultipartFile(headers, body, { fieldName: "file", maxBytes: 1024 }))).status).toBe(
        400,
      );
    }
    const one = new FormData();
    one.append("file", file("abcdef"), "a.wav");
    const { headers, body } = await encode(one);
    expect(
      (
        await refusal(
          parseMultipartFile(headers, body.subarray(0, body.length - 20), { fieldName: "file", maxBytes: 1024 }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await refusal(
          parseMultipartFile({ "content-type": "multipart/form-data" }, body, { fieldName: "file", maxBytes: 1024 }),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await refusal(
          parseMultipartFile({ "content-type": "application/json" }, Buffer.from("{}"), {
            fieldName: "file",
            maxBytes: 1024,
          }),
        )
      ).status,
    ).toBe(415);
    expect(
      (await refusal(parseMultipartFile(headers, Buffer.alloc(0), { fieldName: "file", maxBytes: 1024 }))).status,
    ).toBe(400);
  });
});
