/**
 * Benchmark: event ingest (POST /api/v1/t/<slug>/events). One server process (`crm serve`);
 * in this process, --clients concurrent clients each post batches of --batch events (msgpack
 * or JSON, each with its own Idempotency-Key, matched by email to the seeded contacts of
 * `bench`), while wrk requests another workspace's contacts page (`bench-load`) signed in.
 * Each round measures, back to back:
 *   idle          wrk on the page alone: the page's reference p99;
 *   alone         the clients posting batches with no page load: what the route and the pool
 *                 store by themselves (events/s);
 *   ingest        the clients posting batches and wrk on the page at once: events/s stored,
 *                 and the page's p99 over the idle one (target ≤ 2);
 *   direct        the reference for events/s: the same decoding, checks and one transaction
 *                 per batch the worker runs (parseBatch, checkEvents, prepareEvents,
 *                 storeEvents), called here on the bench file with no HTTP and no pool; also
 *                 how long each batch's transaction holds the file's write lock.
 * While the clients post alone, the server's CPU time is read from /proc per thread: its main
 * thread's (what every page waits behind) and its other threads' (the pool's, the runtime's
 * helpers) per batch: figures that hold on a machine other work shares, unlike events/s.
 * With --reference DIR (another checkout, e.g. the code before a change in a detached
 * worktree), that checkout's server is measured the same way in the same rounds, and the
 * ratios this ÷ reference are printed.
 * Printed: medians over the rounds (events/s, p50/p99, ratios), and the command.
 *
 * Usage: bun scripts/bench/events-ingest.ts [--data DIR] [--contacts N] [--batch N] [--clients N]
 *          [--format msgpack|json] [--rounds N] [--seconds N] [--connections N] [--nice N] [--people N]
 *          [--reference DIR] [--workers N]
 *   (npm run bench:events). Needs wrk (apt-get install wrk). The data directory is made once and
 *   reused; each run first clears `events` and `contact_engagement` (what earlier runs stored), so
 *   it starts from the seed's log.
 */
import "./bench-env.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pack } from "msgpackr";
import { checkEvents } from "../../src/events/check-event.ts";
import { parseBatch } from "../../src/events/parse-batch.ts";
import { prepareEvents, storeEvents, withBatchSettings } from "../../src/events/store-events.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { benchApiKey, signInSession, spawnServer } from "./bench-server.ts";
import { otherWorkspace } from "./isolation-loads.ts";
import { cpuSpent, snapshot } from "./thread-cpu.ts";
import { median, type WrkResult, wrk } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-events") },
    contacts: { type: "string", default: "10000" },
    batch: { type: "string", default: "10000" },
    clients: { type: "string", default: "2" },
    format: { type: "string", default: "msgpack" },
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "8" },
    connections: { type: "string", default: "8" },
    nice: { type: "string" },
    people: { type: "string" },
    reference: { type: "string" },
    workers: { type: "string" },
  },
  strict: true,
});
const dataDir = values.data as string;
const contacts = Number(values.contacts);
const batchSize = Number(values.batch);
const clients = Number(values.clients);
const format = values.format === "json" ? "json" : "msgpack";
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
/** The pool threads' CPU priority (CRM_WORKER_NICE; unset: the server's default, 10). */
const nice = values.nice;
/** How many distinct contacts a batch's events are about (default: one per event, up to --contacts). */
const people = Number(values.people ?? batchSize);
/** Another checkout whose server is measured in the same rounds (its src/cli.ts). */
const reference = values.reference;
/** The pool's threads (CRM_WORKERS; unset: the server's default, one less than the cores). */
const workers = values.workers;

await benchData(dataDir, contacts);
const pageSlug = await otherWorkspace(dataDir);

/** The seeded contacts' emails (events are matched by email, the costlier way). */
const catalog = Catalog.open(dataDir);
const shards = new ShardManager({ dataDir });
const tenant = catalog.findBySlug(BENCH.slug);
if (!tenant) throw new Error("no bench workspace");
// Each run starts from the seed's log: the events and engagement earlier runs stored are cleared first.
await shards.use(tenant, (s) =>
  s.transaction(() => {
    s.statement("DELETE FROM events").run();
    s.statement("DELETE FROM contact_engagement").run();
  }),
);
await shards.use(tenant, (s) => s.statement("PRAGMA wal_checkpoint(TRUNCATE)").run());
const emails = await shards.use(tenant, (s) =>
  (
    s.statement("SELECT email FROM contacts WHERE email IS NOT NULL LIMIT ?").values(people) as [string][]
  ).map((r) => r[0]),
);
if (emails.length === 0) throw new Error("the bench workspace has no contact with an email");

/** A batch's body, each run with fresh times (within the last hour) so none falls out of the window. */
function batchBody(): Uint8Array<ArrayBuffer> {
  const now = Date.now();
  const events = Array.from({ length: batchSize }, (_, i) => ({
    type: i % 4 === 0 ? "email.opened" : "web.visit",
    email: emails[i % emails.length],
    occurredAt: now - 60_000 - (i % 3_600_000),
    url: `https://shop.example/products/${i % 500}?utm_source=newsletter`,
    title: "Product page",
  }));
  return format === "json" ? new TextEncoder().encode(JSON.stringify(events)) : new Uint8Array(pack(events));
}
const CONTENT_TYPE = format === "json" ? "application/json" : "application/msgpack";

const serverEnv = {
  CRM_ACCESS_LOG: "false",
  // No nightly analytics from this server: its start line is then the first it prints.
  CRM_ANALYTICS_AT: "off",
  ...(nice === undefined ? {} : { CRM_WORKER_NICE: nice }),
  ...(workers === undefined ? {} : { CRM_WORKERS: workers }),
};
/** The servers measured: this checkout's, and the reference checkout's when given (same data, one loaded at a time). */
const targets = [{ name: "this", cli: "src/cli.ts" }];
if (reference) targets.push({ name: "reference", cli: join(reference, "src", "cli.ts") });
const servers = await Promise.all(
  targets.map(async (target) => {
    const { proc, startLine } = await spawnServer(
      [target.cli, "serve", "--port", "0", "--data", dataDir],
      serverEnv,
    );
    return { ...target, proc, base: String(JSON.parse(startLine).url) };
  }),
);
let keys = 0;

interface Round {
  idle: WrkResult;
  ingest: WrkResult;
  ingestRate: number;
  aloneRate: number;
  /** CPU ms per batch while the clients post alone: the main thread's, the other threads'. */
  mainMs: number;
  othersMs: number;
}

try {
  const apiKey = await benchApiKey(dataDir);
  const body = batchBody();
  console.error(`batch: ${batchSize} events, ${(body.byteLength / 1024).toFixed(0)} KiB of ${format}`);

  /** Answers 503 (the workspace busy) that clients waited out and sent again with the same key. */
  let busyRetries = 0;

  /** Batches sent again after the connection dropped (a kept-alive one the server closed while idle). */
  let resets = 0;

  /**
   * One batch through the API, as a client should send it: on a 503 it waits and sends the same
   * batch with the same Idempotency-Key again, and after a dropped connection sends it again at
   * once (the key keeps it from being stored twice). Throws unless every event was stored.
   */
  async function postBatch(base: string): Promise<number> {
    const key = `bench-${process.pid}-${++keys}`;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${base}/api/v1/t/${BENCH.slug}/events`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${apiKey}`,
            "content-type": CONTENT_TYPE,
            "idempotency-key": key,
          },
          body,
        });
      } catch (error) {
        if ((error as { code?: string }).code !== "ECONNRESET" || attempt >= 3) throw error;
        resets++;
        continue;
      }
      const answer = (await response.json()) as { stored?: number; rejected?: unknown[] };
      if (response.status === 503) {
        busyRetries++;
        await Bun.sleep(100);
        continue;
      }
      if (response.status !== 200 || answer.stored !== batchSize)
        throw new Error(`ingest answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
      return answer.stored;
    }
  }

  /**
   * `clients` loops posting batches until stopped: the events stored between start and stop per
   * second, and the batches stored in all (those that finish after the stop included).
   */
  function ingestLoad(base: string) {
    let stopping = false;
    let stored = 0;
    let batches = 0;
    const started = performance.now();
    const loops = Array.from({ length: clients }, async () => {
      while (!stopping) {
        // Awaited first: `stored += await …` would read `stored` before the wait and lose the other clients' counts.
        const events = await postBatch(base);
        stored += events;
        batches++;
      }
    });
    return {
      async stop() {
        stopping = true;
        const ms = performance.now() - started;
        const counted = stored;
        await Promise.all(loops);
        return { eventsPerSecond: (counted / ms) * 1000, batches };
      },
    };
  }

  /**
   * The worker's work on the server's file, called here: the same decoding, checks, preparation
   * and one transaction per batch (no key). Events/s, how long each batch's transaction holds the
   * file's write lock, and each batch's whole time (decoding included).
   */
  async function direct(batches: number) {
    const lockMs: number[] = [];
    const batchMs: number[] = [];
    const actor = { type: "system", id: null, role: "owner" } as const;
    const started = performance.now();
    for (let i = 0; i < batches; i++) {
      await shards.use(tenant as NonNullable<typeof tenant>, (shard) => {
        const first = performance.now();
        const { valid } = checkEvents(parseBatch(body, format), Date.now());
        const batch = prepareEvents(valid);
        withBatchSettings(shard, () => {
          const locked = performance.now();
          shard.transaction(() => storeEvents(shard, actor, batch));
          lockMs.push(performance.now() - locked);
        });
        batchMs.push(performance.now() - first);
      });
    }
    return { eventsPerSecond: (batches * batchSize * 1000) / (performance.now() - started), lockMs, batchMs };
  }

  // One server at a time: both sign in to the same workspace file.
  const measured = [];
  for (const server of servers) {
    const session = await signInSession(server.base, pageSlug);
    const pageUrl = `${server.base}/t/${pageSlug}/contacts`;
    const page = await fetch(pageUrl, { headers: { cookie: session } });
    if (page.status !== 200 || !(await page.text()).includes('<tr id="contact-'))
      throw new Error(`the measured page did not render on ${server.name} (${page.status})`);
    const wrkPage = (s: number): Promise<WrkResult> =>
      wrk({ url: pageUrl, connections, seconds: s, threads: 1, headers: { cookie: session } });
    measured.push({ ...server, wrkPage, runs: [] as Round[] });
  }

  // Warm: the worker threads, the pages, the file in the OS cache.
  for (const server of measured) {
    await postBatch(server.base);
    await server.wrkPage(1);
  }
  await direct(1);

  const directRuns: { rate: number; lockMs: number[]; batchMs: number[] }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const server of measured) {
      const idle = await server.wrkPage(seconds);
      const before = snapshot(server.proc.pid);
      const alone = ingestLoad(server.base);
      await Bun.sleep(seconds * 1000);
      const aloneResult = await alone.stop();
      const cpu = cpuSpent(server.proc.pid, before, snapshot(server.proc.pid));
      const load = ingestLoad(server.base);
      await Bun.sleep(500);
      const ingest = await server.wrkPage(seconds);
      const { eventsPerSecond } = await load.stop();
      const run: Round = {
        idle,
        ingest,
        ingestRate: eventsPerSecond,
        aloneRate: aloneResult.eventsPerSecond,
        mainMs: cpu.main / aloneResult.batches,
        othersMs: cpu.others / aloneResult.batches,
      };
      server.runs.push(run);
      console.error(
        `round ${round + 1} ${server.name}: idle p99 ${idle.p99Ms.toFixed(2)} ms; alone ${run.aloneRate.toFixed(0)} events/s (CPU a batch: main thread ${run.mainMs.toFixed(1)} ms, other threads ${run.othersMs.toFixed(0)} ms); ingest ${eventsPerSecond.toFixed(0)} events/s, page p99 ${ingest.p99Ms.toFixed(2)} ms (${ingest.errors} errors, ${ingest.non2xx} non-2xx)`,
      );
    }
    const reference = await direct(5);
    directRuns.push({
      rate: reference.eventsPerSecond,
      lockMs: reference.lockMs,
      batchMs: reference.batchMs,
    });
    console.error(
      `round ${round + 1}: direct ${reference.eventsPerSecond.toFixed(0)} events/s, lock ${median(reference.lockMs).toFixed(1)} ms a batch (max ${Math.max(...reference.lockMs).toFixed(1)})`,
    );
  }

  const directRate = median(directRuns.map((r) => r.rate));
  const lockMs = median(directRuns.flatMap((r) => r.lockMs));
  const lockMaxMs = Math.max(...directRuns.flatMap((r) => r.lockMs));
  const batchMs = median(directRuns.flatMap((r) => r.batchMs));
  console.log(
    `\nEvent ingest: batches of ${batchSize.toLocaleString("en-US")} (${format}), ${clients} client(s), pool threads ${workers ?? "default"}, pool nice ${nice ?? "default"}, ${emails.length.toLocaleString("en-US")} contacts a batch; another workspace's contacts page under wrk (${connections} connections), ${seconds} s × ${rounds} rounds (medians)`,
  );
  const summaries = measured.map((server) => {
    const m = (pick: (r: Round) => number) => median(server.runs.map(pick));
    return {
      name: server.name,
      idleP50: m((r) => r.idle.p50Ms),
      idleP99: m((r) => r.idle.p99Ms),
      ingestP50: m((r) => r.ingest.p50Ms),
      ingestP99: m((r) => r.ingest.p99Ms),
      pageRatio: m((r) => r.ingest.p99Ms / r.idle.p99Ms),
      ingestRate: m((r) => r.ingestRate),
      aloneRate: m((r) => r.aloneRate),
      mainMs: m((r) => r.mainMs),
      othersMs: m((r) => r.othersMs),
    };
  });
  for (const s of summaries) {
    console.log(`\n${s.name === "this" ? "this checkout" : `reference (${reference})`}`);
    console.log("                          events/s    page p50 ms   page p99 ms   ÷ idle p99");
    console.log(
      `idle                      ${"-".padStart(8)}   ${s.idleP50.toFixed(2).padStart(11)}   ${s.idleP99.toFixed(2).padStart(11)}         1.00`,
    );
    console.log(
      `ingest alone (no page)    ${s.aloneRate.toFixed(0).padStart(8)}   CPU a batch: main thread ${s.mainMs.toFixed(1)} ms, other threads ${s.othersMs.toFixed(0)} ms`,
    );
    console.log(
      `ingest (HTTP, pool)       ${s.ingestRate.toFixed(0).padStart(8)}   ${s.ingestP50.toFixed(2).padStart(11)}   ${s.ingestP99.toFixed(2).padStart(11)}   ${s.pageRatio.toFixed(2).padStart(10)}`,
    );
  }
  console.log(`\ndirect (no HTTP, no pool) ${directRate.toFixed(0).padStart(8)}`);
  const mine = summaries[0] as (typeof summaries)[number];
  console.log(
    `\ningest ÷ direct: ${(mine.ingestRate / directRate).toFixed(2)}; a batch takes ${batchMs.toFixed(0)} ms direct, in one transaction holding the write lock ${lockMs.toFixed(1)} ms (median; max ${lockMaxMs.toFixed(1)} ms); ${busyRetries} batch(es) answered 503 (workspace busy) and sent again, ${resets} after a dropped connection`,
  );
  const other = summaries[1];
  if (other)
    console.log(
      `this ÷ reference: events/s alone ${(mine.aloneRate / other.aloneRate).toFixed(2)}, with the page ${(mine.ingestRate / other.ingestRate).toFixed(2)}; page p99 ÷ idle ${(mine.pageRatio / other.pageRatio).toFixed(2)}; main thread's CPU a batch ${(mine.mainMs / other.mainMs).toFixed(2)}, other threads' ${(mine.othersMs / other.othersMs).toFixed(2)}`,
    );
  console.log(
    `${mine.ingestRate >= 100_000 ? "PASS" : "MISS"}  ≥ 100,000 events/s (${mine.ingestRate.toFixed(0)})\n${mine.pageRatio <= 2 ? "PASS" : "MISS"}  page p99 during ingest ≤ 2 × idle (${mine.pageRatio.toFixed(2)})`,
  );
  const load = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  console.log(`load average at the end: ${load}`);
  console.log(
    `\nreproduce: bun scripts/bench/events-ingest.ts --contacts ${contacts} --batch ${batchSize} --clients ${clients} --format ${format} --rounds ${rounds} --seconds ${seconds} --connections ${connections}${nice === undefined ? "" : ` --nice ${nice}`}${workers === undefined ? "" : ` --workers ${workers}`} --people ${people}${reference ? ` --reference ${reference}` : ""}`,
  );
} finally {
  for (const server of servers) {
    server.proc.kill("SIGTERM");
    await server.proc.exited;
  }
  shards.closeAll();
  catalog.close();
}
process.exit(0);
