/**
 * Benchmark: what compression (src/http/middleware/compression.ts) does to the CRM's pages —
 * bytes on the wire for each encoding, the CPU a response's compression costs, and what it does
 * to throughput and p99 — against the same pages sent as they are, measured in the same run
 * (these machines are shared and noisy):
 *   bytes        the contacts list (50 rows), the board of the Sales pipeline, a deal page and
 *                the contacts API (limit 50), as identity, gzip and zstd;
 *   cpu          each page's body compressed in this process (median µs of 50), gzip and zstd
 *                at the levels the server uses (level 3 both);
 *   wrk          the list page and the board asked for as identity, gzip and zstd by wrk
 *                against one server process: req/s, p50, p99, and each as a ratio to identity.
 *
 * Usage: bun scripts/bench/compression.ts [--data DIR] [--contacts N] [--deals N] [--seconds N]
 *          [--rounds N] [--connections N]
 *   (npm run bench:compression). Needs wrk (apt-get install wrk). Prints medians over the rounds.
 */
import "./bench-env.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type Encoding, encodeBody } from "../../src/http/middleware/compression.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { benchApiKey, signInSession, spawnServer } from "./bench-server.ts";
import { measureRounds, median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-compression") },
    contacts: { type: "string", default: "20000" },
    deals: { type: "string", default: "6000" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
  },
  strict: true,
});
const dataDir = values.data as string;
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
await benchData(dataDir, Number(values.contacts), { deals: Number(values.deals), interactionsPerContact: 5 });

/** The Sales pipeline and one deal with a timeline, read from the workspace. */
async function sample() {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir });
  try {
    const tenant = catalog.findBySlug(BENCH.slug);
    if (!tenant) throw new Error("no bench workspace");
    return await shards.use(tenant, (shard) => ({
      pipeline: (
        shard.statement("SELECT id FROM pipelines ORDER BY position, id LIMIT 1").get() as { id: number }
      ).id,
      deal: (
        shard
          .statement(
            "SELECT subject_id AS id FROM interactions WHERE subject_type = 'deal' GROUP BY subject_id ORDER BY count(*) DESC LIMIT 1",
          )
          .get() as { id: number }
      ).id,
    }));
  } finally {
    shards.closeAll();
    catalog.close();
  }
}

const { pipeline, deal } = await sample();
const crm = await spawnServer(["src/cli.ts", "serve", "--port", "0", "--data", dataDir]);
const base = String(JSON.parse(crm.startLine).url);
try {
  const session = await signInSession(base);
  const apiKey = await benchApiKey(dataDir);
  const t = `/t/${BENCH.slug}`;
  const pages: Record<string, { path: string; headers: Record<string, string> }> = {
    "contacts list": { path: `${t}/contacts`, headers: { cookie: session } },
    board: { path: `${t}/deals/board?pipelineId=${pipeline}`, headers: { cookie: session } },
    "deal page": { path: `${t}/deals/${deal}`, headers: { cookie: session } },
    "api contacts": {
      path: `/api/v1${t}/contacts?limit=50`,
      headers: { authorization: `Bearer ${apiKey}` },
    },
  };
  const encodings = ["identity", "gzip", "zstd"] as const;
  /** The bytes a client asking for `encoding` receives (fetch told not to decompress them). */
  const bytesOf = async (page: (typeof pages)[string], encoding: (typeof encodings)[number]) => {
    const response = await fetch(base + page.path, {
      headers: { ...page.headers, "accept-encoding": encoding },
      decompress: false,
    } as RequestInit);
    const body = new Uint8Array(await response.arrayBuffer());
    const sent = response.headers.get("content-encoding") ?? "identity";
    if (response.status !== 200 || sent !== encoding)
      throw new Error(`${page.path} as ${encoding}: ${response.status}, sent ${sent}`);
    return body;
  };

  console.log(`\nBytes on the wire (${values.contacts} contacts, ${values.deals} deals)\n`);
  console.log("page              identity      gzip      zstd   zstd/identity   cpu gzip µs   cpu zstd µs");
  for (const [name, page] of Object.entries(pages)) {
    const [plain, gzip, zstd] = await Promise.all(encodings.map((e) => bytesOf(page, e)));
    const cpu = (encoding: Encoding) =>
      median(
        Array.from({ length: 50 }, () => {
          const started = performance.now();
          encodeBody(plain as Uint8Array<ArrayBuffer>, encoding);
          return (performance.now() - started) * 1000;
        }),
      );
    console.log(
      `${name.padEnd(14)} ${String(plain?.byteLength).padStart(10)} ${String(gzip?.byteLength).padStart(9)} ${String(zstd?.byteLength).padStart(9)}   ${((zstd?.byteLength ?? 0) / (plain?.byteLength ?? 1)).toFixed(3).padStart(13)}   ${cpu("gzip").toFixed(0).padStart(11)}   ${cpu("zstd").toFixed(0).padStart(11)}`,
    );
  }

  const targets: Record<string, { url: string; headers: Record<string, string> }> = {};
  for (const name of ["contacts list", "board"])
    for (const encoding of encodings)
      targets[`${name} ${encoding}`] = {
        url: base + (pages[name]?.path ?? ""),
        headers: { ...pages[name]?.headers, "accept-encoding": encoding },
      };
  const summary = await measureRounds(targets, { connections, seconds, rounds });
  console.log(`\nwrk, ${connections} connections, ${seconds} s × ${rounds} rounds (medians)\n`);
  console.log("target                      req/s    p50 ms   p99 ms   ÷ identity (req/s)");
  for (const [name, s] of Object.entries(summary)) {
    const identity = summary[name.replace(/ (gzip|zstd|identity)$/, " identity")]?.rps ?? 1;
    console.log(
      `${name.padEnd(24)} ${String(s.rps).padStart(8)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}   ${(s.rps / identity).toFixed(3).padStart(8)}`,
    );
  }
  console.log(
    `\nreproduce: bun scripts/bench/compression.ts --contacts ${values.contacts} --deals ${values.deals} --seconds ${seconds} --rounds ${rounds} --connections ${connections}`,
  );
} finally {
  crm.proc.kill("SIGTERM");
  await crm.proc.exited;
}
