import { contactIdByEmail } from "../contacts/contact-exists.ts";
import { CONTACT_TABLE, type ContactRecord, type ContactRow } from "../contacts/contact-record.ts";
import { ValidationError } from "../core/errors.ts";
import { emailAddress } from "../core/validation.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { DealRecord } from "./deal-record.ts";
import { dealContactIds } from "./get-deal.ts";
import { updateDeal } from "./update-deal.ts";

const { columns, from, joins, alias } = CONTACT_TABLE;

/**
 * The people on a deal, as their contacts, by id, in one statement: a contact read per person
 * made a deal's page run one more query for each of its (up to 50) people.
 */
export function dealPeople(shard: Shard, dealId: number): ContactRecord[] {
  const rows = shard
    .statement(
      `SELECT ${columns} FROM ${from} ${joins}
       WHERE ${alias}.id IN (SELECT contact_id FROM deal_contacts WHERE deal_id = ?) ORDER BY ${alias}.id`,
    )
    .all(dealId) as ContactRow[];
  return rows.map((row) => CONTACT_TABLE.toRecord(row));
}

/**
 * Puts the contact with `email` on the deal (logged as a change of its people, like any
 * update); a 422 on `email` unless a contact of this workspace has it.
 */
export function addDealPerson(shard: Shard, actor: Actor, dealId: number, email: string): DealRecord {
  const parsed = emailAddress.safeParse(email);
  const contactId = parsed.success ? contactIdByEmail(shard, parsed.data) : null;
  if (contactId === null)
    throw new ValidationError([
      { field: "email", message: "is not the email of a contact in this workspace" },
    ]);
  const contactIds = [...new Set([...dealContactIds(shard, dealId), contactId])].sort((a, b) => a - b);
  return updateDeal(shard, actor, dealId, { contactIds });
}

/** Takes a person off the deal (nothing changes if they were not on it). */
export function removeDealPerson(shard: Shard, actor: Actor, dealId: number, contactId: number): DealRecord {
  const contactIds = dealContactIds(shard, dealId).filter((id) => id !== contactId);
  return updateDeal(shard, actor, dealId, { contactIds });
}
