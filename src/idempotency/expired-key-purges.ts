import { RetryLaterError } from "../core/errors.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import type { Shard } from "../tenancy/shard.ts";
import type { PurgeResult } from "./purge.worker.ts";
import { hasExpiredIdempotencyKeys } from "./purge-idempotency-keys.ts";

/** The workspace a purge is for, as a pool task names it. */
export type PurgeTenant = Pick<Tenant, "id" | "slug" | "file">;

/** Runs idempotency.purge for a workspace in the worker pool, as upkeep. */
export type PurgeRunner = (tenant: PurgeTenant, now: number) => Promise<PurgeResult>;

/** After a refusal (the pool full, or the workspace's checkpoint running), asked again this much later. */
export const PURGE_RETRY_MS = 1000;
/** Refusals in a row before waiting for the next keyed write to ask again. */
const MAX_RETRIES = 5;

/**
 * When to purge a workspace's expired Idempotency-Keys: after each write that stored a key, if
 * one has expired (one index seek on this thread, ~µs), a purge runs in the worker pool
 * (purge.worker.ts), one at a time per workspace, asked again at once while its budget left
 * some and a little later when the pool refused it. So expired answers, 100–250 KB each for a
 * keyed batch, go within seconds of the next keyed write, and deleting them never runs on the
 * server's thread (it did, up to 500 keys per write: ~200 ms for batch-sized answers).
 */
export class ExpiredKeyPurges {
  /** Workspaces with a purge asked for and not yet settled. */
  private readonly running = new Set<string>();

  constructor(
    private readonly run: PurgeRunner,
    private readonly now: () => number,
    /** A failure other than a refusal (the log's, with the workspace). */
    private readonly onError: (tenant: PurgeTenant, error: unknown) => void,
  ) {}

  /** Purges asked and not yet settled. */
  get pending(): number {
    return this.running.size;
  }

  /** A write on `shard` stored a key: asks for a purge if a key has expired and none runs. */
  afterKeyedWrite(shard: Shard, tenant: PurgeTenant): void {
    if (this.running.has(tenant.id) || !hasExpiredIdempotencyKeys(shard, this.now())) return;
    this.ask(tenant, 0);
  }

  private ask(tenant: PurgeTenant, refusals: number): void {
    this.running.add(tenant.id);
    let asked: Promise<PurgeResult>;
    try {
      asked = this.run(tenant, this.now());
    } catch (error) {
      asked = Promise.reject(error);
    }
    asked.then(
      (result) => {
        this.running.delete(tenant.id);
        if (result.more) this.ask(tenant, 0);
      },
      (error) => {
        if (error instanceof RetryLaterError && refusals < MAX_RETRIES) {
          // Kept in `running` meanwhile: the writes until then need not ask.
          setTimeout(() => this.ask(tenant, refusals + 1), PURGE_RETRY_MS).unref();
          return;
        }
        this.running.delete(tenant.id);
        if (!(error instanceof RetryLaterError)) this.onError(tenant, error);
      },
    );
  }
}
