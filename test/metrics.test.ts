import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { loadConfig } from "../src/core/config.ts";
import { finishRun, startRun } from "../src/tenancy/analytics-ledger.ts";
import type { BrowserClient } from "./support/browser-client.ts";
import { samples } from "./support/metrics-samples.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * README, Operations, "Metrics": GET /metrics in Prometheus' text format for the loopback or the
 * operator's bearer token (403 for anyone else, a client's own X-Forwarded-For claims included):
 * requests by route pattern (never a raw path), method and status class, their durations, in
 * flight, the process's CPU, RSS, file descriptors and event-loop lag, open workspace files,
 * the worker pool, workspaces out of service and the last analytics run.
 */
const T = "met";
const TOKEN = "metrics-token-0123456789abcdef0123456789";
let server: TestServer;
const dir = tempDir();
let data: DataDir;
let owner: BrowserClient;

const scrape = (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers });

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant(T);
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_TRUST_PROXY: "true", CRM_METRICS_TOKEN: TOKEN, CRM_MAX_OPEN_SHARDS: "64" },
  });
  owner = await signIn(server.url, T, `owner@${T}.test`);
});

afterAll(async () => {
  await server?.stop();
  data?.close();
  dir.remove();
});

describe("who may read them", () => {
  it("the loopback without a token, anyone with the operator's token, nobody else", async () => {
    const outside = { "x-forwarded-for": "203.0.113.9" };
    const cases: [string, Record<string, string>, number][] = [
      ["loopback", {}, 200],
      ["outside, no token", outside, 403],
      ["outside, the token", { ...outside, authorization: `Bearer ${TOKEN}` }, 200],
      ["outside, a wrong token", { ...outside, authorization: `Bearer ${TOKEN.slice(0, -1)}x` }, 403],
      ["loopback, a wrong token", { authorization: "Bearer nope" }, 403],
      // The client's own claim comes first; the proxy appends the address it saw, which counts.
      ["outside, claiming loopback", { "x-forwarded-for": "127.0.0.1, 203.0.113.9" }, 403],
      ["through the proxy from the host", { "x-forwarded-for": "127.0.0.1" }, 200],
    ];
    for (const [label, headers, status] of cases) {
      const answer = await scrape(headers);
      const text = await answer.text();
      expect({ label, status: answer.status }).toEqual({ label, status });
      if (status === 403) expect(text).not.toContain("crm_");
      else expect(answer.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    }
  });

  it("refuses a token too short to guard anything, at start-up", () => {
    expect(() => loadConfig({ CRM_METRICS_TOKEN: "short" })).toThrow(/CRM_METRICS_TOKEN must be 32 to 256/);
    expect(loadConfig({ CRM_METRICS_TOKEN: "" }).metricsToken).toBeUndefined();
  });
});

describe("what they say", () => {
  it("counts requests by route pattern, method and status class, never by raw path", async () => {
    const before = samples(await (await scrape()).text());
    const key = 'crm_http_requests_total{method="GET",route="/t/:tenant/contacts",status_class="2xx"}';
    await owner.get(`/t/${T}/contacts`);
    await owner.get(`/t/${T}/contacts`);
    expect((await owner.get(`/t/${T}/contacts/987654321`)).status).toBe(404);
    await fetch(`${server.url}/t/${T}/contacts`, { method: "PROPFIND" });
    // A fixed route beside a pattern that also matches it is counted as itself.
    expect((await owner.get(`/t/${T}/contacts/new`)).status).toBe(200);
    const text = await (await scrape()).text();
    const after = samples(text);
    expect((after.get(key) ?? 0) - (before.get(key) ?? 0)).toBe(2);
    const missing =
      'crm_http_requests_total{method="GET",route="/t/:tenant/contacts/:id",status_class="4xx"}';
    expect(after.get(missing)).toBeGreaterThanOrEqual(1);
    const fixed = 'crm_http_requests_total{method="GET",route="/t/:tenant/contacts/new",status_class="2xx"}';
    expect(after.get(fixed)).toBe(1);
    expect([...after.keys()].some((k) => k.includes('method="other"'))).toBe(true);
    expect(text).not.toContain(`/t/${T}/`);
    expect(text).not.toContain("987654321");
    const count = 'crm_http_request_duration_seconds_count{method="GET",route="/t/:tenant/contacts"}';
    expect(after.get(count)).toBeGreaterThanOrEqual(2);
    const fast = 'crm_http_request_duration_seconds_bucket{le="10",method="GET",route="/t/:tenant/contacts"}';
    expect(after.get(fast)).toBe(after.get(count) as number);
    // The second list page came from the render cache (nothing was written between them).
    const hits = 'crm_cache_lookups_total{cache="render",result="hit"}';
    expect((after.get(hits) ?? 0) - (before.get(hits) ?? 0)).toBeGreaterThanOrEqual(1);
    expect(after.get('crm_cache_lookups_total{cache="render",result="miss"}')).toBeGreaterThanOrEqual(1);
    // The scrape itself is the one request in flight.
    expect(after.get("crm_http_requests_in_flight")).toBe(1);
  });

  it("shows the process, the workspace files, the pool and the failures", async () => {
    // A report's figures are computed in the worker pool: one completed task at least.
    expect((await owner.get(`/t/${T}/reports/new-contacts`)).status).toBe(200);
    const after = samples(await (await scrape()).text());
    expect(after.get("process_resident_memory_bytes")).toBeGreaterThan(10_000_000);
    expect(after.get("process_open_fds")).toBeGreaterThan(3);
    expect(after.get("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(after.has("nodejs_eventloop_lag_p99_seconds")).toBe(true);
    expect(after.get("crm_open_shards")).toBeGreaterThanOrEqual(1);
    expect(after.get("crm_max_open_shards")).toBe(64);
    expect(after.get("crm_shard_opens_total")).toBeGreaterThanOrEqual(1);
    expect(after.get("crm_failed_workspaces")).toBe(0);
    expect(after.get("crm_pool_threads")).toBeGreaterThanOrEqual(1);
    expect(after.get('crm_pool_tasks_total{outcome="completed"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('crm_pool_tasks_total{outcome="failed"}')).toBe(0);
    expect(after.get('crm_busy_retries_total{result="replay"}')).toBe(0);
    expect(after.get("crm_pool_queued")).toBe(0);
  });

  it("says when the last analytics run ended, and how, once there is one", async () => {
    const before = samples(await (await scrape()).text());
    expect([...before.keys()].some((k) => k.startsWith("crm_analytics_last_run_end_seconds"))).toBe(false);
    const run = startRun(data.catalog, { runDate: "2026-11-30", trigger: "manual", now: 1_764_460_800_000 });
    finishRun(data.catalog, run.id, { status: "failed", error: "a job failed", now: 1_764_460_860_000 });
    const after = samples(await (await scrape()).text());
    expect(after.get('crm_analytics_last_run_end_seconds{status="failed"}')).toBe(1_764_460_860);
  });
});
