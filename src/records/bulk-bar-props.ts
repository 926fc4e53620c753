import type { BulkBarProps } from "../../views/components/bulk-bar.ts";
import { listUsers } from "../auth/users.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { RecordKind } from "./record-kind.ts";

/** What a list's bulk form needs: its choices (stages for a kind that has them), and the current filters as "all matching". */
export function bulkBarProps(
  shard: Shard,
  kind: Pick<RecordKind, "path" | "stages">,
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
    action: `${base}/${kind.path}/bulk`,
    csrfToken,
    filterQuery: query.toString(),
    total,
    plural: kind.path,
    owners: listUsers(shard).map((u) => ({ value: String(u.id), label: u.name })),
    stages: kind.stages?.options(shard),
  };
}
