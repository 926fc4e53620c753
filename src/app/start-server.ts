import { NightlyScheduler } from "../analytics/nightly-scheduler.ts";
import { LoginLimiter } from "../auth/login-limiter.ts";
import { PasswordHasher } from "../auth/password-hasher.ts";
import { ResetLimiter } from "../auth/reset-limiter.ts";
import { backupSchedulerFor } from "../backups/backup-schedule.ts";
import { joinCluster } from "../cluster/cluster-member.ts";
import type { Config } from "../core/config.ts";
import { RetryLaterError } from "../core/errors.ts";
import { errorFields, Logger } from "../core/logger.ts";
import { randomToken } from "../core/tokens.ts";
import { SERVER_IDLE_SECONDS } from "../http/idle-timeout.ts";
import { RateLimits } from "../http/middleware/rate-limit.ts";
import { recoverInterruptedImports } from "../imports/recover.ts";
import { mailQueueFor } from "../mail/mail-queue.ts";
import { OpsRecorder } from "../ops/ops-recorder.ts";
import { OpsSampler } from "../ops/ops-sampler.ts";
import { dueTaskCount } from "../tasks/tasks.ts";
import { Catalog } from "../tenancy/catalog.ts";
import { quickCheckOffThread } from "../tenancy/quick-check.ts";
import { ShardManager } from "../tenancy/shard-manager.ts";
import { feedChanges } from "../webhooks/change-source.ts";
import { WebhookDeliverer } from "../webhooks/webhook-deliverer.ts";
import { Assets } from "./assets.ts";
import { createApp } from "./create-app.ts";
import { GroupMember } from "./group-member.ts";
import { serveHealthFirst } from "./health-routes.ts";
import { RequestCountingPool, retryWhenBusy, type ServeFetch } from "./retry-when-busy.ts";
import type { ServerDeps } from "./server-deps.ts";
import { ServerMetrics } from "./server-metrics.ts";

export interface RunningServer {
  url: string;
  port: number;
  deps: ServerDeps;
  /**
   * Stops accepting connections, lets in-flight requests finish for `shutdownDrainSeconds` (then
   * closes the connections left), then closes every shard and the catalog.
   */
  stop(): Promise<void>;
}

/** The long-lived parts of a server over `config.dataDir`. */
export function createDeps(
  config: Config,
  logger: Logger,
  isDraining: () => boolean = () => false,
  now: () => number = Date.now,
): ServerDeps {
  // Before anything opens: a placement file without this host in it stops the start (ConfigError).
  const cluster = joinCluster(config);
  const catalog = Catalog.open(config.dataDir);
  const secret = (name: string) => cluster?.sharedSecret(name) ?? catalog.secret(name, () => randomToken(32));
  const pool = new RequestCountingPool({
    dataDir: config.dataDir,
    threads: config.workers,
    maxQueue: config.workerQueue,
    perWorkspace: config.workerPerWorkspace,
    nice: config.workerNice,
    timeoutMs: config.taskTimeoutSeconds * 1000,
  });
  return {
    config,
    catalog,
    shards: new ShardManager({
      dataDir: config.dataDir,
      maxOpen: config.maxOpenShards,
      idleMs: config.shardIdleSeconds * 1000,
      busyTimeoutMs: config.busyTimeoutMs,
      walCheckpointBytes: config.checkpointWalBytes,
      // Copying a workspace's write-ahead log back into its file runs in the pool, never on this
      // thread; as upkeep, so it never takes a slot of the workspace's share from its requests.
      checkpoint: (tenant) =>
        pool
          .run(
            "tenancy.checkpoint",
            { tenantId: tenant.id, slug: tenant.slug, file: tenant.file, params: {} },
            { upkeep: true },
          )
          .catch((error) => {
            // The pool busy: asked again later; shutting down: its threads were stopped under it
            // (the log is copied back when the file closes). Anything else is worth a line in the log.
            if (!(error instanceof RetryLaterError) && !isDraining())
              logger.warn("checkpoint failed", { slug: tenant.slug, ...errorFields(error) });
          }),
      // Marked in the catalog, so every process answers 503 for it until an operator checks the file.
      onFault: (tenant, reason, found) => {
        let marked: boolean;
        try {
          marked = catalog.markFailed(tenant.id, reason, now());
        } catch (error) {
          // The catalog cannot be written (a full disk): this request is still refused, the next finds it again.
          logger.error("workspace unavailable", {
            slug: tenant.slug,
            tenantId: tenant.id,
            reason,
            marked: false,
            ...errorFields(error),
          });
          return;
        }
        if (!marked) return;
        logger.error("workspace unavailable", { slug: tenant.slug, tenantId: tenant.id, reason });
        // How damaged, for the operator: a whole-file scan, so on a thread of its own.
        if (found.corrupt)
          void quickCheckOffThread(found.path).then((lines) => {
            logger.warn("workspace quick_check", {
              slug: tenant.slug,
              ok: lines.length === 1 && lines[0] === "ok",
              found: lines.slice(0, 20),
            });
            logger.flush();
          });
      },
    }),
    pool,
    hasher: new PasswordHasher({
      concurrency: config.hashConcurrency,
      maxWaiting: config.hashMaxWaiting,
      memoryCostKiB: config.argon2MemoryKiB,
      timeCost: config.argon2TimeCost,
    }),
    loginLimiter: new LoginLimiter(config),
    resetLimiter: new ResetLimiter(config),
    mail: mailQueueFor(config, logger),
    logger,
    assets: new Assets(),
    csrfSecret: secret("csrf-secret"),
    secret,
    cluster,
    isDraining,
    now,
    countDueTasks: dueTaskCount,
    rateLimits: new RateLimits(config),
  };
}

/**
 * What the server answers requests with: /healthz and /readyz first, without the app; a request
 * refused because its workspace was locked is run again after a wait on a timer.
 */
export function serverFetch(deps: ServerDeps, app: { fetch: ServeFetch }): ServeFetch {
  const { busyRetryMs, bodyLimitBytes } = deps.config;
  return serveHealthFirst(
    deps,
    retryWhenBusy(app.fetch, { maxWaitMs: busyRetryMs, maxBodyBytes: bodyLimitBytes }),
  );
}

export interface ServeOptions {
  /**
   * This process's place in a `crm serve --procs N` group (supervisor.ts): it shares the port
   * with the others (SO_REUSEPORT, the kernel spreads connections) and reports to the supervisor.
   */
  groupIndex?: number;
  /**
   * Whether to take back imports a crash stopped half-way: only before any other process of
   * the host serves (it would take back one in progress). Default: yes.
   */
  recoverImports?: boolean;
  /** Whether this process schedules the nightly analytics run (one per host). Default: yes. */
  scheduleNightly?: boolean;
  /** Whether this process takes the scheduled backups (one per host, CRM_BACKUP_EVERY_HOURS). Default: yes. */
  scheduleBackups?: boolean;
  /** Whether this process delivers webhooks (one per host, else each would send every change). Default: yes. */
  deliverWebhooks?: boolean;
}

export function startServer(
  config: Config,
  logger = new Logger(),
  options: ServeOptions = {},
): RunningServer {
  let draining = false;
  const deps = createDeps(config, logger, () => draining);
  deps.shards.startSweeping();
  // Imports a kill or power cut stopped half-way are taken back (in the pool): workspaces as before them.
  if (options.recoverImports ?? true)
    void recoverInterruptedImports(deps).catch((error) =>
      logger.error("interrupted imports not taken back", errorFields(error)),
    );
  const ops = new OpsRecorder({
    openShards: () => deps.shards.openCount,
    poolQueued: () => deps.pool.stats().queued,
  });
  const metrics = new ServerMetrics(deps, ops);
  // Every process keeps its own /ops history (a few hundred µs every CRM_OPS_SAMPLE_SECONDS); in
  // a group the supervisor keeps the group's, and a process's own is what /ops shows, marked
  // partial, when the supervisor does not answer.
  const sampler = new OpsSampler(ops, config.opsSampleSeconds);
  sampler.start();
  const member =
    options.groupIndex === undefined ? undefined : new GroupMember(options.groupIndex, metrics, ops, sampler);
  const app = createApp(deps, {
    metrics,
    gatherMetrics: member && (() => member.groupMetrics()),
    ops: member ?? sampler,
  });
  // The nightly analytics run, started as a child process at CRM_ANALYTICS_AT (host local time).
  const scheduler =
    (options.scheduleNightly ?? true) && config.analyticsAt
      ? new NightlyScheduler({
          at: config.analyticsAt,
          dataDir: config.dataDir,
          logger,
          stopGraceMs: config.shutdownDrainSeconds * 1000,
        })
      : undefined;
  scheduler?.start();
  const backups =
    (options.scheduleBackups ?? true)
      ? backupSchedulerFor(config, deps.catalog, deps.pool, logger, deps.cluster)
      : undefined;
  backups?.start();
  const webhooks =
    (options.deliverWebhooks ?? true)
      ? new WebhookDeliverer({
          catalog: deps.catalog,
          shards: deps.shards,
          config: config.webhooks,
          logger,
          source: feedChanges,
        })
      : undefined;
  webhooks?.start();
  const server = Bun.serve({
    hostname: config.host,
    port: config.port,
    fetch: serverFetch(deps, app),
    // Bun cuts off anything far past the limit before it is read; bodyLimit answers the rest with a 413 problem
    // (an import's upload, its own: CRM_IMPORT_MAX_BYTES, with a clear 413 up to four times that).
    maxRequestBodySize: Math.max(1024 * 1024, config.bodyLimitBytes * 4, config.importMaxBytes * 4),
    idleTimeout: SERVER_IDLE_SECONDS,
    reusePort: options.groupIndex !== undefined,
  });
  const port = server.port ?? config.port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info("listening", {
    url,
    dataDir: config.dataDir,
    pid: process.pid,
    group: options.groupIndex,
    mail: deps.mail ? "on" : "off",
  });
  logger.flush();
  member?.ready(url);
  let stopping: Promise<void> | undefined;
  return {
    url,
    port,
    deps,
    stop() {
      stopping ??= (async () => {
        draining = true;
        sampler?.stop();
        logger.info("shutting down", { openShards: deps.shards.openCount });
        // No nightly run starts from now on; one in progress gets the drain time to stop.
        const schedulerStopped = scheduler?.stop();
        backups?.stop();
        // Requests in flight may finish for CRM_SHUTDOWN_DRAIN_SECONDS; a slow client past that is cut off.
        let timer: Timer | undefined;
        const deadline = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), config.shutdownDrainSeconds * 1000);
        });
        const drained = await Promise.race([server.stop(false).then(() => "drained" as const), deadline]);
        clearTimeout(timer);
        if (drained === "late") {
          logger.warn("drain deadline passed: closing the connections left", {
            drainSeconds: config.shutdownDrainSeconds,
            pendingRequests: server.pendingRequests,
          });
          await server.stop(true);
        }
        await schedulerStopped;
        await webhooks?.stop();
        deps.mail?.stop();
        await deps.pool.close();
        deps.shards.closeAll();
        deps.catalog.close();
        logger.info("stopped");
        logger.flush();
      })();
      return stopping;
    },
  };
}
