import { open } from "node:fs/promises";
import { AppError } from "../core/errors.ts";

/**
 * What a multipart form adds around the file (its other fields and part headers): an upload's
 * whole body may be this much larger than CRM_IMPORT_MAX_BYTES (the host's route, the front's limit).
 */
export const IMPORT_FORM_OVERHEAD_BYTES = 64 * 1024;

/** The uploaded file was larger than the import limit. */
export class UploadTooLargeError extends AppError {
  constructor(limitBytes: number) {
    super(
      413,
      "Payload Too Large",
      `the file is larger than ${formatMegabytes(limitBytes)}, the most an upload may be (the server's CRM_IMPORT_MAX_BYTES); split it, or import it with the crm import command`,
    );
  }
}

/** Nothing of the upload arrived for too long: the sender stalled. */
export class UploadStalledError extends AppError {
  constructor(seconds: number) {
    super(
      408,
      "Request Timeout",
      `nothing of the file arrived for ${seconds} seconds, so the upload was stopped; send it again`,
    );
  }
}

/** The request is not a form with a file that could be read. */
export class BadUploadError extends AppError {
  constructor(message: string) {
    super(400, "Bad Request", message);
  }
}

export function formatMegabytes(bytes: number): string {
  // Exact: 10,000,000 bytes is 9.54 MB, not "10 MB"; a whole number of MiB shows without decimals.
  const mb = bytes / (1024 * 1024);
  const figure = Number.isInteger(mb)
    ? mb.toLocaleString("en-US")
    : mb.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return `${figure} MB (${bytes.toLocaleString("en-US")} bytes)`;
}

export interface ReceivedUpload {
  /** The form's text fields (small: at most 4 KB each). */
  fields: Record<string, string>;
  /** The file field, if one came: its name on the person's computer and its size. */
  file?: { name: string; bytes: number };
}

export interface ReceiveOptions {
  /** Where the file part is written. */
  path: string;
  /** The name of the form field holding the file. */
  fileField: string;
  maxFileBytes: number;
  /** Called with the fields read so far when the file part begins (a CSRF check): throwing stops the upload. */
  beforeFile(fields: Record<string, string>): void;
  /** The longest wait for the next piece of the body (a stalled sender), in seconds. */
  idleSeconds?: number;
}

/** The next piece of `reader`, or UploadStalledError after `seconds` without one. */
async function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  seconds: number | undefined,
): ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> {
  if (!seconds) return reader.read();
  let timer: Timer | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UploadStalledError(seconds)), seconds * 1000);
  });
  try {
    return await Promise.race([reader.read(), stalled]);
  } finally {
    clearTimeout(timer);
  }
}

const MAX_FIELD_BYTES = 4096;
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_FIELDS = 20;
const CRLF2 = Buffer.from("\r\n\r\n");

/** The boundary of a multipart/form-data content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

function dispositionParam(headers: string, name: string): string | undefined {
  const line = headers.split("\r\n").find((l) => /^content-disposition:/i.test(l));
  if (!line) return undefined;
  const match = new RegExp(`;\\s*${name}="([^"]*)"`, "i").exec(line);
  return match?.[1];
}

/** The file's name as shown on pages: no folders, no control characters, not too long. */
function displayName(raw: string): string {
  const base = raw.split(/[\\/]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are removed
  return base.replace(/[\u0000-\u001f\u007f]/g, "").slice(0, 200) || "upload.csv";
}

/**
 * Reads a multipart/form-data body as it arrives: small text fields are kept, the file field is
 * written straight to `path` as its bytes come, never held in memory, and refused past
 * `maxFileBytes` (the caller deletes what was written). `beforeFile` runs before any byte of
 * the file is written, with the fields that came before it (a form puts its CSRF token first).
 */
export async function receiveUpload(
  body: ReadableStream<Uint8Array>,
  boundary: string,
  options: ReceiveOptions,
): Promise<ReceivedUpload> {
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const fields: Record<string, string> = {};
  let file: ReceivedUpload["file"];
  // The body starts with "--boundary": pretend a CRLF came before it, so every boundary looks alike.
  let buffer: Buffer = Buffer.from("\r\n");
  let state: "preamble" | "headers" | "data" | "end" = "preamble";
  let part: { name: string; isFile: boolean; text: Buffer[]; size: number } | undefined;
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  let fieldCount = 0;

  const emit = async (data: Buffer) => {
    if (!part || data.length === 0) return;
    part.size += data.length;
    if (part.isFile) {
      if (part.size > options.maxFileBytes) throw new UploadTooLargeError(options.maxFileBytes);
      await handle?.write(data);
    } else {
      if (part.size > MAX_FIELD_BYTES) throw new BadUploadError(`the field ${part.name} is too long`);
      part.text.push(data);
    }
  };

  const endPart = () => {
    if (!part) return;
    if (part.isFile) file = { name: file?.name ?? "upload.csv", bytes: part.size };
    else fields[part.name] = Buffer.concat(part.text).toString("utf8");
    part = undefined;
  };

  try {
    const reader = body.getReader();
    for (;;) {
      const { value, done } = await readWithin(reader, options.idleSeconds).catch(async (error) => {
        await reader.cancel().catch(() => undefined);
        throw error;
      });
      if (value) buffer = buffer.length ? Buffer.concat([buffer, value]) : Buffer.from(value);
      // Consume as much of the buffer as the state allows.
      for (;;) {
        if (state === "preamble" || state === "data") {
          const at = buffer.indexOf(delimiter);
          if (at === -1) {
            // Keep what could be the start of a delimiter; the rest is data (or preamble, dropped).
            const keep = Math.min(buffer.length, delimiter.length - 1);
            if (state === "data") await emit(buffer.subarray(0, buffer.length - keep));
            buffer = Buffer.from(buffer.subarray(buffer.length - keep));
            break;
          }
          if (state === "data") {
            await emit(buffer.subarray(0, at));
            endPart();
          }
          const after = at + delimiter.length;
          if (buffer.length < after + 2) break;
          const tail = buffer.subarray(after, after + 2).toString("latin1");
          if (tail === "--") {
            state = "end";
            buffer = Buffer.alloc(0);
            break;
          }
          buffer = Buffer.from(buffer.subarray(after + 2)); // past the CRLF after the boundary
          state = "headers";
          continue;
        }
        if (state === "headers") {
          const at = buffer.indexOf(CRLF2);
          if (at === -1) {
            if (buffer.length > MAX_HEADER_BYTES)
              throw new BadUploadError("a part of the form has headers too long");
            break;
          }
          const headers = buffer.subarray(0, at).toString("utf8");
          buffer = Buffer.from(buffer.subarray(at + 4));
          const name = dispositionParam(headers, "name") ?? "";
          const filename = dispositionParam(headers, "filename");
          if (++fieldCount > MAX_FIELDS) throw new BadUploadError("the form has too many fields");
          const isFile = name === options.fileField && filename !== undefined;
          if (isFile) {
            if (file) throw new BadUploadError("send one file at a time");
            options.beforeFile(fields);
            file = { name: displayName(filename), bytes: 0 };
            handle = await open(options.path, "wx", 0o600);
          }
          part = { name, isFile, text: [], size: 0 };
          state = "data";
          continue;
        }
        break;
      }
      if (done || state === "end") break;
    }
    if (state !== "end") throw new BadUploadError("the upload was cut short");
    return { fields, file };
  } finally {
    await handle?.close();
  }
}
