import { getRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_TABLE, type DealRecord } from "./deal-record.ts";

/** The deal with `id` in this workspace, or a 404. */
export function getDeal(shard: Shard, id: number): DealRecord {
  return getRecord(shard, DEAL_TABLE, id);
}

/** The people on a deal, by id. */
export function dealContactIds(shard: Shard, dealId: number): number[] {
  return (
    shard
      .statement("SELECT contact_id AS id FROM deal_contacts WHERE deal_id = ? ORDER BY contact_id")
      .all(dealId) as {
      id: number;
    }[]
  ).map((r) => r.id);
}

/**
 * The people on each of `dealIds`, by id, in one statement for them all (the API's deal lists:
 * one query per deal was 100 of them for a page of 100). Deals without people map to [].
 */
export function dealsContactIds(shard: Shard, dealIds: number[]): Map<number, number[]> {
  const people = new Map<number, number[]>(dealIds.map((id) => [id, []]));
  if (dealIds.length === 0) return people;
  const rows = shard
    .statement(
      "SELECT deal_id AS deal, contact_id AS id FROM deal_contacts WHERE deal_id IN (SELECT value FROM json_each(?)) ORDER BY deal_id, contact_id",
    )
    .all(JSON.stringify(dealIds)) as { deal: number; id: number }[];
  for (const row of rows) people.get(row.deal)?.push(row.id);
  return people;
}

/** A deal with its people, as the API returns it. */
export function getDealWithContacts(shard: Shard, id: number): DealRecord & { contactIds: number[] } {
  return { ...getDeal(shard, id), contactIds: dealContactIds(shard, id) };
}
