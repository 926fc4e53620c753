import type { Change } from "../changes/change.ts";
import type { WebhookConfig } from "../core/config.ts";
import { errorFields, type Logger } from "../core/logger.ts";
import type { Catalog } from "../tenancy/catalog.ts";
import type { Tenant } from "../tenancy/catalog-schema.ts";
import { isLocked } from "../tenancy/locked.ts";
import { commitCount, type Shard } from "../tenancy/shard.ts";
import type { ShardManager } from "../tenancy/shard-manager.ts";
import { frozenSince } from "../tenancy/write-freeze.ts";
import type { ChangeSource } from "./change-source.ts";
import { deliveryRequest } from "./delivery-request.ts";
import { nextChangeFor, sharedPages } from "./next-change.ts";
import { type AttemptResult, postDelivery } from "./post-delivery.ts";
import { type AttemptOutcome, recordAttempt } from "./record-attempt.ts";
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
  private draining = false;
  /** Workspaces with a change due and no free slot, in the order they get the next ones. */
  private readonly waiting = new Map<string, Tenant>();
  /** Workspaces being visited, and those asked for again meanwhile. */
  private readonly visiting = new Set<string>();
  private readonly visitAgain = new Set<string>();
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
      // Workspaces already waiting for a slot get the free ones first.
      await this.drain();
      const workspaces = webhookWorkspaceList(this.options.catalog);
      // Each pass starts one workspace further on, so no workspace is always looked at first.
      const first = this.passes++ % Math.max(1, workspaces.length);
      for (let i = 0; i < workspaces.length; i++) {
        if (this.stopped) break;
        const tenant = workspaces[(first + i) % workspaces.length] as Tenant;
        // Waiting already: it gets its turn when a slot frees (drain).
        if (this.waiting.has(tenant.id)) continue;
        await this.scanWorkspace(tenant);
      }
    } catch (error) {
      this.options.logger.error("webhook pass failed", errorFields(error));
    } finally {
      this.scanning = false;
    }
  }

  /**
   * Hands free slots to the workspaces waiting for one, oldest first (round robin: a workspace
   * that just delivered goes to the back), so a workspace with a backlog cannot keep taking
   * back the slots it frees while another's change waits.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (!this.stopped && this.sending.size < this.options.config.concurrency) {
        const next = this.waiting.values().next();
        if (next.done) break;
        this.waiting.delete(next.value.id);
        await this.scanWorkspace(next.value);
      }
    } finally {
      this.draining = false;
    }
  }

  /** Visits one workspace; a visit asked for while one runs is made again after it. */
  private async scanWorkspace(tenant: Tenant): Promise<void> {
    if (this.visiting.has(tenant.id)) {
      this.visitAgain.add(tenant.id);
      return;
    }
    this.visiting.add(tenant.id);
    try {
      do {
        this.visitAgain.delete(tenant.id);
        await this.visitWorkspace(tenant);
      } while (this.visitAgain.has(tenant.id) && !this.stopped);
    } finally {
      this.visiting.delete(tenant.id);
    }
  }

  /**
   * Starts a delivery for each due subscription that has a change to send, one subscription
   * per turn of the event loop (ARCHITECTURE invariant 10: a workspace's 20 subscriptions
   * catching up must not hold it for their sum). The feed pages read in this visit are shared:
   * subscriptions at the same cursor read it once. With every host slot taken, the workspace
   * joins the queue of those waiting for one.
   */
  private async visitWorkspace(tenant: Tenant): Promise<void> {
    const ids = this.withShard(tenant, (shard) =>
      // A workspace frozen while it moves sends nothing: a delivery recorded after its last copy
      // would be sent again by its new host.
      frozenSince(shard.sqlite) !== undefined
        ? []
        : (
            shard
              .statement(
                `SELECT id FROM webhook_subscriptions
             WHERE enabled = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id`,
              )
              .all(this.now()) as { id: number }[]
          ).map((row) => row.id),
    );
    if (!ids) return;
    const source = sharedPages(this.options.source);
    for (const id of ids) {
      await yieldToLoop();
      if (this.stopped) return;
      if (this.sending.has(`${tenant.id}:${id}`)) continue;
      if ((this.perWorkspace.get(tenant.id) ?? 0) >= PER_WORKSPACE) return;
      const full = this.withShard(tenant, (shard) => {
        // Read again now, not at the start of the visit: a delivery that ended in between moved its cursor.
        const row = shard
          .statement(
            `SELECT id, url, events, cursor, failures FROM webhook_subscriptions
             WHERE id = ? AND enabled = 1 AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`,
          )
          .get(id, this.now()) as (Omit<DueSubscription, "events"> & { events: string }) | null;
        if (!row) return false;
        const sub = { ...row, events: JSON.parse(row.events) as string[] };
        const change = nextChangeFor(shard, source, sub);
        if (!change) return false;
        if (this.sending.size >= this.options.config.concurrency) return true;
        this.send(tenant, sub, change);
        return false;
      });
      if (full) {
        this.waiting.set(tenant.id, tenant);
        return;
      }
    }
  }

  /** Runs `fn` with the workspace's shard; a locked or failing file skips it until the next pass. */
  private withShard<T>(tenant: Tenant, fn: (shard: Shard) => T): T | undefined {
    const { shards, logger } = this.options;
    let shard: Shard;
    try {
      shard = shards.acquire(tenant);
    } catch (error) {
      logger.warn("webhooks: workspace not opened", { slug: tenant.slug, ...errorFields(error) });
      return undefined;
    }
    try {
      return fn(shard);
    } catch (error) {
      // Locked for a moment (a checkpoint, another process): the next pass reads it again.
      if (!isLocked(error))
        logger.warn("webhooks: workspace skipped", {
          slug: tenant.slug,
          ...errorFields(shards.classify(shard, error)),
        });
      return undefined;
    } finally {
      shards.release(shard);
    }
  }

  /** Takes a slot for the delivery; when it ends, the slot goes to the next workspace waiting. */
  private send(tenant: Tenant, sub: DueSubscription, change: Change): void {
    const key = `${tenant.id}:${sub.id}`;
    this.sending.add(key);
    this.perWorkspace.set(tenant.id, (this.perWorkspace.get(tenant.id) ?? 0) + 1);
    const delivery = this.deliver(tenant, sub, change)
      .catch((error) => {
        this.options.logger.error("webhook delivery failed", { slug: tenant.slug, ...errorFields(error) });
        return "failed" as const;
      })
      .then((outcome) => {
        this.sending.delete(key);
        const left = (this.perWorkspace.get(tenant.id) ?? 1) - 1;
        if (left > 0) this.perWorkspace.set(tenant.id, left);
        else this.perWorkspace.delete(tenant.id);
        this.inFlight.delete(delivery);
        if (this.stopped) return;
        // Delivered (or not sent): its next change goes out now, not at the next pass, but
        // after the workspaces already waiting (to the back of the queue).
        if (outcome === "delivered" || outcome === "skipped") {
          this.waiting.delete(tenant.id);
          this.waiting.set(tenant.id, tenant);
        }
        void this.drain();
      });
    this.inFlight.add(delivery);
  }

  private async deliver(
    tenant: Tenant,
    sub: DueSubscription,
    change: Change,
  ): Promise<AttemptOutcome | "skipped"> {
    const { config, logger } = this.options;
    const attempt = sub.failures + 1;
    let result: AttemptResult;
    try {
      // Resolved and checked again at every attempt (DNS may have changed since the URL was saved).
      const target = await resolveWebhookTarget(sub.url, config);
      // The secret is read now, after the lookup's await, not with the due row: a rotation
      // meanwhile must not leave this delivery signed with the old one. Deleted, disabled or
      // pointed elsewhere meanwhile: nothing is sent (the next visit reads it afresh).
      const current = this.withShard(
        tenant,
        (shard) =>
          shard
            .statement("SELECT url, secret FROM webhook_subscriptions WHERE id = ? AND enabled = 1")
            .get(sub.id) as { url: string; secret: string } | null,
      );
      if (!current || current.url !== sub.url) return "skipped";
      const { body, headers } = deliveryRequest(change, current.secret, attempt, this.now());
      result = await postDelivery(target, body, headers, config.timeoutMs, this.stopping.signal);
    } catch (error) {
      if (!(error instanceof TargetRefusedError)) throw error;
      result = { ok: false, statusCode: null, durationMs: 0, error: `refused: ${error.message}` };
    }
    if (this.stopped && !result.ok) return "skipped";
    try {
      const outcome = await this.record(tenant, sub, change, result);
      if (outcome === "disabled")
        logger.warn("webhook disabled after failed retries", {
          slug: tenant.slug,
          webhookId: sub.id,
          error: result.error,
        });
      return outcome;
    } catch (error) {
      // Not recorded (the file locked for seconds): the change is sent again, which CRM-Event-Id lets receivers drop.
      logger.warn("webhook attempt not recorded", {
        slug: tenant.slug,
        webhookId: sub.id,
        ...errorFields(error),
      });
      return "skipped";
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
