import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { linkSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { Catalog } from "../src/tenancy/catalog.ts";
import { tenants } from "../src/tenancy/catalog-schema.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { runCommand } from "./support/run-command.ts";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, PASSWORD, signIn } from "./support/workspace.ts";

/**
 * A trial of the ops dashboard (README "Operations dashboard (/ops)") as its attackers and its
 * careless operators would use it: who gets in, what the page says and how it is escaped, what
 * load does to it, whether its figures add up, and the `crm operators` commands.
 */
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const TOKEN = "trial-ops-token-0123456789abcdef0123456789";
const HOSTILE = `</title><script>alert("ws")</script><svg onload=alert(1)>Evil & Co`;
const OPERATOR = "trial-op@host.test";
const OPERATOR_PASSWORD = "trial operator password";
const OUTSIDE = { "x-forwarded-for": "203.0.113.50" };

const dir = tempDir("crm-trial-ops-");
let server: TestServer;
let apiKey = "";

async function operators(args: string[], stdin?: string, dataDir = dir.path) {
  const argv = [process.execPath, CLI, "operators", ...args, "--data", dataDir];
  if (stdin === undefined) return runCommand(argv, { env: { ...process.env, ...FAST_HASHING } });
  const proc = Bun.spawn(argv, {
    env: { ...process.env, ...FAST_HASHING },
    stdin: new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

/** The text of the figure `<dd id="id">`. */
const figure = (body: string, id: string) => new RegExp(`<dd id="${id}">([^<]*)</dd>`).exec(body)?.[1] ?? "";
const count = (text: string) => Number(text.replace(/[,\s%]/g, "").replace("−", "-"));
const table = (body: string, id: string) =>
  body.match(new RegExp(`<table class="ops-table" id="${id}">[\\s\\S]*?</table>`))?.[0] ?? "";
const rowRequests = (body: string, tableId: string, slug: string) => {
  const row = table(body, tableId)
    .split("<tr>")
    .find((r) => r.includes(`/t/${slug}<`));
  return Number(/<td class="num">(\d+)<\/td>/.exec(row ?? "")?.[1] ?? 0);
};

async function until(base: string, path: string, done: (body: string) => boolean, headers = {}) {
  let body = "";
  for (let i = 0; i < 60; i++) {
    body = await (await fetch(`${base}${path}`, { headers })).text();
    if (done(body)) return body;
    await Bun.sleep(200);
  }
  return body;
}

/** A refusal: 403, not stored, no figures, no workspace names, and the way to sign in. */
async function expectRefused(path: string, headers: Record<string, string>, method = "GET") {
  const response = await fetch(`${server.url}${path}`, { method, headers, redirect: "manual" });
  const body = await response.text();
  expect({ path, status: response.status }).toEqual({ path, status: 403 });
  expect(response.headers.get("cache-control")).toBe("no-store");
  for (const leak of ["ops-top-tenants", "Evil", "trialacme", "<svg", "Error budget", "Requests ("])
    expect(body).not.toContain(leak);
}

/** One HTTP/1.1 request over a raw socket, header lines exactly as given (repeated names too). */
function rawRequest(port: number, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let out = "";
    socket.on("data", (d) => {
      out += d.toString();
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
    socket.write(`${lines.join("\r\n")}\r\nConnection: close\r\n\r\n`);
  });
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  const acme = await data.tenant("trialacme");
  data.catalog.db.update(tenants).set({ name: HOSTILE }).where(eq(tenants.id, acme.id)).run();
  await data.tenant("counted");
  const gone = await data.tenant("trialgone");
  apiKey = await data.apiKey("trialacme", "owner");
  data.close();
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir.path, gone.file) + suffix, { force: true });
  expect((await operators(["add", OPERATOR, "--password-stdin"], `${OPERATOR_PASSWORD}\n`)).code).toBe(0);
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_TRUST_PROXY: "true", CRM_METRICS_TOKEN: TOKEN, CRM_OPS_SAMPLE_SECONDS: "1" },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("access: who gets in", () => {
  it("judges Authorization headers strictly: only `Bearer <exact token>` (any case, spaces) opens /ops", async () => {
    const accepted = [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER  ${TOKEN}`, `Bearer ${TOKEN} `];
    for (const authorization of accepted) {
      const r = await fetch(`${server.url}/ops/panels`, { headers: { ...OUTSIDE, authorization } });
      expect({ authorization, status: r.status }).toEqual({ authorization, status: 200 });
      await r.arrayBuffer();
    }
    const refusedHeaders = [
      "",
      "Bearer",
      "Bearer ",
      `Bearer\t${TOKEN}`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Bearer x${TOKEN}`,
      `Bearer ${TOKEN} x`,
      `Bearer ${TOKEN},Bearer ${TOKEN}`,
      `Token ${TOKEN}`,
      `Basic ${btoa(`x:${TOKEN}`)}`,
      `Bearer ${TOKEN.repeat(200)}`,
      `Bearer ${apiKey}`,
    ];
    for (const authorization of refusedHeaders) {
      await expectRefused("/ops", { ...OUTSIDE, authorization });
      // A wrong credential is refused from the loopback too.
      await expectRefused("/ops/panels", { authorization });
    }
  });

  it("takes the proxy's last X-Forwarded-For entry: loopback spellings in, forged chains and look-alikes out", async () => {
    for (const xff of [
      "127.0.0.1",
      "127.255.255.254",
      "::1",
      "0:0:0:0:0:0:0:1",
      "::ffff:127.0.0.1",
      "::FFFF:127.0.0.1",
      "203.0.113.9, 127.0.0.1",
    ]) {
      const r = await fetch(`${server.url}/ops/panels`, { headers: { "x-forwarded-for": xff } });
      expect({ xff, status: r.status }).toEqual({ xff, status: 200 });
      await r.arrayBuffer();
    }
    for (const xff of [
      "127.0.0.1, 203.0.113.9",
      "127.0.0.1,",
      "127.0.0.1, ",
      "127.1",
      "127.0.0.1:80",
      "[::1]",
      "localhost",
      "0.0.0.0",
      "::",
      "::ffff:7f00:1",
      "::ffff:203.0.113.9",
      "128.0.0.1",
      "unknown",
      "",
    ])
      await expectRefused("/ops/panels", { "x-forwarded-for": xff });
  });

  it("treats a forged X-Forwarded-For line before the proxy's own line (HAProxy adds a header) as the proxy's last word", async () => {
    const port = Number(new URL(server.url).port);
    const answer = await rawRequest(port, [
      "GET /ops/panels HTTP/1.1",
      `Host: 127.0.0.1:${port}`,
      "X-Forwarded-For: 127.0.0.1",
      "X-Forwarded-For: 203.0.113.77",
    ]);
    expect(answer.split("\r\n")[0]).toContain("403");
    expect(answer).not.toContain("ops-top-tenants");
  });

  it("refuses the same way on every path spelling of the dashboard (no unguarded alias)", async () => {
    for (const path of [
      "/ops",
      "/%6Fps",
      "/ops/%70anels",
      "/ops/./panels",
      "/ops/x/../panels",
      "/ops/panels?x=1",
    ])
      await expectRefused(path, OUTSIDE);
    for (const path of ["/ops/", "/ops//panels", "/ops/panels/", "/OPS", "/Ops/panels"]) {
      const r = await fetch(`${server.url}${path}`, { headers: OUTSIDE, redirect: "manual" });
      const body = await r.text();
      expect(r.status === 403 || r.status === 404).toBe(true);
      expect(body).not.toContain("ops-top-tenants");
    }
    // HEAD of the page is refused too, and POST to the panels is no way in.
    await expectRefused("/ops", OUTSIDE, "HEAD");
    const post = await fetch(`${server.url}/ops/panels`, { method: "POST", headers: OUTSIDE });
    expect([403, 404, 405]).toContain(post.status);
    expect(await post.text()).not.toContain("ops-top-tenants");
  });

  it("gives a workspace owner nothing: their session, their password at /ops/login, their API key", async () => {
    const owner = await signIn(server.url, "trialacme", "owner@trialacme.test");
    const session = owner.cookie("crm_session") as string;
    await expectRefused("/ops", { ...OUTSIDE, cookie: `crm_session=${session}` });
    await expectRefused("/ops/panels", { ...OUTSIDE, cookie: `crm_ops_session=${session}` });
    await expectRefused("/ops", { ...OUTSIDE, "x-api-key": apiKey });
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", { "x-forwarded-for": "203.0.113.51" });
    const login = await browser.post(
      "/ops/login",
      { email: "owner@trialacme.test", password: PASSWORD },
      { "x-forwarded-for": "203.0.113.51" },
    );
    expect(login.status).toBe(401);
    expect(login.headers.get("set-cookie") ?? "").not.toContain("crm_ops_session=");
  });

  it("ends a session at sign-out: the old cookie replayed is refused, and the ops cookie opens no workspace page", async () => {
    const headers = { "x-forwarded-for": "203.0.113.52" };
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", headers);
    const signedIn = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: OPERATOR_PASSWORD, next: "//evil.example/x" },
      headers,
    );
    expect(signedIn.status).toBe(303);
    // No open redirect: `next` is ignored.
    expect(signedIn.headers.get("location")).toBe("/ops");
    expect(signedIn.headers.get("cache-control")).toBe("no-store");
    const token = browser.cookie("crm_ops_session") as string;
    expect(token).toBeTruthy();

    // The ops cookie on a workspace's pages is no session there.
    const workspace = await fetch(`${server.url}/t/trialacme/contacts`, {
      headers: { ...headers, cookie: `crm_ops_session=${token}; crm_session=${token}` },
      redirect: "manual",
    });
    expect(workspace.status).not.toBe(200);
    expect(await workspace.text()).not.toContain("Contacts</h1>");

    const page = await browser.get("/ops", headers);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`Viewing as ${OPERATOR}`);

    // Sign-out without the CSRF token, or from another site, does nothing.
    const noToken = await browser.postRaw("/ops/logout", [], headers);
    expect(noToken.status).toBe(403);
    const crossSite = await browser.post("/ops/logout", {}, { ...headers, "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect((await browser.get("/ops/panels", headers)).status).toBe(200);

    await browser.get("/ops", headers);
    const out = await browser.post("/ops/logout", {}, headers);
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/ops/login");
    expect(out.headers.get("set-cookie") ?? "").toMatch(/crm_ops_session=;.*Max-Age=0/);
    await expectRefused("/ops", { ...headers, cookie: `crm_ops_session=${token}` });
    await expectRefused("/ops/panels", { ...headers, cookie: `crm_ops_session=${token}` });
    await expectRefused("/ops", { ...headers, cookie: `crm_ops_session=${token.slice(0, -1)}` });
  });

  it("refuses a sign-in posted from another site, even with a valid token, and sets no cookie", async () => {
    const headers = { "x-forwarded-for": "203.0.113.53" };
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", headers);
    const response = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: OPERATOR_PASSWORD },
      { ...headers, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    );
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie") ?? "").not.toContain("crm_ops_session=");
  });

  it("throttles a distributed guess at one operator's password (many addresses, one account)", async () => {
    const results: number[] = [];
    for (let i = 0; i < 55; i++) {
      const headers = { "x-forwarded-for": `198.18.${i}.1` };
      const browser = new BrowserClient(server.url);
      await browser.get("/ops/login", headers);
      results.push(
        (await browser.post("/ops/login", { email: "nobody-op@host.test", password: `guess ${i}` }, headers))
          .status,
      );
    }
    // CRM_LOGIN_FAILURES_PER_ACCOUNT_ANYWHERE (50) free failures, then a wait.
    expect(results.slice(0, 50).every((s) => s === 401)).toBe(true);
    expect(results.slice(50)).toContain(429);
    for (const status of results) expect([401, 429]).toContain(status);
  });

  it("an operator who signs out from the host's loopback (an ssh -L tunnel) ends the session itself, not only the browser's cookie", async () => {
    // An operator who reaches /ops through `ssh -L` is on the loopback: they can sign in, but
    // the loopback rule wins before their session is looked at.
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login");
    expect((await browser.post("/ops/login", { email: OPERATOR, password: OPERATOR_PASSWORD })).status).toBe(
      303,
    );
    const token = browser.cookie("crm_ops_session") as string;
    const page = await browser.get("/ops");
    expect(page.status).toBe(200);
    const out = await browser.post("/ops/logout", {});
    expect(out.status).toBe(303);
    // The session the browser held must be over wherever its cookie is replayed.
    await expectRefused("/ops", { ...OUTSIDE, cookie: `crm_ops_session=${token}` });
  });

  it("escapes what a sign-in echoes, stores none of its answers, and marks the cookie Secure over https", async () => {
    const headers = { "x-forwarded-for": "203.0.113.54" };
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", headers);
    const bad = await browser.post(
      "/ops/login",
      { email: `"><script>alert(1)</script>`, password: "x" },
      headers,
    );
    expect(bad.status).toBe(422);
    expect(bad.text).not.toContain("<script>alert(1)");
    expect(bad.headers.get("cache-control")).toBe("no-store");
    const long = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: "p".repeat(100_000) },
      headers,
    );
    expect(long.status).toBe(422);
    const https = { ...headers, "x-forwarded-proto": "https" };
    await browser.get("/ops/login", https);
    const signedIn = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: OPERATOR_PASSWORD },
      https,
    );
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("set-cookie") ?? "").toMatch(/crm_ops_session=[^;]+;.*Secure/);
  });

  it("says nothing of the host in its refusals: the same 403 page whatever the workspaces", async () => {
    const a = await fetch(`${server.url}/ops`, { headers: OUTSIDE });
    const body = await a.text();
    expect(body).toContain('href="/ops/login"');
    expect(body).not.toMatch(/trialacme|counted|trialgone|Evil|\d+ workspaces/);
  });
});

describe("output: everything escaped, CSP holds", () => {
  it("escapes a hostile workspace name everywhere on the page, carries no script or style without the nonce", async () => {
    for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/t/trialacme/login`)).arrayBuffer();
    const body = await until(server.url, "/ops", (b) => table(b, "ops-top-tenants").includes("/t/trialacme"));
    const response = await fetch(`${server.url}/ops`, { headers: { "x-request-id": "<script>x</script>" } });
    const html = await response.text();
    expect(response.headers.get("x-request-id")).not.toContain("<");
    expect(body).toContain("&lt;/title&gt;&lt;script&gt;");
    for (const text of [html, body]) {
      expect(text).not.toContain('<script>alert("ws")');
      expect(text).not.toContain("<svg onload");
      expect(text).not.toMatch(/<[^>]*\son[a-z]+=/i);
      expect(text).not.toContain("javascript:");
      expect(text).not.toMatch(/\sstyle="/);
    }
    const nonce = /script-src 'nonce-([^']+)'/.exec(
      response.headers.get("content-security-policy") ?? "",
    )?.[1];
    expect(nonce).toBeTruthy();
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    for (const tag of html.match(/<(script|style)\b[^>]*>/g) ?? []) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it("lists a 5xx with the caller's plain request id and never a hostile one", async () => {
    const plain = "trial-req:42.a_b";
    const failed = await fetch(`${server.url}/t/trialgone/login`, { headers: { "x-request-id": plain } });
    expect(failed.status).toBe(503);
    const hostile = await fetch(`${server.url}/t/trialgone/login`, {
      headers: { "x-request-id": `"><img src=x onerror=alert(1)>` },
    });
    expect(hostile.status).toBe(503);
    const body = await until(server.url, "/ops/panels", (b) => table(b, "ops-errors").includes(plain));
    const errors = table(body, "ops-errors");
    expect(errors).toContain(plain);
    expect(errors).toContain(hostile.headers.get("x-request-id") as string);
    expect(errors).not.toContain("<img");
  });
});

describe("correctness: the figures match the traffic", () => {
  it("counts a workspace's requests exactly, and the error budget agrees with the error rate shown", async () => {
    const N = 17;
    for (let i = 0; i < N; i++) await (await fetch(`${server.url}/t/counted/login`)).arrayBuffer();
    const body = await until(
      server.url,
      "/ops/panels",
      (b) => rowRequests(b, "ops-top-tenants", "counted") >= N,
    );
    await Bun.sleep(1500);
    const settled = await (await fetch(`${server.url}/ops/panels`)).text();
    expect(rowRequests(body, "ops-top-tenants", "counted")).toBe(N);
    expect(rowRequests(settled, "ops-top-tenants", "counted")).toBe(N);
    const requests = count(figure(settled, "ops-requests-kept"));
    const rate = count(figure(settled, "ops-error-rate-kept")) / 100;
    const budget = count(figure(settled, "ops-budget"));
    expect(requests).toBeGreaterThan(N);
    expect(rate).toBeGreaterThan(0);
    // budget = (1 - rate / 0.001) * 100, to the page's rounding.
    expect(Math.abs(budget - (1 - rate / 0.001) * 100)).toBeLessThan(10);
    expect(budget).toBeLessThan(0);
  });
});

describe("a fresh server: zero traffic, then all errors", () => {
  it("shows 100 % budget and no error rate with no traffic, and an overspent budget (negative) with only 5xx", async () => {
    const fresh = tempDir("crm-trial-ops-fresh-");
    const data = new DataDir(fresh.path);
    const gone = await data.tenant("freshgone");
    data.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(join(fresh.path, gone.file) + suffix, { force: true });
    const s = await startServer({ dataDir: fresh.path, env: { CRM_OPS_SAMPLE_SECONDS: "1" } });
    try {
      const first = await (await fetch(`${s.url}/ops/panels`)).text();
      expect(figure(first, "ops-budget")).toBe("100 %");
      expect(figure(first, "ops-error-rate-kept")).toBe("—");
      expect(figure(first, "ops-error-rate-5m")).toBe("—");
      expect(figure(first, "ops-latency-5m")).toBe("— · — · —");
      expect(first).toContain("No 5xx answers");

      const E = 30;
      for (let i = 0; i < E; i++) expect((await fetch(`${s.url}/t/freshgone/login`)).status).toBe(503);
      const body = await until(s.url, "/ops/panels", (b) => count(figure(b, "ops-requests-kept")) >= E + 1);
      const requests = count(figure(body, "ops-requests-kept"));
      const rate = count(figure(body, "ops-error-rate-kept")) / 100;
      // The views of /ops are the only non-5xx answers.
      expect(rate).toBeGreaterThan(0.5);
      expect(count(figure(body, "ops-budget"))).toBeLessThan(-10_000);
      expect(Number.isFinite(count(figure(body, "ops-budget")))).toBe(true);
      expect(requests).toBeGreaterThanOrEqual(E);
      expect((table(body, "ops-errors").match(/<tr>/g) ?? []).length).toBeGreaterThanOrEqual(E + 1);
    } finally {
      await s.stop();
      fresh.remove();
    }
  }, 30_000);
});

describe("labels", () => {
  it("in a server's first minute the availability figures name the seconds they cover, never '(0 min)' beside non-zero counts", async () => {
    const fresh = tempDir("crm-trial-ops-label-");
    const s = await startServer({ dataDir: fresh.path, env: { CRM_OPS_SAMPLE_SECONDS: "1" } });
    try {
      for (let i = 0; i < 5; i++) await (await fetch(`${s.url}/healthz-not-here`)).arrayBuffer();
      const body = await until(s.url, "/ops/panels", (b) => count(figure(b, "ops-requests-kept")) > 0);
      expect(count(figure(body, "ops-requests-kept"))).toBeGreaterThan(0);
      expect(body).not.toContain("(0 min)");
    } finally {
      await s.stop();
      fresh.remove();
    }
  });
});

describe("load: 2,000 workspaces, rapid polling", () => {
  it("renders /ops over 2,000 workspaces quickly and never holds /healthz long", async () => {
    const big = tempDir("crm-trial-ops-big-");
    const data = new DataDir(big.path);
    const seed = await data.tenant("seed");
    data.close();
    const catalog = Catalog.open(big.path);
    const source = join(big.path, seed.file);
    const rows: (typeof tenants.$inferInsert)[] = [];
    for (let i = 0; i < 2000; i++) {
      const file = join(dirname(seed.file), `load-${i}.db`);
      mkdirSync(dirname(join(big.path, file)), { recursive: true });
      linkSync(source, join(big.path, file));
      rows.push({
        id: crypto.randomUUID(),
        slug: `load-${String(i).padStart(4, "0")}`,
        name: `Load ${i} <b>&</b>`,
        file,
        status: "active" as const,
        createdAt: Date.now(),
      });
    }
    catalog.db.transaction((tx) => {
      for (let i = 0; i < rows.length; i += 200)
        tx.insert(tenants)
          .values(rows.slice(i, i + 200))
          .run();
    });
    catalog.close();
    const s = await startServer({ dataDir: big.path, env: { CRM_OPS_SAMPLE_SECONDS: "1" } });
    try {
      let polling = true;
      const healthz: number[] = [];
      const prober = (async () => {
        while (polling) {
          const t = performance.now();
          await (await fetch(`${s.url}/healthz`)).arrayBuffer();
          healthz.push(performance.now() - t);
          await Bun.sleep(5);
        }
      })();
      const t0 = performance.now();
      const first = await fetch(`${s.url}/ops`);
      const firstBody = await first.text();
      const firstMs = performance.now() - t0;
      expect(first.status).toBe(200);
      expect(figure(firstBody, "ops-disk")).toMatch(/ in 2001$/);
      expect(table(firstBody, "ops-storage")).toContain("&lt;b&gt;&amp;&lt;/b&gt;");

      // Four clients polling the panels as fast as they can, 40 times each.
      const pollTimes: number[] = [];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let i = 0; i < 40; i++) {
            const t = performance.now();
            const r = await fetch(`${s.url}/ops/panels`);
            await r.arrayBuffer();
            expect(r.status).toBe(200);
            pollTimes.push(performance.now() - t);
          }
        }),
      );
      polling = false;
      await prober;
      pollTimes.sort((a, b) => a - b);
      healthz.sort((a, b) => a - b);
      const p95 = (xs: number[]) => xs[Math.floor(xs.length * 0.95)] ?? 0;
      expect(firstMs).toBeLessThan(2000);
      expect(p95(pollTimes)).toBeLessThan(250);
      expect(p95(healthz)).toBeLessThan(150);
      expect(healthz.at(-1) ?? 0).toBeLessThan(500);
    } finally {
      await s.stop();
      big.remove();
    }
  }, 60_000);
});

describe("crm serve --procs 2: a child killed, a supervisor stopped", () => {
  it("never lets the group's counts go backwards when a process is killed, and answers (partial) when the supervisor hangs", async () => {
    const groupDir = tempDir("crm-trial-ops-group-");
    const data = new DataDir(groupDir.path);
    await data.tenant("grp");
    data.close();
    const group = await startServer({
      dataDir: groupDir.path,
      args: ["--procs", "2"],
      env: { CRM_OPS_SAMPLE_SECONDS: "1", CRM_WORKERS: "1" },
    });
    try {
      const { pids } = (await group.waitForLine((l) => l.msg === "group listening")) as { pids: number[] };
      const seen: number[] = [];
      const traffic = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const r = await fetch(`${group.url}/t/grp/login`, { headers: { connection: "close" } }).catch(
            () => undefined,
          );
          await r?.arrayBuffer();
        }
      };
      const look = async () => {
        const r = await fetch(`${group.url}/ops/panels`, { headers: { connection: "close" } });
        const body = await r.text();
        expect(r.status).toBe(200);
        const kept = count(figure(body, "ops-requests-kept"));
        expect(kept).toBeGreaterThanOrEqual(0);
        seen.push(kept);
        return body;
      };
      await traffic(20);
      await Bun.sleep(1200);
      await look();
      process.kill(pids[0] as number, "SIGKILL");
      for (let i = 0; i < 6; i++) {
        await traffic(5);
        await look();
        await Bun.sleep(400);
      }
      for (let i = 1; i < seen.length; i++)
        expect(seen[i] as number).toBeGreaterThanOrEqual(seen[i - 1] as number);
      const grp = rowRequests(await look(), "ops-top-tenants", "grp");
      expect(grp).toBeGreaterThanOrEqual(20);

      // A hung supervisor: the dashboard still answers, soon, saying its figures are partial.
      process.kill(group.pid, "SIGSTOP");
      try {
        const t = performance.now();
        const r = await fetch(`${group.url}/ops/panels`, { signal: AbortSignal.timeout(8000) });
        const body = await r.text();
        const took = performance.now() - t;
        expect(r.status).toBe(200);
        expect(body).toContain("did not answer in time");
        expect(took).toBeLessThan(4000);
      } finally {
        process.kill(group.pid, "SIGCONT");
      }
      await Bun.sleep(1500);
      const after = await look();
      expect(after).not.toContain("did not answer in time");
      expect(count(figure(after, "ops-requests-kept"))).toBeGreaterThanOrEqual(
        Math.max(...seen.slice(0, -1)),
      );
    } finally {
      await group.stop();
      groupDir.remove();
    }
  }, 60_000);
});

describe("crm serve --procs 2: the supervisor hung", () => {
  it("with --procs and a hung supervisor, the 'partial' dashboard shows the serving process's own figures (its requests, its 5xx, its error rate), as its banner says", async () => {
    const groupDir = tempDir("crm-trial-ops-partial-");
    const data = new DataDir(groupDir.path);
    const gone = await data.tenant("pgone");
    data.close();
    for (const suffix of ["", "-wal", "-shm"])
      rmSync(join(groupDir.path, gone.file) + suffix, { force: true });
    const group = await startServer({
      dataDir: groupDir.path,
      args: ["--procs", "2"],
      env: { CRM_OPS_SAMPLE_SECONDS: "1", CRM_WORKERS: "1" },
    });
    try {
      await group.waitForLine((l) => l.msg === "group listening");
      // One keep-alive connection: every request reaches the same process.
      for (let i = 0; i < 20; i++) expect((await fetch(`${group.url}/t/pgone/login`)).status).toBe(503);
      await Bun.sleep(1500);
      const whole = await (await fetch(`${group.url}/ops/panels`)).text();
      expect(count(figure(whole, "ops-requests-kept"))).toBeGreaterThanOrEqual(20);
      process.kill(group.pid, "SIGSTOP");
      let body = "";
      try {
        body = await (await fetch(`${group.url}/ops/panels`, { signal: AbortSignal.timeout(8000) })).text();
      } finally {
        process.kill(group.pid, "SIGCONT");
      }
      expect(body).toContain("did not answer in time");
      expect(table(body, "ops-errors")).toContain(">503<");
      // The banner says "these figures are one process's": this process answered >= 20 requests, all 5xx.
      expect(count(figure(body, "ops-requests-kept"))).toBeGreaterThanOrEqual(20);
      expect(figure(body, "ops-budget")).not.toBe("100 %");
    } finally {
      await group.stop();
      groupDir.remove();
    }
  }, 60_000);
});

describe("crm operators: a careless operator at the shell", () => {
  it("refuses bad input with a usage error (exit 2) and says why", async () => {
    const cases: [string[], string | undefined, string][] = [
      [["add", "not-an-email", "--password-stdin"], "long enough password\n", "is not an email address"],
      [["add", "<script>@x.test", "--password-stdin"], "long enough password\n", "is not an email address"],
      [["add", "new-op@host.test", "--password-stdin"], "", "10–200 characters (got 0)"],
      [["add", "new-op@host.test", "--password-stdin"], "\n", "10–200 characters (got 0)"],
      [["add", "new-op@host.test", "--password-stdin"], "short\n", "10–200 characters"],
      [["add", "new-op@host.test", "--password-stdin"], `${"x".repeat(201)}\n`, "10–200 characters"],
      [["add", "new-op@host.test", "--password-stdin"], undefined, "10–200 characters (got 0)"],
      [["add", "new-op@host.test"], "long enough password\n", "--password-stdin is required"],
      [["add", "--password-stdin"], "long enough password\n", "expected 1 argument"],
      [["remove", "nobody@host.test"], undefined, "no operator nobody@host.test"],
      [["remove", "not an email"], undefined, "is not an email address"],
    ];
    for (const [args, stdin, says] of cases) {
      const result = await operators(args, stdin);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toContain(says);
      expect(result.stdout).not.toContain("added");
    }
    expect((await operators(["list"])).stdout).not.toContain("new-op@host.test");
  }, 30_000);

  it("re-adding an existing operator (any case) sets the new password and signs them out", async () => {
    const email = "again-op@host.test";
    const headers = { "x-forwarded-for": "203.0.113.60" };
    expect((await operators(["add", email, "--password-stdin"], "first password one\n")).code).toBe(0);
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", headers);
    expect(
      (await browser.post("/ops/login", { email, password: "first password one" }, headers)).status,
    ).toBe(303);
    expect((await browser.get("/ops", headers)).status).toBe(200);
    const again = await operators(
      ["add", "AGAIN-op@host.test", "--password-stdin"],
      "second password two\r\n",
    );
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("updated");
    expect((await browser.get("/ops", headers)).status).toBe(403);
    const listed = (await operators(["list"])).stdout;
    expect(listed.match(/again-op@host\.test/gi)?.length).toBe(1);
    await browser.get("/ops/login", headers);
    expect(
      (await browser.post("/ops/login", { email, password: "first password one" }, headers)).status,
    ).toBe(401);
    await browser.get("/ops/login", headers);
    expect(
      (await browser.post("/ops/login", { email, password: "second password two" }, headers)).status,
    ).toBe(303);
  }, 30_000);

  it("`crm operators list` on a host with no workspaces yet says there are no operators (exit 0) and creates nothing", async () => {
    const empty = tempDir("crm-trial-ops-empty-");
    try {
      const listed = await operators(["list"], undefined, empty.path);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain("no operators");
      expect(readdirSync(empty.path)).toEqual([]);
    } finally {
      empty.remove();
    }
  });

  it("adds an operator on a host with no workspaces (the first thing a new host does)", async () => {
    const empty = tempDir("crm-trial-ops-empty2-");
    try {
      const added = await operators(
        ["add", "first@host.test", "--password-stdin"],
        "first host password\n",
        empty.path,
      );
      expect(added.code).toBe(0);
      const listed = await operators(["list"], undefined, empty.path);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toContain("first@host.test");
      const removed = await operators(["remove", "first@host.test"], undefined, empty.path);
      expect(removed.code).toBe(0);
      const none = await operators(["list"], undefined, empty.path);
      expect(none.stdout).toContain("no operators");
    } finally {
      empty.remove();
    }
  }, 30_000);
});
