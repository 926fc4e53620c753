import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { addressKey } from "../src/http/middleware/rate-limit.ts";
import { TokenBuckets } from "../src/http/token-buckets.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, PASSWORD } from "./support/workspace.ts";

/**
 * A hostile trial of the rate limits (b09c3bd, src/http/middleware/rate-limit.ts): what an
 * attacker or an odd client does to get a fresh bucket, to make the limiter hold memory or
 * time, or to make it refuse someone else; and whether a refusal is honest, cheap and harmless.
 *
 * Three servers over one data directory's workspaces:
 * - `proxied`: behind a trusted proxy (each request names its address in X-Forwarded-For),
 *   bursts of 20 per address and 40 per workspace, refilled over 10 seconds;
 * - `direct`: no trusted proxy (X-Forwarded-For must be ignored), 2 a second per address;
 * - `defaults`: behind a trusted proxy, 400 a second each, as the defaults have them (1 s of burst);
 * - `slow`: behind a trusted proxy, one request a second per workspace (addresses all but unlimited),
 *   so that a workspace's one token, once spent, stays spent while many spellings are tried.
 */
const RATE = 20;
const dir = tempDir("crm-trial-rate-");
const directDir = tempDir("crm-trial-rate-direct-");
const defaultsDir = tempDir("crm-trial-rate-defaults-");
const slowDir = tempDir("crm-trial-rate-slow-");
const dirs = [dir, directDir, defaultsDir, slowDir];
let proxied: TestServer;
let direct: TestServer;
let defaults: TestServer;
let slow: TestServer;
let keyA = "";
let slowKeyB = "";
const MEMBER = "member@trial-a.test";

beforeAll(async () => {
  for (const d of dirs) {
    const data = new DataDir(d.path);
    await data.tenant("trial-a");
    await data.tenant("trial-b");
    if (d === dir) {
      keyA = await data.apiKey("trial-a", "member");
      await data.user("trial-a", MEMBER, "member");
    }
    if (d === slowDir) slowKeyB = await data.apiKey("trial-b", "member");
    data.close();
  }
  [proxied, direct, defaults, slow] = await Promise.all([
    startServer({
      dataDir: dir.path,
      env: {
        CRM_TRUST_PROXY: "true",
        // A burst of RATE (2 a second for 10 s): a token comes back only every 500 ms, so a
        // loaded machine's slow burst does not get a refilled token through.
        CRM_RATE_LIMIT_PER_ADDRESS: String(RATE / 10),
        CRM_RATE_LIMIT_PER_WORKSPACE: String((RATE * 2) / 10),
        CRM_RATE_LIMIT_BURST_SECONDS: "10",
      },
    }),
    startServer({
      dataDir: directDir.path,
      env: {
        CRM_TRUST_PROXY: "false",
        CRM_RATE_LIMIT_PER_ADDRESS: "2",
        CRM_RATE_LIMIT_PER_WORKSPACE: "0",
        CRM_RATE_LIMIT_BURST_SECONDS: "1",
      },
    }),
    startServer({
      dataDir: defaultsDir.path,
      env: {
        CRM_TRUST_PROXY: "true",
        CRM_RATE_LIMIT_PER_ADDRESS: "400",
        CRM_RATE_LIMIT_PER_WORKSPACE: "400",
        CRM_RATE_LIMIT_BURST_SECONDS: "1",
      },
    }),
    startServer({
      dataDir: slowDir.path,
      env: {
        CRM_TRUST_PROXY: "true",
        CRM_RATE_LIMIT_PER_ADDRESS: "100000",
        CRM_RATE_LIMIT_PER_WORKSPACE: "1",
        CRM_RATE_LIMIT_BURST_SECONDS: "1",
      },
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([proxied?.stop(), direct?.stop(), defaults?.stop(), slow?.stop()]);
  for (const d of dirs) d.remove();
});

let addresses = 0;
/** An IPv4 address nothing else in this file has used. */
const fresh = () => {
  const n = ++addresses;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

function get(server: TestServer, path: string, from?: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (from !== undefined) headers.set("x-forwarded-for", from);
  return fetch(`${server.url}${path}`, { ...init, headers, redirect: "manual" });
}

/** `n` requests at once; their statuses, in order (bodies read). */
async function burst(n: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => send(i)));
  for (const a of answers) await a.arrayBuffer();
  return answers.map((a) => a.status);
}

/** Spends `from`'s address bucket on a path of no workspace (404s), until it is refused. */
async function exhaust(server: TestServer, from: string, n = RATE * 3) {
  const statuses = await burst(n, () => get(server, "/no-such-page", from));
  expect(statuses).toContain(429);
}

/** One request as written on the wire, for targets fetch would normalize; the status line's code. */
function rawStatus(server: TestServer, target: string, headers: Record<string, string> = {}) {
  const url = new URL(server.url);
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
  return new Promise<number>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    let out = "";
    socket.on("data", (d) => {
      out += d.toString("latin1");
      const code = /^HTTP\/1\.1 (\d{3})/.exec(out);
      if (code) {
        socket.destroy();
        resolve(Number(code[1]));
      }
    });
    socket.on("error", reject);
    socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\n${lines.join("")}Connection: close\r\n\r\n`);
  });
}

async function refused(server: TestServer): Promise<{ address: number; workspace: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const count = (limit: string) =>
    Number(
      text
        .split("\n")
        .find((l) => l.startsWith(`crm_rate_limited_total{limit="${limit}"}`))
        ?.split(" ")
        .pop() ?? Number.NaN,
    );
  return { address: count("address"), workspace: count("workspace") };
}

function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(line?.replace(/\D+/g, ""));
}

describe("evasion: another spelling of the same workspace or client", () => {
  it("every path that reaches a workspace counts in its one bucket: encoded, dot segments, absolute form, backslashes", async () => {
    await Bun.sleep(1100);
    // The workspace's bucket is keyed by the workspace the request resolved to, and counts its
    // own users' and keys' requests: trial-b's one token, spent by the plain spelling.
    const asB = { "X-Forwarded-For": "", authorization: `Bearer ${slowKeyB}` };
    expect(await rawStatus(slow, "/api/v1/t/trial-b/contacts", { ...asB, "X-Forwarded-For": fresh() })).toBe(
      200,
    );
    const variants = [
      "/api/v1/t/trial-b/contacts",
      "/api/v1/t/trial%2Db/contacts",
      "/api/v1/t/trial%2db/contacts",
      "/api/v1/%74/trial-b/contacts",
      "/api/v1/t/./trial-b/contacts",
      "/./api/v1/t/trial-b/contacts",
      "/api/v1/t/x/../trial-b/contacts",
      "/api/v1/t/trial-b/../trial-b/contacts",
      "http://elsewhere/api/v1/t/trial-b/contacts",
      "/api/v1/t/trial-b/contacts?x=1",
    ];
    const answers: Record<string, number> = {};
    for (const v of variants) answers[v] = await rawStatus(slow, v, { ...asB, "X-Forwarded-For": fresh() });
    // None got through to the workspace (200) on a fresh bucket.
    expect(Object.entries(answers).filter(([, s]) => s !== 429)).toEqual([]);
    // The spellings that reach no workspace (404) are the only ones counted elsewhere.
    for (const v of [
      "/t/TRIAL-B/login",
      "//t/trial-b/login",
      "/api/v1//t/trial-b/contacts",
      "/t%2Ftrial-b/login",
    ])
      expect(await rawStatus(slow, v, { "X-Forwarded-For": fresh() })).toBe(404);
  });

  it("one /64 is one bucket however the proxy spells it: compressed, expanded, upper case, zone id, spaces", async () => {
    const base = "2001:db8:aa:1::1";
    await exhaust(proxied, base);
    for (const form of [
      "2001:DB8:AA:1::2",
      "2001:0db8:00aa:0001:0000:0000:0000:0003",
      "2001:db8:aa:1:ffff:ffff:ffff:ffff",
      "2001:db8:aa:1::1%eth0",
      `  ${base}  `,
      `203.0.113.66, ${base}`,
      `garbage, "nonsense", ${base}`,
    ]) {
      const answer = await get(proxied, "/no-such-page", form);
      await answer.arrayBuffer();
      expect({ form, status: answer.status }).toEqual({ form, status: 429 });
    }
    // Another /64 of the same /48 is another client.
    expect((await get(proxied, "/t/trial-a/login", "2001:db8:aa:2::1")).status).toBe(200);
  });

  it("what a client claims in earlier X-Forwarded-For entries, many of them, does not give it a bucket of its own", async () => {
    const real = fresh();
    const statuses = await burst(RATE * 3, (i) =>
      get(proxied, "/no-such-page", undefined, {
        headers: {
          "x-forwarded-for": `${Array.from({ length: 50 }, (_, j) => `192.0.2.${(i + j) % 250}`).join(", ")}, ${real}`,
        },
      }),
    );
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(RATE * 3 - RATE - 2);
    // A long header (8 KB of entries) is answered promptly.
    const started = performance.now();
    const long = await get(proxied, "/no-such-page", `${"198.18.0.1, ".repeat(700)}${fresh()}`);
    await long.arrayBuffer();
    expect(long.status).toBe(404);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("without a trusted proxy X-Forwarded-For is ignored: every spoofed address shares the socket's bucket", async () => {
    await Bun.sleep(1100);
    const statuses = await burst(12, () => get(direct, "/no-such-page", fresh()));
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(9);
  });

  it("a proxy that writes the client's port or brackets (Azure Application Gateway: 1.2.3.4:5678, [v6]:port) gives the same client the same bucket", async () => {
    const ip = fresh();
    await exhaust(proxied, ip);
    for (const form of [`${ip}:51234`, `${ip}:51235`, "[2001:db8:aa:1::1]", "[2001:db8:aa:1::1]:443"]) {
      if (form.startsWith("[")) await exhaust(proxied, "2001:db8:aa:1::1");
      const answer = await get(proxied, "/no-such-page", form);
      await answer.arrayBuffer();
      expect({ form, status: answer.status }).toEqual({ form, status: 429 });
    }
  });

  it("IPv4-mapped addresses however spelled are their IPv4 client's bucket, so one IPv4 client never refuses another", async () => {
    expect(addressKey("::FFFF:198.51.100.1")).not.toBe(addressKey("::FFFF:198.51.100.2"));
    expect(addressKey("0:0:0:0:0:ffff:198.51.100.1")).not.toBe(addressKey("0:0:0:0:0:ffff:198.51.100.2"));
    await exhaust(proxied, "::FFFF:198.51.100.1");
    expect((await get(proxied, "/t/trial-a/login", "::FFFF:198.51.100.2")).status).toBe(200);
  });
});

describe("memory and time", () => {
  it("200,000 distinct keys: the map stays at its bound and a take stays fast", () => {
    const buckets = new TokenBuckets(400, 2000);
    const map = (buckets as unknown as { fullAt: Map<string, number> }).fullAt;
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) buckets.take(`2001:db8:${i.toString(16)}::/64`, 1_000_000 + i);
    const perTake = (performance.now() - started) / 200_000;
    expect(map.size).toBe(100_000);
    expect(perTake).toBeLessThan(0.1);
  });

  it("after 6,000 distinct addresses in 2 seconds, a request is still fast (the bound itself is tried in-process above)", async () => {
    // Spoofed distinct addresses through the trusted proxy, cheap 404s of no workspace, 200 at a time.
    const started = performance.now();
    for (let sent = 0; sent < 6_000; sent += 200)
      await burst(200, () => get(defaults, "/no-such-page", fresh()));
    const perRequest = (performance.now() - started) / 6_000;
    const t = performance.now();
    const answer = await get(defaults, "/t/trial-a/login", fresh());
    await answer.arrayBuffer();
    expect(answer.status).toBe(200);
    expect(performance.now() - t).toBeLessThan(Math.max(200, perRequest * 50));
  });

  it("long made-up slugs hold no memory: the workspace's bucket is keyed by a real workspace's id, after its key or session is checked", async () => {
    // Warm up with short made-up slugs (twice: the allocator settles), then 3,000 long ones
    // (12 KB each), each from its own address. Measured: ~6 MiB for 2,000 short, ~17 MiB for 2,000 long.
    const send = (slug: string) => get(defaults, `/t/${slug}/x`, fresh());
    for (let sent = 0; sent < 2_000; sent += 100) await burst(100, () => send(`s${crypto.randomUUID()}`));
    for (let sent = 0; sent < 2_000; sent += 100) await burst(100, () => send(`s${crypto.randomUUID()}`));
    const before = rssKiB(defaults.pid);
    const pad = "z".repeat(12_000);
    for (let sent = 0; sent < 3_000; sent += 100)
      await burst(100, () => send(`${crypto.randomUUID()}${pad}`));
    const grownMiB = (rssKiB(defaults.pid) - before) / 1024;
    // 3,000 × 12 KB would be 34 MiB if kept; a slug that names no valid workspace needs no bucket at all.
    expect(grownMiB).toBeLessThan(8);
  });
});

describe("a refusal: honest, cheap, harmless", () => {
  it("Retry-After is honest: waiting that long gets through, asking again at once or soon does not", async () => {
    await Bun.sleep(1100);
    const statuses = await burst(6, () => get(direct, "/no-such-page"));
    expect(statuses).toContain(429);
    const no = await get(direct, "/no-such-page");
    await no.arrayBuffer();
    expect(no.status).toBe(429);
    const wait = Number(no.headers.get("retry-after"));
    expect(wait).toBe(1);
    await Bun.sleep(100);
    const soon = await get(direct, "/no-such-page");
    await soon.arrayBuffer();
    expect(soon.status).toBe(429);
    await Bun.sleep(wait * 1000);
    expect((await get(direct, "/no-such-page")).status).toBe(404);
  });

  it("2,000 refusals cost no more than 2,000 cheap answers let through", async () => {
    const flood = fresh();
    await exhaust(proxied, flood);
    const time = async (from: () => string) => {
      const started = performance.now();
      const statuses: number[] = [];
      for (let sent = 0; sent < 2_000; sent += 100)
        statuses.push(...(await burst(100, () => get(proxied, "/no-such-page", from()))));
      return { ms: performance.now() - started, statuses };
    };
    const allowed = await time(fresh);
    const refusedRun = await time(() => flood);
    expect(allowed.statuses.every((s) => s === 404)).toBe(true);
    // The flooder's bucket refills at 20 a second meanwhile: a few get through.
    expect(refusedRun.statuses.filter((s) => s === 429).length).toBeGreaterThan(1_900);
    expect(refusedRun.ms).toBeLessThan(allowed.ms * 1.5 + 200);
  });

  it("a refused POST writes nothing: no contact is created through the API", async () => {
    await Bun.sleep(1100);
    const call = api(proxied.url, keyA);
    const list = async () => (await call("GET", "/t/trial-a/contacts?limit=100")).text;
    const flood = fresh();
    await exhaust(proxied, flood);
    const marker = `Refused${crypto.randomUUID().slice(0, 8)}`;
    const answers = await burst(10, () =>
      get(proxied, "/api/v1/t/trial-a/contacts", flood, {
        method: "POST",
        headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" },
        body: JSON.stringify({ firstName: marker }),
      }),
    );
    expect(answers.every((s) => s === 429)).toBe(true);
    await Bun.sleep(1100);
    expect(await list()).not.toContain(marker);
    // The same POST once let through does create it (the request was right).
    const made = await get(proxied, "/api/v1/t/trial-a/contacts", flood, {
      method: "POST",
      headers: { authorization: `Bearer ${keyA}`, "content-type": "application/json" },
      body: JSON.stringify({ firstName: marker }),
    });
    expect(made.status).toBe(201);
  });

  it("refused sign-in attempts count for nothing: afterwards the right password signs in at once", async () => {
    await Bun.sleep(1100);
    const from = fresh();
    const client = new BrowserClient(proxied.url);
    await client.get("/t/trial-a/login", { "x-forwarded-for": from });
    expect(client.csrfToken).not.toBe("");
    await exhaust(proxied, from);
    // The bucket refills one token each 50 ms: on a slow machine one attempt in a while gets
    // through (401). Those few count; the refused ones must not.
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const wrong = await client.post(
        "/t/trial-a/login",
        { email: MEMBER, password: "wrong", next: "" },
        { "x-forwarded-for": from },
      );
      statuses.push(wrong.status);
      if (wrong.status === 429) expect(wrong.text).toContain("too many requests from your address");
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(27);
    expect(statuses.every((s) => s === 429 || s === 401)).toBe(true);
    await Bun.sleep(1100);
    const right = await client.post(
      "/t/trial-a/login",
      { email: MEMBER, password: PASSWORD, next: "" },
      { "x-forwarded-for": from },
    );
    expect(right.status).toBe(303);
  });

  it("the login limiter still refuses guessing from an address the rate limit lets through", async () => {
    const from = fresh();
    const client = new BrowserClient(proxied.url);
    await client.get("/t/trial-a/login", { "x-forwarded-for": from });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const wrong = await client.post(
        "/t/trial-a/login",
        { email: MEMBER, password: `wrong${i}`, next: "" },
        { "x-forwarded-for": from },
      );
      statuses.push(wrong.status);
      if (wrong.status === 429) {
        expect(wrong.text).not.toContain("too many requests from your address");
        break;
      }
    }
    expect(statuses.at(-1)).toBe(429);
  });

  it("a refused htmx request gets the flash fragment, not a page; HEAD and OPTIONS are refused too", async () => {
    const flood = fresh();
    await exhaust(proxied, flood);
    const hx = await get(proxied, "/t/trial-a/contacts", flood, { headers: { "hx-request": "true" } });
    const text = await hx.text();
    expect(hx.status).toBe(429);
    expect(hx.headers.get("hx-retarget")).toBe("#flash");
    expect(hx.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(text).toContain("too many requests from your address");
    expect(text).not.toContain("<html");
    const head = await get(proxied, "/t/trial-a/login", flood, { method: "HEAD" });
    expect(head.status).toBe(429);
    expect(head.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const options = await get(proxied, "/api/v1/t/trial-a/contacts", flood, { method: "OPTIONS" });
    await options.arrayBuffer();
    expect(options.status).toBe(429);
  });

  it("the metrics count every refusal exactly once, by the limit that refused it", async () => {
    await Bun.sleep(1100);
    const before = await refused(proxied);
    const byAddress = await burst(RATE * 3, () => get(proxied, "/no-such-page", "198.51.100.200"));
    const byWorkspace = await burst(RATE * 4, () =>
      fetch(`${proxied.url}/api/v1/t/trial-a/contacts`, {
        headers: { "x-forwarded-for": fresh(), authorization: `Bearer ${keyA}` },
      }),
    );
    const after = await refused(proxied);
    expect(after.address - before.address).toBe(byAddress.filter((s) => s === 429).length);
    expect(after.workspace - before.workspace).toBe(byWorkspace.filter((s) => s === 429).length);
    expect(byWorkspace).toContain(429);
  });
});

describe("fairness", () => {
  it("while one address floods at full speed, another keeps being served quickly, and the flooder is back within Retry-After", async () => {
    await Bun.sleep(1100);
    const flood = fresh();
    let flooding = true;
    let floodSent = 0;
    let lastRefusal: Response | undefined;
    const flooder = async () => {
      while (flooding) {
        const r = await get(proxied, "/no-such-page", flood);
        await r.arrayBuffer();
        floodSent++;
        if (r.status === 429) lastRefusal = r;
      }
    };
    const floods = Array.from({ length: 32 }, flooder);
    const victim = fresh();
    const latencies: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      const r = await get(proxied, "/t/trial-a/login", victim);
      await r.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses.push(r.status);
      await Bun.sleep(100);
    }
    flooding = false;
    await Promise.all(floods);
    expect(floodSent).toBeGreaterThan(500);
    expect(statuses.every((s) => s === 200)).toBe(true);
    latencies.sort((a, b) => a - b);
    expect(latencies[Math.floor(latencies.length / 2)] ?? 0).toBeLessThan(150);
    const wait = Number(lastRefusal?.headers.get("retry-after"));
    expect(wait).toBe(1);
    await Bun.sleep(wait * 1000);
    expect((await get(proxied, "/no-such-page", flood)).status).toBe(404);
  });

  it("with the default limits, one anonymous address flooding a workspace's paths leaves every member of it served", async () => {
    await Bun.sleep(1100);
    const attacker = fresh();
    // Made-up pages of the workspace (404s, no sign-in needed) at full speed from one address:
    // its own limit lets 400 a second through, and each of those takes a token of the workspace.
    let flooding = true;
    let allowed = 0;
    const flooder = async () => {
      while (flooding) {
        const r = await get(defaults, "/t/trial-a/nope", attacker);
        await r.arrayBuffer();
        if (r.status === 404) allowed++;
      }
    };
    const floods = Array.from({ length: 32 }, flooder);
    await Bun.sleep(1200);
    const members: number[] = [];
    for (let i = 0; i < 10; i++) {
      const member = await get(defaults, "/t/trial-a/login", fresh());
      await member.arrayBuffer();
      members.push(member.status);
      await Bun.sleep(50);
    }
    flooding = false;
    await Promise.all(floods);
    expect(allowed).toBeGreaterThan(400);
    // Members, each from an address of their own that sent nothing before, should be served.
    expect(members.filter((s) => s === 429)).toEqual([]);
  });
});
