/**
 * Benchmark: the CRM pages of a big workspace — 100,000 contacts, 30,000 deals, 1,000,000
 * interactions — measured with wrk against one server process, next to a bare Bun.serve
 * reference measured in the same run (these machines are shared and noisy):
 *   board        the kanban board of the 6-stage Sales pipeline (and, as the transport limit
 *                for a page that size, the same bytes pre-rendered by a bare Bun.serve);
 *   deal page    a deal with its people, tasks and timeline (200 different deals in turn);
 *   search box   the as-you-type dropdown (200 different prefixes in turn);
 *   search page  the full results page for the same prefixes.
 * It also times the search queries in process (the FTS5 part alone).
 *
 * Usage: bun scripts/bench/crm-pages.ts [--data DIR] [--seconds N] [--rounds N]
 *          [--connections N] [--render-cache on|off]
 *   (npm run bench:crm). Needs wrk (apt-get install wrk). Prints medians over the rounds.
 */
import "./bench-env.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { searchAll } from "../../src/search/search-all.ts";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { ShardManager } from "../../src/tenancy/shard-manager.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { rssMb, signInSession, spawnServer } from "./bench-server.ts";
import { measureRounds, median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-crm") },
    seconds: { type: "string", default: "6" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    "render-cache": { type: "string", default: "on" },
  },
  strict: true,
});
const dataDir = values.data as string;
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);

await benchData(dataDir, 100_000, { deals: 30_000, interactionsPerContact: 10 });

/** What the run requests, read from the workspace: the Sales pipeline, deals to open, words to type. */
function sample() {
  const catalog = Catalog.open(dataDir);
  const shards = new ShardManager({ dataDir });
  try {
    const tenant = catalog.findBySlug(BENCH.slug);
    if (!tenant) throw new Error("no bench workspace");
    return shards.use(tenant, (shard) => {
      const count = (table: string) =>
        (shard.statement(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const sizes = {
        contacts: count("contacts"),
        deals: count("deals"),
        interactions: count("interactions"),
        notes: count("notes"),
      };
      const sales = shard
        .statement(
          "SELECT p.id, count(s.id) AS stages FROM pipelines p JOIN stages s ON s.pipeline_id = p.id GROUP BY p.id ORDER BY p.position, p.id LIMIT 1",
        )
        .get() as { id: number; stages: number };
      // Every 150th deal by id: spread over the table, old and new, open and closed.
      const deals = (
        shard.statement("SELECT id FROM deals WHERE id % 150 = 0 ORDER BY id LIMIT 200").all() as {
          id: number;
        }[]
      ).map((d) => d.id);
      const timelineSizes = deals.map(
        (id) =>
          (
            shard
              .statement(
                "SELECT count(*) AS n FROM interactions WHERE subject_type = 'deal' AND subject_id = ?",
              )
              .get(id) as { n: number }
          ).n,
      );
      // What people type: the first 2 to 5 letters of names and companies that exist.
      const words = (
        shard
          .statement(
            "SELECT last_name AS w FROM contacts WHERE id % 997 = 0 UNION ALL SELECT name FROM companies WHERE id % 97 = 0 LIMIT 400",
          )
          .all() as { w: string }[]
      ).map((r) => r.w.split(" ")[0] ?? "");
      const prefixes = words
        .filter((w) => w.length >= 2)
        .map((w, i) => w.slice(0, 2 + (i % 4)).toLowerCase())
        .slice(0, 200);
      // Warm the file's pages with other words first, as a running server's would be; each
      // measured prefix is then searched once, so none of them comes from the result cache.
      const others = (
        shard.statement("SELECT first_name AS w FROM contacts WHERE id % 1009 = 0 LIMIT 50").all() as {
          w: string;
        }[]
      ).map((r) => r.w);
      for (const word of others) searchAll(shard, word, 5);
      const searchUs = prefixes.map((q) => {
        const started = performance.now();
        searchAll(shard, q, 5);
        return (performance.now() - started) * 1000;
      });
      return { sizes, sales, deals, timelineSizes, prefixes, searchUs };
    });
  } finally {
    shards.closeAll();
    catalog.close();
  }
}

const data = await sample();
console.error(
  `workspace: ${data.sizes.contacts} contacts, ${data.sizes.deals} deals, ${data.sizes.interactions} interactions, ${data.sizes.notes} notes; pipeline ${data.sales.id} has ${data.sales.stages} stages`,
);

const crm = await spawnServer(["src/cli.ts", "serve", "--port", "0", "--data", dataDir], {
  CRM_RENDER_CACHE: String(values["render-cache"] !== "off"),
});
const base = String(JSON.parse(crm.startLine).url);
try {
  const session = await signInSession(base);
  const t = `/t/${BENCH.slug}`;
  const board = `${t}/deals/board?pipelineId=${data.sales.id}`;
  const check = async (path: string, expect: string) => {
    const response = await fetch(`${base}${path}`, { headers: { cookie: session } });
    const text = await response.text();
    if (response.status !== 200 || !text.includes(expect)) throw new Error(`${path}: ${response.status}`);
    return text.length;
  };
  const boardPage = await fetch(`${base}${board}`, { headers: { cookie: session } });
  const boardHtml = new Uint8Array(await boardPage.arrayBuffer());
  if (!new TextDecoder().decode(boardHtml).includes('class="card'))
    throw new Error("the board did not render");
  const boardBytes = boardHtml.byteLength;
  const prerenderedPath = join(mkdtempSync(join(tmpdir(), "crm-bench-")), "board.html");
  writeFileSync(prerenderedPath, boardHtml);
  const dealBytes = await check(`${t}/deals/${data.deals[0]}`, "timeline");
  await check(`${t}/search?fragment=dropdown&q=${encodeURIComponent(data.prefixes[0] ?? "a")}`, "");

  const bare = await spawnServer(["scripts/bench/reference-server.ts", "fixed"]);
  const prerendered = await spawnServer(["scripts/bench/reference-server.ts", "file", prerenderedPath]);
  const cookie = { cookie: session };
  const targets: Record<string, { url: string; headers?: Record<string, string>; paths?: string[] }> = {
    bare: { url: `http://127.0.0.1:${bare.startLine}/` },
    "board, prerendered": { url: `http://127.0.0.1:${prerendered.startLine}/` },
    board: { url: `${base}${board}`, headers: cookie },
    "deal page": { url: base, headers: cookie, paths: data.deals.map((id) => `${t}/deals/${id}`) },
    "search box": {
      url: base,
      headers: { ...cookie, "hx-request": "true" },
      paths: data.prefixes.map((q) => `${t}/search?fragment=dropdown&q=${encodeURIComponent(q)}`),
    },
    "search page": {
      url: base,
      headers: cookie,
      paths: data.prefixes.map((q) => `${t}/search?q=${encodeURIComponent(q)}`),
    },
  };
  const summary = await measureRounds(targets, { connections, seconds, rounds });
  const rss = rssMb(crm.proc.pid);
  bare.proc.kill();
  prerendered.proc.kill();

  const bareRps = summary.bare?.rps ?? 1;
  console.log(
    `\nCRM pages: ${data.sizes.contacts.toLocaleString("en-US")} contacts, ${data.sizes.deals.toLocaleString("en-US")} deals, ${data.sizes.interactions.toLocaleString("en-US")} interactions; ${connections} connections, ${seconds} s × ${rounds} rounds (medians), render cache ${values["render-cache"]}\n`,
  );
  console.log("target                req/s    p50 ms   p99 ms   ÷ bare");
  for (const [name, s] of Object.entries(summary)) {
    console.log(
      `${name.padEnd(20)} ${String(s.rps).padStart(6)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}   ${(s.rps / bareRps).toFixed(3).padStart(6)}`,
    );
  }
  const sortedSearch = [...data.searchUs].sort((a, b) => a - b);
  const at = (p: number) =>
    Math.round(sortedSearch[Math.min(sortedSearch.length - 1, Math.floor(p * sortedSearch.length))] ?? 0);
  console.log(
    `\nboard ${boardBytes} bytes; deal page ${dealBytes} bytes; deal timelines ${Math.min(...data.timelineSizes)}–${Math.max(...data.timelineSizes)} entries (median ${median(data.timelineSizes)})`,
  );
  console.log(
    `search queries in process (${sortedSearch.length} prefixes, 4 FTS5 queries each): median ${at(0.5)} µs, p99 ${at(0.99)} µs, max ${Math.round(sortedSearch.at(-1) ?? 0)} µs`,
  );
  console.log(`server RSS after the run: ${rss} MB`);
  const checks = [
    ...["board", "deal page", "search box"].map(
      (n) => [`${n} p99 < 15 ms`, (summary[n]?.p99 ?? 99) < 15] as const,
    ),
    ["search < 20 ms in process (max)", (sortedSearch.at(-1) ?? 99_999) < 20_000] as const,
  ];
  console.log("");
  for (const [label, ok] of checks) console.log(`${ok ? "PASS" : "MISS"}  ${label}`);
  console.log(
    `\nreproduce: bun scripts/bench/crm-pages.ts --seconds ${seconds} --rounds ${rounds} --connections ${connections} --render-cache ${values["render-cache"]}`,
  );
  console.log(JSON.stringify({ summary, rssMb: rss, searchUs: { median: at(0.5), p99: at(0.99) } }));
} finally {
  crm.proc.kill("SIGTERM");
  await crm.proc.exited;
}
