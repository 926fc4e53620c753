/**
 * Benchmark: the contacts list page (page 1 and page 2,000) and the contacts API, for a
 * workspace of 100,000 contacts, measured with wrk against one server process, each as a
 * ratio of two references measured in the same run (these machines are shared and noisy):
 *   bare         a Bun.serve handler answering a fixed string;
 *   prerendered  a Bun.serve handler answering the bytes of page 1, pre-rendered;
 *   express      Express 5 + EJS + SQLite (libsql) on Node, the same number of processes, serving
 *                the same list over the same file (scripts/bench/express-reference/), when Node is
 *                on the PATH.
 * Page 1 is also measured as a browser coming back to it with its ETag (an empty 304).
 *
 * Usage: bun scripts/bench/list-page.ts [--data DIR] [--seconds N] [--rounds N] [--connections N]
 *          [--render-cache on|off] [--procs N]
 *   (npm run bench). Needs wrk (apt-get install wrk). Prints medians over the rounds.
 *   --render-cache off measures every request doing its query and render (CRM_RENDER_CACHE=false).
 */
import "./bench-env.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Catalog } from "../../src/tenancy/catalog.ts";
import { BENCH, benchData } from "./bench-data.ts";
import { benchApiKey, serverRssMb, signInSession, spawnServer } from "./bench-server.ts";
import { measureListCosts } from "./list-costs.ts";
import { measureRounds, type RoundTarget } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: join(tmpdir(), "crm-bench-100k") },
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    "render-cache": { type: "string", default: "on" },
    procs: { type: "string", default: "1" },
  },
  strict: true,
});
const dataDir = values.data as string;
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const connections = Number(values.connections);
await benchData(dataDir, 100_000);
const costs = measureListCosts(dataDir, BENCH.slug);

const renderCache = values["render-cache"] !== "off";
const procs = Number(values.procs);
const crm = await spawnServer(
  ["src/cli.ts", "serve", "--port", "0", "--data", dataDir, "--procs", String(procs)],
  {
    CRM_RENDER_CACHE: String(renderCache),
  },
);
const base = String(JSON.parse(crm.startLine).url);
try {
  const session = await signInSession(base);
  const apiKey = await benchApiKey(dataDir);

  const page1Url = `${base}/t/${BENCH.slug}/contacts`;
  const page2000Url = `${page1Url}?cursor=${costs.page2000Cursor}`;
  const page1 = await fetch(page1Url, { headers: { cookie: session } });
  const page1Bytes = await page1.arrayBuffer();
  if (page1.status !== 200 || !new TextDecoder().decode(page1Bytes).includes('<tr id="contact-')) {
    throw new Error(`page 1 did not render (${page1.status})`);
  }
  const page2000 = await fetch(page2000Url, { headers: { cookie: session } });
  if (!(await page2000.text()).includes('rel="prev"')) throw new Error("page 2,000 did not render");
  const prerenderedPath = join(mkdtempSync(join(tmpdir(), "crm-bench-")), "page1.html");
  writeFileSync(prerenderedPath, new Uint8Array(page1Bytes));

  const bare = await spawnServer(["scripts/bench/reference-server.ts", "fixed"]);
  const node = Bun.which("node");
  const catalog = Catalog.open(dataDir);
  const tenantFile = join(dataDir, (catalog.findBySlug(BENCH.slug) as { file: string }).file);
  catalog.close();
  const express = node
    ? await spawnServer(
        ["scripts/bench/express-reference/server.cjs", tenantFile, BENCH.slug, String(procs)],
        {},
        node,
      )
    : undefined;
  const expressUrl = express && `http://127.0.0.1:${express.startLine.trim()}/t/${BENCH.slug}/contacts`;
  const expressBytes = expressUrl
    ? await (async () => {
        const answer = await fetch(expressUrl, { headers: { cookie: session } });
        const text = await answer.text();
        if (answer.status !== 200 || (text.match(/<tr id="contact-/g) ?? []).length !== 50)
          throw new Error(`the Express reference did not render 50 rows (${answer.status})`);
        return new TextEncoder().encode(text).byteLength;
      })()
    : 0;
  const prerendered = await spawnServer(["scripts/bench/reference-server.ts", "file", prerenderedPath]);
  // A browser coming back to page 1 (a reload, Back): its stored ETag, current at each run's start.
  const revalidation = async () => {
    const answer = await fetch(page1Url, { headers: { cookie: session } });
    await answer.arrayBuffer();
    return { "if-none-match": answer.headers.get("etag") ?? "" };
  };
  const check = await fetch(page1Url, { headers: { cookie: session, ...(await revalidation()) } });
  if (procs === 1 && check.status !== 304)
    throw new Error(`page 1 revalidated with ${check.status}, not 304`);
  const targets: Record<string, RoundTarget> = {
    bare: { url: `http://127.0.0.1:${bare.startLine}/` },
    prerendered: { url: `http://127.0.0.1:${prerendered.startLine}/` },
    ...(expressUrl ? { "express + ejs (node)": { url: expressUrl, headers: { cookie: session } } } : {}),
    "list page 1": { url: page1Url, headers: { cookie: session } },
    "list page 2000": { url: page2000Url, headers: { cookie: session } },
    // A tag names the process that made it (its connection to the file): with --procs, a
    // connection to another process gets a 200. Measured with one process only.
    ...(procs === 1
      ? { "page 1 revalidated (304)": { url: page1Url, headers: { cookie: session }, prepare: revalidation } }
      : {}),
    "api contacts?limit=50": {
      url: `${base}/api/v1/t/${BENCH.slug}/contacts?limit=50`,
      headers: { authorization: `Bearer ${apiKey}` },
    },
  };
  const summary = await measureRounds(targets, { connections, seconds, rounds });
  const rss = await serverRssMb(base);
  bare.proc.kill();
  prerendered.proc.kill();
  express?.proc.kill("SIGTERM");

  const rpsOf = (name: string) => summary[name]?.rps ?? 0;
  console.log(
    `\nContacts list, 100,000 contacts, ${procs} server process${procs === 1 ? "" : "es"}, ${connections} connections, ${seconds} s × ${rounds} rounds (medians)\n`,
  );
  console.log("target                   req/s    p50 ms   p99 ms   ÷ bare   ÷ prerendered");
  for (const [name, s] of Object.entries(summary)) {
    const vsBare = (s.rps / rpsOf("bare")).toFixed(3);
    const vsPre = (s.rps / rpsOf("prerendered")).toFixed(3);
    console.log(
      `${name.padEnd(24)} ${String(s.rps).padStart(6)}  ${s.p50.toFixed(2).padStart(7)}  ${s.p99.toFixed(2).padStart(7)}   ${vsBare.padStart(6)}   ${vsPre.padStart(6)}`,
    );
  }
  console.log(
    `\npage size: ${page1Bytes.byteLength} bytes (the Express reference's: ${expressBytes || "not run, no node"}); server RSS after the run: ${rss} MB`,
  );
  console.log("in-process CPU per request (median µs):   query   render   json");
  console.log(
    `  page 1                                   ${String(costs.page1.queryUs).padStart(5)}   ${String(costs.page1.renderUs).padStart(6)}   ${String(costs.page1.jsonUs).padStart(4)}`,
  );
  console.log(
    `  page 2,000                               ${String(costs.page2000.queryUs).padStart(5)}   ${String(costs.page2000.renderUs).padStart(6)}   ${String(costs.page2000.jsonUs).padStart(4)}`,
  );

  const checks = [
    ["list page 1 ≥ 0.10 × prerendered", rpsOf("list page 1") / rpsOf("prerendered") >= 0.1],
    ...(expressUrl
      ? [
          [
            `list page 1 ≥ 2.5 × express (${(rpsOf("list page 1") / rpsOf("express + ejs (node)")).toFixed(2)} ×)`,
            rpsOf("list page 1") / rpsOf("express + ejs (node)") >= 2.5,
          ] as const,
        ]
      : []),
    ["page 2,000 within 15% of page 1", rpsOf("list page 2000") >= 0.85 * rpsOf("list page 1")],
    [
      "p99 < 10 ms on every page",
      ["list page 1", "list page 2000", "api contacts?limit=50"].every((n) => (summary[n]?.p99 ?? 99) < 10),
    ],
    ...(procs === 1
      ? [["304 revalidation ≥ 0.5 × bare", rpsOf("page 1 revalidated (304)") / rpsOf("bare") >= 0.5] as const]
      : []),
    [`RSS < ${150 * procs} MB`, rss < 150 * procs],
  ] as const;
  console.log("");
  for (const [label, ok] of checks) console.log(`${ok ? "PASS" : "MISS"}  ${label}`);
  console.log(
    `\nreproduce: bun scripts/bench/list-page.ts --seconds ${seconds} --rounds ${rounds} --connections ${connections} --procs ${procs}`,
  );
  console.log(
    JSON.stringify({ summary, costs: { page1: costs.page1, page2000: costs.page2000 }, rssMb: rss }),
  );
} finally {
  crm.proc.kill("SIGTERM");
  await crm.proc.exited;
}
