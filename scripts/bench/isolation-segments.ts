/** The isolation benchmark's segment load: a segment of 5 rules over every contact, counted in a loop. */

import { checkRules } from "../../src/segments/check-rules.ts";
import count from "../../src/segments/count.worker.ts";
import { segmentCatalog } from "../../src/segments/segment-fields.ts";
import type { RuleGroup } from "../../src/segments/segment-rules.ts";
import type { TaskHandler } from "../../src/workers/task-types.ts";
import { type LoadEnv, type LoadSpec, loop, runTask, withShard } from "./isolation-loads.ts";

/**
 * Five rules over text, a date and activity, as a person builds them: contacts with an "a" in
 * their first name, a title, created in the 3 years before the newest contact, no interaction
 * in the last 30 days and no open deal. Every run counts them and reads the 20 newest (the
 * builder's live count and preview), with no cache in between.
 */
export function segmentLoad(env: LoadEnv): LoadSpec {
  const { checked } = withShard(env, (shard) => {
    const newest = (shard.statement("SELECT max(created_at) AS t FROM contacts").get() as { t: number }).t;
    const since = new Date(newest - 3 * 365 * 86_400_000).toISOString().slice(0, 10);
    const rules: RuleGroup = {
      match: "all",
      rules: [
        { field: "firstName", op: "contains", value: "a" },
        { field: "title", op: "is_not_empty" },
        { field: "createdAt", op: "after", value: since },
        { field: "lastInteraction", op: "none_in_last_days", value: 30 },
        { field: "openDeal", op: "is_empty" },
      ],
    };
    return { checked: checkRules(rules, segmentCatalog(shard)).checked };
  });
  const params = { rules: checked, now: Math.floor(Date.now() / 60_000) * 60_000, preview: 20 };
  return loop((where) => runTask(env, where, "segments.count", count as TaskHandler<never, unknown>, params));
}
