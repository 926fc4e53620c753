import type { Context } from "hono";
import { entityTag, tagsMatch } from "../core/entity-tag.ts";
import { ifMatchedWrite } from "../tenancy/if-matched-write.ts";
import type { ViewerEnv } from "./app-env.ts";
import { decodedEtag } from "./middleware/compression.ts";

export { entityTag, PreconditionFailedError } from "../core/entity-tag.ts";

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
 * If-Match's tags for a strong comparison: `*` (the record exists: it was just read) or each
 * listed tag, a tag compression gave an encoded answer (`"…-gzip"`, `"…-zstd"`) as its plain
 * tag: the record's bytes are the same, only their transfer coding differs, so a client that
 * read it compressed may write with the tag it was given. A weak tag is kept as it is (`W/"…"`)
 * and so never matches. Plain strings, so a write a worker runs can compare them.
 */
export function ifMatchTags(header: string): string[] {
  return listedTags(header).map((listed) => (listed === "*" ? listed : decodedEtag(listed)));
}

/** If-Match's strong comparison: does the header name `tag` (or `*`)? */
export function ifMatchHolds(header: string, tag: string): boolean {
  return tagsMatch(ifMatchTags(header), tag);
}

/** The request's If-Match tags (ifMatchTags), or undefined when it sent none. */
export function ifMatchOf(c: Context): string[] | undefined {
  const header = c.req.header("if-match");
  return header === undefined ? undefined : ifMatchTags(header);
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
 * Runs a PATCH's or DELETE's `write` under its If-Match, if it sent one, atomically with the
 * comparison (src/tenancy/if-matched-write.ts).
 */
export function ifMatchWrite<T>(c: Context<ViewerEnv>, current: () => unknown, write: () => T): T {
  return ifMatchedWrite(c.var.shard, ifMatchOf(c), current, write);
}
