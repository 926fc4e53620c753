import type { Shard } from "../tenancy/shard.ts";

/** What an erased person's name or email becomes where other records mention it. */
export const ERASED = "[erased]";

/**
 * Replaces mentions of an erased person in records that are not theirs: a deal titled with
 * their name (the New deal form suggests that), a note on their company quoting their email,
 * the log's payloads that carried such a title. Only the exact full name and email are
 * replaced (a first name alone is too common to erase blindly). Call inside the erasure's
 * transaction; the search triggers re-index what changes.
 */
export function scrubMentions(shard: Shard, mentions: string[]): void {
  for (const text of mentions) {
    if (text.trim().length < 4) continue;
    shard
      .statement("UPDATE deals SET title = replace(title, ?1, ?2) WHERE instr(title, ?1) > 0")
      .run(text, ERASED);
    shard
      .statement("UPDATE notes SET body = replace(body, ?1, ?2) WHERE instr(body, ?1) > 0")
      .run(text, ERASED);
    shard
      .statement("UPDATE tasks SET title = replace(title, ?1, ?2) WHERE instr(title, ?1) > 0")
      .run(text, ERASED);
    // Payloads are JSON: the text as it appears inside a JSON string.
    const inJson = JSON.stringify(text).slice(1, -1);
    shard
      .statement("UPDATE interactions SET payload = replace(payload, ?1, ?2) WHERE instr(payload, ?1) > 0")
      .run(inJson, ERASED);
  }
}
