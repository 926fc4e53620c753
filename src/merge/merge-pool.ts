import type { WorkerKey } from "../idempotency/idempotent-write.ts";
import type { Actor } from "../identity/viewer.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { WorkerPool } from "../workers/pool.ts";
import type { MergeInput } from "./merge-input.ts";
import type { MergeOutcome, MergeTaskParams } from "./run.worker.ts";

/**
 * Runs a merge in a worker (merge.run) and waits for it; `signal` (the request's) takes it out
 * of the line, but once it runs it runs to its end (RunOptions.runToEnd). Refusals arrive as
 * the service threw them (422 with its fields, 404 for a record not in this workspace). Returns the survivor's id, and with `idempotency` (an API
 * request's key) the answer stored with it.
 */
export async function mergeInPool(
  pool: WorkerPool,
  tenant: Pick<Tenant, "id" | "slug" | "file">,
  actor: Actor,
  signal: AbortSignal,
  kind: string,
  input: MergeInput,
  idempotency?: WorkerKey,
): Promise<MergeOutcome> {
  const params: MergeTaskParams = { kind: kind as MergeTaskParams["kind"], input, actor, idempotency };
  return await pool.run<MergeOutcome>(
    "merge.run",
    { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params },
    { signal, runToEnd: true },
  );
}
