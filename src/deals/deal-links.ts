import { contactIssue } from "../contacts/contact-exists.ts";
import type { FieldIssue } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";

/** Issues with a deal's people: each must be a contact of this workspace. */
export function contactIdsIssues(shard: Shard, contactIds: number[] | undefined): FieldIssue[] {
  if (!contactIds) return [];
  return contactIds.flatMap((id, i) => contactIssue(shard, id, `contactIds.${i}`));
}

/** Replaces the people on a deal (inside the deal's write transaction). */
export function setDealContacts(shard: Shard, dealId: number, contactIds: number[]): void {
  shard.statement("DELETE FROM deal_contacts WHERE deal_id = ?").run(dealId);
  const link = shard.statement("INSERT OR IGNORE INTO deal_contacts (deal_id, contact_id) VALUES (?, ?)");
  for (const contactId of contactIds) link.run(dealId, contactId);
}
