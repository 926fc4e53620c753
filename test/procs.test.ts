import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { CLI } from "./analytics-export.fixture.ts";
import { sumOf } from "./support/metrics-samples.ts";
import { isAlive as alive, startServer, type TestServer } from "./support/server.ts";
import { tempDir } from "./support/temp-dir.ts";
import { api, DataDir } from "./support/workspace.ts";

/**
 * `crm serve --procs 2` (src/app/supervisor.ts): two server processes on one port under a
 * supervisor. Both serve; /metrics counts the group's requests whichever process answers it; a
 * process killed is started again while the other keeps serving; the nightly run is scheduled
 * once; SIGTERM stops the group cleanly; and no process outlives a supervisor killed outright.
 */
const dir = tempDir("crm-procs-");
let server: TestServer;
let key = "";

const started = (group: number) =>
  server.lines
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((l) => l.msg === "server process started" && l.group === group)
    .map((l) => Number(l.pid));

async function requestsCounted(route: string): Promise<number> {
  return sumOf(await (await fetch(`${server.url}/metrics`)).text(), "crm_http_requests_total", { route });
}

beforeAll(async () => {
  const data = new DataDir(dir.path);
  await data.tenant("procs");
  key = await data.apiKey("procs", "member");
  data.close();
  server = await startServer({
    dataDir: dir.path,
    args: ["--procs", "2"],
    env: { CRM_ANALYTICS_AT: "02:30" },
  });
  await server.waitForLine((l) => l.msg === "group listening");
}, 60_000);

afterAll(async () => {
  if (server && alive(server.pid)) await server.stop();
  dir.remove();
});

describe("crm serve --procs 2", () => {
  it("runs two processes on one port, both serving, the nightly run scheduled by one of them", async () => {
    const group = (await server.waitForLine((l) => l.msg === "group listening")) as { pids: number[] };
    expect(group.pids).toHaveLength(2);
    expect(group.pids.every(alive)).toBe(true);
    expect(new Set(group.pids).size).toBe(2);
    const listening = server.lines.filter((l) => l.includes('"msg":"listening"'));
    expect(listening).toHaveLength(2);
    expect(listening.every((l) => l.includes(server.url))).toBe(true);
    expect(server.lines.filter((l) => l.includes('"msg":"analytics schedule"'))).toHaveLength(1);
    // Connections closed after each request land on either process; every one is answered.
    const statuses = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`${server.url}/signup`, { headers: { connection: "close" } })),
    );
    for (const s of statuses) await s.arrayBuffer();
    expect(statuses.every((s) => s.status === 200)).toBe(true);
    expect(server.stderr()).toContain("(2 processes)");
    // Both answered some: each process's log lines carry its pid (passed on whole by the supervisor).
    await server.waitForLine((l) => l.msg === "request" && l.route === "/signup");
    await Bun.sleep(300);
    const answeredBy = new Set(
      server.lines
        .filter((l) => l.includes('"msg":"request"') && l.includes('"route":"/signup"'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid),
    );
    expect([...answeredBy].sort()).toEqual([...group.pids].sort());
  });

  it("answers /metrics for the whole group, whichever process the scrape reaches", async () => {
    const before = await requestsCounted("/api/v1/t/:tenant/contacts");
    const call = api(server.url, key);
    for (let i = 0; i < 30; i++) {
      const answer = await fetch(`${server.url}/api/v1/t/procs/contacts?limit=1`, {
        headers: { authorization: `Bearer ${key}`, connection: "close" },
      });
      expect(answer.status).toBe(200);
      await answer.arrayBuffer();
    }
    expect((await call("GET", "/t/procs/contacts")).status).toBe(200);
    // Each scrape may reach either process: every one sees all 31.
    for (let i = 0; i < 4; i++) {
      const counted = await fetch(`${server.url}/metrics`, { headers: { connection: "close" } });
      const text = await counted.text();
      const total = sumOf(text, "crm_http_requests_total", { route: "/api/v1/t/:tenant/contacts" });
      expect(total).toBe(before + 31);
    }
  });

  it("starts a killed process again while the other keeps serving", async () => {
    const [victim] = started(1);
    expect(victim).toBeGreaterThan(0);
    process.kill(victim as number, "SIGKILL");
    // The other process answers meanwhile (a connection the dead one had accepted may be reset).
    let served = 0;
    let failed = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      try {
        const answer = await fetch(`${server.url}/healthz`, { headers: { connection: "close" } });
        await answer.arrayBuffer();
        if (answer.status === 200) served++;
      } catch {
        failed++;
      }
    }
    expect(served).toBeGreaterThan(20);
    expect(failed).toBeLessThanOrEqual(2);
    await server.waitForLine((l) => l.msg === "server process exited; starting another" && l.pid === victim);
    await server.waitForLine((l) => l.msg === "listening" && l.group === 1 && l.pid !== victim, 20_000);
    const [, replacement] = started(1);
    expect(replacement).toBeGreaterThan(0);
    expect(alive(replacement as number)).toBe(true);
    expect(alive(victim as number)).toBe(false);
  }, 30_000);

  it("stops every process cleanly on SIGTERM", async () => {
    const pids = [...started(0), ...started(1)].filter(alive);
    expect(pids).toHaveLength(2);
    expect(await server.stop()).toBe(0);
    expect(server.lines.filter((l) => l.includes('"msg":"stopped"')).length).toBeGreaterThanOrEqual(2);
    expect(server.lines.some((l) => l.includes('"msg":"all server processes stopped"'))).toBe(true);
    expect(pids.filter(alive)).toEqual([]);
  }, 30_000);

  it("refuses a port another server holds in one line, alone or as a group, before any start-up work", async () => {
    const holder = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("held") });
    try {
      for (const procs of ["1", "2"]) {
        const proc = Bun.spawn(
          [
            process.execPath,
            CLI,
            "serve",
            "--port",
            String(holder.port),
            "--procs",
            procs,
            "--data",
            dir.path,
          ],
          { stdout: "pipe", stderr: "pipe", env: { ...process.env, CRM_ANALYTICS_AT: "02:30" } },
        );
        const [out, err, code] = await Promise.all([
          new Response(proc.stdout).text(),
          new Response(proc.stderr).text(),
          proc.exited,
        ]);
        expect({ procs, code }).toEqual({ procs, code: 1 });
        expect(err.trim().split("\n")).toEqual([
          expect.stringMatching(new RegExp(`^crm serve: cannot listen on 127\\.0\\.0\\.1:${holder.port}: `)),
        ]);
        // Nothing started: no schedule, no process.
        expect(out).toBe("");
      }
    } finally {
      holder.stop(true);
    }
  }, 30_000);

  it("leaves no process serving when its supervisor is killed outright", async () => {
    const orphaned = await startServer({ dataDir: dir.path, args: ["--procs", "2"] });
    await orphaned.waitForLine((l) => l.msg === "group listening");
    const children = (
      orphaned.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.msg === "group listening") as {
        pids: number[];
      }
    ).pids;
    await orphaned.kill();
    const deadline = Date.now() + 15_000;
    while (children.some(alive) && Date.now() < deadline) await Bun.sleep(50);
    expect(children.filter(alive)).toEqual([]);
  }, 30_000);
});
