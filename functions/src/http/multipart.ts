/**
 * Multipart parsing with busboy. A 2nd-gen HTTPS function receives the body already read (`req.rawBody`), so busboy
 * is fed from that buffer; the file part is kept as busboy's chunks (never concatenated) and streamed on to Storage.
 */
import Busboy from "busboy";
import { HttpError } from "../errors.js";
import { SNIFF_BYTES } from "../audio/sniff.js";

export interface UploadedFile {
  filename: string | undefined;
  declaredType: string | undefined;
  chunks: Buffer[];
  size: number;
  /** The first bytes of the file (up to SNIFF_BYTES), for content sniffing. */
  head: Buffer;
}

export function parseMultipartFile(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer | undefined,
  opts: { fieldName: string; maxBytes: number },
): Promise<UploadedFile> {
  const contentType = String(headers["content-type"] ?? "");
  if (!/^multipart\/form-data/i.test(contentType)) {
    return Promise.reject(
      new HttpError(
        415,
        "unsupported_media_type",
        `Send multipart/form-data with the audio in field "${opts.fieldName}".`,
      ),
    );
  }
  if (!rawBody?.length) return Promise.reject(new HttpError(400, "invalid_argument", "The request body is empty."));

  return new Promise((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({
        headers: headers,
        limits: { fileSize: opts.maxBytes, files: 1, fields: 50, parts: 60 },
      });
    } catch (err) {
      reject(new HttpError(400, "invalid_argument", `Malformed multipart request: ${(err as Error).message}`));
      return;
    }
    let file: UploadedFile | undefined;
    let failure: HttpError | undefined;
    const fail = (e: HttpError) => (failure ??= e);

    busboy.on("file", (name, stream, info) => {
      if (name !== opts.fieldName) {
        stream.resume();
        return;
      }
      const current: UploadedFile = {
        filename: info.filename,
        declaredType: info.mimeType,
        chunks: [],
        size: 0,
        head: Buffer.alloc(0),
      };
      file = current;
      stream.on("data", (chunk: Buffer) => {
        current.chunks.push(chunk);
        current.size += chunk.length;
        if (current.head.length < SNIFF_BYTES)
          current.head = Buffer.concat([current.head, chunk.subarray(0, SNIFF_BYTES - current.head.length)]);
      });
      // A truncated body errors the file stream too; without a listener that would crash the process.
      stream.on("error", (err) =>
        fail(new HttpError(400, "invalid_argument", `Malformed multipart request: ${err.message}`)),
      );
      stream.on("limit", () =>
        fail(
          new HttpError(
            413,
            "payload_too_large",
            `The audio file is larger than ${opts.maxBytes} bytes; ` +
              "use the resumable upload endpoint for large recordings.",
          ),
        ),
      );
    });
    busboy.on("filesLimit", () => fail(new HttpError(400, "invalid_argument", "Send exactly one file.")));
    busboy.on("error", (err) =>
      reject(
        failure ?? new HttpError(400, "invalid_argument", `Malformed multipart request: ${(err as Error).message}`),
      ),
    );
    busboy.on("close", () => {
      if (failure) reject(failure);
      else if (!file) reject(new HttpError(400, "invalid_argument", `No file in field "${opts.fieldName}".`));
      else if (file.size === 0) reject(new HttpError(400, "invalid_argument", "The audio file is empty."));
      else resolve(file);
    });
    busboy.end(rawBody);
  });
}
