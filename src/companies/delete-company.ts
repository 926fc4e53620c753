import type { Actor } from "../identity/viewer.ts";
import { recordInteraction } from "../interactions/record-interaction.ts";
import type { Shard } from "../tenancy/shard.ts";
import { getCompany } from "./get-company.ts";

/** Deletes a company and logs `company.deleted`. Its contacts stay, no longer linked to it. */
export function deleteCompany(shard: Shard, actor: Actor, id: number, now = Date.now()): void {
  shard.transaction(() => {
    const company = getCompany(shard, id);
    shard.statement("DELETE FROM companies WHERE id = ?").run(id);
    recordInteraction(shard, {
      actor,
      kind: "company.deleted",
      subjectType: "company",
      subjectId: id,
      occurredAt: now,
      payload: { name: company.name, contactsUnlinked: company.contactCount },
    });
  });
}
