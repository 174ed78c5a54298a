/**
 * Writing uploads to Storage survives a reset connection (the Storage emulator, and production Storage, drop writes
 * now and then): the write is retried, never overwrites an existing object, and a write that landed before its
 * answer was lost counts as written.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newStorageClient } from "../../src/store/firebase.js";
import { writeNewObject } from "../../src/store/objects.js";
import { config, uniqueId } from "../support/emulators.js";

type Fault = "none" | "reset_before_upload" | "drop_answer" | "answer_412";

const PRECONDITION_FAILED_BODY = JSON.stringify({
  error: {
    code: 412,
    message: "At least one of the pre-conditions you specified did not hold.",
    errors: [{ domain: "global", reason: "conditionNotMet" }],
  },
});

/**
 * A TCP proxy to the Storage emulator that breaks the next upload requests the way `faults` says, and records their
 * request lines. (The emulator ignores `ifGenerationMatch`, so the 412 production Storage would send is made here.)
 */
function faultyProxy() {
  const [host, port] = process.env.FIREBASE_STORAGE_EMULATOR_HOST!.split(":");
  const faults: Fault[] = [];
  const uploadLines: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host, port: Number(port) });
    sockets.add(client).add(upstream);
    let fault: Fault = "none";
    client.on("data", (chunk) => {
      const head = chunk.toString("latin1", 0, 400);
      if (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(head)) {
        const isUpload = /^POST \S*uploadType=multipart/.test(head);
        if (isUpload) uploadLines.push(head.split("\r\n")[0]);
        fault = isUpload ? (faults.shift() ?? "none") : "none";
      }
      if (fault === "reset_before_upload") {
        client.resetAndDestroy();
        upstream.destroy();
      } else if (fault === "answer_412") {
        if (head.includes("\r\n\r\n") || /^[A-Z]+ /.test(head)) {
          client.end(
            "HTTP/1.1 412 Precondition Failed\r\n" +
              "content-type: application/json\r\n" +
              `content-length: ${PRECONDITION_FAILED_BODY.length}\r\n` +
              "connection: close\r\n\r\n" +
              PRECONDITION_FAILED_BODY,
          );
          upstream.destroy();
        }
      } else {
        upstream.write(chunk);
      }
    });
    upstream.on("data", (chunk) => {
      if (fault === "drop_answer") {
        // The emulator stored the object; the client never hears so.
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.end());
    upstream.on("close", () => client.end());
  });
  return {
    faults,
    uploadLines,
    listen: () =>
      new Promise<number>((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
      ),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("writing new objects", () => {
  const proxy = faultyProxy();
  let storage: ReturnType<typeof newStorageClient>;
  beforeAll(async () => {
    const port = await proxy.listen();
    storage = newStorageClient({ apiEndpoint: `http://127.0.0.1:${port}` });
  });
  afterAll(() => proxy.close());

  const chunks = [Buffer.from("RIFF"), Buffer.alloc(64 * 1024, 7), Buffer.from("end")];
  const bytes = Buffer.concat(chunks);

  it("retries a write whose connection was reset, and stores the bytes once", async () => {
    const file = storage.bucket(config.postprocessingBucket).file(`${uniqueId("writes")}/a.wav`);
    proxy.faults.push("reset_before_upload", "reset_before_upload");
    const before = proxy.uploadLines.length;
    await writeNewObject(file, chunks, "audio/wav", { jobId: "job-1" });
    const attempts = proxy.uploadLines.slice(before);
    expect(attempts).toHaveLength(3);
    // Every attempt asks Storage not to overwrite anything.
    for (const line of attempts) expect(line).toMatch(/[?&]ifGenerationMatch=0(&|\s)/);
    const [stored] = await file.download();
    expect(stored.equals(bytes)).toBe(true);
  });

  it("counts a write whose answer was lost as written: the retry's 412 finds our own object", async () => {
    const file = storage.bucket(config.postprocessingBucket).file(`${uniqueId("writes")}/b.wav`);
    proxy.faults.push("drop_answer", "answer_412");
    const before = proxy.uploadLines.length;
    await writeNewObject(file, chunks, "audio/wav", { jobId: "job-2" });
    expect(proxy.uploadLines.length - before).toBe(2);
    const [stored] = await file.download();
    expect(stored.equals(bytes)).toBe(true);
  });

  it("refuses to replace an object that is not ours (412 with other content)", async () => {
    const file = storage.bucket(config.postprocessingBucket).file(`${uniqueId("writes")}/c.wav`);
    await writeNewObject(file, [Buffer.from("first upload")], "audio/wav", { jobId: "job-3" });
    proxy.faults.push("answer_412");
    const before = proxy.uploadLines.length;
    await expect(writeNewObject(file, chunks, "audio/wav", { jobId: "job-4" })).rejects.toMatchObject({ code: 412 });
    // One write, with the precondition, and no other try: the emulator ignores ifGenerationMatch, so the proxy answers
    // as production Storage would, and what matters is that nothing was sent that could replace the object.
    const attempts = proxy.uploadLines.slice(before);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatch(/[?&]ifGenerationMatch=0(&|\s)/);
    const [meta] = await file.getMetadata();
    expect(meta.metadata?.jobId).toBe("job-3");
  });
});
