import type { Change } from "../changes/change.ts";
import type { WebhookConfig } from "../core/config.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { isLocked } from "../tenancy/locked.ts";
import { commitCount } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import type { ChangeSource } from "./change-source.ts";
import { deliveryRequest } from "./delivery-request.ts";
import { nextChangeFor } from "./next-change.ts";
import { type AttemptResult, postDelivery } from "./post-delivery.ts";
import { recordAttempt } from "./record-attempt.ts";
import { hasEnabledWebhooks } from "./subscriptions.ts";
import { resolveWebhookTarget, TargetRefusedError } from "./webhook-target.ts";
import { markWebhookWorkspace, webhookWorkspaceList } from "./webhook-workspaces.ts";

export interface WebhookDelivererOptions {
  catalog: Catalog;
  shards: ShardManager;
  config: WebhookConfig;
  logger: Logger;
  source: ChangeSource;
  now?: () => number;
}

interface DueSubscription {
  id: number;
  url: string;
  events: string[];
  secret: string;
  cursor: number;
  failures: number;
}

/**
 * Deliveries in flight at once for one workspace: a workspace whose receivers all hang holds
 * this many of the host's slots (CRM_WEBHOOKS_CONCURRENCY), never all of them.
 */
const PER_WORKSPACE = 4;

/** How often the count of this process's commits is looked at. */
const WAKE_MS = 20;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits before recording an attempt again when the file is locked (a checkpoint's brief
 * exclusive moment, another process's write): the delivery has happened, so giving up would
 * send it again. About 4 s in all, on timers, never on the thread.
 */
const RECORD_RETRY_MS = [10, 25, 50, 100, 200, 400, 800, 1200, 1200];

/**
 * Delivers webhooks off the request path, in one process per host. Every `pollMs` it visits
 * the workspaces the catalog marks as having enabled subscriptions; for each subscription
 * that is not already sending and not waiting for a retry, it finds the next change it
 * listens to and POSTs it. One delivery at a time per subscription, oldest change first: a
 * failure holds back the later ones until it succeeds or the retries run out. The network
 * is awaited, never waited on; the synchronous work per workspace is a few indexed queries.
 */
export class WebhookDeliverer {
  private timer: Timer | undefined;
  private wakeTimer: Timer | undefined;
  private seenCommits = commitCount();
  private scanning = false;
  private passes = 0;
  private stopped = false;
  /** `tenantId:subscriptionId` of the deliveries in flight. */
  private readonly sending = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Deliveries in flight per workspace id. */
  private readonly perWorkspace = new Map<string, number>();
  /** Ends the attempts in flight when the server stops. */
  private readonly stopping = new AbortController();
  private readonly now: () => number;

  constructor(private readonly options: WebhookDelivererOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.scan(), this.options.config.pollMs);
    // A write through this process starts a pass at once (within WAKE_MS) rather than at the
    // next poll: a comparison of a counter when nothing was written. Writes by the other
    // processes of a group are found by the poll.
    this.wakeTimer = setInterval(() => {
      const commits = commitCount();
      if (commits === this.seenCommits || this.scanning) return;
      this.seenCommits = commits;
      void this.scan();
    }, WAKE_MS);
  }

  /** Stops looking for changes and waits for the deliveries in flight (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.wakeTimer);
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  /** One pass over the marked workspaces (skipped while the previous pass still runs). */
  async scan(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const workspaces = webhookWorkspaceList(this.options.catalog);
      // Each pass starts one workspace further on: when the host's slots are all taken, the
      // workspaces at the head of the list do not always get the ones that free up.
      const first = this.passes++ % Math.max(1, workspaces.length);
      for (let i = 0; i < workspaces.length; i++) {
        if (this.stopped || this.sending.size >= this.options.config.concurrency) break;
        this.scanWorkspace(workspaces[(first + i) % workspaces.length] as Tenant);
        // One workspace's queries at a time: requests run in between.
        await yieldToLoop();
      }
    } catch (error) {
      this.options.logger.error("webhook pass failed", errorFields(error));
    } finally {
      this.scanning = false;
    }
  }

  private scanWorkspace(tenant: Tenant): void {
    const { shards, source, logger, config } = this.options;
    let shard: ReturnType<ShardManager["acquire"]>;
    try {
      shard = shards.acquire(tenant);
    } catch (error) {
      logger.warn("webhooks: workspace not opened", { slug: tenant.slug, ...errorFields(error) });
      return;
    }
    try {
      const due = shard
        .statement(
          `SELECT id, url, events, secret, cursor, failures FROM webhook_subscriptions
           WHERE enabled = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id`,
        )
        .all(this.now()) as (Omit<DueSubscription, "events"> & { events: string })[];
      for (const row of due) {
        const key = `${tenant.id}:${row.id}`;
        if (this.sending.has(key)) continue;
        if (this.sending.size >= config.concurrency) return;
        if ((this.perWorkspace.get(tenant.id) ?? 0) >= PER_WORKSPACE) return;
        const sub = { ...row, events: JSON.parse(row.events) as string[] };
        const change = nextChangeFor(shard, source, sub);
        if (!change) continue;
        this.sending.add(key);
        this.perWorkspace.set(tenant.id, (this.perWorkspace.get(tenant.id) ?? 0) + 1);
        const delivery = this.deliver(tenant, sub, change)
          .catch((error) =>
            logger.error("webhook delivery failed", { slug: tenant.slug, ...errorFields(error) }),
          )
          .finally(() => {
            this.sending.delete(key);
            const left = (this.perWorkspace.get(tenant.id) ?? 1) - 1;
            if (left > 0) this.perWorkspace.set(tenant.id, left);
            else this.perWorkspace.delete(tenant.id);
            this.inFlight.delete(delivery);
          });
        this.inFlight.add(delivery);
      }
    } catch (error) {
      // Locked for a moment (a checkpoint, another process): the next pass reads it again.
      if (isLocked(error)) return;
      logger.warn("webhooks: workspace skipped", {
        slug: tenant.slug,
        ...errorFields(shards.classify(shard, error)),
      });
    } finally {
      shards.release(shard);
    }
  }

  private async deliver(tenant: Tenant, sub: DueSubscription, change: Change): Promise<void> {
    const { config, logger } = this.options;
    const attempt = sub.failures + 1;
    let result: AttemptResult;
    try {
      // Resolved and checked again at every attempt (DNS may have changed since the URL was saved).
      const target = await resolveWebhookTarget(sub.url, config);
      const { body, headers } = deliveryRequest(change, sub.secret, attempt, this.now());
      result = await postDelivery(target, body, headers, config.timeoutMs, this.stopping.signal);
    } catch (error) {
      if (!(error instanceof TargetRefusedError)) throw error;
      result = { ok: false, statusCode: null, durationMs: 0, error: `refused: ${error.message}` };
    }
    if (this.stopped && !result.ok) return;
    try {
      const outcome = await this.record(tenant, sub, change, result);
      if (outcome === "disabled")
        logger.warn("webhook disabled after failed retries", {
          slug: tenant.slug,
          webhookId: sub.id,
          error: result.error,
        });
      // Delivered: the next change goes out now, not at the next pass.
      if (outcome === "delivered" && !this.stopped) setImmediate(() => this.scanWorkspace(tenant));
    } catch (error) {
      // Not recorded (the file locked for seconds): the change is sent again, which CRM-Event-Id lets receivers drop.
      logger.warn("webhook attempt not recorded", {
        slug: tenant.slug,
        webhookId: sub.id,
        ...errorFields(error),
      });
    }
  }

  /** Records the attempt (record-attempt.ts), again after a wait while the file is locked. */
  private async record(tenant: Tenant, sub: DueSubscription, change: Change, result: AttemptResult) {
    const { config, shards, catalog } = this.options;
    for (let retry = 0; ; retry++) {
      try {
        return await shards.use(tenant, (shard) => {
          const outcome = recordAttempt(shard, sub, change, result, config.retrySeconds, this.now());
          if (outcome === "disabled") markWebhookWorkspace(catalog, tenant.id, hasEnabledWebhooks(shard));
          return outcome;
        });
      } catch (error) {
        const wait = RECORD_RETRY_MS[retry];
        if (!isLocked(error) || wait === undefined) throw error;
        await Bun.sleep(wait);
      }
    }
  }
}
