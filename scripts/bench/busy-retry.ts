/**
 * What the retry of busy requests costs a request that is not busy (nearly all of them): the
 * real app through app.fetch in this process, bare and wrapped by retryWhenBusy (its
 * AsyncLocalStorage record of the request's commits, and the copy kept of a POST's body),
 * alternately in the same run, over a small workspace:
 *   healthz   GET /healthz (no workspace);
 *   list      GET /api/v1/t/<slug>/contacts (an API key, the render cache);
 *   post      POST /api/v1/t/<slug>/contacts (one transaction, fsync'd);
 *   wrapper   the wrapper alone, around a fetch that answers at once (a GET without body);
 *   als       the AsyncLocalStorage alone: run() around an async function awaiting once, against
 *             the function alone.
 * Printed: the median over rounds of µs per call, bare and wrapped, and the difference.
 * Usage: bun scripts/bench/busy-retry.ts [--rounds N] [--iterations N]
 */
import "./bench-env.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Server } from "bun";
import { createApp } from "../../src/app/create-app.ts";
import { retryWhenBusy, type ServeFetch } from "../../src/app/retry-when-busy.ts";
import { createDeps } from "../../src/app/start-server.ts";
import { createApiKey } from "../../src/auth/api-keys.ts";
import { createTenant } from "../../src/auth/create-tenant.ts";
import { loadConfig } from "../../src/core/config.ts";
import { Logger } from "../../src/core/logger.ts";
import { recordingWrites } from "../../src/tenancy/shard.ts";
import { median } from "./wrk.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "7" },
    iterations: { type: "string", default: "2000" },
  },
  strict: true,
});
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);

const dataDir = mkdtempSync(join(tmpdir(), "crm-bench-busy-"));
const logger = new Logger({ write: () => {}, flush: () => {} });
const config = loadConfig(process.env, { dataDir, accessLog: false });
const deps = createDeps(config, logger);
const { tenant } = await createTenant(deps.catalog, deps.hasher, {
  slug: "bench",
  name: "Bench",
  ownerName: "Owner",
  ownerEmail: "owner@bench.test",
  ownerPassword: "correct horse battery",
});
const key = await deps.shards.use(
  tenant,
  (shard) => createApiKey(shard, { name: "bench", role: "member", createdBy: null }).key,
);
const app = createApp(deps);
const bare: ServeFetch = app.fetch;
const wrapped = retryWhenBusy(app.fetch, {
  maxWaitMs: config.busyRetryMs,
  maxBodyBytes: config.bodyLimitBytes,
});
const server = { requestIP: () => null } as unknown as Server<undefined>;
// The wrapper alone: around a fetch that answers at once.
const answer: ServeFetch = () => new Response("ok");
const wrappedAnswer = retryWhenBusy(answer, {
  maxWaitMs: config.busyRetryMs,
  maxBodyBytes: config.bodyLimitBytes,
});
const base = "http://127.0.0.1";
const auth = { authorization: `Bearer ${key}` };

const requests: Record<string, (n: number) => Request> = {
  healthz: () => new Request(`${base}/healthz`),
  list: () => new Request(`${base}/api/v1/t/bench/contacts`, { headers: auth }),
  post: (n) => {
    const body = JSON.stringify({ firstName: `Person${n}`, lastName: "Bench" });
    return new Request(`${base}/api/v1/t/bench/contacts`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", "content-length": String(body.length) },
      body,
    });
  },
};

async function perCall(fetch: ServeFetch, make: (n: number) => Request, count: number): Promise<number> {
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    const response = await fetch(make(n), server);
    if (response.status >= 300) throw new Error(`status ${response.status}`);
    await response.arrayBuffer();
  }
  return ((performance.now() - start) * 1000) / count;
}

const tick = async () => {
  await Promise.resolve();
  return 1;
};
async function alsPerCall(withAls: boolean, count: number): Promise<number> {
  const start = performance.now();
  for (let n = 0; n < count; n++) {
    if (withAls) await recordingWrites({ commits: 0, busy: false }, tick);
    else await tick();
  }
  return ((performance.now() - start) * 1000) / count;
}

// Warm-up: every path compiled and cached before anything is measured.
for (const make of Object.values(requests)) {
  await perCall(bare, make, 50);
  await perCall(wrapped, make, 50);
}
const results: Record<string, { bare: number[]; wrapped: number[] }> = {};
for (const name of [...Object.keys(requests), "wrapper", "als"]) results[name] = { bare: [], wrapped: [] };
for (let round = 0; round < rounds; round++) {
  for (const [name, make] of Object.entries(requests)) {
    const count = name === "post" ? Math.max(50, iterations / 20) : iterations;
    const result = results[name] as { bare: number[]; wrapped: number[] };
    // Which goes first alternates between rounds, so warming up favours neither.
    for (const which of round % 2 === 0 ? (["bare", "wrapped"] as const) : (["wrapped", "bare"] as const))
      result[which].push(await perCall(which === "bare" ? bare : wrapped, make, count));
  }
  const noop = results.wrapper as { bare: number[]; wrapped: number[] };
  for (const which of round % 2 === 0 ? (["bare", "wrapped"] as const) : (["wrapped", "bare"] as const))
    noop[which].push(
      await perCall(
        which === "bare" ? answer : wrappedAnswer,
        requests.healthz as (n: number) => Request,
        iterations * 10,
      ),
    );
  const als = results.als as { bare: number[]; wrapped: number[] };
  for (const which of round % 2 === 0 ? (["bare", "wrapped"] as const) : (["wrapped", "bare"] as const))
    als[which].push(await alsPerCall(which === "wrapped", iterations * 50));
}

console.log(`busy retry's cost, medians of ${rounds} rounds (µs per call)`);
console.log("case      bare      wrapped   difference  ratio");
for (const [name, { bare: b, wrapped: w }] of Object.entries(results)) {
  const mb = median(b);
  const mw = median(w);
  console.log(
    `${name.padEnd(9)} ${mb.toFixed(2).padStart(8)}  ${mw.toFixed(2).padStart(8)}  ${(mw - mb).toFixed(2).padStart(10)}  ${(mw / mb).toFixed(3)}`,
  );
}
console.log(`command: bun scripts/bench/busy-retry.ts --rounds ${rounds} --iterations ${iterations}`);
await deps.pool.close();
deps.shards.closeAll();
deps.catalog.close();
rmSync(dataDir, { recursive: true, force: true });
