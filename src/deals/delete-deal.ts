import type { Actor } from "../identity/viewer.ts";
import { deleteRecord } from "../records/record-table.ts";
import type { Shard } from "../tenancy/shard.ts";
import { DEAL_TABLE } from "./deal-record.ts";

/** Deletes a deal (its notes go with it, its tasks stay unlinked) and logs `deal.deleted`. */
export function deleteDeal(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  deleteRecord(shard, actor, DEAL_TABLE, id, (deal) => ({ name: deal.title }), now);
}
