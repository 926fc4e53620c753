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

/** A deal with its people, as the API returns it. */
export function getDealWithContacts(shard: Shard, id: number): DealRecord & { contactIds: number[] } {
  return { ...getDeal(shard, id), contactIds: dealContactIds(shard, id) };
}
