import { entityTag, PreconditionFailedError, tagsMatch } from "../core/entity-tag.ts";
import type { Shard } from "./shard.ts";

/**
 * Runs `write` under an If-Match's tags (src/http/entity-tag.ts ifMatchTags), if it sent one: in
 * one transaction, `current` reads the record as GET answers it (a 404 if it is gone, as
 * without the header), its tag is compared, and only then `write` runs (its own transaction
 * becomes a savepoint). BEGIN IMMEDIATE holds the write lock from the comparison to the commit,
 * so of two clients sending the same tag one writes and the other gets 412, in this process or
 * another, on the server's thread or in a worker. Without If-Match the write goes ahead as before.
 */
export function ifMatchedWrite<T>(
  shard: Shard,
  ifMatch: readonly string[] | undefined,
  current: () => unknown,
  write: () => T,
): T {
  if (ifMatch === undefined) return write();
  return shard.transaction(() => {
    if (!tagsMatch(ifMatch, entityTag(JSON.stringify(current())))) throw new PreconditionFailedError();
    return write();
  });
}
