import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eq } from "drizzle-orm";
import { tenants } from "../src/tenancy/catalog-schema.ts";
import { BrowserClient } from "./support/browser-client.ts";
import { FAST_HASHING, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { DataDir, signIn } from "./support/workspace.ts";

/**
 * README, "Operations dashboard (/ops)": the host's operators (the loopback, the bearer token,
 * or an operator signed in at /ops/login) see live figures of the whole host; anyone else,
 * a workspace's owner included, gets 403 and none of them.
 */
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const TOKEN = "ops-token-0123456789abcdef0123456789abcdef";
const HOSTILE = `<img src=x onerror="alert(1)">Acme`;
const OPERATOR = "op@host.test";
const OPERATOR_PASSWORD = "operator password 1";
const OUTSIDE = { "x-forwarded-for": "203.0.113.9" };

const dir = tempDir("crm-ops-");
let server: TestServer;

/** `crm operators …` over the test's data directory, with `stdin` piped in. */
async function operators(args: string[], stdin = "") {
  const proc = Bun.spawn([process.execPath, CLI, "operators", ...args, "--data", dir.path], {
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

/** Polls `path` from the loopback until `done` holds of its body (the sampler ticks every second). */
async function until(base: string, path: string, done: (body: string) => boolean): Promise<string> {
  let body = "";
  for (let i = 0; i < 50; i++) {
    body = await (await fetch(`${base}${path}`)).text();
    if (done(body)) return body;
    await Bun.sleep(200);
  }
  return body;
}

/** The text of the dashboard table with `id`. */
const table = (body: string, id: string) =>
  body.match(new RegExp(`<table class="ops-table" id="${id}">[\\s\\S]*?</table>`))?.[0] ?? "";

/** Asks for `path` and expects 403, not stored, none of the dashboard in it, and the way to sign in. */
const refused = async (path: string, headers: Record<string, string>) => {
  const response = await fetch(`${server.url}${path}`, { headers });
  const body = await response.text();
  expect(response.status).toBe(403);
  expect(response.headers.get("cache-control")).toBe("no-store");
  for (const leak of ["ops-top-tenants", "acme", "gone", "<svg", "Error budget"])
    expect(body).not.toContain(leak);
  expect(body).toContain('href="/ops/login"');
};

beforeAll(async () => {
  const data = new DataDir(dir.path);
  const acme = await data.tenant("acme");
  data.catalog.db.update(tenants).set({ name: HOSTILE }).where(eq(tenants.id, acme.id)).run();
  const gone = await data.tenant("gone");
  data.close();
  // A workspace whose file is gone answers 503 (a real 5xx, the one this server can be made to give).
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir.path, gone.file) + suffix, { force: true });
  const added = await operators(["add", OPERATOR, "--password-stdin"], `${OPERATOR_PASSWORD}\n`);
  expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining(`added operator ${OPERATOR}`) });
  server = await startServer({
    dataDir: dir.path,
    env: { CRM_TRUST_PROXY: "true", CRM_METRICS_TOKEN: TOKEN, CRM_OPS_SAMPLE_SECONDS: "1" },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  dir.remove();
});

describe("the ops dashboard, from the host's loopback", () => {
  it("shows the traffic the test made: the workspace in top workspaces (escaped), its route, and a 5xx with its request id", async () => {
    for (let i = 0; i < 12; i++) expect((await fetch(`${server.url}/t/acme/login`)).status).toBe(200);
    const failed = await fetch(`${server.url}/t/gone/login`);
    expect(failed.status).toBe(503);
    const requestId = failed.headers.get("x-request-id") as string;
    expect(requestId).toBeTruthy();

    const body = await until(
      server.url,
      "/ops/panels",
      (b) => b.includes(requestId) && b.includes("/t/acme"),
    );
    const top = table(body, "ops-top-tenants");
    expect(top).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Acme");
    expect(top).not.toContain("<img");
    const acmeRow = top.split("<tr>").find((row) => row.includes("/t/acme")) ?? "";
    expect(Number(/<td class="num">(\d+)<\/td>/.exec(acmeRow)?.[1])).toBeGreaterThanOrEqual(12);
    expect(table(body, "ops-routes")).toContain("GET /t/:tenant/login");
    const errors = table(body, "ops-errors");
    expect(errors).toContain(requestId);
    expect(errors).toContain(">503<");
    expect(errors).toContain("gone");
    expect(table(body, "ops-storage")).toContain("/t/acme");

    const page = await fetch(`${server.url}/ops`);
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html.match(/<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="chart"/g)?.length).toBe(5);
    for (const title of [
      "Response time (ms)",
      "Throughput (requests/s)",
      "CPU (% of one core)",
      "Memory (RSS, MB)",
    ])
      expect(html).toContain(title);
    expect(html).toMatch(/Error budget left \(SLO 99\.9 %, \d+ (s|min)\)/);
    expect(html).toMatch(/id="ops-error-rate-5m">[\d.]+ %</);
    // htmx polls the panels with the page's nonce (hx-csp acts only on elements carrying it).
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")?.[1];
    expect(html).toContain(
      `hx-get="/ops/panels" hx-trigger="every 1s" hx-swap="innerHTML" hx-nonce="${nonce}"`,
    );
  });

  it("answers the panels fragment to htmx: the figures alone, no page around them, not stored", async () => {
    const response = await fetch(`${server.url}/ops/panels`, { headers: { "hx-request": "true" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.text();
    expect(body).toContain('id="ops-availability-h"');
    expect(body).not.toContain("<html");
  });
});

describe("who may see it", () => {
  it("refuses a client off the host without a credential, and a wrong token even from the loopback", async () => {
    for (const path of ["/ops", "/ops/panels"]) {
      await refused(path, OUTSIDE);
      await refused(path, { ...OUTSIDE, authorization: "Bearer wrong-token-0123456789abcdef0123456789" });
      await refused(path, { authorization: `Bearer ${TOKEN}x` });
      // A client's own X-Forwarded-For claim of the loopback is not the proxy's word.
      await refused(path, { "x-forwarded-for": "127.0.0.1, 203.0.113.9" });
    }
  });

  it("lets the operator's bearer token in from anywhere", async () => {
    const response = await fetch(`${server.url}/ops`, {
      headers: { ...OUTSIDE, authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("ops-top-tenants");
  });

  it("gives a workspace owner's session nothing", async () => {
    const owner = await signIn(server.url, "acme", "owner@acme.test");
    const session = owner.cookie("crm_session") as string;
    expect(session).toBeTruthy();
    await refused("/ops", { ...OUTSIDE, cookie: `crm_session=${session}` });
    await refused("/ops", { ...OUTSIDE, cookie: `crm_ops_session=${session}` });
  });
});

describe("operators signing in (crm operators add)", () => {
  it("signs an operator in from off the host with a cookie of /ops alone, rotated at each sign-in", async () => {
    const browser = new BrowserClient(server.url);
    const form = await browser.get("/ops/login", OUTSIDE);
    expect(form.status).toBe(200);
    expect(form.headers.get("cache-control")).toBe("no-store");

    const wrong = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: "not the password" },
      OUTSIDE,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain("The email or password is incorrect.");
    expect(wrong.text).not.toContain("ops-top-tenants");
    expect(wrong.text).not.toContain("not the password");
    expect(wrong.headers.get("set-cookie") ?? "").not.toContain("crm_ops_session");

    const signedIn = await browser.post(
      "/ops/login",
      { email: "OP@host.test", password: OPERATOR_PASSWORD },
      OUTSIDE,
    );
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/ops");
    const cookie = signedIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/crm_ops_session=[^;]+; Max-Age=43200; Path=\/ops; HttpOnly; SameSite=Lax/);
    const first = browser.cookie("crm_ops_session") as string;
    const dashboard = await browser.get("/ops", OUTSIDE);
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain(`Viewing as ${OPERATOR}`);
    expect(dashboard.text).toContain("ops-top-tenants");

    // Signing in again gives a new session and ends the one the browser came with.
    await browser.post("/ops/login", { email: OPERATOR, password: OPERATOR_PASSWORD }, OUTSIDE);
    expect(browser.cookie("crm_ops_session")).not.toBe(first);
    await refused("/ops", { ...OUTSIDE, cookie: `crm_ops_session=${first}` });
    expect((await browser.get("/ops/panels", OUTSIDE)).status).toBe(200);

    // Signing out ends it.
    const out = await browser.post("/ops/logout", {}, OUTSIDE);
    expect(out.status).toBe(303);
    expect((await browser.get("/ops", OUTSIDE)).status).toBe(403);
  });

  it("refuses a sign-in without the form's CSRF token", async () => {
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", OUTSIDE);
    const response = await browser.postRaw(
      "/ops/login",
      [
        ["email", OPERATOR],
        ["password", OPERATOR_PASSWORD],
      ],
      OUTSIDE,
    );
    expect(response.status).toBe(403);
    expect(response.headers.get("set-cookie") ?? "").not.toContain("crm_ops_session");
  });

  it("throttles guessing like a workspace's sign-in: after 5 wrong passwords from one address, 429 even for the right one", async () => {
    const guesser = { "x-forwarded-for": "198.51.100.7" };
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", guesser);
    for (let i = 0; i < 5; i++)
      expect(
        (await browser.post("/ops/login", { email: OPERATOR, password: `guess number ${i}` }, guesser))
          .status,
      ).toBe(401);
    const throttled = await browser.post(
      "/ops/login",
      { email: OPERATOR, password: OPERATOR_PASSWORD },
      guesser,
    );
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(throttled.headers.get("set-cookie") ?? "").not.toContain("crm_ops_session");
  });

  it("lists and removes operators; a removed operator's session ends", async () => {
    const browser = new BrowserClient(server.url);
    await browser.get("/ops/login", OUTSIDE);
    await browser.post("/ops/login", { email: OPERATOR, password: OPERATOR_PASSWORD }, OUTSIDE);
    expect((await browser.get("/ops", OUTSIDE)).status).toBe(200);
    expect((await operators(["list"])).stdout).toContain(OPERATOR);
    expect(await operators(["add", "other@host.test"])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--password-stdin is required"),
    });
    expect(await operators(["add", "other@host.test", "--password-stdin"], "short\n")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("10–200 characters"),
    });
    expect((await operators(["remove", OPERATOR])).code).toBe(0);
    expect((await browser.get("/ops", OUTSIDE)).status).toBe(403);
    expect(await operators(["remove", OPERATOR])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("no operator"),
    });
  });
});

describe("crm serve --procs 2", () => {
  it("shows the group's requests: the sum over both processes, kept by the supervisor", async () => {
    const groupDir = tempDir("crm-ops-group-");
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
      // Connections closed after each request land on either process.
      const N = 40;
      const answers = await Promise.all(
        Array.from({ length: N }, () =>
          fetch(`${group.url}/t/grp/login`, { headers: { connection: "close" } }),
        ),
      );
      for (const a of answers) await a.arrayBuffer();
      expect(answers.every((a) => a.status === 200)).toBe(true);
      // Log lines reach stdout in batches (within 100 ms in each process, then the supervisor's).
      const answeredBy = () =>
        new Set(
          group.lines
            .filter((l) => l.includes('"msg":"request"') && l.includes('"route":"/t/:tenant/login"'))
            .map((l) => (JSON.parse(l) as { pid: number }).pid),
        );
      for (let waited = 0; answeredBy().size < pids.length && waited < 5_000; waited += 50)
        await Bun.sleep(50);
      expect([...answeredBy()].sort()).toEqual([...pids].sort());

      const grpRequests = (body: string) => {
        const row = table(body, "ops-top-tenants")
          .split("<tr>")
          .find((r) => r.includes("/t/grp"));
        return Number(/<td class="num">(\d+)<\/td>/.exec(row ?? "")?.[1] ?? 0);
      };
      const body = await until(group.url, "/ops/panels", (b) => grpRequests(b) >= N);
      expect(grpRequests(body)).toBe(N);
      expect(body).toContain('id="ops-processes">2<');
      expect(body).not.toContain("did not answer in time");
    } finally {
      await group.stop();
      groupDir.remove();
    }
  }, 60_000);
});
