import type { Context } from "hono";
import { AppError } from "../core/errors.ts";
import type { ViewerEnv } from "./app-env.ts";

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

/** The entity tags a conditional header lists (`*` as itself); anything else in it matches nothing. */
function listedTags(header: string): string[] {
  if (header.trim() === "*") return ["*"];
  return header.match(/(?:W\/)?"[\x21\x23-\x7e\x80-\xff]*"/g) ?? [];
}

/** If-Match's strong comparison: `*` (the record exists: it was just read) or one listed strong tag equal to `tag`. */
export function ifMatchHolds(header: string, tag: string): boolean {
  return listedTags(header).some((listed) => listed === "*" || listed === tag);
}

/** If-None-Match's weak comparison (RFC 9110 §13.1.2): `*`, or a listed tag equal to `tag` once `W/` is dropped. */
function ifNoneMatchHolds(header: string, tag: string): boolean {
  return !listedTags(header).some((listed) => listed === "*" || listed.replace(/^W\//, "") === tag);
}

/**
 * Answers one record as JSON with its ETag; a GET whose If-None-Match names that tag gets 304
 * with no body.
 */
export function taggedJson(c: Context, value: unknown, status: 200 | 201 = 200): Response {
  const json = JSON.stringify(value);
  const tag = entityTag(json);
  const ifNoneMatch = c.req.header("if-none-match");
  if (c.req.method === "GET" && ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, tag))
    return c.body(null, 304, { ETag: tag });
  return c.body(json, status, { "Content-Type": "application/json", ETag: tag });
}

/**
 * Runs a PATCH's or DELETE's `write` under its If-Match, if it sent one: in one transaction,
 * `current` reads the record as GET answers it (a 404 if it is gone, as without the header),
 * its tag is compared, and only then `write` runs (its own transaction becomes a savepoint).
 * BEGIN IMMEDIATE holds the write lock from the comparison to the commit, so of two clients
 * sending the same tag one writes and the other gets 412, in this process or another.
 * Without If-Match the write goes ahead as before.
 */
export function ifMatchWrite<T>(c: Context<ViewerEnv>, current: () => unknown, write: () => T): T {
  const ifMatch = c.req.header("if-match");
  if (ifMatch === undefined) return write();
  return c.var.shard.transaction(() => {
    if (!ifMatchHolds(ifMatch, entityTag(JSON.stringify(current())))) throw new PreconditionFailedError();
    return write();
  });
}
