import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { getDeal } from "./get-deal.ts";

/** Deletes a deal (its notes go with it, its tasks stay unlinked) and logs `deal.deleted`. */
export function deleteDeal(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    const deal = getDeal(shard, id);
    shard.statement("DELETE FROM deals WHERE id = ?").run(id);
    recordInteraction(shard, {
      actor,
      kind: "deal.deleted",
      subjectType: "deal",
      subjectId: id,
      occurredAt: now,
      payload: { name: deal.title },
    });
  });
}
