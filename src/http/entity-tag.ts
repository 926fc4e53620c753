import type { Context } from "hono";
import { AppError } from "../core/errors.ts";
import type { ViewerEnv } from "./app-env.ts";
import { decodedEtag } from "./middleware/compression.ts";

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
 * One element of a conditional header's list (RFC 9110 §8.8.3 and §5.6.1): optional spaces, an
 * entity tag (`W/` in upper case only), optional spaces, then a comma or the end. An element may
 * be empty (`"a", , "b"`), as the list rule allows.
 */
const LIST_ELEMENT = /[ \t]*(?:((?:W\/)?"[\x21\x23-\x7e\x80-\xff]*")[ \t]*)?(?:,|$)/y;

/**
 * The entity tags a conditional header lists (`*` alone as itself), or none at all when the
 * header is not such a list: `xyz"<tag>"`, `w/"<tag>"` or `"<tag>"garbage` is no list of tags,
 * and a header that names nothing matches nothing.
 */
function listedTags(header: string): string[] {
  if (header.trim() === "*") return ["*"];
  const tags: string[] = [];
  LIST_ELEMENT.lastIndex = 0;
  while (LIST_ELEMENT.lastIndex < header.length) {
    const element = LIST_ELEMENT.exec(header);
    if (!element) return [];
    if (element[1]) tags.push(element[1]);
  }
  return tags;
}

/**
 * If-Match's strong comparison: `*` (the record exists: it was just read) or one listed strong
 * tag naming `tag`. A tag compression gave an encoded answer (`"…-gzip"`, `"…-zstd"`) names the
 * same record version as its plain tag: the record's bytes are the same, only their transfer
 * coding differs, so a client that read it compressed may write with the tag it was given.
 */
export function ifMatchHolds(header: string, tag: string): boolean {
  return listedTags(header).some((listed) => listed === "*" || decodedEtag(listed) === tag);
}

/**
 * If-None-Match's weak comparison (RFC 9110 §13.1.2): the listed tag that names `tag` once `W/`
 * and an encoding suffix are dropped (`*` for any), or undefined when none does.
 */
function ifNoneMatchMatched(header: string, tag: string): string | undefined {
  return listedTags(header).find(
    (listed) => listed === "*" || decodedEtag(listed.replace(/^W\//, "")) === tag,
  );
}

/**
 * Answers one record as JSON with its ETag; a GET or HEAD whose If-None-Match names that tag
 * (or one of its encoded forms) gets 304 with no body, carrying the tag the client matched: the
 * one its stored answer has. A HEAD answers the GET's headers (its Content-Length is set by the
 * compression middleware, which sees the body HEAD leaves out).
 */
export function taggedJson(c: Context, value: unknown, status: 200 | 201 = 200): Response {
  const json = JSON.stringify(value);
  const tag = entityTag(json);
  const ifNoneMatch = c.req.header("if-none-match");
  const read = c.req.method === "GET" || c.req.method === "HEAD";
  const matched = read && ifNoneMatch !== undefined ? ifNoneMatchMatched(ifNoneMatch, tag) : undefined;
  if (matched !== undefined)
    return c.body(null, 304, { ETag: matched === "*" ? tag : matched.replace(/^W\//, "") });
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
