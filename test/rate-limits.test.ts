import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { addressKey } from "../src/http/middleware/rate-limit.ts";
import { TokenBuckets } from "../src/http/token-buckets.ts";
import { sumOf } from "./support/metrics-samples.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * Rate limits (src/http/middleware/rate-limit.ts): a client address and a workspace each get a
 * token bucket; past it, 429 with Retry-After, problem+json on the API, a page in the browser,
 * and the process goes on serving everyone else. A workspace's bucket counts only its own
 * users' and keys' requests. Small limits here (a burst of 20 per address, 40 per workspace,
 * refilled over 10 s) so that a test can go past them; the server sits behind a trusted proxy so
 * that each request can say which address it comes from.
 */
const RATE = 20;
const dir = tempDir("crm-rate-");
let server: TestServer;
let keyA = "";
let keyB = "";

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant("rate-a");
  await data.tenant("rate-b");
  keyA = await data.apiKey("rate-a", "member");
  keyB = await data.apiKey("rate-b", "member");
  data.close();
  server = await startServer({
    dataDir: dir.path,
    env: {
      CRM_TRUST_PROXY: "true",
      // A burst of RATE (2 a second for 10 s): a token comes back only every 500 ms, so a
      // loaded machine's slow burst does not get a refilled token through.
      CRM_RATE_LIMIT_PER_ADDRESS: String(RATE / 10),
      CRM_RATE_LIMIT_PER_WORKSPACE: String((RATE * 2) / 10),
      CRM_RATE_LIMIT_BURST_SECONDS: "10",
    },
  });
});

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

let addresses = 0;
/** A client address of its own: nothing else in these tests has used it. */
const freshAddress = () => `198.51.100.${++addresses}`;

function get(path: string, from: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, {
    headers: { "x-forwarded-for": from, ...headers },
    redirect: "manual",
  });
}

/** Sends `n` requests at once and returns their statuses, in order. */
async function burst(n: number, send: () => Promise<Response>): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: n }, send));
  for (const a of answers) await a.arrayBuffer();
  return answers.map((a) => a.status);
}

async function refusedCount(limit: string): Promise<number> {
  return sumOf(await (await fetch(`${server.url}/metrics`)).text(), "crm_rate_limited_total", { limit });
}

describe("token buckets", () => {
  it("let a burst through, refuse the next with when to come back, and refill at the rate", () => {
    const buckets = new TokenBuckets(10, 5);
    const t = 1_000_000;
    const taken = Array.from({ length: 6 }, () => buckets.take("k", t));
    expect(taken.map((x) => x.ok)).toEqual([true, true, true, true, true, false]);
    expect(taken[0]).toEqual({ ok: true, remaining: 4, resetSeconds: 1 });
    expect(taken[5]).toEqual({ ok: false, retryAfterSeconds: 1 });
    // Each key its own bucket; a tenth of a second later one token is back.
    expect(buckets.take("other", t).ok).toBe(true);
    expect(buckets.take("k", t + 100).ok).toBe(true);
    expect(buckets.take("k", t + 100).ok).toBe(false);
  });

  it("forget the least recently used key past their bound, which then starts full", () => {
    const buckets = new TokenBuckets(1, 1, 2);
    expect(buckets.take("a", 0).ok).toBe(true);
    expect(buckets.take("a", 0).ok).toBe(false);
    buckets.take("b", 0);
    buckets.take("c", 0);
    expect(buckets.take("a", 0).ok).toBe(true);
  });

  it("count an IPv6 client by its /64, an IPv4 one by its address", () => {
    expect(addressKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressKey("2001:0db8:0000:0000:ffff::2")).toBe("2001:db8:0:0::/64");
    expect(addressKey("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("203.0.113.9")).toBe("203.0.113.9");
    // An IPv4 client reaching a v6 socket, however spelled, and a port a proxy wrote: its address.
    for (const spelling of [
      "::ffff:203.0.113.9",
      "::FFFF:203.0.113.9",
      "0:0:0:0:0:ffff:cb00:7109",
      "203.0.113.9:51234",
    ])
      expect({ spelling, key: addressKey(spelling) }).toEqual({ spelling, key: "203.0.113.9" });
    expect(addressKey("[2001:db8::1]:443")).toBe("2001:db8:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("unknown")).toBe("?unknown");
  });
});

describe("rate limits on the server", () => {
  it("refuse an address past its rate with 429 and Retry-After, serve every other address, and let it back once it waits", async () => {
    const flood = freshAddress();
    const before = await refusedCount("address");
    const statuses = await burst(RATE * 3, () => get("/t/rate-a/login", flood));
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(RATE - 1);
    expect(ok).toBeLessThanOrEqual(RATE + 2);
    expect(statuses.filter((s) => s === 429).length).toBe(statuses.length - ok);
    const refused = await get("/t/rate-a/login", flood);
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(2);
    // A page: the app's error page, with its security headers.
    expect(refused.headers.get("content-type")).toContain("text/html");
    expect(refused.headers.get("content-security-policy")).toContain("nonce-");
    expect(await refused.text()).toContain("too many requests from your address");
    expect(await refusedCount("address")).toBeGreaterThanOrEqual(before + statuses.length - ok + 1);
    // Someone else is served meanwhile; the flooded address again after Retry-After.
    expect((await get("/t/rate-b/login", freshAddress())).status).toBe(200);
    await Bun.sleep(wait * 1000);
    expect((await get("/t/rate-a/login", flood)).status).toBe(200);
  });

  it("refuse a workspace's users and keys past its rate, whichever addresses they come from, and no one else", async () => {
    const asA = () => get("/api/v1/t/rate-a/contacts", freshAddress(), { authorization: `Bearer ${keyA}` });
    const statuses = [...(await burst(RATE * 3, asA)), ...(await burst(RATE * 3, asA))];
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeLessThanOrEqual(RATE * 2 + 4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const refused = await asA();
    expect(refused.status).toBe(429);
    expect((await refused.json()).detail).toContain("too many requests for this workspace");
    // Another workspace is served, and so is anyone not signed in to this one (its sign-in page):
    // no one outside a workspace can use up its allowance.
    expect(
      (await get("/api/v1/t/rate-b/contacts", freshAddress(), { authorization: `Bearer ${keyB}` })).status,
    ).toBe(200);
    expect((await get("/t/rate-a/login", freshAddress())).status).toBe(200);
    await Bun.sleep(Number(refused.headers.get("retry-after")) * 1000);
    expect((await asA()).status).toBe(200);
  });

  it("count no request that is not a workspace's own against it: a flood of anonymous ones leaves its members served", async () => {
    const flood = await burst(RATE * 4, () => get("/t/rate-b/nope", freshAddress()));
    expect(flood.every((s) => s !== 429)).toBe(true);
    expect(
      (await get("/api/v1/t/rate-b/contacts", freshAddress(), { authorization: `Bearer ${keyB}` })).status,
    ).toBe(200);
  });

  it("on the API: where the workspace's bucket stands on every answer, and 429 as problem+json", async () => {
    const from = freshAddress();
    const answer = await get("/api/v1/t/rate-b/contacts", from, { authorization: `Bearer ${keyB}` });
    expect(answer.status).toBe(200);
    // Both buckets, the workspace's and the address's, as items of one list.
    expect(answer.headers.get("ratelimit-policy")).toBe('"workspace";q=40;w=10, "address";q=20;w=10');
    expect(answer.headers.get("ratelimit")).toMatch(/^"workspace";r=\d+;t=\d+, "address";r=19;t=\d+$/);
    const statuses = await burst(RATE * 3, () =>
      get("/api/v1/t/rate-a/contacts", freshAddress(), { authorization: `Bearer ${keyA}` }),
    );
    expect(statuses).toContain(429);
    const refused = await get("/api/v1/t/rate-a/contacts", freshAddress(), {
      authorization: `Bearer ${keyA}`,
    });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await refused.json()).status).toBe(429);
    // Random keys from one address are refused by its limit, not tried forever.
    const guesses = await burst(RATE * 3, () =>
      get("/api/v1/t/rate-b/contacts", from, { authorization: `Bearer crm_${crypto.randomUUID()}` }),
    );
    expect(guesses).toContain(429);
    const call = api(server.url, keyB);
    await Bun.sleep(1100);
    expect((await call("GET", "/t/rate-b/contacts")).status).toBe(200);
  });

  it("never limits the metrics or the static assets, and the health probes stay fast for a flooded address", async () => {
    const flood = freshAddress();
    await burst(RATE * 3, () => get("/t/rate-b/login", flood));
    expect((await get("/t/rate-b/login", flood)).status).toBe(429);
    const assets = await burst(RATE * 2, () => get("/assets/favicon.svg", flood));
    expect(assets.every((s) => s === 200)).toBe(true);
    expect((await get("/metrics", "127.0.0.1")).status).toBe(200);
    const started = performance.now();
    expect((await get("/healthz", flood)).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
