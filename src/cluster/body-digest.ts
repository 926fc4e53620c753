import { createHash, type Hash } from "node:crypto";

/**
 * SHA-256 of a host-to-host request's body, which its signature covers (cluster-auth.ts), worked
 * out without holding the event loop: ~400 MB/s here, so a catch-up's 64 MB of page hashes in
 * one call would take ~160 ms; in slices of SLICE_BYTES with a turn of the loop between, no
 * stretch is longer than ~3 ms.
 */
const SLICE_BYTES = 1024 * 1024;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The SHA-256 (hex) of an empty body: what a request without one is signed with. */
export const EMPTY_BODY_SHA256 = createHash("sha256").digest("hex");

async function updateInSlices(hash: Hash, bytes: Uint8Array): Promise<void> {
  for (let start = 0; start < bytes.byteLength; start += SLICE_BYTES) {
    if (start > 0) await yieldToLoop();
    hash.update(bytes.subarray(start, start + SLICE_BYTES));
  }
}

/** The SHA-256 (hex) of `bytes` (the sender's side). */
export async function bodySha256(bytes: Uint8Array | undefined): Promise<string> {
  if (!bytes || bytes.byteLength === 0) return EMPTY_BODY_SHA256;
  const hash = createHash("sha256");
  await updateInSlices(hash, bytes);
  return hash.digest("hex");
}

/** A body as read: its bytes and their SHA-256 (hex), or "too-large" past the limit (the rest left unread). */
export type DigestedBody = { bytes: Uint8Array<ArrayBuffer>; sha256: string } | "too-large";

/**
 * Reads a request's body (the receiver's side) up to `maxBytes`, hashing each piece as it
 * arrives; the bytes are kept, in one buffer sized from Content-Length when there is one, for
 * the route to use once the digest matched.
 */
export async function readDigestedBody(request: Request, maxBytes: number): Promise<DigestedBody> {
  const hash = createHash("sha256");
  if (!request.body) return { bytes: new Uint8Array(0), sha256: EMPTY_BODY_SHA256 };
  const declared = Number(request.headers.get("content-length") ?? 0);
  let buffer = new Uint8Array(Number.isSafeInteger(declared) ? Math.min(declared, maxBytes) : 0);
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > maxBytes) {
      await reader.cancel();
      return "too-large";
    }
    if (size + value.byteLength > buffer.byteLength) {
      const grown = new Uint8Array(
        Math.min(maxBytes, Math.max(size + value.byteLength, buffer.byteLength * 2)),
      );
      grown.set(buffer.subarray(0, size));
      buffer = grown;
    }
    buffer.set(value, size);
    size += value.byteLength;
    await updateInSlices(hash, value);
  }
  return { bytes: buffer.subarray(0, size), sha256: hash.digest("hex") };
}
