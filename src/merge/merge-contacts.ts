import { findContactEvents } from "../contacts/contact-events.ts";
import { CONTACT_KIND } from "../contacts/contact-kind.ts";
import type { ContactRecord } from "../contacts/contact-record.ts";
import { getContact } from "../contacts/get-contact.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import { foldDuplicate } from "./fold-duplicate.ts";
import type { MergeInput } from "./merge-input.ts";
import { findTiedLatest, moveEvents } from "./move-events.ts";

/** Puts the duplicate's deals on the survivor (a deal both are on keeps one link) and takes them off the duplicate. */
function relinkDeals(shard: Shard, duplicateId: number, survivorId: number, now: number): void {
  shard
    .statement(
      "UPDATE deals SET updated_at = ? WHERE id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = ?)",
    )
    .run(now, duplicateId);
  shard
    .statement(
      "INSERT OR IGNORE INTO deal_contacts (deal_id, contact_id) SELECT deal_id, ? FROM deal_contacts WHERE contact_id = ?",
    )
    .run(survivorId, duplicateId);
  shard.statement("DELETE FROM deal_contacts WHERE contact_id = ?").run(duplicateId);
}

/**
 * Folds the duplicate contact into the survivor in one transaction (see foldDuplicate): the
 * survivor also takes the duplicate's deals, its events and its engagement (move-events.ts;
 * the events are looked for before the transaction: a scan of the log, so call this in a
 * worker). Logs `contact.merged`, then `contact.updated` if its fields changed.
 */
export function mergeContacts(
  shard: Shard,
  actor: Actor,
  input: MergeInput,
  now = Date.now(),
): ContactRecord {
  const events = findContactEvents(shard, input.duplicateId);
  const tied = findTiedLatest(shard, events, input.duplicateId, input.survivorId);
  const relink = (tx: Shard, duplicateId: number, survivorId: number, at: number) => {
    relinkDeals(tx, duplicateId, survivorId, at);
    moveEvents(tx, events, duplicateId, survivorId, tied);
  };
  shard.transaction(() => foldDuplicate(shard, actor, CONTACT_KIND, relink, input, now));
  return getContact(shard, input.survivorId);
}
