import { TaskProgress } from "../background/task-progress.ts";
import { idempotentWrite } from "../idempotency/idempotent-write.ts";
import type { TaskHandler } from "../workers/task-types.ts";
import { bulkKind } from "./bulk-kinds.ts";
import type { BulkRunParams, KeyedBulkOutcome } from "./bulk-task.ts";
import { type BulkResult, runBulk } from "./run-bulk.ts";

/** What a bulk change in the background leaves for its page. */
export interface BulkOutcome extends BulkResult {
  summary?: string[];
  links?: { href: string; label: string }[];
}

/** The list to go back to, saying how many records changed (as a bulk change that waited does). */
function backWithNotice(back: string, changed: number): string {
  const at = back.indexOf("?");
  const query = new URLSearchParams(at < 0 ? "" : back.slice(at + 1));
  query.set("changed", String(changed));
  return `${at < 0 ? back : back.slice(0, at)}?${query}`;
}

/**
 * bulk.run: a bulk change (run-bulk.ts), all or nothing in one transaction. In the background
 * it marks itself running and honours a Cancel pressed before it starts writing; once it
 * writes, the workspace's file is locked until it commits or rolls back (a Cancel then gets
 * "busy, try again"), and its outcome says how many records changed.
 */
const runTask: TaskHandler<BulkRunParams, BulkOutcome | KeyedBulkOutcome> = ({ params }, context) => {
  const kind = bulkKind(params.kind);
  if (!kind) throw new Error(`unknown bulk kind ${params.kind}`);
  const shard = context.shard("write");
  const key = params.idempotency;
  if (key) {
    const answer = idempotentWrite(shard, key.request, key.now, () => ({
      status: 200,
      body: JSON.stringify(runBulk(shard, params.actor, kind, params.target, params.action)),
    }));
    return { answer };
  }
  if (params.backgroundTaskId === undefined)
    return runBulk(shard, params.actor, kind, params.target, params.action);
  const progress = new TaskProgress(shard, params.backgroundTaskId);
  progress.start(null, `Changing ${kind.path}: the workspace's other changes wait until this is done`);
  progress.stopIfCancelled();
  const result = runBulk(shard, params.actor, kind, params.target, params.action);
  progress.step(result.matched, { total: result.matched, force: true });
  const noun = (n: number) => (n === 1 ? kind.type : kind.path);
  return {
    ...result,
    summary: [
      `${result.changed.toLocaleString("en")} ${noun(result.changed)} changed, of ${result.matched.toLocaleString("en")} chosen.`,
    ],
    links: params.back
      ? [{ href: backWithNotice(params.back, result.changed), label: `Back to ${kind.path}` }]
      : [],
  };
};

export default runTask;
