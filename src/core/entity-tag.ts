import { AppError } from "./errors.ts";

/** A write whose `If-Match` names a version the record no longer has: 412, nothing written. */
export class PreconditionFailedError extends AppError {
  constructor() {
    super(
      412,
      "Precondition Failed",
      "the record changed since you read it (If-Match does not match its ETag); read it again and retry",
    );
  }
}

/**
 * A strong entity tag for a record's JSON text: a SHA-256 of exactly the bytes answered (cut to
 * 128 bits). Taken from the representation rather than `updated_at`, because `updated_at` is
 * whole milliseconds (two writes in one millisecond keep it), and some writes change what a
 * record answers without touching its row (a stage changes its pipeline, a tag or a custom value
 * its contact). Strong, because If-Match compares strongly (RFC 9110 §13.1.1: a weak tag never
 * matches there) and the bytes are the same for everyone; compression gives an encoded answer
 * its own tag (src/http/middleware/compression.ts).
 */
export function entityTag(json: string): string {
  const digest = new Bun.CryptoHasher("sha256").update(json).digest("base64url");
  return `"${digest.slice(0, 22)}"`;
}

/**
 * If-Match's strong comparison over the tags it lists, as the web side reads them
 * (src/http/entity-tag.ts ifMatchTags: `*`, or each tag with its encoding suffix dropped): plain
 * data, so a write a worker runs compares them in its own transaction.
 */
export function tagsMatch(listed: readonly string[], tag: string): boolean {
  return listed.some((one) => one === "*" || one === tag);
}
