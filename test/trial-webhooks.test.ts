import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { BrowserClient } from "./support/browser-client.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { startReceiver, verifySignature, WEBHOOK_TEST_ENV } from "./support/webhook-receiver.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

// A hostile trial of webhooks (issue 12, deliverable 5): a tenant admin choosing targets the
// server must not reach, and receivers that fail, hang, or go away, against the real server.
// Defects found were `it.skip("DEFECT: …")`; each is fixed now and its test named for the promise it keeps.

const dir = tempDir();
let data: DataDir;
/** The operator's defaults: no private targets, no plain http. */
let strict: TestServer;
/** Loopback receivers allowed (as test/webhooks.test.ts). */
let open: TestServer;
const receivers: ReturnType<typeof startReceiver>[] = [];

function receiver(answer?: Parameters<typeof startReceiver>[0]) {
  const r = startReceiver(answer);
  receivers.push(r);
  return r;
}

beforeAll(async () => {
  data = new DataDir(dir.path);
  await data.tenant("strict-co");
  strict = await startServer({
    dataDir: dir.path,
    env: { CRM_WEBHOOKS_POLL_MS: "50", CRM_WEBHOOKS_TIMEOUT_MS: "1000" },
  });
});

afterAll(async () => {
  await strict?.stop();
  await open?.stop();
  for (const r of receivers) r.stop();
  data.close();
  dir.remove();
});

async function openServer() {
  if (!open) {
    // The strict server delivers too: only one delivering server over a data dir at a time.
    await strict.stop();
    open = await startServer({ dataDir: dir.path, env: WEBHOOK_TEST_ENV });
  }
  return open;
}

async function workspace(server: TestServer, slug: string, role: "owner" | "admin" | "member" = "admin") {
  await data.tenant(slug, `owner@${slug}.test`);
  return api(server.url, await data.apiKey(slug, role));
}

type Call = ReturnType<typeof api>;

async function subscribe(call: Call, slug: string, url: string, events: string[] = ["*"]) {
  const made = await call("POST", `/t/${slug}/webhooks`, { url, events });
  expect(made.status).toBe(201);
  return made.json as { id: number; secret: string };
}

async function contact(call: Call, slug: string, firstName: string): Promise<string> {
  const made = await call("POST", `/t/${slug}/contacts`, { firstName, lastName: "Trial" });
  expect(made.status).toBe(201);
  return String(made.json.id);
}

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms`);
    await Bun.sleep(25);
  }
}

/** /healthz round trips (ms, sorted) for `ms`: how long the server's event loop keeps a probe waiting. */
async function healthTimes(base: string, ms: number): Promise<number[]> {
  const times: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const started = performance.now();
    await (await fetch(`${base}/healthz`)).text();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

describe("targets a hostile admin picks (operator defaults)", () => {
  it("refuses user-info tricks, trailing dots and odd spellings of loopback, writing nothing", async () => {
    const call = api(strict.url, await data.apiKey("strict-co", "admin"));
    for (const url of [
      "https://evil@127.0.0.1/",
      "https://example.com@127.0.0.1/",
      "https://user:pw@93.184.215.14/",
      "https://127.0.0.1./",
      "https://localhost./",
      "https://LOCALHOST/",
      "https://0x7f000001/",
      "https://017700000001/",
      "https://127.0.0.255/",
      "https://[::127.0.0.1]/",
      "https://[::ffff:0:127.0.0.1]/",
      "https://[2002:7f00:1::]/",
      "https://[2002:a9fe:a9fe::]/",
      "https://[0::ffff:169.254.169.254]/",
      "https://[fec0::1]/",
      "https://255.255.255.255/",
      "https://198.18.0.1/",
      "https://example.com:65536/",
      "http://93.184.215.14/",
      "https://[fe80::1%25eth0]/",
      "javascript:alert(1)//https://x",
      " https://127.0.0.1/",
    ]) {
      const answer = await call("POST", "/t/strict-co/webhooks", { url, events: ["*"] });
      expect({ url, status: answer.status }).toEqual({ url, status: 422 });
      expect(answer.headers.get("content-type")).toContain("application/problem+json");
      expect(answer.json.errors?.map((e: { field: string }) => e.field)).toEqual(["url"]);
    }
    expect((await call("GET", "/t/strict-co/webhooks")).json.data).toEqual([]);
  });

  it("refuses the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) by the IPv4 address inside, like 64:ff9b::/96", async () => {
    const call = api(strict.url, await data.apiKey("strict-co", "admin"));
    for (const url of ["https://[64:ff9b:1::a9fe:a9fe]/", "https://[64:ff9b:1::7f00:1]/"]) {
      const answer = await call("POST", "/t/strict-co/webhooks", { url, events: ["*"] });
      expect({ url, status: answer.status }).toEqual({ url, status: 422 });
    }
  });

  it("refuses port 0 with a 422 naming url", async () => {
    const call = api(strict.url, await data.apiKey("strict-co", "admin"));
    const answer = await call("POST", "/t/strict-co/webhooks", {
      url: "https://93.184.215.14:0/",
      events: ["*"],
    });
    expect(answer.status).toBe(422);
    expect(answer.headers.get("content-type")).toContain("application/problem+json");
    expect(answer.json.errors?.map((e: { field: string }) => e.field)).toEqual(["url"]);
    expect((await call("GET", "/t/strict-co/webhooks")).json.data).toEqual([]);
  });
});

describe("receivers that misbehave (loopback allowed)", () => {
  it("an https URL to a plain-http receiver fails fast with a TLS error logged, and the secret is never shown again", async () => {
    const server = await openServer();
    const call = await workspace(server, "tls-co");
    const rx = receiver();
    const sub = await subscribe(call, "tls-co", `https://127.0.0.1:${rx.port}/tls`);
    await contact(call, "tls-co", "Tls");
    let log: { ok: boolean; error: string; durationMs: number }[] = [];
    await until(async () => {
      log = (await call("GET", `/t/tls-co/webhooks/${sub.id}/deliveries`)).json.data;
      return log.length >= 1;
    });
    expect(log[0]?.ok).toBe(false);
    expect(log[0]?.durationMs).toBeLessThan(1000);
    expect(log[0]?.error).toBeTruthy();
    // No secret in any later answer: the one, the list, the log.
    for (const path of [
      `/t/tls-co/webhooks/${sub.id}`,
      "/t/tls-co/webhooks",
      `/t/tls-co/webhooks/${sub.id}/deliveries`,
    ]) {
      const answer = await call("GET", path);
      expect(answer.status).toBe(200);
      expect(answer.text).not.toContain(sub.secret);
      expect(answer.text).not.toContain("whsec_");
    }
    expect(server.stderr()).not.toContain(sub.secret);
    expect(server.lines.join("\n")).not.toContain(sub.secret);
  });

  it("after a rotation, the next delivery verifies with the new secret and not with the old one", async () => {
    const server = await openServer();
    const call = await workspace(server, "rotate-co");
    const rx = receiver();
    const sub = await subscribe(call, "rotate-co", `${rx.url}/rot`);
    await contact(call, "rotate-co", "Before");
    await rx.until(() => rx.received.length >= 1);
    const rotated = await call("POST", `/t/rotate-co/webhooks/${sub.id}/secret`);
    expect(rotated.status).toBe(200);
    const fresh = rotated.json.secret as string;
    expect(fresh).not.toBe(sub.secret);
    await contact(call, "rotate-co", "After");
    await rx.until(() => rx.received.length >= 2);
    const [before, after] = rx.received;
    expect(verifySignature(sub.secret, before?.signature ?? "", before?.body ?? "")).toBe(true);
    expect(verifySignature(fresh, after?.signature ?? "", after?.body ?? "")).toBe(true);
    expect(verifySignature(sub.secret, after?.signature ?? "", after?.body ?? "")).toBe(false);
    // A signature is bound to its t: replayed with another t (or later than the tolerance) it fails.
    const t = Number(/t=(\d+)/.exec(after?.signature ?? "")?.[1]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
    const v1 = /v1=([0-9a-f]+)/.exec(after?.signature ?? "")?.[1];
    expect(verifySignature(fresh, `t=${t + 1},v1=${v1}`, after?.body ?? "")).toBe(false);
    expect(verifySignature(fresh, after?.signature ?? "", after?.body ?? "", 300, t + 301)).toBe(false);
  });

  it("deleting a subscription while its delivery hangs sends nothing more and logs nothing for it", async () => {
    const server = await openServer();
    const call = await workspace(server, "gone-co");
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rx = receiver(async () => {
      await held;
      return new Response("late");
    });
    const sub = await subscribe(call, "gone-co", `${rx.url}/gone`);
    await contact(call, "gone-co", "One");
    await contact(call, "gone-co", "Two");
    await rx.until(() => rx.received.length >= 1);
    expect((await call("DELETE", `/t/gone-co/webhooks/${sub.id}`)).status).toBe(204);
    release();
    await Bun.sleep(600);
    expect(rx.received).toHaveLength(1);
    expect((await call("GET", `/t/gone-co/webhooks/${sub.id}`)).status).toBe(404);
    const rows = await data.shards.use(
      data.get("gone-co"),
      (s) => (s.statement("SELECT count(*) AS n FROM webhook_deliveries").get() as { n: number }).n,
    );
    expect(rows).toBe(0);
  });

  it("a restart mid-retry resumes where it stopped: every change arrives, in order, none lost", async () => {
    await openServer();
    const call = await workspace(open, "restart-co");
    let failing = true;
    const rx = receiver(() => (failing ? new Response("down", { status: 503 }) : new Response("ok")));
    await subscribe(call, "restart-co", `${rx.url}/r`);
    const made = [await contact(call, "restart-co", "A"), await contact(call, "restart-co", "B")];
    await rx.until(() => rx.received.length >= 2);
    await open.stop();
    open = await startServer({ dataDir: dir.path, env: WEBHOOK_TEST_ENV });
    const again = api(open.url, await data.apiKey("restart-co", "admin"));
    made.push(await contact(again, "restart-co", "C"));
    failing = false;
    const delivered = () => rx.received.filter((r) => r.at >= cameBack);
    const cameBack = Date.now();
    // The held-back change is retried after the restart; the later ones follow it.
    await rx.until(() => new Set(delivered().map((r) => r.eventId)).size >= 3, 15_000);
    await Bun.sleep(300);
    const firstSeen: string[] = [];
    for (const r of delivered()) if (!firstSeen.includes(r.eventId)) firstSeen.push(r.eventId);
    expect(firstSeen).toHaveLength(3);
    expect([...firstSeen].sort((a, b) => Number(a) - Number(b))).toEqual(firstSeen);
    // At least once, not more: after the receiver came back each change arrived exactly once.
    expect(delivered()).toHaveLength(3);
    expect(made).toHaveLength(3);
  });

  it("changing the URL of a failing webhook starts its retries afresh: failures 0, no retry wait, the held-back change goes to the new URL", async () => {
    const server = await openServer();
    const call = await workspace(server, "fix-co");
    const broken = receiver(() => new Response("down", { status: 500 }));
    const fixed = receiver();
    const sub = await subscribe(call, "fix-co", `${broken.url}/old`);
    await contact(call, "fix-co", "Held");
    await until(async () => (await call("GET", `/t/fix-co/webhooks/${sub.id}`)).json.failures >= 1);
    const patched = await call("PATCH", `/t/fix-co/webhooks/${sub.id}`, { url: `${fixed.url}/new` });
    expect(patched.status).toBe(200);
    expect({ failures: patched.json.failures, nextAttemptAt: patched.json.nextAttemptAt }).toEqual({
      failures: 0,
      nextAttemptAt: null,
    });
    await fixed.until(() => fixed.received.length >= 1, 5000);
    expect((await call("GET", `/t/fix-co/webhooks/${sub.id}`)).json.enabled).toBe(true);
  });

  it("a receiver that answers 200 only after the timeout gets the same event again (same CRM-Event-Id, next attempt), and the later change only after it", async () => {
    const server = await openServer();
    const call = await workspace(server, "late-co");
    let calls = 0;
    // The first answer comes after the 1 s timeout (the receiver handled it, the CRM cannot know).
    const rx = receiver(async () => {
      calls++;
      if (calls === 1) await Bun.sleep(1300);
      return new Response("ok");
    });
    await subscribe(call, "late-co", `${rx.url}/late`);
    await contact(call, "late-co", "First");
    await contact(call, "late-co", "Second");
    await rx.until(() => rx.received.length >= 3);
    await Bun.sleep(300);
    const [a, b, c] = rx.received;
    expect(rx.received).toHaveLength(3);
    expect([a?.eventId, a?.attempt]).toEqual([b?.eventId ?? "", 1]);
    expect(b?.attempt).toBe(2);
    expect(Number(c?.eventId)).toBeGreaterThan(Number(a?.eventId));
    expect(c?.attempt).toBe(1);
  });

  it("one workspace's admin key reaches nothing of another's webhooks, whatever the id", async () => {
    const server = await openServer();
    const mine = await workspace(server, "tenant-a");
    const theirs = await workspace(server, "tenant-b");
    const rx = receiver();
    const their = await subscribe(theirs, "tenant-b", `${rx.url}/b`);
    const own = await subscribe(mine, "tenant-a", `${rx.url}/a`);
    for (const [method, path, body] of [
      ["GET", "/t/tenant-b/webhooks", undefined],
      ["GET", `/t/tenant-b/webhooks/${their.id}`, undefined],
      ["GET", `/t/tenant-b/webhooks/${their.id}/deliveries`, undefined],
      ["PATCH", `/t/tenant-b/webhooks/${their.id}`, { url: `${rx.url}/stolen` }],
      ["POST", `/t/tenant-b/webhooks/${their.id}/secret`, undefined],
      ["DELETE", `/t/tenant-b/webhooks/${their.id}`, undefined],
      ["POST", "/t/tenant-b/webhooks", { url: `${rx.url}/spy`, events: ["*"] }],
    ] as const) {
      const answer = await mine(method, path, body);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 401 });
      expect(answer.text).not.toContain("whsec_");
    }
    // Ids are per workspace: the same number in mine is my own subscription or a 404.
    const same = await mine("GET", `/t/tenant-a/webhooks/${their.id}`);
    expect(same.status === 404 || same.json.url === `${rx.url}/a`).toBe(true);
    expect((await theirs("GET", `/t/tenant-b/webhooks/${their.id}`)).json.url).toBe(`${rx.url}/b`);
    expect(own.id).toBeGreaterThan(0);
    // A change in B reaches only B's receiver path.
    await contact(theirs, "tenant-b", "OnlyB");
    await rx.until(() => rx.received.length >= 1);
    await Bun.sleep(200);
    expect(rx.received.map((r) => r.path)).toEqual(["/b"]);
  });

  it("the Settings form echoes a hostile URL escaped (no markup injected) and writes nothing", async () => {
    const server = await openServer();
    await data.tenant("xss-co", "owner@xss-co.test");
    const owner: BrowserClient = await signIn(server.url, "xss-co", "owner@xss-co.test");
    const tab = "/t/xss-co/settings/webhooks";
    await owner.get(tab);
    const evil = `https://x.test/"><script>alert(1)</script><img src=x onerror=alert(2)>`;
    const answer = await owner.post(tab, { url: evil, events: `*"><svg onload=alert(3)>` });
    expect(answer.status).toBe(422);
    expect(answer.text).not.toContain("<script>alert(1)");
    expect(answer.text).not.toContain("<img src=x");
    expect(answer.text).not.toContain("<svg onload");
    const count = await data.shards.use(
      data.get("xss-co"),
      (s) => (s.statement("SELECT count(*) AS n FROM webhook_subscriptions").get() as { n: number }).n,
    );
    expect(count).toBe(0);
  });

  it("one workspace's 20 subscriptions catching up on a backlog they do not listen to keep the event loop free (a pass yields between subscriptions): /healthz does not wait", async () => {
    const server = await openServer();
    const call = await workspace(server, "busy-co");
    const rx = receiver();
    const subs: number[] = [];
    for (let i = 0; i < 20; i++)
      subs.push((await subscribe(call, "busy-co", `${rx.url}/b${i}`, ["deal.stage_changed"])).id);
    for (const id of subs)
      expect((await call("PATCH", `/t/busy-co/webhooks/${id}`, { enabled: false })).status).toBe(200);
    for (let b = 0; b < 40; b++) {
      const items = Array.from({ length: 100 }, (_, i) => ({ firstName: `B${b}-${i}`, lastName: "Busy" }));
      const batch = await call("POST", "/t/busy-co/contacts/batch", { mode: "create", items });
      expect(batch.status).toBe(200);
    }
    // The same probe with nothing to deliver first (a reference from this run, this machine).
    const idle = await healthTimes(server.url, 1500);
    await Promise.all(subs.map((id) => call("PATCH", `/t/busy-co/webhooks/${id}`, { enabled: true })));
    const busy = await healthTimes(server.url, 1500);
    // Probes kept waiting over 40 ms: a few from a shared machine's noise, many if a pass holds the loop.
    const slow = (times: number[]) => times.filter((t) => t > 40).length;
    expect(slow(busy)).toBeLessThanOrEqual(slow(idle) + 2);
    expect(rx.received).toHaveLength(0);
  });
});

describe("fairness between workspaces (a host of 8 slots)", () => {
  const fairDir = tempDir();
  let fair: DataDir;
  let host: TestServer;

  beforeAll(async () => {
    fair = new DataDir(fairDir.path);
    host = await startServer({
      dataDir: fairDir.path,
      env: { ...WEBHOOK_TEST_ENV, CRM_WEBHOOKS_CONCURRENCY: "8", CRM_WEBHOOKS_TIMEOUT_MS: "2000" },
    });
  });

  afterAll(async () => {
    await host.stop();
    fair.close();
    fairDir.remove();
  });

  it("a third workspace's change gets the next free slot while two others' backlogs keep all 8 busy: freed slots go round robin across waiting workspaces", async () => {
    const slow = receiver(async () => {
      await Bun.sleep(700);
      return new Response("ok");
    });
    for (const slug of ["hog-a", "hog-b"]) {
      await fair.tenant(slug, `owner@${slug}.test`);
      const call = api(host.url, await fair.apiKey(slug, "admin"));
      for (let i = 0; i < 4; i++) await subscribe(call, slug, `${slow.url}/${slug}/${i}`);
      const items = Array.from({ length: 15 }, (_, i) => ({ firstName: `H${i}`, lastName: "Hog" }));
      expect((await call("POST", `/t/${slug}/contacts/batch`, { mode: "create", items })).status).toBe(200);
    }
    await until(() => slow.received.length >= 8);
    await fair.tenant("victim-co", "owner@victim-co.test");
    const victim = api(host.url, await fair.apiKey("victim-co", "admin"));
    const rx = receiver();
    await subscribe(victim, "victim-co", `${rx.url}/victim`);
    // 8 slots each freed every ~0.7 s: a fair host gives one to the victim within about two slow
    // answers; the hogs' backlog (2 × 4 × 15 deliveries of 0.7 s) takes ~10 s.
    const waits: number[] = [];
    for (let n = 1; n <= 3; n++) {
      const sent = Date.now();
      await contact(victim, "victim-co", `Waiting ${n}`);
      await rx.until(() => rx.received.length >= n, 20_000);
      waits.push(Date.now() - sent);
    }
    expect({ waits, slowest: Math.max(...waits) < 1500 }).toEqual({ waits, slowest: true });
    expect(slow.received.length).toBeLessThan(8 * 15);
  });

  it("a receiver that accepts the connection and never answers: the attempt ends at the timeout, logged with its duration", async () => {
    await fair.tenant("hang-co", "owner@hang-co.test");
    const call = api(host.url, await fair.apiKey("hang-co", "admin"));
    const hang = receiver(() => new Promise<Response>(() => {}));
    const sub = await subscribe(call, "hang-co", `${hang.url}/hang`);
    await contact(call, "hang-co", "Hang");
    let log: { ok: boolean; error: string; durationMs: number }[] = [];
    await until(async () => {
      log = (await call("GET", `/t/hang-co/webhooks/${sub.id}/deliveries`)).json.data;
      return log.length >= 1;
    }, 8000);
    expect(log[0]?.ok).toBe(false);
    expect(log[0]?.error).toContain("no answer within 2000 ms");
    expect(log[0]?.durationMs).toBeGreaterThanOrEqual(1900);
    expect(log[0]?.durationMs).toBeLessThan(3000);
  });
});
