import { describe, expect, it } from "bun:test";
import { createHash } from "node:crypto";
import { bodySha256, EMPTY_BODY_SHA256, readDigestedBody } from "./body-digest.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** Bytes that differ along their length, so a slice hashed twice or skipped changes the digest. */
const counting = (length: number) => Uint8Array.from({ length }, (_, i) => (i * 31) % 251);

/** A request whose body arrives in `pieces` with no Content-Length (as a chunked one does). */
function streamed(pieces: Uint8Array[]): Request {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
  return new Request("http://host/_cluster/x", { method: "POST", body: stream });
}

describe("bodySha256", () => {
  it("is SHA-256 of the whole body, however many slices it is hashed in", async () => {
    expect(await bodySha256(undefined)).toBe(EMPTY_BODY_SHA256);
    expect(EMPTY_BODY_SHA256).toBe(sha256(new Uint8Array(0)));
    for (const length of [1, 1024 * 1024, 3 * 1024 * 1024 + 7]) {
      const bytes = counting(length);
      expect(await bodySha256(bytes)).toBe(sha256(bytes));
    }
  });
});

describe("readDigestedBody", () => {
  it("keeps the bytes and their digest, with or without Content-Length", async () => {
    const bytes = counting(2 * 1024 * 1024 + 3);
    const declared = await readDigestedBody(
      new Request("http://host/", { method: "POST", body: bytes }),
      1 << 22,
    );
    const pieces = [bytes.subarray(0, 10), bytes.subarray(10, 700_000), bytes.subarray(700_000)];
    const chunked = await readDigestedBody(streamed(pieces), 1 << 22);
    for (const read of [declared, chunked]) {
      if (read === "too-large") throw new Error("refused a body within the limit");
      expect(read.sha256).toBe(sha256(bytes));
      expect(read.bytes).toEqual(bytes);
    }
  });

  it("says too-large one byte past the limit, and an absent body is the empty one", async () => {
    expect(await readDigestedBody(streamed([counting(100), counting(1)]), 100)).toBe("too-large");
    expect(await readDigestedBody(streamed([counting(100)]), 100)).not.toBe("too-large");
    const none = await readDigestedBody(new Request("http://host/"), 100);
    expect(none).toEqual({ bytes: new Uint8Array(0), sha256: EMPTY_BODY_SHA256 });
  });
});
