import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { sumOf } from "./support/metrics-samples.ts";
import { isAlive as alive, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir, signIn } from "./support/workspace.ts";

/**
 * Hostile trial of `crm serve --procs N` (src/app/supervisor.ts, group-member.ts): state shared
 * across processes, faults (crash loops, a hung process, SIGTERM with a request in flight, twice,
 * a second group on the port, bad settings), /metrics under a group, log lines, and orphans.
 */
const T = "trial";
const TOKEN = "trial-procs-metrics-token-0123456789abcdef";
const dir = tempDir("crm-trial-procs-");
let group: TestServer;
let key = "";
const extra: TestServer[] = [];

const parsed = (server: TestServer) =>
  server.lines.map((l) => {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      return { unparsable: l } as Record<string, unknown>;
    }
  });

const pidsOf = async (server: TestServer) =>
  ((await server.waitForLine((l) => l.msg === "group listening")) as { pids: number[] }).pids;

/** Waits until the process at `index` that replaced `victim` listens; resolves with its pid. */
async function replaced(server: TestServer, index: number, victim: number): Promise<number> {
  const known = new Set(
    parsed(server)
      .filter((l) => l.msg === "server process started" && l.group === index)
      .map((l) => Number(l.pid)),
  );
  await server.waitForLine(
    (l) => l.msg === "server process exited; starting another" && l.pid === victim,
    20_000,
  );
  const started = await server.waitForLine(
    (l) => l.msg === "server process started" && l.group === index && !known.has(Number(l.pid)),
    40_000,
  );
  await server.waitForLine((l) => l.msg === "listening" && l.pid === started.pid, 20_000);
  return Number(started.pid);
}

/** The live pid of the process at `index` (the last one started there). */
const current = (server: TestServer, index: number) =>
  Number(
    parsed(server)
      .filter((l) => l.msg === "server process started" && l.group === index)
      .pop()?.pid,
  );

let nextId = 0;
/** One request on a fresh connection; resolves with the response and the pid that answered it. */
async function tagged(
  server: TestServer,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
) {
  const id = `trialprocs${process.pid}x${++nextId}`;
  const response = await fetch(server.url + path, {
    redirect: "manual",
    ...init,
    headers: { connection: "close", "x-request-id": id, ...init.headers },
  });
  const text = await response.text();
  const line = await server.waitForLine((l) => l.msg === "request" && l.requestId === id, 5000);
  return { response, text, pid: Number(line.pid) };
}

async function counted(
  server: TestServer,
  route: string,
  headers: Record<string, string> = {},
  timeoutMs = 8000,
) {
  const r = await fetch(`${server.url}/metrics`, {
    headers: { connection: "close", ...headers },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return sumOf(await r.text(), "crm_http_requests_total", { route });
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant(T);
  key = await data.apiKey(T, "admin");
  data.close();
  group = await startServer({
    dataDir: dir.path,
    args: ["--procs", "2"],
    env: { CRM_METRICS_TOKEN: TOKEN },
  });
  await group.waitForLine((l) => l.msg === "group listening");
}, 60_000);

afterAll(async () => {
  for (const server of [group, ...extra]) {
    if (!server) continue;
    try {
      process.kill(server.pid, "SIGCONT");
    } catch {}
    if (alive(server.pid)) await server.kill();
  }
  // Whatever a killed supervisor left (it should be nothing): never leave a process behind.
  await Bun.sleep(200);
  for (const server of [group, ...extra])
    for (const l of parsed(server))
      if (l.msg === "server process started" && alive(Number(l.pid))) process.kill(Number(l.pid), "SIGKILL");
  dir.remove();
});

describe("crm serve --procs: state across processes", () => {
  it("a session, its CSRF token and a write made through one process are good in the other at once", async () => {
    const owner = await signIn(group.url, T, `owner@${T}.test`);
    const cookie = `crm_session=${owner.cookie("crm_session")}`;
    // The session works whichever process answers (fresh connections spread over both).
    const seen = new Set<number>();
    for (let i = 0; i < 24 && seen.size < 2; i++) {
      const r = await tagged(group, `/t/${T}/contacts`, { headers: { cookie } });
      expect(r.response.status).toBe(200);
      seen.add(r.pid);
    }
    expect(seen.size).toBe(2);
    // A page and its ETag from each process; then a write through the API (either process).
    const tags = new Map<number, string>();
    for (let i = 0; i < 24 && tags.size < 2; i++) {
      const r = await tagged(group, `/t/${T}/contacts`, { headers: { cookie } });
      tags.set(r.pid, r.response.headers.get("etag") as string);
    }
    expect(tags.size).toBe(2);
    const created = await api(group.url, key)("POST", `/t/${T}/contacts`, {
      firstName: "Crossproc",
      lastName: "Visible",
    });
    expect(created.status).toBe(201);
    // Revalidating with each process's tag at either process: never a 304, always the new row.
    const checked = new Set<string>();
    for (let i = 0; i < 40 && checked.size < 4; i++) {
      for (const [tagPid, tag] of tags) {
        const r = await tagged(group, `/t/${T}/contacts`, { headers: { cookie, "if-none-match": tag } });
        expect({ status: r.response.status, shows: r.text.includes("Crossproc") }).toEqual({
          status: 200,
          shows: true,
        });
        checked.add(`${tagPid}->${r.pid}`);
      }
    }
    expect(checked.size).toBeGreaterThanOrEqual(3);
    // A CSRF token read from one process's page is accepted by the other (htmx note posts).
    const id = String(created.json.id ?? created.json.data?.id);
    const crossed: number[] = [];
    for (let i = 0; i < 20 && crossed.length < 3; i++) {
      const page = await tagged(group, `/t/${T}/contacts/${id}`, { headers: { cookie } });
      const token = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1] ?? "";
      expect(token).not.toBe("");
      const post = await tagged(group, `/t/${T}/notes`, {
        method: "POST",
        body: new URLSearchParams({ subjectType: "contact", subjectId: id, body: `cross-${i}` }),
        headers: {
          cookie,
          "hx-request": "true",
          "x-csrf-token": token,
          "content-type": "application/x-www-form-urlencoded",
        },
      });
      expect({ i, ok: post.response.status >= 200 && post.response.status < 300 }).toEqual({ i, ok: true });
      if (post.pid !== page.pid) crossed.push(i);
    }
    expect(crossed.length).toBeGreaterThan(0);
  }, 40_000);
});

describe("crm serve --procs: /metrics and logs", () => {
  const ROUTE = "/api/v1/t/:tenant/contacts";

  it("several scrapes in a row and at once all count every request; the token rules hold", async () => {
    const before = await counted(group, ROUTE);
    const sent = 30;
    await Promise.all(
      Array.from({ length: sent }, async () => {
        const r = await fetch(`${group.url}/api/v1/t/${T}/contacts?limit=1`, {
          headers: { authorization: `Bearer ${key}`, connection: "close" },
        });
        await r.arrayBuffer();
        expect(r.status).toBe(200);
      }),
    );
    for (let i = 0; i < 3; i++) expect(await counted(group, ROUTE)).toBe(before + sent);
    const together = await Promise.all(Array.from({ length: 6 }, () => counted(group, ROUTE)));
    expect(together).toEqual(Array(6).fill(before + sent));
    // The token is checked whichever process answers: right from anywhere, wrong never.
    expect(await counted(group, ROUTE, { authorization: `Bearer ${TOKEN}` })).toBe(before + sent);
    for (let i = 0; i < 6; i++) {
      const wrong = await fetch(`${group.url}/metrics`, {
        headers: { connection: "close", authorization: "Bearer wrong-token-wrong-token-wrong-token-x" },
      });
      expect(wrong.status).toBe(403);
      expect(await wrong.text()).not.toContain("crm_http_requests_total");
    }
  }, 30_000);

  it("every stdout line is whole JSON under a burst from both processes, each request line with group and pid", async () => {
    const from = group.lines.length;
    await Promise.all(
      Array.from({ length: 150 }, async (_, i) => {
        const r = await fetch(`${group.url}/api/v1/t/${T}/contacts?limit=1&q=${"x".repeat(i * 20)}`, {
          headers: { authorization: `Bearer ${key}`, connection: "close", "x-request-id": `burst${i}` },
        });
        await r.arrayBuffer();
      }),
    );
    await group.waitForLine((l) => l.requestId === "burst149");
    await Bun.sleep(500);
    const lines = group.lines.slice(from);
    const bad = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    expect(bad).toEqual([]);
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
    expect(requests.length).toBeGreaterThanOrEqual(150);
    for (const l of requests) expect([typeof l.group, typeof l.pid]).toEqual(["number", "number"]);
    expect(new Set(requests.map((l) => l.pid)).size).toBe(2);
  }, 30_000);

  it("a scrape while a process is stopped (SIGSTOP): what answers, how fast, with what", async () => {
    const before = await counted(group, ROUTE);
    const victim = current(group, 1);
    process.kill(victim, "SIGSTOP");
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, async () => {
          const t0 = performance.now();
          try {
            const total = await counted(group, ROUTE);
            return { ms: Math.round(performance.now() - t0), total };
          } catch {
            return { ms: Math.round(performance.now() - t0), total: -1 };
          }
        }),
      );
      console.log("scrapes with process 1 stopped:", JSON.stringify(outcomes), "before:", before);
      const answered = outcomes.filter((o) => o.total >= 0);
      // Those that land on the live process answer within a few seconds.
      expect(answered.length).toBeGreaterThan(0);
      for (const o of answered) expect(o.ms).toBeLessThan(4500);
      // Plain requests landing on the stopped process hang (the kernel still queues them for it).
      const hung = await Promise.all(
        Array.from({ length: 10 }, async () => {
          try {
            const r = await fetch(`${group.url}/healthz`, {
              headers: { connection: "close" },
              signal: AbortSignal.timeout(1500),
            });
            await r.arrayBuffer();
            return false;
          } catch {
            return true;
          }
        }),
      );
      console.log("healthz requests hung with process 1 stopped:", hung.filter(Boolean).length, "of 10");
      // The supervisor says nothing of a stopped process (it is alive): no log line.
      expect(
        parsed(group).some((l) => l.msg === "server process exited; starting another" && l.pid === victim),
      ).toBe(false);
    } finally {
      process.kill(victim, "SIGCONT");
    }
    // Once it runs again, the group's totals are whole again.
    await Bun.sleep(300);
    expect(await counted(group, ROUTE)).toBeGreaterThanOrEqual(before);
  }, 40_000);

  it("the group's request counters never go backwards while a process is stopped (its last counts stand in for it)", async () => {
    const before = await counted(group, ROUTE);
    expect(before).toBeGreaterThan(0);
    const victim = current(group, 1);
    process.kill(victim, "SIGSTOP");
    try {
      // Scrapes at once: those reaching the stopped process time out, the others answer in ~2 s.
      const totals = (
        await Promise.all(
          Array.from({ length: 6 }, () => counted(group, ROUTE, {}, 3500).catch(() => undefined)),
        )
      ).filter((t): t is number => t !== undefined);
      expect(totals.length).toBeGreaterThan(0);
      // A counter must never fall: a scrape without one process's figures is not the group's total.
      for (const total of totals) expect(total).toBeGreaterThanOrEqual(before);
    } finally {
      process.kill(victim, "SIGCONT");
    }
  }, 40_000);

  it("the group's request counters never go backwards when a process dies (what it last reported stays)", async () => {
    const before = await counted(group, ROUTE);
    expect(before).toBeGreaterThan(0);
    const victim = current(group, 1);
    process.kill(victim, "SIGKILL");
    await replaced(group, 1, victim);
    for (let i = 0; i < 4; i++) expect(await counted(group, ROUTE)).toBeGreaterThanOrEqual(before);
  }, 40_000);
});

describe("crm serve --procs: faults", () => {
  it("a crash loop: the back-off doubles, the other keeps serving, the group recovers", async () => {
    const delays: number[] = [];
    for (let round = 0; round < 4; round++) {
      const victim = current(group, 1);
      process.kill(victim, "SIGKILL");
      const exited = await group.waitForLine(
        (l) => l.msg === "server process exited; starting another" && l.pid === victim,
      );
      delays.push(Number(exited.restartInMs));
      // Meanwhile the other serves every request.
      for (let i = 0; i < 10; i++) {
        const r = await fetch(`${group.url}/healthz`, { headers: { connection: "close" } });
        await r.arrayBuffer();
        expect(r.status).toBe(200);
      }
      await replaced(group, 1, victim);
    }
    console.log("crash-loop restart delays:", delays);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBe((delays[i - 1] as number) * 2);
    // Recovered: both processes answer again.
    const pids = new Set<number>();
    for (let i = 0; i < 30 && pids.size < 2; i++) pids.add((await tagged(group, "/signup")).pid);
    expect(pids.size).toBe(2);
  }, 40_000);

  it("a second group on the same port: what happens", async () => {
    const port = new URL(group.url).port;
    const other = tempDir("crm-trial-procs-other-");
    try {
      // One process (no SO_REUSEPORT) is refused the port.
      await expect(startServer({ dataDir: other.path, args: ["--port", port] })).rejects.toThrow();
    } finally {
      other.remove();
    }
  }, 30_000);

  it("a second group started on a group's port is refused, not let in to share it", async () => {
    const port = new URL(group.url).port;
    const other = tempDir("crm-trial-procs-other-");
    let second: TestServer | undefined;
    try {
      const outcome = await startServer({
        dataDir: other.path,
        args: ["--procs", "2", "--port", port],
      }).then(
        async (s) => {
          second = s;
          extra.push(s);
          await s.waitForLine((l) => l.msg === "group listening", 20_000);
          return "listening";
        },
        (error: Error) => error.message,
      );
      expect(outcome).not.toBe("listening");
    } finally {
      if (second) await second.stop();
      other.remove();
    }
  }, 30_000);

  it("bad --procs / CRM_PROCS: a clear error and a non-zero exit", async () => {
    const cases: [string, string[], Record<string, string>][] = [
      ["--procs 0", ["--procs", "0"], {}],
      ["--procs 65", ["--procs", "65"], {}],
      ["--procs abc", ["--procs", "abc"], {}],
      ["--procs -1", ["--procs", "-1"], {}],
      ["--procs 1.5", ["--procs", "1.5"], {}],
      ["CRM_PROCS=0", [], { CRM_PROCS: "0" }],
      ["CRM_PROCS=abc", [], { CRM_PROCS: "abc" }],
    ];
    const results = await Promise.all(
      cases.map(async ([name, args, env]) => {
        const proc = Bun.spawn(
          [process.execPath, "src/cli.ts", "serve", "--port", "0", "--data", dir.path, ...args],
          {
            env: { ...process.env, CRM_ANALYTICS_AT: "off", CRM_PROCS: "1", ...env },
            stdout: "pipe",
            stderr: "pipe",
          },
        );
        const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
        const code = await proc.exited;
        clearTimeout(timer);
        const stderr = await new Response(proc.stderr).text();
        return { name, code, stderr: stderr.trim().split("\n")[0] ?? "", trace: /\n\s+at /.test(stderr) };
      }),
    );
    console.log(JSON.stringify(results, null, 1));
    for (const r of results) {
      expect({ name: r.name, failed: r.code !== 0, trace: r.trace }).toEqual({
        name: r.name,
        failed: true,
        trace: false,
      });
      expect(r.stderr).toMatch(/procs|PROCS/);
    }
  }, 30_000);

  it("SIGTERM while a slowly-sent request is in flight: it completes, exit 0, no process left", async () => {
    const server = await startServer({
      dataDir: dir.path,
      args: ["--procs", "2"],
      env: { CRM_SHUTDOWN_DRAIN_SECONDS: "4" },
    });
    extra.push(server);
    const pids = await pidsOf(server);
    const port = Number(new URL(server.url).port);
    const body = JSON.stringify({ firstName: "Slowly", lastName: "Sent" });
    let answer = "";
    const closed = Promise.withResolvers<void>();
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, chunk) {
          answer += new TextDecoder().decode(chunk);
        },
        close() {
          closed.resolve();
        },
        error() {
          closed.resolve();
        },
      },
    });
    socket.write(
      `POST /api/v1/t/${T}/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await Bun.sleep(300);
    server.proc.kill("SIGTERM");
    await Bun.sleep(700);
    socket.write(body.slice(10));
    await Promise.race([closed.promise, Bun.sleep(10_000)]);
    const code = await server.proc.exited;
    console.log("slow request answered with:", answer.split("\r\n")[0]);
    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 201 Created");
    expect(code).toBe(0);
    expect(pids.filter(alive)).toEqual([]);
  }, 40_000);

  it("a second SIGTERM (Ctrl-C twice, an impatient init) changes nothing: the shutdown finishes and exits 0", async () => {
    const server = await startServer({ dataDir: dir.path, args: ["--procs", "2"] });
    extra.push(server);
    const pids = await pidsOf(server);
    server.proc.kill("SIGTERM");
    await Bun.sleep(30);
    server.proc.kill("SIGTERM");
    const code = await server.proc.exited;
    const deadline = Date.now() + 15_000;
    while (pids.some(alive) && Date.now() < deadline) await Bun.sleep(50);
    expect(pids.filter(alive)).toEqual([]);
    expect(code).toBe(0);
  }, 30_000);

  it("after SIGKILL of the supervisor no process is left within a few seconds, and the port is free", async () => {
    const server = await startServer({ dataDir: dir.path, args: ["--procs", "3"] });
    extra.push(server);
    const pids = await pidsOf(server);
    expect(pids).toHaveLength(3);
    const port = Number(new URL(server.url).port);
    await server.kill();
    const t0 = Date.now();
    while (pids.some(alive) && Date.now() - t0 < 5000) await Bun.sleep(25);
    console.log("children gone", Date.now() - t0, "ms after the supervisor's SIGKILL");
    expect(pids.filter(alive)).toEqual([]);
    const probe = Bun.serve({ hostname: "127.0.0.1", port, fetch: () => new Response("") });
    expect(probe.port).toBe(port);
    probe.stop(true);
  }, 30_000);
});
