/**
 * The background loads of the isolation benchmark (isolation.ts), each a function that starts
 * the work in the bench server's process and returns how to stop it. `where` says where the
 * task's handler runs: "pool" hands it to the server's worker pool as a route does; "main" calls
 * the same handler on the server's own thread through the pool threads' own dispatch (same
 * handler, same shard opening, same packing and unpacking), so the only difference is the thread.
 */
import { copyFileSync } from "node:fs";
import { unpack } from "msgpackr";
import type { ServerDeps } from "../../src/app/server-deps.ts";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { PasswordHasher } from "../../src/auth/password-hasher.ts";
import { createBackgroundTask } from "../../src/background/background-tasks.ts";
import { listFields } from "../../src/custom-fields/field-definitions.ts";
import { SYSTEM_ACTOR } from "../../src/identity/viewer.ts";
import { ensureImportDir, storedPath, uploadName } from "../../src/imports/import-files.ts";
import { suggestMapping } from "../../src/imports/import-mapping.ts";
import { claimRun, createImport } from "../../src/imports/imports.ts";
import type { InspectParams, InspectResult } from "../../src/imports/inspect.worker.ts";
import importRun from "../../src/imports/run.worker.ts";
import type { ImportTaskParams } from "../../src/imports/task-params.ts";
import activity from "../../src/reports/activity.worker.ts";
import pipeline from "../../src/reports/pipeline.worker.ts";
import { defaultFrom } from "../../src/reports/report-filters.ts";
import { seedTenant } from "../../src/seed/seed-tenant.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import type { Tenant } from "../../src/tenancy/catalog-schema.ts";
import type { Shard } from "../../src/tenancy/shard.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import type { TaskHandler, TaskInput } from "../../src/workers/task-types.ts";
import { dispatch } from "../../src/workers/worker-entry.ts";
import { BENCH } from "./bench-data.ts";

export type Where = "pool" | "main";

/** What a load did between its start and its stop. */
export interface LoadOutcome {
  /** Task runs finished (a run cut short by the stop is not counted). */
  runs: number;
  /** What the throughput counts: runs, or rows for an import. */
  units: number;
  /** From the start to the stop. */
  ms: number;
  /** Main-thread time spent in the runs themselves ("main": the whole task; "pool": waiting, not blocking). */
  runMs: number[];
}

export interface RunningLoad {
  stop(): Promise<LoadOutcome>;
}

export interface LoadSpec {
  /** The unit its throughput is counted in. */
  unit: "runs" | "rows";
  start(where: Where): Promise<RunningLoad>;
}

export interface LoadEnv {
  deps: ServerDeps;
  tenant: Pick<Tenant, "id" | "slug" | "file">;
}

/** `work` with the workspace's file as the server's thread holds it (synchronously). */
export function withShard<T>(env: LoadEnv, work: (shard: Shard) => T): T {
  const shard = env.deps.shards.acquire(env.tenant);
  try {
    return work(shard);
  } finally {
    env.deps.shards.release(shard);
  }
}

/** Runs `task` once, in the pool or on this thread, and returns what it returned (unpacked either way). */
export async function runTask<T>(
  env: LoadEnv,
  where: Where,
  task: string,
  handler: TaskHandler<never, unknown>,
  params: unknown,
): Promise<T> {
  const input: TaskInput = { tenantId: env.tenant.id, slug: env.tenant.slug, file: env.tenant.file, params };
  if (where === "pool") return env.deps.pool.run<T>(task, input, { timeoutMs: 600_000 });
  const reply = await dispatch({ [task]: handler }, { task, dataDir: env.deps.config.dataDir, input });
  if (!reply.ok) throw new Error(`${task}: ${reply.status} ${reply.message}`);
  return unpack(reply.packed) as T;
}

/** Lets the event loop take pending I/O (requests) between two runs, as it would between two requests. */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A load of short tasks: `once` back to back until stopped. */
export function loop(once: (where: Where) => Promise<unknown>): LoadSpec {
  return {
    unit: "runs",
    async start(where) {
      let stopping = false;
      const runMs: number[] = [];
      const started = performance.now();
      const done = (async () => {
        while (!stopping) {
          const t = performance.now();
          await once(where);
          runMs.push(performance.now() - t);
          await breathe();
        }
      })();
      return {
        async stop() {
          stopping = true;
          const ms = performance.now() - started;
          await done;
          return { runs: runMs.length, units: runMs.length, ms, runMs };
        },
      };
    },
  };
}

/** No load: the reference phases (the server answers wrk alone; the pool is idle). */
export function idleLoad(): LoadSpec {
  return {
    unit: "runs",
    async start() {
      const started = performance.now();
      return { stop: async () => ({ runs: 0, units: 0, ms: performance.now() - started, runMs: [] }) };
    },
  };
}

/** The reports over the workspace's whole last year (as the page's default range), as reports.ts runs them. */
export function reportLoad(env: LoadEnv, name: "pipeline" | "activity"): LoadSpec {
  const newest = withShard(
    env,
    (shard) => (shard.statement("SELECT max(created_at) AS t FROM contacts").get() as { t: number }).t,
  );
  const to = new Date(newest).toISOString().slice(0, 10);
  const params =
    name === "pipeline"
      ? { ownerId: null }
      : { ownerId: null, from: defaultFrom(to), to, zone: "Europe/Berlin" };
  const handler = (name === "pipeline" ? pipeline : activity) as TaskHandler<never, unknown>;
  return loop((where) => runTask(env, where, `reports.${name}`, handler, params));
}

/**
 * One import of `csvFile` (contacts) per start, as `crm import` runs it (inspect, the suggested
 * mapping, claimed to run straight away, a background task row for its progress and Cancel).
 * Stopping reads how many rows went in so far, then presses Cancel: the task takes back what it
 * wrote before it ends (outside the measured window), so every start imports the same new rows.
 */
export async function importLoad(env: LoadEnv, csvFile: string): Promise<LoadSpec> {
  const dataDir = env.deps.config.dataDir;
  ensureImportDir(dataDir, env.tenant.id);
  const copy = () => {
    const name = uploadName(env.tenant.id);
    copyFileSync(csvFile, storedPath(dataDir, name));
    return name;
  };
  const probe = copy();
  const read = await env.deps.pool.run<InspectResult>("imports.inspect", {
    tenantId: env.tenant.id,
    slug: env.tenant.slug,
    file: env.tenant.file,
    params: { dataDir, storedFile: probe, kind: "contact" } satisfies InspectParams,
  });
  return {
    unit: "rows",
    async start(where) {
      const storedFile = copy();
      const { taskId, importId } = withShard(env, (shard) => {
        const mapping = suggestMapping("contact", read.columns, listFields(shard, "contact"));
        const importId = createImport(shard, SYSTEM_ACTOR, {
          kind: "contact",
          fileName: "isolation.csv",
          storedFile,
          sizeBytes: Bun.file(csvFile).size,
          ...read,
          mapping,
        });
        claimRun(shard, SYSTEM_ACTOR, importId, ["uploaded"]);
        const taskId = createBackgroundTask(shard, SYSTEM_ACTOR, {
          kind: "import",
          label: "Isolation benchmark import",
          total: read.sample.estimatedRows,
        });
        return { taskId, importId };
      });
      const params: ImportTaskParams = { importId, dataDir, actor: SYSTEM_ACTOR, backgroundTaskId: taskId };
      const started = performance.now();
      let finishedMs = 0;
      const done = runTask(env, where, "imports.run", importRun as TaskHandler<never, unknown>, params).then(
        () => {
          finishedMs = performance.now() - started;
        },
        (error: { status?: number; message?: string }) => {
          // 409: cancelled by the stop, as planned.
          if (error.status !== 409 && !String(error.message).includes(" 409 ")) throw error;
        },
      );
      const rowsDone = () =>
        withShard(
          env,
          (shard) =>
            (
              shard.statement("SELECT done FROM background_tasks WHERE id = ?").get(taskId) as {
                done: number;
              }
            ).done,
        );
      return {
        async stop() {
          const ms = performance.now() - started;
          const rows = rowsDone();
          // The server's thread waits at most 20 ms for the write lock; the import's chunks hold it ~8 ms.
          for (let attempt = 0; !finishedMs; attempt++) {
            try {
              withShard(env, (shard) =>
                shard.statement("UPDATE background_tasks SET cancel_requested = 1 WHERE id = ?").run(taskId),
              );
              break;
            } catch (error) {
              if (attempt > 50) throw error;
              await Bun.sleep(5);
            }
          }
          await done;
          if (finishedMs)
            console.error(`the import finished in ${finishedMs.toFixed(0)} ms, before the stop`);
          return { runs: finishedMs ? 1 : 0, units: rows, ms: finishedMs || ms, runMs: [] };
        },
      };
    },
  };
}

/** A second workspace for the loads ("bench-load", 1,000 contacts), made once; returns its slug. */
export async function otherWorkspace(dataDir: string): Promise<string> {
  const slug = "bench-load";
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir });
  try {
    let tenant = catalog.findBySlug(slug);
    if (!tenant) {
      const hasher = new PasswordHasher({ concurrency: 1, maxWaiting: 0, memoryCostKiB: 65536, timeCost: 2 });
      tenant = (
        await createTenant(catalog, hasher, {
          slug,
          name: "Bench Load Co",
          ownerName: "Bench",
          ownerEmail: BENCH.email,
          ownerPassword: BENCH.password,
        })
      ).tenant;
      await shards.use(tenant, (shard) => seedTenant(shard, { contacts: 1000, seed: 2 }));
    }
    return slug;
  } finally {
    shards.closeAll();
    catalog.close();
  }
}

/** A contacts CSV of `rows` rows in the usual export's words, none of whose emails the seed made. */
export async function writeContactsCsv(file: string, rows: number): Promise<void> {
  const writer = Bun.file(file).writer();
  writer.write("First Name,Last Name,Email Address,Phone,Job Title,Company Name\n");
  for (let i = 0; i < rows; i++) {
    writer.write(
      `Iso${i % 997},Person ${i},iso.${i}@isolation.example,+1 555 ${String(i % 10_000_000).padStart(7, "0")},Buyer,Isolation Co ${i % 500}\n`,
    );
    if (i % 10_000 === 0) await writer.flush();
  }
  await writer.end();
}
