import type { BulkBarProps } from "../../views/components/bulk-bar.ts";
import { listUsers } from "../auth/users.ts";
import { listPipelines } from "../pipelines/pipelines.ts";
import type { Shard } from "../tenancy/shard.ts";
import { BULK_KINDS, type BulkKindName } from "./bulk-kinds.ts";

/** What a list's bulk form needs: its choices, and the current filters as "all matching". */
export function bulkBarProps(
  shard: Shard,
  kindName: BulkKindName,
  base: string,
  values: Record<string, string | undefined>,
  total: number,
  csrfToken: string,
): BulkBarProps {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value && name !== "sort" && name !== "order" && name !== "cols") query.set(name, value);
  }
  return {
    action: `${base}/${kindName}/bulk`,
    csrfToken,
    filterQuery: query.toString(),
    total,
    plural: BULK_KINDS[kindName].plural,
    owners: listUsers(shard).map((u) => ({ value: String(u.id), label: u.name })),
    stages:
      kindName === "deals"
        ? listPipelines(shard).flatMap((p) =>
            p.stages.map((s) => ({ value: String(s.id), label: `${p.name}: ${s.name}` })),
          )
        : undefined,
  };
}
