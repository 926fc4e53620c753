import { NotFoundError } from "../core/errors.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_COLUMNS, DEAL_JOINS, type DealRecord, type DealRow, toDealRecord } from "./deal-record.ts";

/** The deal with `id` in this workspace, or a 404. */
export function getDeal(shard: Shard, id: number): DealRecord {
  const row = shard
    .statement(`SELECT ${DEAL_COLUMNS} FROM deals d ${DEAL_JOINS} WHERE d.id = ?`)
    .get(id) as DealRow | null;
  if (!row) throw new NotFoundError("deal");
  return toDealRecord(row);
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
